// Clean ids (issue #12 item 4): removing the backend token leaves a readable id (no dangling
// joiners, conjunctions or empty brackets, no empty segment), pytest names its file once, ids stay
// equal across backends and distinct tests stay distinct. Grammar: docs/test-ids.md.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { findUnreported, parseCollected, stripBackendWords } from '../../src/core/collected.js'
import { buildConfig } from '../../src/core/config.js'
import { ID_SEPARATOR, Identifier, identify, normalizeFile, removeBackend, withoutFileModule } from '../../src/core/identity.js'
import { JUnitStreamParser, type ParsedTestcase } from '../../src/core/junit/parser.js'
import { configFor, evaluateReports, gapList } from '../helpers/core.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const DIALECTS = 'tests/fixtures/dialects'
const FIXTURE_WORKSPACE = '/work/main'

/** Any of the four spellings, anywhere: the loosest pattern a project could write. */
const LOOSE = [/(?<backend>sqlite|postgres|PostgreSQL|pg)/]
const ALIASES = new Map([
  ['sqlite', 'sqlite'],
  ['postgres', 'postgres'],
  ['postgresql', 'postgres'],
  ['pg', 'postgres']
])
const CONFIG = { backendInName: LOOSE, aliases: ALIASES }
const PLAIN = { backendInName: [], aliases: new Map<string, string>() }

const cleaned = (text: string) => removeBackend(text, LOOSE).text

function testcase(fields: Partial<ParsedTestcase> & { name: string }): ParsedTestcase {
  return {
    suitePath: [],
    classname: undefined,
    file: undefined,
    line: undefined,
    status: 'passed',
    flaky: false,
    message: undefined,
    output: undefined,
    document: 0,
    suite: 1,
    ...fields
  }
}

function fixtureCases(file: string): ParsedTestcase[] {
  const out: ParsedTestcase[] = []
  const parser = new JUnitStreamParser(file, (c) => out.push(c))
  parser.write(readFileSync(path.join(ROOT, file), 'utf8'))
  parser.end()
  return out
}

const idOf = (c: ParsedTestcase, config: Parameters<typeof identify>[2] = PLAIN) => identify(c, normalizeFile(c.file, [FIXTURE_WORKSPACE]), config).id

