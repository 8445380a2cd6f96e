// Rewrites report text with the gate's redaction and changes nothing else, so a JUnit file can be
// uploaded as an artifact without the database passwords in it (`dual-backend-coverage scrub`).
//
// A streaming state machine over XML text: decoded string pieces of any size, cut anywhere (inside
// "<!--", "<![CDATA[", "&amp;", a quoted value, a surrogate pair). Text nodes, attribute values,
// CDATA sections and comments are "content runs"; tags, processing instructions and DOCTYPEs
// pass through untouched. Each run is decoded (entities in text and attribute values; CDATA and
// comments as they are) and redacted. An unchanged run is emitted as it came, byte for byte; a
// changed one is re-encoded only between the common prefix and the common suffix of the decoded
// and the redacted text, so everything around the masked span(s) stays as written.
//
// Text and CDATA sections that follow each other with no other markup between them
// (`a<![CDATA[b]]><![CDATA[c]]>d`, also a reporter's `]]]]><![CDATA[>` split) are redacted as one
// text, as the gate reads them: a secret split over two sections is masked too.
//
// Pure: no I/O, no node: modules. Linear in the input; it holds at most MAX_RUN_CHARS of content
// (plus the piece being pushed and the output of that piece).

/** Content runs longer than this are redacted in pieces, so memory stays bounded. */
export const MAX_RUN_CHARS = 1 << 20
/** A long run is cut at its last line break within this many characters of the limit. */
const CUT_WINDOW = 1 << 16
/** An entity reference longer than this is not one we decode (`&#x10FFFF;` is 10 characters). */
const MAX_ENTITY_CHARS = 32
/** Characters of a tag name kept: enough to tell "testcase" and "/testcase" from others. */
const MAX_NAME_CHARS = 64

const TEXT = 0
const OPEN = 1 // just after "<", not yet told what follows
const TAG = 2
const ATTRIBUTE = 3
const COMMENT = 4
const CDATA = 5
const PI = 6
const DECLARATION = 7 // <!DOCTYPE …> and any other <!…>

export class ReportScrubber {
  private state = TEXT
  /** Input not yet looked at: a possible delimiter cut by the end of a piece, or a high surrogate. */
  private carry = ''
  private out = ''
  /** The content run being read (its kind is `state`). */
  private run: string[] = []
  private runChars = 0
  /** Whether "<![CDATA[" of the CDATA run being read went out already (with a piece cut off it). */
  private runOpened = false
  /** Finished text and CDATA runs next to each other, redacted together once other markup comes. */
  private group: Segment[] = []
  private groupChars = 0
  /** A piece of the content being read changed; counted when it ends. */
  private changed = false
  /** The quote of the attribute value being read. */
  private quote = '"'
  private tagName = ''
  private nameDone = false
  /** The last non-blank character of the tag so far was "/" (an empty-element tag, once ">" comes). */
  private selfClosing = false
  private declQuote = 0
  private declDepth = 0
  /** Inside a DOCTYPE's internal subset: in a comment (COMMENT) or processing instruction (PI), or 0. */
  private declInner = 0
  private inCase = false
  private caseCounted = false
  private maskedRuns = 0
  private maskedCases = 0

  constructor(private readonly redact: (text: string) => string) {}

  /** Content runs (text, attribute value, CDATA section, comment) the redaction changed; text and CDATA next to each other count once. */
  get masked(): number {
    return this.maskedRuns
  }

  /** Distinct <testcase> elements holding a changed run (in an attribute or anywhere inside). */
  get testcases(): number {
    return this.maskedCases
  }

  /** Takes the next piece of decoded text; returns the scrubbed text that is ready. */
  push(text: string): string {
    let input = this.carry + text
    this.carry = ''
    // A high surrogate waits for its pair: no returned piece ends in half a character.
    let held = ''
    const last = input.charCodeAt(input.length - 1)
    if (last >= 0xd800 && last <= 0xdbff) {
      held = input.slice(-1)
      input = input.slice(0, -1)
    }
    this.process(input, false)
    this.carry += held
    return this.take()
  }

  /** The end of the text: flushes what was held (a run the file's end cut short is redacted too). */
  end(): string {
    const input = this.carry
    this.carry = ''
    this.process(input, true)
    if (this.state === TEXT || this.state === ATTRIBUTE || this.state === COMMENT || this.state === CDATA) this.endRun(false)
    this.flushGroup()
    this.unitEnd()
    return this.take()
  }

