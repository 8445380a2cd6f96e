// Exemptions that scale (issue #12): an exemption's `test` takes a list of patterns, an exemption
// may match by skip reason (a test skipped with "requires postgresql" is by design there), and the
// order of exemptions never changes the result: every matching exemption counts.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { configFor, evaluateReports, gapList, junit } from '../helpers/core.js'

const skipped = (reason: string) => `<skipped message="${reason}"/>`
const reports = () => [
  {
    backends: ['sqlite'],
    xml: junit([['test_insert'], ['test_pragma_fk'], ['test_wal_mode'], ['test_listen_notify', 'pass', skipped('requires postgresql')], ['test_jsonb_path', 'pass', skipped('requires PostgreSQL 12+')]])
  },
  {
    backends: ['postgres'],
    xml: junit([['test_insert'], ['test_listen_notify'], ['test_jsonb_path'], ['test_wal_mode', 'pass', skipped('SQLite-only: WAL journal')], ['test_flaky_skip', 'pass', skipped('no reason given')]])
  }
]

describe('exemptions that scale', () => {
  it('a list of patterns and skip reasons excuse the by-design one-backend tests', () => {
    const config = configFor({
      exemptions: [
        { test: ['*test_pragma_*', '*test_wal_*'], backends: ['sqlite'], reason: 'SQLite-only pragmas' },
        { 'skip-reason': 'requires postgresql|SQLite-only', reason: 'the suite skips these itself, naming the backend' }
      ]
    })
    const v = evaluateReports(config, reports())
    // test_flaky_skip is skipped with no reason: still a gap; and it never ran on sqlite.
    expect(gapList(v)).toEqual(['missing sqlite tests.storage › test_flaky_skip', 'skipped postgres tests.storage › test_flaky_skip'])
    expect(v.exemptions.map((e) => [e.test, e.skipReason, e.state, e.excused])).toEqual([
      ['*test_pragma_*, *test_wal_*', undefined, 'used', ['tests.storage › test_pragma_fk', 'tests.storage › test_wal_mode']],
      ['*', 'requires postgresql|SQLite-only', 'used', ['tests.storage › test_jsonb_path', 'tests.storage › test_listen_notify', 'tests.storage › test_wal_mode']]
    ])
  })

  it('a skip reason excuses skips only, never a failure or an absence', () => {
    const config = configFor({ exemptions: [{ 'skip-reason': 'requires', reason: 'by design' }] })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: junit([['test_a', 'fail'], ['test_b']]) },
      { backends: ['postgres'], xml: junit([['test_a', 'pass', skipped('requires x')]]) }
    ])
    expect(gapList(v)).toEqual(['failed sqlite tests.storage › test_a', 'missing postgres tests.storage › test_b'])
  })

  it('the order of exemptions does not change gaps or what each exemption excused (property)', () => {
    const entries = [
      { test: ['*test_pragma_*', '*test_wal_*'], backends: ['sqlite'], reason: 'SQLite-only' },
      { 'skip-reason': 'requires postgresql', reason: 'postgres-only' },
      { test: '*test_wal_mode', backends: ['postgres'], reason: 'contradicts the first: expected on postgres only' },
      { test: '*test_jsonb_*', backends: ['postgres'], reason: 'jsonb', until: '2020-01-01' },
      { 'skip-reason': 'SQLite-only', backends: ['sqlite'], reason: 'sqlite-only skips' }
    ]
    const canonical = (order: number[]) => {
      const v = evaluateReports(configFor({ exemptions: order.map((i) => entries[i]) }), reports())
      const byReason = Object.fromEntries(v.exemptions.map((e) => [e.reason, [e.state, e.excused]]))
      return { gaps: gapList(v).sort(), reasons: v.gaps.map((g) => g.reason).sort(), byReason }
    }
    const expected = canonical([0, 1, 2, 3, 4])
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }), (order) => {
        expect(canonical(order)).toEqual(expected)
      }),
      { numRuns: 120 }
    )
  })

  it('config errors name the key and say what to write', () => {
    expect(() => configFor({ exemptions: [{ reason: 'x' }] })).toThrow(/exemptions\[0\]\.test: a test pattern \(or a list of them\) or a skip-reason is required/)
    expect(() => configFor({ exemptions: [{ test: 'a', reason: 'x' }] })).toThrow(/exemptions\[0\]\.backends: list the backends/)
    expect(() => configFor({ exemptions: [{ 'skip-reason': '(', reason: 'x' }] })).toThrow(/exemptions\[0\]\.skip-reason: not a valid regular expression/)
    expect(() => configFor({ exemptions: [{ 'skip-reason': 'x', reason: ' ' }] })).toThrow(/exemptions\[0\]\.reason: a reason is required/)
  })
})