describe('the cut left by the backend token is cleaned', () => {
  it.each([
    // The examples.
    ['notes (postgres)', 'notes'],
    ['enum - postgres', 'enum'],
    ['postgres and sqlite enum', 'sqlite enum'],
    ['sqlite/postgres: upsert', 'postgres: upsert'],
    ['[postgres] notes', 'notes'],
    ['Notes on PostgreSQL', 'Notes'],
    ['test_x[postgres-1]', 'test_x[1]'],
    ['test_x[postgres]', 'test_x'],
    ['test_x[1-postgres]', 'test_x[1]'],
    // Joiners at an edge, each of the class.
    ['enum – postgres', 'enum'],
    ['enum — postgres', 'enum'],
    ['enum: postgres', 'enum'],
    ['enum | postgres', 'enum'],
    ['enum, postgres', 'enum'],
    ['tests.storage.postgres', 'tests.storage'],
    ['migrations_replay_safe_postgres', 'migrations_replay_safe'],
    ['postgres: upsert', 'upsert'],
    ['postgres_upsert', 'upsert'],
    // Brackets and quotes the token leaves empty, and what stays inside them.
    ['test_x[-postgres]', 'test_x'],
    ['test_x[postgres-]', 'test_x'],
    ['notes {postgres} upsert', 'notes upsert'],
    ['notes "postgres"', 'notes'],
    ['notes ([postgres])', 'notes'],
    ['notes - (postgres)', 'notes'],
    ['Notes on (postgres)', 'Notes'],
    ['test_x[1-postgres-2]', 'test_x[1-2]'],
    ['a (postgres, fast)', 'a (fast)'],
    ['a (fast, postgres)', 'a (fast)'],
    ['upsert (on postgres)', 'upsert'],
    // Dangling words at an edge.
    ['runs on postgres', 'runs'],
    ['RUNS ON postgres', 'RUNS'],
    ['upsert with postgres', 'upsert'],
    ['upsert against postgres', 'upsert'],
    ['upsert using postgres', 'upsert'],
    ['upsert via postgres', 'upsert'],
    ['upsert for postgres', 'upsert'],
    ['upsert in postgres', 'upsert'],
    ['upsert under postgres', 'upsert'],
    ['read & postgres', 'read'],
    ['read or postgres', 'read'],
    ['a vs. postgres', 'a'],
    ['postgres & sqlite enum', 'sqlite enum'],
    ['pg or sqlite enum', 'sqlite enum'],
    // Between two pieces of text: one separator stays.
    ['test_postgres_upsert', 'test_upsert'],
    ['a, postgres, b', 'a, b'],
    ['enum - postgres - notes', 'enum - notes'],
    ['notes [postgres] upsert', 'notes upsert'],
    ['x with postgres and mysql', 'x with mysql'],
    ['x with postgres/mysql', 'x with mysql'],
    ['enum for sqlite and postgres', 'enum for postgres'],
    ['runs on postgres quickly', 'runs quickly'],
    ['notes on postgres: upsert', 'notes: upsert'],
    ['notes  postgres   here', 'notes here'],
    ['notes | postgres | x', 'notes | x'],
    // A segment that was only the token is empty.
    ['postgres', ''],
    ['(postgres)', ''],
    ['[pg]', ''],
    ['on postgres', '']
  ])('%j → %j', (text, expected) => {
    expect(cleaned(text)).toBe(expected)
  })

  it('leaves text away from the token byte-identical', () => {
    expect(cleaned('read and write postgres')).toBe('read and write')
    expect(cleaned('read and write')).toBe('read and write')
    expect(cleaned('a  b (postgres)')).toBe('a  b') // doubled space away from the cut stays
    expect(cleaned('say "hi" postgres now')).toBe('say "hi" now')
    expect(cleaned('x_and_postgres')).toBe('x_and') // an identifier's word is not a dangling conjunction
    expect(cleaned('C: on, with – [a] postgres')).toBe('C: on, with – [a]')
  })

  it('keeps words whose opposite also makes sense, so those tests stay distinct', () => {
    expect(cleaned('works with postgres')).toBe('works')
    expect(cleaned('works without postgres')).toBe('works without')
    expect(cleaned('copies from sqlite')).not.toBe(cleaned('copies to sqlite'))
  })

  it('names the backend of the first pattern that matches, as written', () => {
    expect(removeBackend('notes (PostgreSQL)', LOOSE)).toEqual({ text: 'notes', backend: 'PostgreSQL' })
    expect(removeBackend('notes', LOOSE)).toEqual({ text: 'notes', backend: undefined })
    // An empty match removes nothing.
    expect(removeBackend('notes', [/(?<backend>x?)/])).toEqual({ text: 'notes', backend: '' })
  })
})

