// A strict, streaming JUnit XML reader built on saxes.
//
// Why not junit2json: it builds the whole tree in memory (xml2js) and turns numeric-looking
// names into numbers (`name="007"` becomes 7), which corrupts test identity. saxes streams,
// is strict (well-formedness errors carry line and column), and never expands a DTD.
//
// Counting comes from <testcase> elements only: suite totals are often wrong or missing.
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { FirstMatchingLine } from '../text-scan.js'

export type CaseStatus = 'passed' | 'failed' | 'errored' | 'skipped'

export interface ParsedTestcase {
  /** Names of the enclosing <testsuite> elements, outermost first. */
  suitePath: readonly string[]
  classname: string | undefined
  name: string
  file: string | undefined
  line: number | undefined
  status: CaseStatus
  /** Surefire recorded flaky attempts (flakyFailure / flakyError) before a pass. */
  flaky: boolean
  /** The failure, error or skip message and the first part of its body (bounded). */
  message: string | undefined
  /**
   * Captured system-out and system-err, for skip markers: with `outputLine` set, the first line it
   * accepts (the whole output is scanned as it streams); otherwise its first `outputChars` characters.
   */
  output: string | undefined
  /** Index of the XML document within the file (libtest writes several into one file). */
  document: number
  /**
   * Which <testsuite> element of the file holds it (a count of suite elements opened so far; 0: none).
   * A runner's own reruns (gotestsum --rerun-fails) repeat a testcase inside the same element.
   */
  suite: number
}

export interface ParserLimits {
  /** Characters kept of a failure message and its body. */
  messageChars: number
  /** Characters kept of captured output when no `outputLine` is given. */
  outputChars: number
  /**
   * Which output line to keep (the engine's skip-marker test): each line of every system-out and
   * system-err is offered on its own, however long the output, until one is accepted.
   */
  outputLine?: (line: string) => boolean
  /** Each `<property name value>` of a suite or testcase (the engine looks for evidence in them). */
  onProperty?: (name: string, value: string) => void
  /**
   * Each line of a system-out or system-err outside any testcase (jest-junit's
   * includeConsoleOutput, Catch2): evidence only, never a skip marker, which belongs to one test.
   */
  onSuiteOutputLine?: (line: string) => void
}

export const DEFAULT_LIMITS: ParserLimits = { messageChars: 16_384, outputChars: 65_536 }

export class ReportParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly reason: string
  ) {
    super(`${file}${line === undefined ? '' : `:${line}:${column ?? 0}`}: ${reason}`)
    this.name = 'ReportParseError'
  }
}

const RESULT_ELEMENTS: Record<string, CaseStatus> = { failure: 'failed', error: 'errored', skipped: 'skipped' }
// Surefire re-run records: a flaky* element inside a passing testcase means it passed on a retry;
// a rerun* element inside a failing testcase is an extra failed attempt.
const FLAKY_ELEMENTS = new Set(['flakyFailure', 'flakyError'])
const RERUN_ELEMENTS = new Set(['rerunFailure', 'rerunError'])
const OUTPUT_ELEMENTS = new Set(['system-out', 'system-err'])
const SKIPPED_STATUS_ATTR = new Set(['disabled', 'skipped', 'skip', 'pending', 'todo', 'ignored', 'notrun', 'not run'])
/** result="..." (googletest GTEST_SKIP, Qt): outcomes other than these stay passed. */
const RESULT_ATTR: Record<string, CaseStatus> = { skipped: 'skipped', skip: 'skipped', suppressed: 'skipped', fail: 'failed', failed: 'failed', failure: 'failed', error: 'errored', errored: 'errored' }

/**
 * Nesting bounds. Real reports nest a few suites deep (one per describe block); an attacker's
 * 10,000-deep report would otherwise cost depth² work per testcase in the id builder (measured:
 * 10,000 distinct nested suites around 2,000 testcases took 454 s and 1.2 GB). Past these limits
 * the report is refused with an error naming the file, line and column.
 */
