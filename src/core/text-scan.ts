// Linear-time scans of report text. A regular expression that can backtrack over a long run of
// report text (16 KiB of "@" once took 27 s) is a defect here, so these walk the text by hand.

const SOURCE_EXTENSIONS = new Set(['py', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'mts', 'jsx', 'go', 'rs', 'php', 'java', 'kt', 'scala', 'rb', 'cs', 'ex', 'exs', 'cpp', 'cc', 'cxx', 'c', 'h', 'hpp'])
const LONGEST_EXTENSION = 5

export interface SourceLocation {
  path: string
  line: number
}

/** [\w.@+\-/\\]: the characters a path in a traceback is made of. */
function isPathChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x5f || code === 0x2e || code === 0x40 || code === 0x2b || code === 0x2d || code === 0x2f || code === 0x5c
  )
}

function isLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a)
}

/** Where a path may start: the start of the text, after a blank, a bracket, a quote or "@" (node's "at f (file:1)"). */
function isBoundary(text: string, index: number): boolean {
  if (index < 0) return true
  const code = text.charCodeAt(index)
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x28 || code === 0x22 || code === 0x27 || code === 0x40
}

/**
 * Every `path/to/file.ext:LINE` in `text`, in order: each character is looked at a bounded number
 * of times (a path run ends at the ":" it is followed by, so no run is walked twice).
 */
export function* sourceLocations(text: string): Generator<SourceLocation> {
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
    let end = colon + 1
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++
    if (end === colon + 1) continue
    // The extension: letters back to a ".", preceded by a word character or "-".
    let dot = colon - 1
    while (dot >= 0 && colon - dot <= LONGEST_EXTENSION + 1 && isLetter(text.charCodeAt(dot))) dot--
    if (dot < 1 || text.charCodeAt(dot) !== 0x2e || !SOURCE_EXTENSIONS.has(text.slice(dot + 1, colon))) continue
    const beforeDot = text.charCodeAt(dot - 1)
    if (!isPathChar(beforeDot) || beforeDot === 0x2e || beforeDot === 0x40 || beforeDot === 0x2b || beforeDot === 0x2f || beforeDot === 0x5c) continue
    // The path: back over path characters, then the leftmost start a boundary allows.
    let start = dot - 1
    while (start > 0 && isPathChar(text.charCodeAt(start - 1))) start--
    // C:\path or C:/path: a drive letter before the run.
    if (start >= 2 && text.charCodeAt(start - 1) === 0x3a && isLetter(text.charCodeAt(start - 2)) && isBoundary(text, start - 3)) start -= 2
    else if (!isBoundary(text, start - 1)) {
      // Not after a boundary: the path may still start after an "@" inside the run.
      const at = text.indexOf('@', start)
      if (at < 0 || at >= dot - 1) continue
      start = at + 1
    }
    yield { path: text.slice(start, colon), line: Number(text.slice(colon + 1, end)) }
    colon = end - 1
  }
}

const LIBRARY_FRAME = /node_modules|site-packages|dist-packages|node:internal|^\/usr\/|\/rustc\/|\/\.cargo\/|\/go\/src\/|\/go\/pkg\/mod\/|\/vendor\/|^<frozen /
const TEST_DIRECTORY = /(?:^|[/\\])(?:tests?|specs?|__tests__|testing)[/\\]/i
const TEST_BASENAME = /^test_|^test\.|_test\.|_spec\.|\.test\.|\.spec\.|Tests?\.[a-z]+$|Spec\.[a-z]+$/

export function isLibraryFrame(path: string): boolean {
  return LIBRARY_FRAME.test(path)
}

/** A path that names a test file or sits in a tests directory. */
export function isTestFile(path: string): boolean {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'))
  return TEST_BASENAME.test(path.slice(slash + 1)) || TEST_DIRECTORY.test(path)
}

/**
 * The frame to link for a failure: the first one in a test file that is not a library's (peewee.py
 * named first, tests/json_field.py later: the test file); else the first frame that is not a library's.
 */