describe('ids with backend-in-name', () => {
  const ids = (suitePath: string[], name: string, classname = 'test') => identify(testcase({ suitePath, classname, name }), undefined, CONFIG)

  it('suite names lose the token and its joiners; an empty suite is dropped, never `› ›`', () => {
    expect(ids(['notes (postgres)'], 'upsert').id).toBe('notes › upsert')
    expect(ids(['storage', 'enum - postgres'], 'reads').id).toBe('storage › enum › reads')
    expect(ids(['storage', 'postgres and sqlite enum'], 'reads').id).toBe('storage › sqlite enum › reads')
    expect(ids(['sqlite/postgres: upsert'], 'conflict').id).toBe('postgres: upsert › conflict')
    expect(ids(['[postgres] notes'], 'upsert').id).toBe('notes › upsert')
    expect(ids(['Notes on PostgreSQL'], 'upsert')).toEqual({ id: 'Notes › upsert', namedBackend: 'postgres' })
    expect(ids(['storage', '(postgres)', 'rows'], 'insert').id).toBe('storage › rows › insert')
    expect(ids(['storage', 'pg'], 'insert').id).not.toContain(`${ID_SEPARATOR}${ID_SEPARATOR.trim()}`)
  })

  it('a name that was only the token leaves no empty last part', () => {
    expect(ids(['notes'], '[postgres]').id).toBe('notes')
    expect(ids(['notes'], '[postgres]').namedBackend).toBe('postgres')
  })

  it('pytest parameter ids', () => {
    const py = (name: string) => identify(testcase({ suitePath: ['pytest'], classname: 'tests.test_notes', name }), undefined, CONFIG)
    expect(py('test_x[postgres-1]').id).toBe('tests.test_notes › test_x[1]')
    expect(py('test_x[sqlite-1]').id).toBe('tests.test_notes › test_x[1]')
    expect(py('test_x[1-pg]')).toEqual({ id: 'tests.test_notes › test_x[1]', namedBackend: 'postgres' })
    expect(py('test_x[postgres]').id).toBe('tests.test_notes › test_x')
    expect(py('test_x[1-2]').id).toBe('tests.test_notes › test_x[1-2]')
  })

  it('pairs suites that name the backend in the engine, and the gap id is clean', () => {
    const report = (backend: string, status = '') =>
      `<testsuites><testsuite name="notes (${backend})"><testsuite name="enum - ${backend}"><testcase classname="test" name="test_x[${backend}-1]">${status}</testcase></testsuite></testsuite></testsuites>`
    const v = evaluateReports(configFor({ 'backend-in-name': '(?<backend>sqlite|postgres)' }), [
      { backends: ['sqlite'], xml: report('sqlite') },
      { backends: ['postgres'], xml: report('postgres', '<failure message="x"/>') }
    ])
    expect(gapList(v)).toEqual(['failed postgres notes › enum › test_x[1]'])
    expect(v.tests).toBe(1)
  })
})

describe('pytest names its file once', () => {
  it('a classname that is the file as a dotted module leaves only what follows it', () => {
    expect(withoutFileModule('tests.storage.test_notes', 'tests/storage/test_notes.py')).toBe('')
    expect(withoutFileModule('tests.storage.test_notes.TestNotes', 'tests/storage/test_notes.py')).toBe('TestNotes')
    expect(withoutFileModule('tests.storage.test_notes.TestNotes.TestInner', 'tests/storage/test_notes.py')).toBe('TestNotes.TestInner')
    // The workspace above pytest's rootdir: the path is longer than the module.
    expect(withoutFileModule('tests.storage.test_notes', 'backend/tests/storage/test_notes.py')).toBe('')
    expect(withoutFileModule('test_notes.TestNotes', 'tests/storage/test_notes.py')).toBe('TestNotes')
    // Another module, another runner's file, no file: the classname is all kept.
    expect(withoutFileModule('tests.storage.test_rows', 'tests/storage/test_notes.py')).toBe('tests.storage.test_rows')
    expect(withoutFileModule('Storage.StorageTest', 'tests/StorageTest.php')).toBe('Storage.StorageTest')
    expect(withoutFileModule('tests.storage.test_notes', undefined)).toBe('tests.storage.test_notes')
  })

  it('xunit1 (file=): `tests/storage/test_notes.py › test_upsert`, the class kept', () => {
    const file = 'tests/storage/test_notes.py'
    const suitePath = ['pytest']
    expect(identify(testcase({ suitePath, classname: 'tests.storage.test_notes', name: 'test_upsert', file }), file, PLAIN).id).toBe(
      'tests/storage/test_notes.py › test_upsert'
    )
    expect(identify(testcase({ suitePath, classname: 'tests.storage.test_notes.TestNotes', name: 'test_upsert', file }), file, PLAIN).id).toBe(
      'tests/storage/test_notes.py › TestNotes › test_upsert'
    )
    // xunit2 writes no file: the dotted module is the only path information and stays.
    expect(identify(testcase({ suitePath, classname: 'tests.storage.test_notes', name: 'test_upsert' }), undefined, PLAIN).id).toBe(
      'tests.storage.test_notes › test_upsert'
    )
  })

  it('the real xunit1 reports: each id is the xunit2 id with the file in place of the module', () => {
    for (const backend of ['sqlite', 'postgres']) {
      const xunit1 = fixtureCases(`${DIALECTS}/pytest-xunit1/${backend}.xml`).map((c) => idOf(c))
      const xunit2 = fixtureCases(`${DIALECTS}/pytest/${backend}.xml`).map((c) => idOf(c))
      expect(xunit1).toContain('test_storage.py › test_insert_and_get')
      expect(xunit1).toContain('test_storage.py › TestUpdates › test_update_row')
      expect(xunit1).toEqual(xunit2.map((id) => id.replace(/^test_storage(\.| › )/, 'test_storage.py › ')))
      // The module is never said twice: no part is `test_storage` or `test_storage.<Class>`.
      for (const id of xunit1) expect(id.split(ID_SEPARATOR).filter((part) => /^test_storage(\.(?!py$)|$)/.test(part))).toEqual([])
    }
  })

  it('the collected list still matches the shorter ids, and only a really missing test is unreported', () => {
    const list = readFileSync(path.join(ROOT, 'tests/fixtures/collectors/pytest/sqlite.txt'), 'utf8')
    const collected = parseCollected(list, 'pytest/sqlite.txt')
    const ids = fixtureCases(`${DIALECTS}/pytest-xunit1/sqlite.xml`).map((c) => idOf(c))
    expect(findUnreported(collected, ids)).toEqual([])
    const without = ids.filter((id) => !id.endsWith('test_update_row'))
    expect(findUnreported(collected, without).map((t) => t.display)).toEqual(['test_storage.py::TestUpdates::test_update_row'])
    // Same name, other class: not a match.
    const other = ids.map((id) => id.replace('TestUpdates', 'TestOther'))
    expect(findUnreported(collected, other).map((t) => t.display)).toEqual(['test_storage.py::TestUpdates::test_update_row'])
  })
})

