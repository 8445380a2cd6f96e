// Expected tests from the collector: the list a runner prints without running anything
// (`pytest --collect-only -q`, `go test -list .`, `cargo test -- --list`, ...), parsed so the gate
// can name every collected test that no report mentions. A test that is collected but never
// reported (mocha-junit-reporter drops pending tests, libtest drops ignored ones, Catch2 drops a
// test case that made no assertion) is otherwise invisible when it is absent on both backends.
//
// Pure: no I/O. Formats are told apart by content; the file name is only a hint (Catch2's
// --list-test-names-only is bare names, which nothing else can tell apart from noise).
import { ID_SEPARATOR, removeBackend } from './identity.js'

export interface CollectedTest {
  /** The line (or entry) as the collector wrote it, e.g. `tests/x.py::TestA::test_b[sqlite]`. */
  display: string
  /** The test's own name: `test_b[sqlite]`, `update_row`, `TestUpdates`. */
  name: string
  /** Enclosing parts, outermost first: module, class, describe path, package, namespace. */
  containers: string[]
  /** As the collector names it (relative or absolute); only some collectors do. */
  file?: string
  line?: number
}

export class CollectedParseError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string
  ) {
    super(`${source}: ${reason}`)
    this.name = 'CollectedParseError'
  }
}

const EMPTY =
  'no tests in the collected list (empty, or only the runner’s summary lines); an empty list cannot mean "nothing expected"'

/** Parses one collector output; throws CollectedParseError when the format is unknown or nothing was collected. */
export function parseCollected(text: string, source: string): CollectedTest[] {
  const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const fail = (reason: string): never => {
    throw new CollectedParseError(source, reason)
  }
  if (body.trim() === '') fail(EMPTY)
  const lines = body.split('\n')
  const first = body.trimStart()[0]
  let tests: CollectedTest[] | undefined
  if (first === '{' || first === '[') tests = parseJson(body, lines, fail)
  else {
    for (const parser of LINE_FORMATS) {
      tests = parser(lines, fail)
      if (tests !== undefined) break
    }
    // Bare names are Catch2's --list-test-names-only only when the file name says so.
    if (tests === undefined && /catch/i.test(source)) tests = catch2Names(lines)
  }
  if (tests === undefined) {
    if (isFileList(lines)) {
      fail('lists test files, not tests (jest --listTests / vitest list --filesOnly name no tests); use a collector that prints test names')
    }
    const sample = lines.find((line) => line.trim() !== '') ?? ''
    fail(`not a known collector format (first line: ${JSON.stringify(sample.slice(0, 120))}); see "Expected tests from the collector" in the README`)
  }
  if (tests === undefined || tests.length === 0) return fail(EMPTY)
  return tests
}

type Fail = (reason: string) => never
/** A line format: undefined when some line is neither a test nor that runner's noise. */
type LineParser = (lines: readonly string[], fail: Fail) => CollectedTest[] | undefined

const blank = (line: string) => line.trim() === ''

// pytest --collect-only -q: `path::Class::test[param]`, then "N tests collected in 0.01s".
// Anything after a "==== section ====" header is pytest's summary (warnings, errors).
const PYTEST_SUMMARY = /^(\d+(\/\d+)? tests? collected|no tests (collected|ran)\b)/
function pytest(lines: readonly string[], fail: Fail): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let summary = false
  for (const line of lines) {
    if (/Interrupted: .*error|^ERROR\b|^\d+ errors?\b|\bcollected, \d+ errors?\b/.test(line)) {
      if (tests.length > 0 || summary) fail(`pytest reported collection errors, so the list is incomplete: ${line.trim()}`)
      return undefined
    }
    if (summary || blank(line) || PYTEST_SUMMARY.test(line)) continue
    if (/^=+ .* =+$/.test(line)) {
      summary = true
      continue
    }
    const match = /^([^\s:][^\s]*?)::(.+)$/.exec(line)
    if (match === null) return undefined
    const file = match[1] as string
    // A parameter id may hold "::": split only before the first "[".
    const rest = match[2] as string
    const bracket = rest.indexOf('[')
    const parts = (bracket < 0 ? rest : rest.slice(0, bracket)).split('::')
    const name = (parts.pop() ?? '') + (bracket < 0 ? '' : rest.slice(bracket))
    const module = file.replace(/\.py$/, '').replace(/[\\/]/g, '.')
    tests.push({ display: line, name, containers: [module, ...parts], file })
  }
  return tests.length > 0 || summary ? tests : undefined
}