  private take(): string {
    const out = this.out
    this.out = ''
    return out
  }

  private emit(text: string): void {
    this.out += text
  }

  private process(buf: string, final: boolean): void {
    const n = buf.length
    let i = 0
    while (i < n) {
      switch (this.state) {
        case TEXT:
          i = this.text(buf, i)
          break
        case OPEN:
          i = this.open(buf, i, final)
          break
        case TAG:
          i = this.tag(buf, i)
          break
        case ATTRIBUTE:
          i = this.attribute(buf, i)
          break
        case COMMENT:
          i = this.delimited(buf, i, '-->', final)
          break
        case CDATA:
          i = this.delimited(buf, i, ']]>', final)
          break
        case PI:
          i = this.instruction(buf, i, final)
          break
        default:
          i = this.declaration(buf, i, final)
      }
    }
  }

  private text(buf: string, i: number): number {
    const lt = buf.indexOf('<', i)
    if (lt < 0) {
      this.addRun(buf, i, buf.length)
      return buf.length
    }
    this.addRun(buf, i, lt)
    this.endRun(false)
    this.state = OPEN
    return lt
  }

  /** At "<": a comment, a CDATA section, a declaration, a processing instruction or a tag. */
  private open(buf: string, i: number, final: boolean): number {
    const head = buf.slice(i, i + 9)
    if (head.startsWith('<![CDATA[')) {
      // Joins the text or CDATA before it, if any: its "<![CDATA[" goes out with the group.
      this.state = CDATA
      this.runOpened = false
      return i + 9
    }
    if (!final && (head.length < 2 || '<!--'.startsWith(head) || '<![CDATA['.startsWith(head))) {
      this.carry = buf.slice(i)
      return buf.length
    }
    // Any other markup ends the text before it.
    this.flushGroup()
    this.unitEnd()
    if (head.startsWith('<!--')) {
      this.emit('<!--')
      this.state = COMMENT
      return i + 4
    }
    if (head[1] === '!') {
      this.emit('<!')
      this.state = DECLARATION
      this.declQuote = 0
      this.declDepth = 0
      this.declInner = 0
      return i + 2
    }
    if (head[1] === '?') {
      this.emit('<?')
      this.state = PI
      return i + 2
    }
    this.emit('<')
    this.state = TAG
    this.tagName = ''
    this.nameDone = false
    this.selfClosing = false
    return i + 1
  }

  /** Markup of a start or end tag, outside attribute values: passed through as it is. */
  private tag(buf: string, i: number): number {
    const n = buf.length
    for (let k = i; k < n; k++) {
      const c = buf.charCodeAt(k)
      if (c === 0x3e) {
        this.emit(buf.slice(i, k + 1))
        if (!this.nameDone) this.nameEnd()
        if (this.selfClosing && this.tagName === 'testcase') this.inCase = false
        this.state = TEXT
        return k + 1
      }
      if (c === 0x22 || c === 0x27) {
        this.emit(buf.slice(i, k + 1))
        if (!this.nameDone) this.nameEnd()
        this.quote = c === 0x22 ? '"' : "'"
        this.selfClosing = false
        this.state = ATTRIBUTE
        return k + 1
      }
      const blank = c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
      if (!this.nameDone) {
        if (blank || (c === 0x2f && this.tagName.length > 0)) this.nameEnd()
        else if (this.tagName.length < MAX_NAME_CHARS) this.tagName += buf[k]
      }
      if (!blank) this.selfClosing = c === 0x2f
    }
    this.emit(buf.slice(i, n))
    return n
  }

  private nameEnd(): void {
    this.nameDone = true
    if (this.tagName === 'testcase') {
      this.inCase = true
      this.caseCounted = false
    } else if (this.tagName === '/testcase') {
      this.inCase = false
    }
  }

  private attribute(buf: string, i: number): number {
    const close = buf.indexOf(this.quote, i)
    if (close < 0) {
      this.addRun(buf, i, buf.length)
      return buf.length
    }
    this.addRun(buf, i, close)
    this.endRun(true)
    this.unitEnd()
    this.emit(this.quote)
    this.state = TAG
    return close + 1
  }

