// A test's readable id, built only from what the report holds, identical across backends.
//
// Runners disagree about where the useful names are: pytest puts the module in classname and a
// constant "pytest" suite around it; Surefire and nextest repeat the class or binary as the suite
// name; node:test nests one <testsuite> per describe with classname "test"; jest-junit repeats the
// describe path in classname and name. The rules below keep each distinct piece once; the id
// grammar per runner is in docs/test-ids.md.
import type { Config } from './config.js'
import type { ParsedTestcase } from './junit/parser.js'

export const ID_SEPARATOR = ' › '

/** Suite names that are the runner's own label, not part of the test's identity. */
const RUNNER_SUITE_LABELS = new Set(['pytest', 'root suite', 'jest tests', 'vitest tests', 'mocha tests', 'nextest-run', 'test', '(empty)', ''])
/** node:test writes classname="test" for every test. */
const GENERIC_CLASSNAMES = new Set(['test', ''])

export interface Identity {
  id: string
  /** Backend named in the suite path or test name (canonical name, or as written if unknown). */
  namedBackend: string | undefined
}

/**
 * Report paths are often absolute (PHPUnit, mocha): make them workspace-relative when they sit
 * under one of `roots`, so they link to the repository and match scope patterns.
 */
export function normalizeFile(file: string | undefined, roots: readonly string[]): string | undefined {
  if (file === undefined) return undefined
  let out = file.replace(/\\/g, '/')
  for (const root of roots) {
    const prefix = root.replace(/\\/g, '/').replace(/\/+$/, '') + '/'
    if (prefix.length > 1 && out.startsWith(prefix)) {
      out = out.slice(prefix.length)
      break
    }
  }
  return out.replace(/^(\.\/)+/, '')
}

/** `file` is the testcase's file after normalizeFile. */
export function identify(testcase: ParsedTestcase, file: string | undefined, config: Pick<Config, 'backendInName' | 'aliases'>): Identity {
  let { name, classname } = testcase
  const suites = [...testcase.suitePath]
  let named: string | undefined
  if (config.backendInName.length > 0) {
    const strip = (text: string | undefined, isName = false): string | undefined => {
      if (text === undefined) return undefined
      const result = removeBackend(text, config.backendInName, isName)
      if (result.backend !== undefined) named ??= result.backend
      return result.text
    }
    name = strip(name, true) ?? ''
    classname = strip(classname)
    for (let i = suites.length - 1; i >= 0; i--) suites[i] = strip(suites[i]) ?? ''
  }
  const shownClass = classname === undefined ? undefined : withoutFileModule(classname, file)
  const parts: string[] = []
  if (file !== undefined) parts.push(file)
  const keep = (part: string | undefined) => {
    if (part === undefined) return
    const trimmed = part.trim()
    if (trimmed.length === 0 || parts.includes(trimmed)) return
    parts.push(trimmed)
  }
  for (const suite of suites) {
    if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase())) continue
    if (classname !== undefined && coversSuite(classname, suite)) continue
    if (file !== undefined && sameFile(file, suite)) continue
    if (name.startsWith(`${suite} `) || name.startsWith(`${suite} > `)) continue
    keep(suite)
  }
  // jest-junit repeats the name in classname; mocha-junit-reporter puts the bare title there.
  const redundant = classname === name || name.startsWith(`${classname} `) || name.endsWith(` ${classname}`)
  if (classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && !redundant) {
    if (file === undefined || !sameFile(file, classname)) keep(shownClass)
  }
  // A name that was only the backend token (`[postgres]`) leaves no part of its own (a name the
  // report left empty stays an empty last part, as in Identifier's prefixes).
  const trimmedName = name.trim()
  if (trimmedName.length > 0 || parts.length === 0 || testcase.name.trim().length === 0) parts.push(trimmedName)
  const canonical = named === undefined ? undefined : (config.aliases.get(named.toLowerCase()) ?? named)
  return { id: parts.join(ID_SEPARATOR), namedBackend: canonical }
}

/**
 * identify() for a stream of testcases, with the same results: the part of an id that depends on
 * the file, the suites and the classname is worked out once per group of testcases sharing them
 * (consecutive in every real report), so a testcase costs a few string comparisons and one
 * concatenation. Reports that name backends in test names (backend-in-name) take identify().
 */
export class Identifier {
  private readonly recent: IdPrefix[] = []
  /**
   * Every prefix built, per suite path (the parser shares one array among a suite's testcases):
   * classes that alternate beyond the recent few would otherwise rebuild a deep suite path's
   * prefix for every testcase (64 nested suites, 10 classes: 0.25 MB/s).
   */
  private readonly bySuitePath = new WeakMap<readonly string[], Map<string, IdPrefix>>()