export const MAX_ELEMENT_DEPTH = 256
export const MAX_SUITE_DEPTH = 64
/** saxes 6 state numbers (S_TEXT, S_COMMENT, S_CDATA) whose gathered text is node content. */
const SAXES_TEXT = 13
const SAXES_COMMENT = 17
const SAXES_CDATA = 20
/** Text a capture may hold inside saxes before we take it out (keeps one huge text node bounded). */
const DRAIN_CHARS = 1 << 16
/** saxes 6 states from <!DOCTYPE up to the end of its internal subset. */
const SAXES_DOCTYPE_FIRST = 2
const SAXES_DOCTYPE_LAST = 12
/**
 * Markup saxes must hold whole (an attribute value, a name, a processing instruction): past this
 * many characters the report is refused, so a 1 GB attribute costs one read chunk, not gigabytes.
 * Real names and message attributes stay far below it.
 */
export const MAX_MARKUP_CHARS = 8 * 1024 * 1024
/** Attributes on one element (each is held until the tag closes). */
export const MAX_ATTRIBUTES = 10_000
const DOCTYPE_REFUSED = 'a DOCTYPE is not allowed in a JUnit report (entities and DTDs are refused, never expanded)'

/** Thrown from inside saxes when a document's root element closes, to start the next document. */
class DocumentEnd {}
const DOCUMENT_END = new DocumentEnd()

interface OpenCase {
  suiteDepth: number
  classname: string | undefined
  name: string
  file: string | undefined
  line: number | undefined
  status: CaseStatus
  flaky: boolean
  message: string
  output: string
  /** Element depth of the testcase, so we know which children are direct. */
  depth: number
}

type Capture = 'message' | 'output' | 'suite-output' | undefined

/**
 * Push-based: write() decoded text as it arrives, end() when the file is done.
 * Each complete <testcase> is handed to `onTestcase` as soon as it closes.
 */
export class JUnitStreamParser {
  private sax!: SaxesParser
  private document = -1
  private depth = 0
  private rootSeen = false
  private readonly suitePath: string[] = []
  /** A frozen copy of suitePath, shared by the testcases until a suite opens or closes. */
  private suiteSnapshot: readonly string[] | undefined
  /** Ordinals of the open <testsuite> elements, innermost last, and how many were opened in the file. */
  private readonly suiteOrdinals: number[] = []
  private suitesOpened = 0
  private readonly suiteFiles: (string | undefined)[] = []
  private current: OpenCase | undefined
  /** The one OpenCase object, filled anew by each <testcase> (finishCase copies what it hands out). */
  private readonly spare: OpenCase = emptyCase()
  private capture: Capture
  /** Lines before the current document, so errors in a second document name the file's line. */
  private lineOffset = 0
  /** Characters given to the current saxes parser by completed writes (its position before a write). */
  private fed = 0
  /** saxes' position just after the current document's root element closed. */
  private documentEnd = 0
  /** A trailing CR or high surrogate held until the next write (see write()). */
  private carried = ''
  /** The next text piece continues a node drained mid-way (no separator before it). */
  private continued = false
  /** A result element just began: its body is set apart from the message before it (adjacent nodes inside join as written). */
  private separate = false
  testcases = 0
  /** The text and CDATA handler while capturing (one closure per parser). */
  private readonly appendText = (text: string): void => this.append(text)
  /** Set when the caller picks output lines: the line scan of the open testcase's output. */
  private readonly outputScan: FirstMatchingLine | undefined
  /** Set when the caller reads suite-level output: every line of it, in the same bounded windows. */
  private readonly suiteOutputScan: FirstMatchingLine | undefined
  /** Depth of the open suite-level output element. */
  private suiteOutputDepth = 0