  /** The content of a comment ("-->") or a CDATA section ("]]>"). */
  private delimited(buf: string, i: number, close: string, final: boolean): number {
    const n = buf.length
    const at = buf.indexOf(close, i)
    if (at >= 0) {
      this.addRun(buf, i, at)
      this.endRun(true)
      if (this.state === COMMENT) {
        this.unitEnd()
        this.emit(close)
      }
      this.state = TEXT
      return at + close.length
    }
    const keep = final ? n : Math.max(i, n - partialDelimiter(buf, close))
    this.addRun(buf, i, keep)
    if (keep < n) this.carry = buf.slice(keep)
    return n
  }

  /** A processing instruction (also the XML declaration): passed through to its "?>". */
  private instruction(buf: string, i: number, final: boolean): number {
    const n = buf.length
    const at = buf.indexOf('?>', i)
    if (at >= 0) {
      this.emit(buf.slice(i, at + 2))
      this.state = TEXT
      return at + 2
    }
    const keep = final ? n : Math.max(i, n - partialDelimiter(buf, '?>'))
    this.emit(buf.slice(i, keep))
    if (keep < n) this.carry = buf.slice(keep)
    return n
  }

  /**
   * A DOCTYPE (or another "<!" declaration), passed through to its closing ">": quoted strings,
   * the [internal subset], and comments and processing instructions inside it are stepped over.
   * The gate refuses a DOCTYPE; here it only has to be found whole, so what follows it is read right.
   */
  private declaration(buf: string, i: number, final: boolean): number {
    const n = buf.length
    let k = i
    while (k < n) {
      if (this.declInner !== 0) {
        const close = this.declInner === COMMENT ? '-->' : '?>'
        const at = buf.indexOf(close, k)
        if (at < 0) {
          const keep = final ? n : Math.max(k, n - partialDelimiter(buf, close))
          this.emit(buf.slice(i, keep))
          if (keep < n) this.carry = buf.slice(keep)
          return n
        }
        k = at + close.length
        this.declInner = 0
        continue
      }
      const c = buf.charCodeAt(k)
      if (this.declQuote !== 0) {
        if (c === this.declQuote) this.declQuote = 0
      } else if (c === 0x22 || c === 0x27) {
        this.declQuote = c
      } else if (c === 0x5b) {
        this.declDepth++
      } else if (c === 0x5d) {
        if (this.declDepth > 0) this.declDepth--
      } else if (c === 0x3c && this.declDepth > 0) {
        const head = buf.slice(k, k + 4)
        if (head === '<!--') {
          this.declInner = COMMENT
          k += 4
          continue
        }
        if (head.startsWith('<?')) {
          this.declInner = PI
          k += 2
          continue
        }
        if (!final && head.length < 4 && '<!--'.startsWith(head)) {
          this.emit(buf.slice(i, k))
          this.carry = buf.slice(k)
          return n
        }
      } else if (c === 0x3e && this.declDepth === 0) {
        this.emit(buf.slice(i, k + 1))
        this.state = TEXT
        return k + 1
      }
      k++
    }
    this.emit(buf.slice(i, n))
    return n
  }

  private addRun(buf: string, from: number, to: number): void {
    if (to <= from) return
    this.run.push(from === 0 && to === buf.length ? buf : buf.slice(from, to))
    this.runChars += to - from
    if (this.runChars + this.groupChars > MAX_RUN_CHARS) {
      // The finished runs next to this one go out first, redacted together without it.
      this.flushGroup()
      if (this.runChars > MAX_RUN_CHARS) this.cutRun()
    }
  }

  /**
   * A run past MAX_RUN_CHARS is redacted in pieces: each ends at the last line break within the
   * last CUT_WINDOW characters of the limit, or, with none there, at the limit (never inside an
   * entity reference or a surrogate pair). A secret that spans such a cut is not seen whole and
   * may be missed; runs this long are captured output, which breaks lines far more often. The
   * same holds where a text or CDATA run next to finished ones passes the limit: they are
   * redacted without it.
   */
  private cutRun(): void {
    let text = this.run.join('')
    const kind = this.state
    while (text.length > MAX_RUN_CHARS) {
      const cut = cutPoint(text, kind === TEXT || kind === ATTRIBUTE)
      this.redactSegments([{ kind, raw: text.slice(0, cut), open: kind === CDATA && !this.runOpened, close: false }])
      this.runOpened = true
      text = text.slice(cut)
    }
    this.run = [text]
    this.runChars = text.length
  }