describe('every real fixture gives clean ids', () => {
  const reports = [
    'pytest',
    'pytest-xunit1',
    'jest',
    'vitest',
    'mocha',
    'node-test',
    'gotestsum',
    'rust-libtest',
    'nextest',
    'phpunit',
    'googletest',
    'catch2',
    'ctest'
  ].flatMap((d) => [`${d}/sqlite.xml`, `${d}/postgres.xml`])

  it.each(reports)('%s: no empty or padded part, no runner placeholder', (report) => {
    for (const c of fixtureCases(`${DIALECTS}/${report}`)) {
      const id = idOf(c)
      for (const part of id.split(ID_SEPARATOR)) {
        expect(part.length, id).toBeGreaterThan(0)
        expect(part, id).toBe(part.trim())
      }
      expect(id).not.toMatch(/^\(empty\)/) // ctest's placeholder for "no BuildName"
    }
  })

  it('ctest: the flat suite "(empty)" is not part of the id', () => {
    expect(fixtureCases(`${DIALECTS}/ctest/sqlite.xml`).map((c) => idOf(c))).toContain('storage.updates.update_row')
  })

  it('pytest-param with a loose pattern: sqlite and postgres instances get the same id', () => {
    const cases = fixtureCases(`${DIALECTS}/pytest-param/combined.xml`)
    const byBackend = new Map<string, Set<string>>()
    for (const c of cases) {
      const { id, namedBackend } = identify(c, undefined, CONFIG)
      if (!/\[(sqlite|postgres)\]$/.test(c.name)) continue
      if (!byBackend.has(namedBackend ?? '')) byBackend.set(namedBackend ?? '', new Set())
      byBackend.get(namedBackend ?? '')?.add(id)
    }
    const sqlite = [...(byBackend.get('sqlite') ?? [])]
    const postgres = [...(byBackend.get('postgres') ?? [])]
    expect(sqlite).toContain('test_storage_param › test_insert_and_get')
    expect(postgres.every((id) => sqlite.includes(id))).toBe(true)
    expect(sqlite.filter((id) => !postgres.includes(id))).toEqual(['test_storage_param › test_pragma_foreign_keys'])
  })

  it('collected lists are cleaned like report names', () => {
    const collected = parseCollected('tests/test_notes.py::test_x[postgres-1]\ntests/test_notes.py::test_x[sqlite-1]\n', 'p.txt')
    const stripped = collected.map((t) => stripBackendWords(t, LOOSE))
    expect(stripped.map((t) => t.name)).toEqual(['test_x[1]', 'test_x[1]'])
    const file = 'tests/test_notes.py'
    const reported = identify(testcase({ suitePath: ['pytest'], classname: 'tests.test_notes', name: 'test_x[postgres-1]', file }), file, CONFIG).id
    expect(reported).toBe('tests/test_notes.py › test_x[1]')
    expect(findUnreported(stripped, [reported])).toEqual([])
  })
})