  constructor(private readonly config: Pick<Config, 'backendInName' | 'aliases'>) {}

  identify(testcase: ParsedTestcase, file: string | undefined): Identity {
    const { head, tail, namedBackend } = this.identifyParts(testcase, file)
    return { id: head + tail, namedBackend }
  }

  /** Returned by every common-case identifyParts() call (no object per testcase). */
  private readonly parts: IdentityParts = { head: '', tail: '', namedBackend: undefined }

  /**
   * The id in two parts, `head + tail`, so a caller that only hashes it need not build it.
   * The object returned may be reused by the next call: read it before calling again.
   */
  identifyParts(testcase: ParsedTestcase, file: string | undefined): IdentityParts {
    if (this.config.backendInName.length > 0) return whole(identify(testcase, file, this.config))
    const prefix = this.prefixFor(testcase, file)
    const name = testcase.name
    // The rules that look at the test name: a suite the name starts with is left out, and so is a
    // classname the name repeats. Rare; identify() handles them.
    for (const spaced of prefix.suitesSpaced) if (name.startsWith(spaced)) return whole(identify(testcase, file, this.config))
    const classname = testcase.classname
    if (prefix.classTested && (classname === name || name.startsWith(prefix.classSpaced) || name.endsWith(prefix.spacedClass))) {
      return whole(identify(testcase, file, this.config))
    }
    const parts = this.parts
    parts.head = prefix.text
    parts.tail = trimName(name)
    parts.namedBackend = undefined
    return parts
  }

  private prefixFor(testcase: ParsedTestcase, file: string | undefined): IdPrefix {
    const recent = this.recent
    for (let i = 0; i < recent.length; i++) {
      const prefix = recent[i] as IdPrefix
      if (prefix.file === file && prefix.classname === testcase.classname && sameList(prefix.suitePath, testcase.suitePath)) {
        if (i > 0) {
          recent.splice(i, 1)
          recent.unshift(prefix)
        }
        return prefix
      }
    }
    let known = this.bySuitePath.get(testcase.suitePath)
    if (known === undefined) {
      known = new Map()
      this.bySuitePath.set(testcase.suitePath, known)
    }
    const key = `${file ?? ''}\u0000${file === undefined ? 0 : 1}${testcase.classname ?? '\u0000'}`
    let prefix = known.get(key)
    if (prefix === undefined) {
      prefix = buildPrefix(testcase.suitePath, testcase.classname, file)
      if (known.size >= KNOWN_PREFIXES_PER_SUITE) known.clear()
      known.set(key, prefix)
    }
    recent.unshift(prefix)
    if (recent.length > RECENT_PREFIXES) recent.pop()
    return prefix
  }
}

export interface IdentityParts {
  /** The id is head + tail. */
  head: string
  tail: string
  namedBackend: string | undefined
}

/** name.trim(), skipping the call when both ends are printable ASCII (never white space). */
function trimName(name: string): string {
  const first = name.charCodeAt(0)
  const last = name.charCodeAt(name.length - 1)
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? name : name.trim()
}

function whole(identity: Identity): IdentityParts {
  return { head: identity.id, tail: '', namedBackend: identity.namedBackend }
}

/**
 * Prefixes kept, most recently used first: testcases of one class come together, and a few more
 * cover classes whose tests alternate. Kept only briefly, so they may share memory with the report.
 */
const RECENT_PREFIXES = 8
/** Bound on the prefixes remembered per suite path (one per file and classname pair). */
const KNOWN_PREFIXES_PER_SUITE = 4096

interface IdPrefix {
  file: string | undefined
  classname: string | undefined
  suitePath: readonly string[]
  /** `${suite} ` for each suite kept unless the test name starts with it. */
  suitesSpaced: string[]
  /** The classname is kept unless the name repeats it. */
  classTested: boolean
  classSpaced: string
  spacedClass: string
  /** The id's parts before the name, each followed by the separator. */
  text: string
}