// cargo test -- --list: `path::name: test` per test binary, then "N tests, M benchmarks".
// With cargo's stderr too, "Running <target> (...)" names the binary's source file.
function cargo(lines: readonly string[], fail: Fail): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let file: string | undefined
  let summaries = 0
  for (const line of lines) {
    if (blank(line)) continue
    if (/^\d+ tests?, \d+ benchmarks?$/.test(line)) {
      summaries++
      continue
    }
    const running = /^\s+Running (?:unittests )?(\S+)/.exec(line)
    if (running !== null) {
      file = running[1]
      continue
    }
    if (/^\s+Doc-tests /.test(line)) {
      file = undefined
      continue
    }
    if (/^error(\[\w+\])?:/.test(line)) fail(`cargo failed to build the tests, so the list is incomplete: ${line}`)
    // cargo's progress lines and compiler warnings (indented, or "warning: ...").
    if (/^\s/.test(line) || /^(warning|note|help)(\[\w+\])?:/.test(line)) continue
    const match = /^(.+): (test|bench)$/.exec(line)
    if (match === null) return undefined
    // Benchmarks are not tests the JUnit reports pair.
    if (match[2] === 'bench') continue
    const path = match[1] as string
    // Doctests ("src/lib.rs - add (line 3)") are one opaque name.
    const parts = path.includes(' - ') ? [path] : path.split('::')
    const name = parts.pop() ?? path
    tests.push({ display: line, name, containers: parts, ...(file === undefined ? {} : { file }) })
  }
  return summaries > 0 || tests.length > 0 ? tests : undefined
}

// go test -list .: test names, then "ok  \t<package>\t0.002s" for each package.
const GO_NAME = /^(Test|Example|Fuzz|Benchmark)[\p{L}\p{N}_]*$/u
function goList(lines: readonly string[], fail: Fail): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let pending: string[] = []
  let packages = 0
  const flush = (pkg: string | undefined) => {
    // Benchmarks only run with -bench; they are not in a test report.
    for (const name of pending) if (!name.startsWith('Benchmark')) tests.push({ display: name, name, containers: pkg === undefined ? [] : [pkg] })
    pending = []
  }
  for (const line of lines) {
    if (blank(line)) continue
    const ok = /^ok\s+(\S+)\s/.exec(line + ' ')
    if (ok !== null) {
      packages++
      flush(ok[1])
      continue
    }
    if (/^\?\s+\S+\s+\[no test files\]/.test(line)) continue
    if (/^(FAIL\b|# |panic:)/.test(line)) {
      if (tests.length + pending.length + packages > 0) fail(`go test failed, so the list is incomplete: ${line}`)
      return undefined
    }
    if (!GO_NAME.test(line)) return undefined
    pending.push(line)
  }
  flush(undefined)
  return packages > 0 || tests.length > 0 ? tests : undefined
}