describe('properties', () => {
  /** Words with no backend spelling inside, some of them joiners or edge words in the middle. */
  const WORDS = ['notes', 'enum', 'upsert', 'read', 'write', 'rows', 'users', 'json', 'TestNotes', 'test_x', 'v2', 'and', 'on', 'with', 'for', '-', ':', 'a.b']
  /** Words that neither start nor end a clean text: with them at an edge, cleaning could eat them. */
  const EDGE = new Set(['and', 'on', 'with', 'for', '-', ':'])
  const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }).map((words) => words.join(' '))
  const clean = text.filter((t) => !EDGE.has(t.split(' ')[0] as string) && !EDGE.has(t.split(' ').at(-1) as string))
  const SPELLINGS: Array<[string, string]> = [
    ['sqlite', 'sqlite'],
    ['postgres', 'postgres'],
    ['PostgreSQL', 'postgres'],
    ['pg', 'postgres']
  ]
  /** Ways a name or suite carries the backend token B, around a text T (and a fixed word). */
  const FORMS: Array<(t: string, b: string) => string> = [
    (t, b) => `${t} (${b})`,
    (t, b) => `${t} - ${b}`,
    (t, b) => `${b} and ${t}`,
    (t, b) => `${b}/${t}`,
    (t, b) => `${b}: ${t}`,
    (t, b) => `[${b}] ${t}`,
    (t, b) => `${t} on ${b}`,
    (t, b) => `${t}[${b}-1]`,
    (t, b) => `${t}[${b}]`,
    (t, b) => `${t}[1-${b}]`,
    (t, b) => `${t}_${b}`,
    (t, b) => `${t} with ${b} and mysql`,
    (t, b) => `${t} — ${b}: upsert`,
    (t, b) => `${t}, ${b}, upsert`
  ]
  const form = fc.integer({ min: 0, max: FORMS.length - 1 })
  const spelling = fc.constantFrom(...SPELLINGS)
  const where = fc.constantFrom<'name' | 'suite' | 'classname'>('name', 'suite', 'classname')

  const build = (at: 'name' | 'suite' | 'classname', decorated: string) =>
    testcase({
      suitePath: at === 'suite' ? ['storage', decorated] : ['storage'],
      classname: at === 'classname' ? decorated : 'test',
      name: at === 'name' ? decorated : 'inserts'
    })

  it('the same test on two backends gets the same id, whatever the form, spelling or place of the token', () => {
    fc.assert(
      fc.property(text, form, spelling, spelling, where, (t, f, [a, canonicalA], [b, canonicalB], at) => {
        const one = identify(build(at, (FORMS[f] as (t: string, b: string) => string)(t, a)), undefined, CONFIG)
        const two = identify(build(at, (FORMS[f] as (t: string, b: string) => string)(t, b)), undefined, CONFIG)
        expect(one.id).toBe(two.id)
        expect(one.namedBackend).toBe(canonicalA)
        expect(two.namedBackend).toBe(canonicalB)
        for (const part of one.id.split(ID_SEPARATOR)) expect(part).toBe(part.trim())
        expect(one.id).not.toMatch(/\(\)|\[\]|\[-\]/)
      }),
      { numRuns: 500 }
    )
  })

  it('distinct clean texts in the same form never collide', () => {
    fc.assert(
      fc.property(clean, clean, form, spelling, where, (t1, t2, f, [b], at) => {
        fc.pre(t1 !== t2)
        const decorate = FORMS[f] as (t: string, b: string) => string
        expect(identify(build(at, decorate(t1, b)), undefined, CONFIG).id).not.toBe(identify(build(at, decorate(t2, b)), undefined, CONFIG).id)
      }),
      { numRuns: 500 }
    )
  })

  it('names without a backend token are untouched, and distinct ones stay distinct', () => {
    fc.assert(
      fc.property(text, text, where, (t1, t2, at) => {
        fc.pre(t1 !== t2)
        const one = identify(build(at, t1), undefined, CONFIG)
        expect(one).toEqual(identify(build(at, t1), undefined, PLAIN))
        expect(one.id).not.toBe(identify(build(at, t2), undefined, CONFIG).id)
      }),
      { numRuns: 300 }
    )
  })

  it('the engine’s cached prefixes give the same ids as identify()', () => {
    const FILES = [undefined, 'tests/a.py', 'tests/b.py', 'src/a.test.ts']
    const CLASSNAMES = [undefined, 'test', 'tests.a', 'tests.a.TestA', 'a.TestA', 'tests.b', 'storage', 'storage x', 'src/a.test.ts', 'Storage.A$B']
    const NAMES = ['x', 'test_x', 'storage x', 'x storage', 'tests.a', 'storage', 'test_x[1]', '', ' x ']
    const cases = fc.array(
      fc.record({
        file: fc.constantFrom(...FILES),
        classname: fc.constantFrom(...CLASSNAMES),
        suites: fc.constantFrom<string[][]>([], ['pytest'], ['storage'], ['storage', 'Storage'], ['tests.a'], ['src/a.test.ts', 'storage'], ['(empty)']),
        name: fc.constantFrom(...NAMES)
      }),
      { minLength: 1, maxLength: 30 }
    )
    fc.assert(
      fc.property(cases, (list) => {
        const identifier = new Identifier(PLAIN)
        // The parser shares one suite path array among a suite's testcases.
        const shared = new Map<string, string[]>()
        for (const entry of list) {
          const key = entry.suites.join('\u0000')
          if (!shared.has(key)) shared.set(key, [...entry.suites])
          const c = testcase({ suitePath: shared.get(key) as string[], classname: entry.classname, name: entry.name, file: entry.file })
          expect(identifier.identify(c, entry.file).id).toBe(identify(c, entry.file, PLAIN).id)
        }
      }),
      { numRuns: 300 }
    )
  })

  it('a config built from YAML strings behaves the same (backend-in-name as a string, aliases)', () => {
    const config = buildConfig({ backends: { sqlite: 'a.xml', postgres: 'b.xml' }, 'backend-in-name': '(?<backend>sqlite|postgres|pg)', aliases: { postgres: ['pg'] } })
    const one = identify(testcase({ suitePath: ['notes on pg'], classname: 'test', name: 'test_x[pg-1]' }), undefined, config)
    expect(one).toEqual({ id: 'notes › test_x[1]', namedBackend: 'postgres' })
  })
})