  constructor(
    private readonly fileName: string,
    private readonly onTestcase: (testcase: ParsedTestcase) => void,
    private readonly limits: ParserLimits = DEFAULT_LIMITS
  ) {
    this.outputScan = limits.outputLine === undefined ? undefined : new FirstMatchingLine(limits.outputLine)
    const onSuiteLine = limits.onSuiteOutputLine
    this.suiteOutputScan =
      onSuiteLine === undefined
        ? undefined
        : new FirstMatchingLine((line) => {
            onSuiteLine(line)
            return false
          })
    this.startDocument()
  }

  write(text: string): void {
    // saxes holds back a trailing CR or high surrogate inside itself, which would make its
    // position disagree with what we gave it; hold it here instead, so the count stays exact.
    let rest = this.carried + text
    this.carried = ''
    const last = rest.charCodeAt(rest.length - 1)
    if (last === 0x0d || (last >= 0xd800 && last <= 0xdbff)) {
      this.carried = rest.slice(-1)
      rest = rest.slice(0, -1)
    }
    this.feed(rest)
  }

  private feed(text: string): void {
    let rest = text
    while (rest.length > 0) {
      if (this.rootSeen && this.depth === 0) {
        // Between documents: only whitespace, or the start of the next document.
        const next = rest.search(/\S/)
        const skipped = next < 0 ? rest : rest.slice(0, next)
        this.lineOffset += countNewlines(skipped)
        if (next < 0) return
        this.lineOffset += this.sax.line - 1
        this.startDocument()
        rest = rest.slice(next)
      }
      // saxes' position is the characters it has consumed, counting from its first write.
      const start = this.fed
      try {
        this.sax.write(rest)
        this.fed += rest.length
        this.drain()
        return
      } catch (error) {
        if (error !== DOCUMENT_END) throw this.wrap(error)
        rest = rest.slice(this.documentEnd - start)
      }
    }
  }

  end(): void {
    if (this.carried.length > 0) {
      const carried = this.carried
      this.carried = ''
      this.feed(carried)
    }
    if (this.rootSeen && this.depth === 0) return
    try {
      this.sax.close()
    } catch (error) {
      if (error === DOCUMENT_END) return
      // Comments, processing instructions and whitespace after a document's root are valid XML.
      if (this.document > 0 && !this.rootSeen && error instanceof Error && /must contain a root element/.test(error.message)) return
      throw this.wrap(error)
    }
    if (!this.rootSeen) {
      throw new ReportParseError(this.fileName, undefined, undefined, 'the file holds no XML element (empty or truncated report)')
    }
  }