/** The name-independent half of identify(): same rules, same order. */
function buildPrefix(suitePath: readonly string[], classname: string | undefined, file: string | undefined): IdPrefix {
  const parts: string[] = []
  if (file !== undefined) parts.push(file)
  const suitesSpaced: string[] = []
  for (const suite of suitePath) {
    if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase())) continue
    if (classname !== undefined && coversSuite(classname, suite)) continue
    if (file !== undefined && sameFile(file, suite)) continue
    suitesSpaced.push(`${suite} `)
    const trimmed = suite.trim()
    if (trimmed.length > 0 && !parts.includes(trimmed)) parts.push(trimmed)
  }
  const classTested = classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && (file === undefined || !sameFile(file, classname))
  if (classTested) {
    const trimmed = withoutFileModule(classname as string, file).trim()
    if (trimmed.length > 0 && !parts.includes(trimmed)) parts.push(trimmed)
  }
  return {
    file,
    classname,
    suitePath,
    suitesSpaced,
    classTested,
    classSpaced: `${classname ?? ''} `,
    spacedClass: ` ${classname ?? ''}`,
    text: parts.map((part) => part + ID_SEPARATOR).join('')
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Removes the first match of the first `backend-in-name` pattern that matches `text` (its named
 * group `backend` says which backend), then cleans the cut: the joiners, brackets and function
 * words that only joined the backend token to the rest go with it (see cleanCut). Text away from
 * the token is left as it was. Used for test names, classnames and suite names, and for the
 * names and containers of collected test lists, so both sides are cleaned alike.
 */
export function removeBackend(text: string, patterns: readonly RegExp[], isName = false): { text: string; backend: string | undefined } {
  for (const pattern of patterns) {
    const match = pattern.exec(text)
    const backend = match?.groups?.backend
    if (match === null || backend === undefined) continue
    if (match[0].length === 0) return { text, backend }
    const left = text.slice(0, match.index)
    const right = text.slice(match.index + match[0].length)
    // In a test name, a function word that is all the name holds besides the token is the name, not
    // a joiner: `in [postgres]` stays `in`, else the test would take its container's id.
    const cleaned = cleanCut(left, right).trim()
    return { text: cleaned.length > 0 || !isName ? cleaned : cleanCut(left, right, false).trim(), backend }
  }
  return { text, backend: undefined }
}

/*
 * Cleaning the cut left by a removed backend token, as a class of cases (docs/test-ids.md):
 *  - junk next to the cut: white space and the joiners - – — : / | , . _ ; + &, and whole words:
 *    before the token the conjunctions and/or/vs/versus and the prepositions with/on/in/against/
 *    using/via/for/under ("Notes on PostgreSQL"), after it the conjunctions only;
 *  - brackets or quotes left empty around the cut (`()`, `[]`, `[-]`, `""`) go, and the cut is
 *    cleaned again outside them;
 *  - at an edge (the start or end of the text, or just inside a bracket) the junk on both sides
 *    goes: `enum - postgres` → `enum`, `test_x[postgres-1]` → `test_x[1]`;
 *  - between two pieces of text one separator stays: the token was a list item when a
 *    conjunction or list joiner (/ , & + | ;) follows it (`x with postgres and mysql` → `x with
 *    mysql`), else the junk before it goes (`sqlite/postgres: upsert` → `sqlite: upsert`, `runs
 *    on postgres quickly` → `runs quickly`); runs of white space in what stays become one space.
 * Words with a natural opposite stay unless the opposite is nonsense next to a backend: `with`
 * goes but `without` stays, and neither `from` nor `to`, so `copies from sqlite` and `copies to
 * sqlite` remain two tests.
 */
const JUNK = /[\s\-\u2013\u2014:/|,._;+&]/
const LIST_JOINERS = /[/|,;+&]/
const CONJUNCTIONS = new Set(['and', 'or', 'vs', 'versus'])
const WORDS_BEFORE = new Set([...CONJUNCTIONS, 'with', 'on', 'in', 'against', 'using', 'via', 'for', 'under'])
const CLOSER_OF = new Map([
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
  ['<', '>'],
  ['"', '"'],
  ["'", "'"],
  ['`', '`']
])
/** Brackets bound a list as the start and end of the text do (quotes cannot tell opening from closing). */
const OPENERS = new Set(['(', '[', '{', '<'])
const CLOSERS = new Set([')', ']', '}', '>'])

interface CutSide {
  /** The text without the junk next to the cut. */
  text: string
  /** The junk next to the cut, as written. */
  junk: string
  /** The junk holds a conjunction or a list joiner. */
  list: boolean
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)
}

function isSpace(char: string | undefined): boolean {
  return char !== undefined && /\s/.test(char)
}

/**
 * Where the junk before `end` starts. `_` is a word character: past white space it belongs to the
 * name (`U_ [postgres]` stays `U_`, else it would be the same test as `U [postgres]`).
 */
function junkRunStart(text: string, end: number, onList: () => void): number {
  let at = end
  let spaced = false
  while (at > 0 && JUNK.test(text[at - 1] as string)) {
    const char = text[at - 1] as string
    if (char === '_' && spaced) break
    if (isSpace(char)) spaced = true
    if (LIST_JOINERS.test(char)) onList()
    at--
  }
  return at
}

