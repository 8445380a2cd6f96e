// Finds what redaction would mask in a whole report file, as its text streams past the parser:
// the gate redacts everything it prints, but the raw JUnit file a job uploads as an artifact
// still holds the DATABASE_URL password. The verdict names that, without printing it.
//
// Fast on clean reports: one native regular-expression scan for trigger words ("://",
// "password", token prefixes, the configured values) per piece; only the text around a hit is
// decoded and redacted. Linear: each hit's window is at most 2 x WINDOW characters, and the
// scan resumes after it.
import type { Redactor } from './redact.js'
import { escapeRegExp } from './patterns.js'

const WINDOW = 2048
/** Characters of each side of a piece boundary joined, so a trigger or window cut by it is whole. */
const CARRY = 4096
const TESTCASE_TAG = '<testcase'
const SHAPE_TRIGGERS = String.raw`:\/\/|pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|bearer|basic |-----BEGIN |gh[pousr]_|github_pat_|AKIA|xox[abpr]-`

export interface NamedSecret {
  /** The environment variable, as the verdict names it. */
  name: string
  /** Every form of its value the redactor masks (see expandSecrets). */
  forms: readonly string[]
}

export interface SpottedSecrets {
  /** Places (windows of text) where redaction changed something. */
  values: number
  /** Distinct <testcase> elements holding one (0: only outside testcases, such as suite properties). */
  testcases: number
  /** Configured variables whose value was seen; a credential recognised by its shape only adds none. */
  names: string[]
  /** A URL password, a password= value or a token recognised by its shape, not by a configured value. */
  byShape: boolean
}

export class SecretSpotter {
  /** The last CARRY characters seen, and how many were seen in all. */
  private recent = ''
  private seen = 0
  /** Absolute offsets: the end of the last window looked at, and the first hit left for the next piece. */
  private scannedTo = 0
  private resumeAt = Number.POSITIVE_INFINITY
  /** <testcase tags counted so far, and the absolute offset up to which they were counted. */
  private testcaseOrdinal = 0
  private countedTo = 0
  private lastCountedTestcase = -1
  private readonly trigger: RegExp
  private readonly result: SpottedSecrets = { values: 0, testcases: 0, names: [], byShape: false }
  private readonly names = new Set<string>()

  constructor(
    private readonly redact: Redactor,
    private readonly secrets: readonly NamedSecret[],
    publicWords: readonly string[] = []
  ) {
    const isPublic = new Set(publicWords.map((w) => w.toLowerCase()))
    const literals = secrets
      .flatMap((s) => s.forms)
      .filter((form) => form.length >= 4 && !isPublic.has(form.toLowerCase()))
      // The first characters suffice to trigger; XML may escape the rest differently.
      .map((form) => escapeRegExp(leadingPlain(form)))
      .filter((lead) => lead.length >= 4)
    this.trigger = new RegExp([SHAPE_TRIGGERS, ...new Set(literals)].join('|'), 'gi')
  }

  push(text: string): void {
    // The decoder may hand over an empty piece mid-file: only end() means the text is over.
    if (text.length > 0) this.feed(text, false)
  }

  private feed(text: string, last: boolean): void {
    const base = this.seen
    const recent = this.recent
    if (recent.length > 0) {
      // Hits that start before this piece but were left for it (too near the end), and triggers
      // cut by the boundary: scanned on a small join of the text around the boundary.
      const joined = recent + text.slice(0, CARRY)
      const joinBase = base - recent.length
      this.trigger.lastIndex = Math.max(0, this.resumeAt - joinBase, this.scannedTo - joinBase)
      this.resumeAt = Number.POSITIVE_INFINITY
      this.scan(joined, joinBase, base, !last && text.length < CARRY, '')
      this.advanceTo(joined, joinBase, Math.min(base, this.resumeAt))
    }
    // The piece itself, with no copy: most pieces have no hit at all.
    this.trigger.lastIndex = Math.max(0, this.scannedTo - base)
    // A hit left over from the join stays the first one to look at next time.
    this.resumeAt = Math.min(this.resumeAt, base + text.length - 64)
    this.scan(text, base, base + text.length, !last, recent)
    this.advanceTo(text, base, Math.min(this.resumeAt, base + text.length - (last ? 0 : TESTCASE_TAG.length - 1)))
    this.recent = text.length >= CARRY ? text.slice(text.length - CARRY) : (recent + text).slice(-CARRY)
    this.seen = base + text.length
  }