// googletest --gtest_list_tests: "Suite." then "  test" lines; "  # GetParam() = ..." comments.
function gtest(lines: readonly string[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let suite: string | undefined
  for (const line of lines) {
    if (blank(line) || line.startsWith('Running main() from ')) continue
    const suiteMatch = /^(\S+)\.(\s+#.*)?$/.exec(line)
    if (suiteMatch !== null) {
      suite = suiteMatch[1]
      continue
    }
    const test = /^ {2}(\S+)(\s+#.*)?$/.exec(line)
    if (test === null || suite === undefined) return undefined
    const name = test[1] as string
    tests.push({ display: `${suite}.${name}`, name, containers: [suite] })
  }
  return suite === undefined ? undefined : tests
}

// ctest -N: "Test project <dir>", "  Test #1: name", "Total Tests: N".
function ctestN(lines: readonly string[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let header = false
  for (const line of lines) {
    if (blank(line) || /^Total Tests: \d+$/.test(line)) continue
    if (line.startsWith('Test project ')) {
      header = true
      continue
    }
    const match = /^\s*Test\s+#\d+: (.+)$/.exec(line)
    if (match === null || !header) return undefined
    const name = (match[1] as string).trim()
    tests.push({ display: name, name, containers: [] })
  }
  return header ? tests : undefined
}

// Catch2 --list-tests (v2, v3): "  name" then "      [tags]", "N test cases". A long name is
// wrapped by Catch2 onto an indented second line: refused (unknown format) rather than guessed.
function catch2List(lines: readonly string[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let header = false
  for (const line of lines) {
    if (blank(line) || /^\d+ (matching )?test cases?$/.test(line)) continue
    if (/^(All available|Matching) test cases:$/.test(line)) {
      header = true
      continue
    }
    if (!header) return undefined
    if (/^ {6,}\[/.test(line)) continue
    const match = /^ {2}(\S.*)$/.exec(line)
    if (match === null) return undefined
    const name = (match[1] as string).trimEnd()
    tests.push({ display: name, name, containers: [] })
  }
  return header ? tests : undefined
}

/** Catch2 --list-test-names-only: one test case name per line, nothing else. */
function catch2Names(lines: readonly string[]): CollectedTest[] {
  return lines.filter((line) => !blank(line)).map((line) => ({ display: line.trim(), name: line.trim(), containers: [] }))
}

// phpunit --list-tests: banner, "Available test(s):", " - Namespace\Class::method[ with data set #0]".
function phpunit(lines: readonly string[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  let header = false
  for (const line of lines) {
    if (blank(line) || /^PHPUnit \d/.test(line) || /^(Runtime|Configuration|Random Seed):/.test(line)) continue
    if (/^Available tests?(\(s\))?:$/.test(line)) {
      header = true
      continue
    }
    const match = /^ - (.+?)::(.+)$/.exec(line)
    if (match === null || !header) return undefined
    tests.push({ display: line.slice(3), name: match[2] as string, containers: [match[1] as string] })
  }
  return header ? tests : undefined
}

// vitest list: "[project] file > describe > ... > test".
function vitestText(lines: readonly string[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  for (const line of lines) {
    if (blank(line)) continue
    const withoutProject = line.replace(/^\[[^\]]*\] /, '')
    const parts = withoutProject.split(' > ')
    const file = parts.shift() as string
    if (parts.length === 0 || !/^\S+\.\w+$/.test(file)) return undefined
    const name = parts.pop() as string
    tests.push({ display: line, name, containers: parts, file })
  }
  return tests.length > 0 ? tests : undefined
}

// cargo before pytest: `mod::test: test` would also pass for a pytest id.
const LINE_FORMATS: LineParser[] = [cargo, pytest, goList, gtest, ctestN, catch2List, phpunit, vitestText]

const SOURCE_FILE = /\.(py|[cm]?[jt]sx?|go|rs|php|java|kts?|scala|groovy|rb|c|cc|cpp|cxx|h|hpp|cs|fs|exs?|swift|dart|lua|vue|svelte|feature)$/

function isFileList(lines: readonly string[]): boolean {
  const used = lines.filter((line) => !blank(line))
  return used.length > 0 && used.every((line) => SOURCE_FILE.test(line.trim()) && !/\s>\s|::/.test(line))
}

function parseJson(body: string, lines: readonly string[], fail: Fail): CollectedTest[] | undefined {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    // go test -list . -json: one JSON event per line.
    return goJson(lines, fail)
  }
  if (Array.isArray(value)) return vitestJson(value)
  if (!isObject(value)) return undefined
  if (value.kind === 'ctestInfo' && Array.isArray(value.tests)) return ctestJson(value)
  if (isObject(value.stats) && Array.isArray(value.tests)) return mochaJson(value)
  if (typeof value.Action === 'string') return goJson(lines, fail)
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** vitest list --json: [{ name: "describe > test", file, projectName? }]. */
function vitestJson(entries: unknown[]): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.file !== 'string') return undefined
    const parts = entry.name.split(' > ')
    const name = parts.pop() as string
    tests.push({ display: `${entry.file} > ${entry.name}`, name, containers: parts, file: entry.file })
  }
  return tests
}

/**
 * mocha --dry-run --reporter json: `tests` holds every test (pending ones too; `pending` is
 * merged in case a version lists them apart). fullTitle joins describe titles with spaces, which
 * cannot be split back: the describe path is kept as one container.
 */
function mochaJson(report: Record<string, unknown>): CollectedTest[] | undefined {
  const tests: CollectedTest[] = []
  const seen = new Set<string>()
  for (const entry of [...(report.tests as unknown[]), ...(Array.isArray(report.pending) ? report.pending : [])]) {
    if (!isObject(entry) || typeof entry.title !== 'string' || typeof entry.fullTitle !== 'string') return undefined
    const file = typeof entry.file === 'string' ? entry.file : undefined
    const key = `${file ?? ''}\u0000${entry.fullTitle}`
    if (seen.has(key)) continue
    seen.add(key)
    const { title, fullTitle } = entry
    const describe = fullTitle.endsWith(` ${title}`) ? fullTitle.slice(0, -title.length - 1) : ''
    tests.push({ display: fullTitle, name: title, containers: describe === '' ? [] : [describe], ...(file === undefined ? {} : { file }) })
  }
  return tests
}

/** ctest --show-only=json-v1: tests[].name; the backtrace graph gives add_test()'s file and line. */
function ctestJson(info: Record<string, unknown>): CollectedTest[] | undefined {
  const graph = isObject(info.backtraceGraph) ? info.backtraceGraph : {}
  const files = Array.isArray(graph.files) ? graph.files : []
  const nodes = Array.isArray(graph.nodes) ? graph.nodes : []
  const tests: CollectedTest[] = []
  for (const entry of info.tests as unknown[]) {
    if (!isObject(entry) || typeof entry.name !== 'string') return undefined
    const node: unknown = typeof entry.backtrace === 'number' ? nodes[entry.backtrace] : undefined
    const file: unknown = isObject(node) && typeof node.file === 'number' ? files[node.file] : undefined
    const line = isObject(node) && typeof node.line === 'number' ? node.line : undefined
    tests.push({
      display: entry.name,
      name: entry.name,
      containers: [],
      ...(typeof file === 'string' ? { file } : {}),
      ...(line === undefined ? {} : { line })
    })
  }
  return tests
}

/** go test -list . -json: each package's output lines, read as plain `go test -list`. */
function goJson(lines: readonly string[], fail: Fail): CollectedTest[] | undefined {
  const output: string[] = []
  for (const line of lines) {
    if (blank(line)) continue
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch {
      return undefined
    }
    if (!isObject(event) || typeof event.Action !== 'string') return undefined
    if (event.Action === 'output' && typeof event.Output === 'string') output.push(...event.Output.split('\n'))
    if (event.Action === 'fail') fail(`go test failed for ${String(event.Package)}, so the list is incomplete`)
  }
  return goList(output, fail)
}

/**
 * Applies `backend-in-name` patterns (the named group `backend`) to the name and containers with
 * identity.ts's removeBackend, the same removal and cleaning as for report names, so
 * `test_x[sqlite]` and `test_x[postgres]` both become `test_x` and match the ids the engine builds
 * with the same config. `display` is left as the collector wrote it, so a report still points at
 * the real line.
 */
export function stripBackendWords(test: CollectedTest, patterns: readonly RegExp[]): CollectedTest {
  if (patterns.length === 0) return test
  const strip = (text: string): string => removeBackend(text, patterns).text
  return { ...test, name: removeBackend(test.name, patterns, true).text, containers: test.containers.map(strip) }
}

/*
 * Matching rule (findUnreported). A collected test is reported when some reported id
 * (parts joined by ' › ') satisfies all of:
 *  1. Its last part equals the test's name, or the name preceded by a tail of the containers
 *     joined by ' ', ' > ', '::', '.' or '/' (jest/mocha write "describe title", vitest
 *     "describe > title", nextest "mod::test", ctest from googletest "Suite.test"). A last part
 *     "X/..." also reports X (Go subtests, Catch2 sections: the parent ran).
 *  2. The containers not used in (1) are consistent with the id's other parts: split into
 *     tokens at '.', '::', '/', '\', '$' and spaces, they appear in order among the id's tokens,
 *     and their last one or two are the id's last tokens before the name (the classname,
 *     package or class: identify() puts it last). A file part also ends in its tokens without
 *     the extension (`tests/x.py` → `tests`, `x`): pytest ids name the module once, as the
 *     path. So `tests/x.py::TestA::test_b` (containers `tests.x`, `TestA`) matches
 *     `tests/x.py › TestA › test_b` and `tests.x.TestA › test_b`.
 *  3. When the collector names a file and the id has file parts (a path, or a source file
 *     name such as `a.test.mjs`), one of them is the same file (equal, or one ends with '/'
 *     + the other: absolute vs workspace-relative). An id with no file part does not decide.
 * Cost: reported ids are indexed by last part (and by last part + last tokens, and by last
 * part + file name), so each collected test costs a few map look-ups and a short bucket scan.
 */
const JOINERS = [' ', ' > ', '::', '.', '/']

interface Entry {
  tokens: string[]
  files: string[]
  /**
   * tail() keys of the last one and two tokens, and of the last one and two once the file parts'
   * extensions are left out (when that differs).
   */
  lasts: string[]
}

class ReportedIndex {
  private readonly byName = new Set<string>()
  /** Last part → some entry has no file part (so a collected file cannot contradict it). */
  private readonly withoutFile = new Set<string>()
  /** `${last part}\0${last token}` and `${last part}\0${last two tokens}` of the prefix → entries. */
  private readonly byClass = new Map<string, Entry[]>()
  /** `${last part}\0${base name of a file part}` → entries. */
  private readonly byFile = new Map<string, Entry[]>()
  private readonly prefixes = new Map<string, Entry>()
  /** Tokens per container string: the same modules and classes recur in every collected test. */
  private readonly containerTokens = new Map<string, string[]>()

  constructor(ids: Iterable<string>) {
    for (const id of ids) {
      const cut = id.lastIndexOf(ID_SEPARATOR)
      const name = cut < 0 ? id : id.slice(cut + ID_SEPARATOR.length)
      const entry = this.entry(cut < 0 ? '' : id.slice(0, cut))
      this.add(name, entry)
      const slash = name.indexOf('/')
      if (slash > 0) this.add(name.slice(0, slash), entry)
    }
  }

  private entry(prefix: string): Entry {
    let entry = this.prefixes.get(prefix)
    if (entry === undefined) {
      const parts = prefix === '' ? [] : prefix.split(ID_SEPARATOR)
      const t = parts.flatMap(tokens)
      const stems = parts.flatMap((part) => tokens(isFilePart(part) ? part.replace(SOURCE_FILE, '') : part))
      const lasts = new Set([tail(t, 1), tail(t, 2), tail(stems, 1), tail(stems, 2)])
      lasts.delete('')
      entry = { tokens: t, files: parts.filter(isFilePart).map(normalizePath), lasts: [...lasts] }
      this.prefixes.set(prefix, entry)
    }
    return entry
  }

  private add(name: string, entry: Entry): void {
    this.byName.add(name)
    if (entry.files.length === 0) this.withoutFile.add(name)
    for (const last of entry.lasts) push(this.byClass, name + last, entry)
    for (const file of entry.files) push(this.byFile, `${name}\u0000${baseName(file)}`, entry)
  }

  has(test: CollectedTest): boolean {
    const { name, containers } = test
    const file = test.file === undefined ? undefined : normalizePath(test.file)
    if (this.byName.has(name) && this.matches(name, containers, file)) return true
    // Longer keys: a tail of the containers joined to the name, the rest checked as containers.
    for (const joiner of JOINERS) {
      let key = name
      for (let k = containers.length - 1; k >= 0; k--) {
        key = containers[k] + joiner + key
        if (this.byName.has(key) && this.matches(key, containers.slice(0, k), file)) return true
      }
    }
    return false
  }

  private tokensOf(containers: readonly string[]): string[] {
    const out: string[] = []
    for (const container of containers) {
      let t = this.containerTokens.get(container)
      if (t === undefined) {
        t = tokens(container)
        this.containerTokens.set(container, t)
      }
      out.push(...t)
    }
    return out
  }

  private matches(key: string, rest: readonly string[], file: string | undefined): boolean {
    if (rest.length === 0) {
      if (file === undefined || this.withoutFile.has(key)) return true
      return (this.byFile.get(`${key}\u0000${baseName(file)}`) ?? []).some((entry) => fileOk(entry, file))
    }
    const wanted = this.tokensOf(rest)
    if (wanted.length === 0) return false
    const bucket = this.byClass.get(key + tail(wanted, Math.min(2, wanted.length))) ?? []
    return bucket.some((entry) => fileOk(entry, file) && inOrder(wanted, entry.tokens))
  }
}

/** The last `count` tokens as a key suffix (after the name): containers end with the id's last tokens. */
function tail(tokens: readonly string[], count: number): string {
  return tokens.length < count ? '' : `\u0000${count}\u0000${tokens.slice(-count).join('\u0000')}`
}

function fileOk(entry: Entry, file: string | undefined): boolean {
  return file === undefined || entry.files.length === 0 || entry.files.some((f) => sameFile(f, file))
}

/** The collected tests that no reported id matches (see the matching rule above). */
export function findUnreported(collected: readonly CollectedTest[], reportedIds: Iterable<string>): CollectedTest[] {
  const index = new ReportedIndex(reportedIds)
  return collected.filter((test) => !index.has(test))
}

function push(map: Map<string, Entry[]>, key: string, entry: Entry): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [entry])
  else if (list[list.length - 1] !== entry) list.push(entry)
}

function tokens(text: string): string[] {
  return text.split(/::|[./\\$\s]+/).filter((token) => token !== '')
}

/** `wanted` is a subsequence of `have`. */
function inOrder(wanted: readonly string[], have: readonly string[]): boolean {
  let i = 0
  for (const token of have) if (token === wanted[i] && ++i === wanted.length) return true
  return i === wanted.length
}

function isFilePart(part: string): boolean {
  return !/\s/.test(part) && (/[\\/]/.test(part) || SOURCE_FILE.test(part))
}

function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '')
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function sameFile(a: string, b: string): boolean {
  return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`)
}