  private startDocument(): void {
    this.document += 1
    this.rootSeen = false
    this.depth = 0
    this.suitePath.length = 0
    this.suiteOrdinals.length = 0
    this.suiteSnapshot = undefined
    this.suiteFiles.length = 0
    this.current = undefined
    this.capture = undefined
    this.fed = 0
    this.documentEnd = 0
    const sax = new SaxesParser({ xmlns: false, position: true, fileName: this.fileName })
    sax.on('doctype', () => {
      throw this.failAt(DOCTYPE_REFUSED)
    })
    sax.on('opentag', (tag) => this.openTag(tag))
    sax.on('closetag', (tag) => this.closeTag(tag))
    // Qt 5 QTestLib writes QSKIP only as a comment inside the testcase: <!-- type="skip" message="..." -->.
    sax.on('comment', (comment) => {
      const open = this.current
      if (open === undefined || this.depth !== open.depth || open.status !== 'passed') return
      const head = comment.slice(0, 4096)
      if (!/\btype="q?skip"/i.test(head)) return
      open.status = 'skipped'
      const message = /\bmessage="([^"]*)"/.exec(head)?.[1]
      if (message !== undefined && message.length > 0 && open.message.length === 0) open.message = sliceWhole(message, this.limits.messageChars)
    })
    sax.on('error', (error) => {
      throw error
    })
    // Give every parser its text and CDATA handler slots now, unset: saxes adds them as fields,
    // and adding them at the first failure message changed the parser's shape mid-file, which
    // threw away saxes' optimised code (and again for each file). Unset reads as never set.
    sax.on('text', this.appendText)
    sax.on('cdata', this.appendText)
    sax.off('text')
    sax.off('cdata')
    this.sax = sax
  }

  private openTag(tag: SaxesTagPlain): void {
    const depth = ++this.depth
    const name = tag.name
    const attributes = tag.attributes
    if (depth > MAX_ELEMENT_DEPTH) throw this.failAt(`elements are nested more than ${MAX_ELEMENT_DEPTH} levels deep`)
    if (depth === 1) {
      if (name !== 'testsuites' && name !== 'testsuite') {
        throw this.failAt(`not a JUnit report: the root element is <${name}>, expected <testsuites> or <testsuite>`)
      }
      this.rootSeen = true
    }
    if (name === 'testsuite') {
      if (this.suitePath.length >= MAX_SUITE_DEPTH) throw this.failAt(`<testsuite> elements are nested more than ${MAX_SUITE_DEPTH} levels deep`)
      this.suitePath.push(attributes.name ?? '')
      this.suiteOrdinals.push(++this.suitesOpened)
      this.suiteSnapshot = undefined
      this.suiteFiles.push(attributes.file ?? attributes.filepath)
      return
    }
    if (name === 'property') {
      const value = attributes.value
      if (this.limits.onProperty !== undefined) this.limits.onProperty(attributes.name ?? '', value ?? '')
      return
    }
    const open = this.current
    if (name === 'testcase') {
      if (open !== undefined) throw this.failAt('a <testcase> inside another <testcase>')
      this.current = newCase(this.spare, attributes, depth, this.suitePath.length, this.suiteFiles, this.suitePath[0] === 'pytest')
      this.outputScan?.reset()
      return
    }
    if (open === undefined && OUTPUT_ELEMENTS.has(name) && this.suiteOutputScan !== undefined && this.capture === undefined) {
      this.suiteOutputScan.reset()
      this.suiteOutputDepth = depth
      this.setCapture('suite-output')
      return
    }
    if (open === undefined || depth !== open.depth + 1) return
    const resultStatus = RESULT_ELEMENTS[name]
    if (resultStatus !== undefined) {
      // The first result element decides; a later <skipped> must not hide an earlier <failure>.
      if (open.status === 'passed' || (open.status === 'skipped' && resultStatus !== 'skipped')) open.status = resultStatus
      this.beginMessage(open, attributes)
    } else if (FLAKY_ELEMENTS.has(name)) {
      open.flaky = true
      this.beginMessage(open, attributes)
    } else if (RERUN_ELEMENTS.has(name)) {
      this.beginMessage(open, attributes)
    } else if (OUTPUT_ELEMENTS.has(name)) {
      // system-out and system-err (and pytest's second system-out) are separate texts: a line
      // break between them, so a skip marker never matches across the seam.
      if (this.outputScan !== undefined) this.outputScan.endText()
      else if (open.output.length > 0 && !open.output.endsWith('\n') && open.output.length < this.limits.outputChars) open.output += '\n'
      this.setCapture('output')
    }
  }

  private closeTag(tag: SaxesTagPlain): void {
    const depth = this.depth--
    const open = this.current
    if (tag.name === 'testsuite') {
      this.suitePath.pop()
      this.suiteOrdinals.pop()
      this.suiteSnapshot = undefined
      this.suiteFiles.pop()
    } else if (open === undefined && this.capture === 'suite-output' && depth === this.suiteOutputDepth) {
      this.suiteOutputScan?.endText()
      this.setCapture(undefined)
    } else if (open !== undefined) {
      if (depth === open.depth) {
        this.current = undefined
        this.testcases += 1
        this.suiteSnapshot ??= Object.freeze(this.suitePath.slice())
        if (this.outputScan !== undefined) open.output = this.outputScan.found ?? ''
        this.onTestcase(finishCase(open, this.suiteSnapshot, this.document, this.suiteOrdinals.at(-1) ?? 0))
      } else if (depth === open.depth + 1) {
        // The output's last line ends with its element.
        if (this.capture === 'output') this.outputScan?.endText()
        this.setCapture(undefined)
      }
    }
    if (depth === 1) {
      // Just past the root's closing ">": where the next document may begin.
      this.documentEnd = this.sax.position
      throw DOCUMENT_END
    }
  }

  private beginMessage(open: OpenCase, attributes: Record<string, string>): void {
    const message = attributes.message
    if (message !== undefined && message.length > 0 && open.message.length < this.limits.messageChars) {
      open.message += (open.message.length > 0 ? '\n' : '') + sliceWhole(message, this.limits.messageChars)
    }
    this.setCapture('message')
    this.separate = true
  }

  private setCapture(capture: Capture): void {
    if (capture === this.capture) return
    this.capture = capture
    this.continued = false
    // saxes only accumulates text while a text handler is set: keep it off outside messages and output.
    if (capture === undefined) {
      this.sax.off('text')
      this.sax.off('cdata')
    } else {
      this.sax.on('text', this.appendText)
      this.sax.on('cdata', this.appendText)
    }
  }

  /**
   * saxes gathers a whole text, CDATA or comment node before handing it over (CDATA and comments
   * even with no handler set), so a 100 MB failure body or a 1 GB CDATA block would sit in memory
   * at once. Between chunks, take what it gathered so far: into the capture when we capture that
   * text, otherwise away. Memory stays at about one chunk plus the limits. Attribute values are
   * never touched (names must stay exact); one over V8's string limit ends in a clear error.
   */
  private drain(): void {
    const sax = this.sax as unknown as { text: unknown; state: unknown; name: unknown; piTarget: unknown; entity: unknown; attribList: unknown }
    const state = sax.state as number
    // A DOCTYPE still open after a whole chunk: refuse now rather than gather it to its end.
    if (state >= SAXES_DOCTYPE_FIRST && state <= SAXES_DOCTYPE_LAST) throw this.failAt(DOCTYPE_REFUSED)
    if (typeof sax.text !== 'string' || sax.text.length < DRAIN_CHARS) {
      this.boundMarkup(sax)
      return
    }
    const content = state === SAXES_TEXT || state === SAXES_CDATA
    if (!content && state !== SAXES_COMMENT) {
      this.boundMarkup(sax)
      return
    }
    const text = sax.text
    sax.text = ''
    if (content && this.capture !== undefined && (this.current !== undefined || this.capture === 'suite-output')) {
      this.append(text)
      this.continued = true
    }
  }

  /** Refuses markup saxes would otherwise gather without limit (see MAX_MARKUP_CHARS). */
  private boundMarkup(sax: { text: unknown; name: unknown; piTarget: unknown; entity: unknown; attribList: unknown }): void {
    for (const held of [sax.text, sax.name, sax.piTarget, sax.entity]) {
      if (typeof held === 'string' && held.length > MAX_MARKUP_CHARS) {
        throw this.failAt(`an attribute value, name or processing instruction is longer than ${MAX_MARKUP_CHARS} characters (refused to keep memory bounded)`)
      }
    }
    if (Array.isArray(sax.attribList) && sax.attribList.length > MAX_ATTRIBUTES) {
      throw this.failAt(`an element has more than ${MAX_ATTRIBUTES} attributes (refused to keep memory bounded)`)
    }
  }

  private append(text: string): void {
    const open = this.current
    const continued = this.continued
    this.continued = false
    if (this.capture === 'suite-output') {
      this.suiteOutputScan?.push(text)
      return
    }
    if (open === undefined) return
    if (this.capture === 'message') {
      const room = this.limits.messageChars - open.message.length
      if (room <= 0) return
      const separator = this.separate && !continued && open.message.length > 0 && !open.message.endsWith('\n') && !/^\s/.test(text) ? '\n' : ''
      this.separate = false
      open.message += separator + sliceWhole(text, room)
    } else if (this.capture === 'output' && this.outputScan !== undefined) {
      // A testcase that failed or skipped stays so: its output no longer matters.
      if (open.status === 'passed' && this.outputScan.found === undefined) this.outputScan.push(text)
    } else if (this.capture === 'output') {
      const room = this.limits.outputChars - open.output.length
      if (room > 0) open.output += sliceWhole(text, room)
    }
  }

  /** An error at the reader's current position, for problems found outside the XML (encoding). */
  errorHere(reason: string): ReportParseError {
    return this.failAt(reason)
  }

  private failAt(reason: string): ReportParseError {
    return new ReportParseError(this.fileName, this.lineOffset + this.sax.line, this.sax.column + 1, reason)
  }

  private wrap(error: unknown): ReportParseError {
    if (error instanceof ReportParseError) return error
    if (error instanceof RangeError) {
      return this.failAt(`a text node is too large to read (${error.message})`)
    }
    const raw = error instanceof Error ? error.message : String(error)
    // saxes messages look like "file:12:5: reason"; keep our own location format.
    const reason = raw.replace(/^.*?:\d+:\d+: /, '')
    return this.failAt(reason)
  }
}