  /** The run being read ends: text and CDATA join the group; an attribute value or comment goes out now. */
  private endRun(closed: boolean): void {
    const kind = this.state
    const raw = this.run.length === 1 ? (this.run[0] as string) : this.run.join('')
    this.run = []
    this.runChars = 0
    if (kind === CDATA) {
      this.group.push({ kind, raw, open: !this.runOpened, close: closed })
      this.groupChars += raw.length
      this.runOpened = false
    } else if (kind === TEXT) {
      if (raw.length === 0) return
      this.group.push({ kind, raw, open: false, close: false })
      this.groupChars += raw.length
    } else if (raw.length > 0) {
      this.redactSegments([{ kind, raw, open: false, close: false }])
    }
  }

  private flushGroup(): void {
    if (this.group.length === 0) return
    this.redactSegments(this.group)
    this.group.length = 0
    this.groupChars = 0
  }

  /** The end of a text (a group, an attribute value, a comment): counts it if it changed. */
  private unitEnd(): void {
    if (!this.changed) return
    this.changed = false
    this.maskedRuns++
    if (this.inCase && !this.caseCounted) {
      this.caseCounted = true
      this.maskedCases++
    }
  }

  /**
   * Redacts segments read as one text (a single run, or text and CDATA next to each other) and
   * emits them. Unchanged: as they came. Changed: the span between the common prefix and suffix
   * of the decoded and the redacted text is re-encoded, all of it in the first segment it touches
   * (the others lose their part of it); everything outside it stays as written.
   */
  private redactSegments(segments: readonly Segment[]): void {
    let decoded: (DecodedRun | undefined)[]
    let plains: string[]
    let joined: string
    if (segments.length === 1) {
      // The common case, without the arrays until something changed.
      const segment = segments[0] as Segment
      const run = (segment.kind === TEXT || segment.kind === ATTRIBUTE) && segment.raw.includes('&') ? decodeEntities(segment.raw) : undefined
      joined = run === undefined ? segment.raw : run.text
      decoded = [run]
      plains = [joined]
    } else {
      decoded = segments.map((segment) => (segment.kind === TEXT && segment.raw.includes('&') ? decodeEntities(segment.raw) : undefined))
      plains = segments.map((segment, i) => decoded[i]?.text ?? segment.raw)
      joined = plains.join('')
    }
    const redacted = this.redact(joined)
    if (redacted === joined) {
      for (const segment of segments) this.emitSegment(segment, segment.raw)
      return
    }
    this.changed = true
    const limit = Math.min(joined.length, redacted.length)
    let start = 0
    while (start < limit && joined.charCodeAt(start) === redacted.charCodeAt(start)) start++
    let tail = 0
    while (tail < limit - start && joined.charCodeAt(joined.length - 1 - tail) === redacted.charCodeAt(redacted.length - 1 - tail)) tail++
    // Whole characters only: an entity decodes to one code point, so the bounds fall between entities.
    if (start > 0 && isHighSurrogate(joined.charCodeAt(start - 1))) start--
    if (tail > 0 && isLowSurrogate(joined.charCodeAt(joined.length - tail))) tail--
    const end = joined.length - tail
    const middle = redacted.slice(start, redacted.length - tail)
    let placed = false
    let from = 0
    segments.forEach((segment, i) => {
      const plain = plains[i] as string
      const to = from + plain.length
      // The segments the changed span covers; an empty span (an insertion) goes in the first one reaching it.
      const touched = start < end ? to > start && from < end : !placed && to >= start
      if (!touched) {
        this.emitSegment(segment, segment.raw)
      } else {
        const run = decoded[i]
        const localStart = Math.max(from, start) - from
        const localEnd = Math.min(to, end) - from
        const rawStart = run === undefined ? localStart : rawOffset(run, localStart)
        const rawEnd = run === undefined ? localEnd : rawOffset(run, localEnd)
        const inserted = placed ? '' : middle
        placed = true
        this.emitSegment(segment, segment.raw.slice(0, rawStart) + encode(inserted, segment.kind, this.quote) + segment.raw.slice(rawEnd), segment.raw)
      }
      from = to
    })
  }

  private emitSegment(segment: Segment, content: string, raw = content): void {
    if (segment.kind !== CDATA) {
      // A mask never makes "--" ("***" replaces, it never joins), but a redactor is a parameter:
      // the output stays well-formed whatever it returns.
      this.emit(segment.kind === COMMENT && content !== raw && content.includes('--') && !raw.includes('--') ? content.replace(/-(?=-)/g, '- ') : content)
      return
    }
    const safe = content !== raw && content.includes(']]>') ? content.replace(/]]>/g, ']]]]><![CDATA[>') : content
    this.emit((segment.open ? '<![CDATA[' : '') + safe + (segment.close ? ']]>' : ''))
  }
}

