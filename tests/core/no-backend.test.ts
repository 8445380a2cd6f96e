// Tests for no configured backend (issue #12, item 2): a MySQL-only or CockroachDB-only test, or
// one `it.skip`ped everywhere on purpose, is declared with `backends: none` and a reason. It is
// counted under that exemption (never silently excluded), a failure is still a failure, and a
// test that does pass on a configured backend is not "for no backend": its skips are gaps again.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/core/config.js'
import { renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { configFor, evaluateReports, type ReportSpec } from '../helpers/core.js'

type Outcome = 'pass' | 'skip' | 'fail' | 'absent'
const testcase = (name: string, outcome: Outcome, skipMessage = 'requires MySQL') => {
  if (outcome === 'absent') return ''
  const body = outcome === 'skip' ? `<skipped message="${skipMessage}"/>` : outcome === 'fail' ? '<failure message="boom">boom</failure>' : ''
  return `<testcase classname="tests.storage" name="${name}">${body}</testcase>`
}
/** One report per backend; `cases` maps test name → outcome per backend. */
function reports(cases: Record<string, { sqlite: Outcome; postgres: Outcome; message?: string }>): ReportSpec[] {
  return (['sqlite', 'postgres'] as const).map((backend) => ({
    backends: [backend],
    xml: `<testsuite name="storage">${testcase('test_common', 'pass')}${Object.entries(cases)
      .map(([name, c]) => testcase(name, c[backend], c.message))
      .join('')}</testsuite>`
  }))
}

/** The test's own name, whatever suite and class segments the id grammar puts before it. */
const last = (id: string) => id.split(' › ').at(-1)

const MYSQL_ONLY = { test: '*mysql*', backends: 'none', reason: 'MySQL-only: exercises ON DUPLICATE KEY UPDATE' }

describe('backends: none', () => {
  it('a test skipped on every configured backend is excused and counted under the exemption', () => {
    const v = evaluateReports(configFor({ exemptions: [MYSQL_ONLY] }), reports({ test_mysql_upsert: { sqlite: 'skip', postgres: 'skip' }, test_mysql_enum: { sqlite: 'skip', postgres: 'absent' } }))
    expect(v.gaps).toEqual([])
    expect(v.conclusion).toBe('success')
    expect(v.exemptions).toEqual([expect.objectContaining({ state: 'used', noBackend: true, backends: [] })])
    expect(v.exemptions[0]?.excused.map(last)).toEqual(['test_mysql_enum', 'test_mysql_upsert'])
    expect(renderText(v, { colour: false })).toContain('exemption used: *mysql* runs on no configured backend (MySQL-only: exercises ON DUPLICATE KEY UPDATE): 2 test(s)')
    expect(renderMarkdown(v, { maxBytes: 100_000, heading: 'x' })).toContain('| no configured backend | MySQL-only: exercises ON DUPLICATE KEY UPDATE |  | 2 |')
  })

  it('a test that passes on a configured backend is not for no backend: its skip elsewhere is a gap that says why', () => {
    const v = evaluateReports(configFor({ exemptions: [MYSQL_ONLY] }), reports({ test_mysql_upsert: { sqlite: 'pass', postgres: 'skip' } }))
    expect(v.conclusion).toBe('failure')
    expect(v.gaps).toHaveLength(1)
    expect(v.gaps[0]).toMatchObject({ backend: 'postgres', kind: 'skipped' })
    expect(last(v.gaps[0]?.test ?? '')).toBe('test_mysql_upsert')
    expect(v.gaps[0]?.reason).toContain('says no configured backend runs it, but it passed on one')
    expect(v.exemptions[0]?.state).toBe('unused')
  })

  it('a failure is never excused, and the skips beside it still are', () => {
    const v = evaluateReports(configFor({ exemptions: [MYSQL_ONLY] }), reports({ test_mysql_upsert: { sqlite: 'skip', postgres: 'fail' } }))
    expect(v.conclusion).toBe('failure')
    expect(v.gaps.map((g) => [g.backend, g.kind])).toEqual([['postgres', 'failed']])
  })

  it('passing everywhere leaves the declaration unused (to be reviewed), not a gap', () => {
    const v = evaluateReports(configFor({ exemptions: [MYSQL_ONLY] }), reports({ test_mysql_upsert: { sqlite: 'pass', postgres: 'pass' } }))
    expect(v.conclusion).toBe('success')
    expect(v.exemptions[0]?.state).toBe('unused')
    expect(renderText(v, { colour: false })).toContain('exemption unused: *mysql*')
  })

  it('with skip-reason: only skips whose message says why are excused', () => {
    const exemption = { 'skip-reason': 'requires (mysql|cockroach)', backends: 'none', reason: 'tests for servers we do not run in CI' }
    const v = evaluateReports(
      configFor({ exemptions: [exemption] }),
      reports({ test_cockroach: { sqlite: 'skip', postgres: 'skip', message: 'requires cockroachdb' }, test_other: { sqlite: 'skip', postgres: 'skip', message: 'DATABASE_URL not set' } })
    )
    expect(v.gaps.map((g) => [last(g.test), g.backend])).toEqual([
      ['test_other', 'postgres'],
      ['test_other', 'sqlite']
    ])
    expect(v.exemptions[0]?.excused.map(last)).toEqual(['test_cockroach'])
  })

  it('the order of exemptions does not change the verdict', () => {
    const sqliteOnly = { test: '*mysql_upsert*', backends: ['sqlite'], reason: 'SQLite-only' }
    const cases = { test_mysql_upsert: { sqlite: 'pass', postgres: 'skip' }, test_mysql_enum: { sqlite: 'skip', postgres: 'skip' } } as const
    const a = evaluateReports(configFor({ exemptions: [MYSQL_ONLY, sqliteOnly] }), reports(cases))
    const b = evaluateReports(configFor({ exemptions: [sqliteOnly, MYSQL_ONLY] }), reports(cases))
    expect(a.conclusion).toBe('success')
    expect(b.gaps).toEqual(a.gaps)
    expect(b.exemptions.map((e) => [e.test, e.state, e.excused])).toEqual([...a.exemptions].reverse().map((e) => [e.test, e.state, e.excused]))
  })

  it('without a declaration the same tests are gaps (nothing is excluded silently)', () => {
    const v = evaluateReports(configFor({}), reports({ test_mysql_upsert: { sqlite: 'skip', postgres: 'skip' } }))
    expect(v.gaps.map((g) => g.backend).sort()).toEqual(['postgres', 'sqlite'])
  })
})

describe('backends: none in the config', () => {
  it.each(['none', 'None', ' NONE '])('%j is read', (value) => {
    expect(configFor({ exemptions: [{ ...MYSQL_ONLY, backends: value }] }).exemptions[0]).toMatchObject({ noBackend: true, backends: [] })
  })

  it('an exemption with no backends and no skip-reason names `backends: none`', () => {
    expect(() => configFor({ exemptions: [{ test: '*mysql*', reason: 'MySQL-only' }] })).toThrow(ConfigError)
    expect(() => configFor({ exemptions: [{ test: '*mysql*', reason: 'MySQL-only' }] })).toThrow(/backends: none/)
  })

  it('a reason is still required', () => {
    expect(() => configFor({ exemptions: [{ test: '*mysql*', backends: 'none' }] })).toThrow(/reason is required/)
  })
})

describe('backends: none by skip reason', () => {
  // Found on the adoption fixture: a `skip-reason: "^requires mysql"` declaration was named in
  // the gap of a test skipped for another reason ("set DATABASE_URL_REPLICA ..."), as if it said
  // that test runs nowhere. It speaks only about tests whose skips match it.
  const BY_REASON = { 'skip-reason': '^requires mysql', backends: 'none', reason: 'MySQL dialect tests' }

  it('a skip for another reason is a plain gap, not a contradicted declaration', () => {
    const v = evaluateReports(configFor({ exemptions: [BY_REASON] }), reports({ test_replica: { sqlite: 'pass', postgres: 'skip', message: 'set DATABASE_URL_REPLICA' } }))
    expect(v.gaps).toHaveLength(1)
    expect(v.gaps[0]).toMatchObject({ backend: 'postgres', kind: 'skipped' })
    expect(v.gaps[0]?.reason).not.toContain('says no configured backend runs it')
  })

  it('a skip with the declared reason on a test that passed elsewhere is contradicted, and says so', () => {
    const v = evaluateReports(configFor({ exemptions: [BY_REASON] }), reports({ test_upsert: { sqlite: 'pass', postgres: 'skip', message: 'requires mysql' } }))
    expect(v.gaps).toHaveLength(1)
    expect(v.gaps[0]?.reason).toContain('says no configured backend runs it, but it passed on one')
  })

  it('skipped with the reason everywhere: excused and counted', () => {
    const v = evaluateReports(configFor({ exemptions: [BY_REASON] }), reports({ test_upsert: { sqlite: 'skip', postgres: 'skip', message: 'requires mysql' } }))
    expect(v.gaps).toEqual([])
    expect(v.exemptions[0]?.excused.map(last)).toEqual(['test_upsert'])
  })
})