function emptyCase(): OpenCase {
  return { suiteDepth: 0, classname: undefined, name: '', file: undefined, line: undefined, status: 'passed', flaky: false, message: '', output: '', depth: 0 }
}

function newCase(
  open: OpenCase,
  attributes: Record<string, string>,
  depth: number,
  suiteDepth: number,
  suiteFiles: readonly (string | undefined)[],
  pytest = false
): OpenCase {
  const lineText = attributes.line
  const line = lineText !== undefined && isDigits(lineText) ? Number(lineText) : undefined
  const statusAttr = attributes.status?.toLowerCase()
  let file = attributes.file ?? attributes.filepath
  for (let i = suiteFiles.length - 1; file === undefined && i >= 0; i--) file = suiteFiles[i]
  open.suiteDepth = suiteDepth
  open.classname = attributes.classname ?? attributes.class
  open.name = attributes.name ?? ''
  open.file = file === '' ? undefined : file
  // pytest's line is 0-based (the engine adds 1 for pytest): keep its line="0" (a test on a file's first line).
  open.line = line === 0 && !pytest ? undefined : line
  const skippedAttr = attributes.skipped?.toLowerCase()
  const resultAttr = attributes.result === undefined ? undefined : RESULT_ATTR[attributes.result.toLowerCase()]
  open.status =
    resultAttr ?? ((statusAttr !== undefined && SKIPPED_STATUS_ATTR.has(statusAttr)) || skippedAttr === 'true' || skippedAttr === '1' ? 'skipped' : 'passed')
  open.flaky = false
  open.message = ''
  open.output = ''
  open.depth = depth
  return open
}

/** /^\d+$/ without a regular expression per testcase. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x30 || code > 0x39) return false
  }
  return true
}

function finishCase(open: OpenCase, suitePath: readonly string[], document: number, suite: number): ParsedTestcase {
  return {
    suitePath,
    classname: open.classname,
    name: open.name,
    file: open.file,
    line: open.line,
    status: open.status,
    flaky: open.flaky,
    message: open.message.length > 0 ? open.message : undefined,
    output: open.output.length > 0 ? open.output : undefined,
    document,
    suite
  }
}

/** text.slice(0, end) without cutting a surrogate pair in two (a lone half would reach the output). */
function sliceWhole(text: string, end: number): string {
  if (text.length <= end) return text
  const last = text.charCodeAt(end - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end)
}

function countNewlines(text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++
  return count
}
