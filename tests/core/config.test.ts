import { describe, expect, it } from 'vitest'
import { assertRunnable, parseConfigText } from '../../src/core/config.js'

const FULL = `
backends:
  sqlite: reports/sqlite/**/*.xml
  postgres: [reports/postgres/**/*.xml, reports/pg-shards/*.xml]
backend-in-name: '\\[(?<backend>sqlite|postgres)\\]'
aliases: { postgres: [pg, postgresql] }
scope: { include: ['tests/storage/**', '/^storage\\./'], exclude: ['*slow*'] }
exemptions:
  - { test: '*pragma*', backends: [sqlite], reason: 'SQLite-only PRAGMA behaviour', until: 2027-06-30 }
flaky: fail
skip-markers: ['^Skipping\\b']
min-tests: 10
redact-env: [DATABASE_URL, MY_SECRET]
artifacts: { sqlite: 'junit-sqlite*', postgres: ['junit-postgres*'] }
`

describe('config', () => {
  it('reads every documented key', () => {
    const config = parseConfigText(FULL, 'dual-backend.yml')
    expect(config.backends.map((b) => [b.name, b.reports])).toEqual([
      ['sqlite', ['reports/sqlite/**/*.xml']],
      ['postgres', ['reports/postgres/**/*.xml', 'reports/pg-shards/*.xml']]
    ])
    expect(config.backendInName[0]?.source).toBe('\\[(?<backend>sqlite|postgres)\\]')
    expect(config.aliases.get('pg')).toBe('postgres')
    expect(config.aliases.get('postgresql')).toBe('postgres')
    expect(config.include.map((m) => m.test('tests/storage/test_repo.py'))).toEqual([true, false])
    expect(config.include[1]?.test('storage.users')).toBe(true)
    expect(config.exclude[0]?.test('tests/storage/test_slow.py › slow_migration')).toBe(true)
    expect(config.exemptions[0]).toMatchObject({ backends: ['sqlite'], reason: 'SQLite-only PRAGMA behaviour', until: '2027-06-30' })
    expect(config.flaky).toBe('fail')
    expect(config.skipMarkers[0]?.test('line one\nSkipping postgres')).toBe(true)
    expect(config.minTests).toBe(10)
    // Listed variables add to the defaults, never replace them.
    expect(config.redactEnv).toEqual(['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL', 'MY_SECRET'])
    expect(config.backends[0]?.artifacts[0]?.test('junit-sqlite-3.12')).toBe(true)
  })

  it('has safe defaults: skip markers for "Skipping", min-tests 1, flaky warn, the usual secrets', () => {
    const config = parseConfigText('backends: { a: x.xml, b: y.xml }')
    expect(config.flaky).toBe('warn')
    expect(config.minTests).toBe(1)
    expect(config.skipMarkers.map((r) => r.source)).toEqual(['^Skipping\\b'])
    expect(config.redactEnv).toEqual(['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL'])
    expect(parseConfigText("backends: { a: x.xml, b: y.xml }\nskip-markers: []").skipMarkers).toEqual([])
  })

  it.each([
    ['backends: { a: x.xml, b: y.xml }\nunknown-key: 1', 'unknown-key: unknown key'],
    ['backends: { a: x.xml, b: y.xml }\nflaky: sometimes', 'flaky: must be "warn" or "fail"'],
    ['backends: { a: x.xml, b: y.xml }\nmin-tests: -1', 'min-tests: must be a whole number'],
    ['backends: { a: x.xml, b: y.xml }\nbackend-in-name: "(sqlite|postgres)"', 'backend-in-name: needs a named group'],
    ['backends: { a: x.xml, b: y.xml }\nbackend-in-name: "(?<backend>"', 'backend-in-name: not a valid regular expression'],
    ['backends: { a: x.xml, b: y.xml }\nexemptions: [{ test: x, backends: [a] }]', 'exemptions[0].reason: a reason is required'],
    ['backends: { a: x.xml, b: y.xml }\nexemptions: [{ test: x, backends: [c], reason: r }]', 'exemptions[0].backends: unknown backend "c"'],
    ['backends: { a: x.xml, b: y.xml }\nexemptions: [{ test: x, backends: [a], reason: r, until: soon }]', 'exemptions[0].until: must be a date'],
    ['backends: { a: x.xml, b: y.xml }\nscope: { only: [x] }', 'scope.only: unknown key'],
    ['backends: { "bad name": x.xml }', 'backends.bad name: a backend name uses'],
    ['backends: { a: x.xml }\nartifacts: { c: x }', 'artifacts.c: names a backend that is not under backends'],
    ['backends: [a, b]', 'backends: must map each backend name'],
    ['backends: {a: x.xml\n', 'not valid YAML']
  ])('names the key in its error: %s', (text, message) => {
    expect(() => parseConfigText(text, 'cfg.yml')).toThrow(message)
  })

  it('needs two backends to compare', () => {
    expect(() => assertRunnable(parseConfigText('backends: { sqlite: x.xml }'))).toThrow('at least two backends')
  })

  it('reads YAML safely: no custom tags, dates stay text', () => {
    expect(() => parseConfigText('backends: !!js/function "function(){}"')).toThrow('not valid YAML')
    const config = parseConfigText('backends: { a: x, b: y }\nexemptions: [{ test: t, backends: [a], reason: r, until: 2027-01-01 }]')
    expect(config.exemptions[0]?.until).toBe('2027-01-01')
  })
})