/** A finished run (or a piece of one) waiting to be redacted; CDATA with which of its delimiters go out with it. */
interface Segment {
  kind: number
  raw: string
  open: boolean
  close: boolean
}

/** Redacted text in its context: escaped in text and attribute values, as it is in CDATA and comments. */
function encode(text: string, kind: number, quote: string): string {
  if (kind === TEXT) return escapeXml(text, '')
  if (kind === ATTRIBUTE) return escapeXml(text, quote)
  return text
}

/** How many characters at the end of `buf` may be the start of `close` cut by the piece's end. */
function partialDelimiter(buf: string, close: string): number {
  for (let length = Math.min(close.length - 1, buf.length); length > 0; length--) {
    if (buf.endsWith(close.slice(0, length))) return length
  }
  return 0
}

function cutPoint(text: string, entities: boolean): number {
  const lineBreak = text.lastIndexOf('\n', MAX_RUN_CHARS - 1)
  if (lineBreak >= MAX_RUN_CHARS - CUT_WINDOW) return lineBreak + 1
  let cut = MAX_RUN_CHARS
  if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--
  if (entities) {
    const amp = text.lastIndexOf('&', cut - 1)
    if (amp > cut - MAX_ENTITY_CHARS && text.lastIndexOf(';', cut - 1) < amp) cut = amp
  }
  return cut
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

interface DecodedRun {
  text: string
  /** For each decoded reference: where its character(s) end in `text`… */
  ends: number[]
  /** …and how many more characters the raw text holds than `text` up to there. */
  shifts: number[]
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** The five predefined entities and character references; anything else stays as written. */
function decodeEntities(raw: string): DecodedRun {
  let text = ''
  let copied = 0
  let shift = 0
  const ends: number[] = []
  const shifts: number[] = []
  for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', amp + 1)) {
    const semicolon = referenceEnd(raw, amp)
    if (semicolon < 0) continue
    const char = referenceValue(raw.slice(amp + 1, semicolon))
    if (char === undefined) continue
    text += raw.slice(copied, amp) + char
    copied = semicolon + 1
    shift += semicolon + 1 - amp - char.length
    ends.push(text.length)
    shifts.push(shift)
  }
  return { text: text + raw.slice(copied), ends, shifts }
}

/** The ";" closing the reference at `amp`, looked for within MAX_ENTITY_CHARS (linear overall), or -1. */
function referenceEnd(raw: string, amp: number): number {
  const limit = Math.min(raw.length, amp + MAX_ENTITY_CHARS)
  for (let k = amp + 1; k < limit; k++) {
    const c = raw.charCodeAt(k)
    if (c === 0x3b) return k
    if (c === 0x26 || c === 0x3c || c <= 0x20) return -1
  }
  return -1
}

function referenceValue(name: string): string | undefined {
  const named = NAMED[name]
  if (named !== undefined) return named
  let code: number
  if (/^#[0-9]+$/.test(name)) code = Number.parseInt(name.slice(1), 10)
  else if (/^#x[0-9a-fA-F]+$/.test(name)) code = Number.parseInt(name.slice(2), 16)
  else return undefined
  if (code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined
  return String.fromCodePoint(code)
}

/** Where decoded index `at` (between two characters) lies in the raw text. */
function rawOffset(run: DecodedRun, at: number): number {
  // The last reference ending at or before `at`: binary search over the sorted ends.
  let low = 0
  let high = run.ends.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if ((run.ends[mid] as number) <= at) low = mid + 1
    else high = mid
  }
  return low === 0 ? at : at + (run.shifts[low - 1] as number)
}

/** Text as XML character data: & < > always, and the value's quote inside an attribute. */
function escapeXml(text: string, quote: string): string {
  let out = ''
  let copied = 0
  for (let k = 0; k < text.length; k++) {
    const c = text[k]
    const entity = c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === quote ? (quote === '"' ? '&quot;' : '&apos;') : undefined
    if (entity === undefined) continue
    out += text.slice(copied, k) + entity
    copied = k + 1
  }
  return copied === 0 ? text : out + text.slice(copied)
}