describe('cleaning never merges two tests', () => {
  // Found by tests/safety/properties.test.ts (seed 929381323): `U_ [postgres]` became `U`, the
  // same test as `U [postgres]`. `_` is a word character: past white space it is the name's.
  it('a trailing underscore before a spaced token stays', () => {
    const patterns = [/\[(?<backend>sqlite|postgres)\]/]
    expect(removeBackend('U_ [postgres]', patterns).text).toBe('U_')
    expect(removeBackend('U [postgres]', patterns).text).toBe('U')
    expect(removeBackend('test_x_postgres', [/_(?<backend>postgres)$/]).text).toBe('test_x')
  })

  // Found by the same property (seed -815183987, CI of stop 18): `IN [sqlite]` lost its `IN` as a
  // dangling preposition and took its class's id, the id of the test named `c` in class `c`.
  it('a test name that is only a function word and the token keeps the word; a suite does not', () => {
    const patterns = [/\[(?<backend>sqlite|postgres)\]/]
    const config = { backendInName: patterns, aliases: new Map<string, string>() }
    const id = (suitePath: string[], classname: string, name: string) => identify(testcase({ suitePath, classname, name }), undefined, config).id
    for (const word of ['IN', 'on', 'and', 'with', 'Or']) {
      expect(id(['s'], 'c', `${word} [sqlite]`)).toBe(`s › c › ${word}`)
      expect(id(['s'], 'c', `${word} [postgres]`)).toBe(`s › c › ${word}`)
      expect(removeBackend(`${word} [postgres]`, patterns, true).text).toBe(word)
    }
    expect(id(['s'], 'c', 'c [sqlite]')).toBe('s › c')
    expect(id(['storage', 'on [postgres]'], 'test', 'inserts')).toBe('storage › inserts')
    expect(id(['s'], 'c', 'notes on [postgres]')).toBe('s › c › notes')
  })
})