  /**
   * Looks at each trigger in `buffer` that starts before absolute `until`; with `more` (text still
   * to come), a hit too near the buffer's end to see its window whole is left for the next piece.
   * `before` is the text just before the buffer, for windows that reach back past its start.
   */
  private scan(buffer: string, base: number, until: number, more: boolean, before: string): void {
    const trigger = this.trigger
    for (let match = trigger.exec(buffer); match !== null; match = trigger.exec(buffer)) {
      const at = match.index
      if (base + at >= until) break
      if (more && buffer.length - at < WINDOW) {
        this.resumeAt = Math.min(this.resumeAt, base + at)
        break
      }
      let end: number
      if (at < WINDOW && before.length > 0) {
        const small = before + buffer.slice(0, Math.min(buffer.length, at + WINDOW))
        end = this.look(small, base - before.length, at + before.length) - before.length
      } else {
        end = this.look(buffer, base, at)
      }
      trigger.lastIndex = Math.max(end, at + 1)
      this.scannedTo = base + trigger.lastIndex
    }
  }

  end(): SpottedSecrets {
    this.feed('', true)
    this.result.names = [...this.names].sort()
    return this.result
  }

  /** Redacts the text around a hit; returns where the window ended (buffer index). */
  private look(buffer: string, base: number, at: number): number {
    let start = at
    const floor = Math.max(0, at - WINDOW)
    while (start > floor && !isBoundary(buffer.charCodeAt(start - 1))) start--
    let end = at
    const ceiling = Math.min(buffer.length, at + WINDOW)
    while (end < ceiling && !isBoundary(buffer.charCodeAt(end))) end++
    const window = decodeEntities(buffer.slice(start, end))
    if (this.redact(window) === window) return Math.max(end, at + 1)
    this.result.values += 1
    let named = false
    for (const secret of this.secrets) {
      if (secret.forms.some((form) => form.length >= 4 && window.includes(form))) {
        this.names.add(secret.name)
        named = true
      }
    }
    if (!named) this.result.byShape = true
    this.advanceTo(buffer, base, base + at)
    const ordinal = this.testcaseOrdinal
    if (ordinal > 0 && ordinal !== this.lastCountedTestcase) {
      this.lastCountedTestcase = ordinal
      this.result.testcases += 1
    }
    return Math.max(end, at + 1)
  }

  /** Counts the <testcase tags that start before absolute offset `target` (once each, in order). */
  private advanceTo(buffer: string, base: number, target: number): void {
    if (target <= this.countedTo) return
    const from = Math.max(0, this.countedTo - base)
    for (let i = buffer.indexOf(TESTCASE_TAG, from); i >= 0 && base + i < target; i = buffer.indexOf(TESTCASE_TAG, i + 1)) this.testcaseOrdinal += 1
    this.countedTo = target
  }
}

/** Where a window stops: a line break or markup around the text. */
function isBoundary(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x3c || code === 0x3e
}

/** The start of a value before its first character XML would escape. */
function leadingPlain(form: string): string {
  const cut = form.search(/[&<>"']/)
  return (cut < 0 ? form : form.slice(0, cut)).slice(0, 24)
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(lt|gt|amp|quot|apos));/gi, (match, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? match
    const code = dec !== undefined ? Number(dec) : parseInt(hex as string, 16)
    return code <= 0x10ffff ? String.fromCodePoint(code) : match
  })
}