/** Where the junk after `start` ends: the mirror of junkRunStart. */
function junkRunEnd(text: string, start: number, onList: () => void): number {
  let at = start
  let spaced = false
  while (at < text.length && JUNK.test(text[at] as string)) {
    const char = text[at] as string
    if (char === '_' && spaced) break
    if (isSpace(char)) spaced = true
    if (LIST_JOINERS.test(char)) onList()
    at++
  }
  return at
}

/** The junk at the end of `left` (just before the cut). */
function junkBefore(left: string, words: boolean): CutSide {
  let end = left.length
  let list = false
  let word = !words
  for (;;) {
    end = junkRunStart(left, end, () => (list = true))
    // A word counts only when white space parts it from the token (`x_and_postgres` keeps its `and`).
    if (word || !/\s/.test(left.slice(end))) break
    // A whole word just before the junk: preceded by the start, white space or an opening bracket.
    let start = end
    while (start > 0 && isLetter(left.charCodeAt(start - 1))) start--
    const before = left[start - 1]
    if (start === end || !(before === undefined || isSpace(before) || CLOSER_OF.has(before))) break
    const found = left.slice(start, end).toLowerCase()
    if (!WORDS_BEFORE.has(found)) break
    if (CONJUNCTIONS.has(found)) list = true
    word = true
    end = start
  }
  return { text: left.slice(0, end), junk: left.slice(end), list }
}

/** The junk at the start of `right` (just after the cut). */
function junkAfter(right: string, words: boolean): CutSide {
  let start = 0
  let list = false
  let word = !words
  for (;;) {
    start = junkRunEnd(right, start, () => (list = true))
    if (word || !/\s/.test(right.slice(0, start))) break
    // A whole conjunction just after the junk: followed by the end, white space or a closing bracket.
    let end = start
    while (end < right.length && isLetter(right.charCodeAt(end))) end++
    const after = right[end]
    if (end === start || !(after === undefined || isSpace(after) || CLOSERS.has(after) || CLOSER_OF.get(after) === after)) break
    if (!CONJUNCTIONS.has(right.slice(start, end).toLowerCase())) break
    list = true
    word = true
    start = end
  }
  return { text: right.slice(start), junk: right.slice(0, start), list }
}

/** `left` + `right` joined where a backend token was cut out of the text (rules above); `words: false` keeps function words. */
export function cleanCut(left: string, right: string, words = true): string {
  for (;;) {
    const l = junkBefore(left, words)
    const r = junkAfter(right, words)
    const open = l.text[l.text.length - 1]
    const close = r.text[0]
    if (open !== undefined && close !== undefined && CLOSER_OF.get(open) === close) {
      // The token was all that the brackets held: they go too, and the cut moves outside them.
      left = l.text.slice(0, -1)
      right = r.text.slice(1)
      continue
    }
    if (open === undefined || close === undefined || OPENERS.has(open) || CLOSERS.has(close)) return l.text + r.text
    // Between two pieces of text: one separator stays.
    if (r.list) return l.text + separator(l.junk, r.junk) + r.text
    return l.text + separator(r.junk, l.junk) + r.text
  }
}

/** The separator kept at the cut: `kept` with white space runs made one space, else one space if `dropped` had white space. */
function separator(kept: string, dropped: string): string {
  if (kept.length > 0) return kept.replace(/\s+/g, ' ')
  return /\s/.test(dropped) ? ' ' : ''
}

/**
 * pytest's classname starts with the file's module, the path in dotted form (`tests/storage/
 * test_notes.py` → `tests.storage.test_notes`), when the report also names the file (xunit1):
 * the id then holds the path once, and the classname only for what follows the module (the test
 * class, `TestNotes`). A path longer than the module (the workspace is above pytest's rootdir)
 * still matches on its last components. Without a file attribute the dotted module is kept: it is
 * then the only path information.
 */
export function withoutFileModule(classname: string, file: string | undefined): string {
  if (file === undefined || !file.endsWith('.py')) return classname
  const path = file.slice(0, -3).split('/')
  const names = classname.split('.')
  for (let k = Math.min(names.length, path.length); k >= 1; k--) {
    let same = true
    for (let i = 0; i < k && same; i++) same = names[i] === path[path.length - k + i]
    if (same) return names.slice(k).join('.')
  }
  return classname
}

/** Namespaces are written with ".", "::", "/" or "\\" depending on the runner (PHPUnit uses two). */
function canonicalName(text: string): string {
  return text.replace(/::|[\\/]/g, '.')
}

function coversSuite(classname: string, suite: string): boolean {
  const a = canonicalName(classname)
  const b = canonicalName(suite)
  return a === b || a.startsWith(`${b}.`) || a.startsWith(`${b} `) || a.startsWith(`${b}$`)
}

function sameFile(file: string, other: string): boolean {
  return file === other || file.endsWith(`/${other}`) || other.endsWith(`/${file}`)
}