export function testFrame(text: string, limit = 200): SourceLocation | undefined {
  let firstOwn: SourceLocation | undefined
  let seen = 0
  for (const location of sourceLocations(text)) {
    if (++seen > limit) break
    if (isLibraryFrame(location.path)) continue
    if (isTestFile(location.path)) return location
    firstOwn ??= location
  }
  return firstOwn
}

/**
 * Terminal colour and control sequences in the forms reports carry them: with the ESC byte, with
 * the ESC the decoder replaced by U+FFFD, as the text `#x1B` (pytest), `\x1b`, `\033`, `\u001b`,
 * and SGR codes whose ESC a reporter dropped (vitest keeps `[33m`). Linear: each alternative is
 * anchored on a fixed prefix and scans one class of characters once.
 */
const ESCAPE = String.raw`(?:\u001b|\ufffd|#x1[bB];?|\\x1[bB]|\\033|\\u001[bB]|\\e)`
const TERMINAL_SEQUENCE = new RegExp(String.raw`${ESCAPE}\[[0-9;?]*[ -/]*[@-~]|${ESCAPE}\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|${ESCAPE}[@-Z\\-_]|\[[0-9;]+m`, 'g')

/** The text as a person sees it in a terminal: colour and control sequences removed. */
export function visibleText(text: string): string {
  return text.replace(TERMINAL_SEQUENCE, '')
}

/** Each line of `text` on its own (LF, CRLF or CR), without building an array of them all. */
export function* eachLine(text: string): Generator<string> {
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code !== 0x0a && code !== 0x0d) continue
    yield text.slice(start, i)
    if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++
    start = i + 1
  }
  if (start < text.length) yield text.slice(start)
}

/** How much of one very long line is matched at once, and how much of it is carried into the next window. */
export const LINE_WINDOW_CHARS = 65_536
export const LINE_OVERLAP_CHARS = 4_096

/**
 * The first line of a text that arrives in pieces which `accepts`, holding only the line not yet
 * finished: output of any length is matched in memory bounded by one piece plus one window. A line
 * longer than a window is matched window by window, each window starting with the last
 * LINE_OVERLAP_CHARS of the one before, so a match shorter than that is found wherever it sits.
 */
export class FirstMatchingLine {
  private pending = ''
  /** The last character taken was a CR: an LF right after it ends no second line. */
  private afterCR = false
  found: string | undefined

  constructor(
    private readonly accepts: (line: string) => boolean,
    private readonly windowChars = LINE_WINDOW_CHARS,
    private readonly overlapChars = LINE_OVERLAP_CHARS
  ) {}

  reset(): void {
    this.pending = ''
    this.afterCR = false
    this.found = undefined
  }

  push(text: string): void {
    let start = 0
    for (let i = 0; i < text.length && this.found === undefined; i++) {
      const code = text.charCodeAt(i)
      if (code !== 0x0a && code !== 0x0d) continue
      if (code === 0x0a && this.afterCR && i === start && this.pending.length === 0) {
        this.afterCR = false
        start = i + 1
        continue
      }
      this.take(text.slice(start, i), true)
      this.afterCR = code === 0x0d
      start = i + 1
    }
    if (this.found === undefined && start < text.length) {
      this.afterCR = false
      this.take(text.slice(start), false)
    }
  }

  /** The end of one text (system-out before system-err): its last line ends here. */
  endText(): void {
    if (this.found === undefined && this.pending.length > 0) this.take('', true)
    this.pending = ''
    this.afterCR = false
  }

  private take(piece: string, lineEnds: boolean): void {
    this.pending = this.pending.length === 0 ? piece : this.pending + piece
    if (!lineEnds && this.pending.length <= this.windowChars) return
    if (this.pending.length > 0 && this.accepts(this.pending)) {
      this.found = this.pending
    } else if (!lineEnds) {
      this.pending = tailWhole(this.pending, this.overlapChars)
      return
    }
    this.pending = ''
  }
}

/** The last `chars` characters of `text`, without starting on the low half of a surrogate pair. */
function tailWhole(text: string, chars: number): string {
  const start = text.length - chars
  if (start <= 0) return text
  const first = text.charCodeAt(start)
  return text.slice(first >= 0xdc00 && first <= 0xdfff ? start + 1 : start)
}
