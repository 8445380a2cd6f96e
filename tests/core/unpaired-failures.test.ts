// A failed or errored testcase is never dropped by pairing (issue #9): set aside as unassigned
// (a shared report, no backend in its name) or as a cross-leg copy (it names another backend),
// it still fails the gate with a gap that says where it came from and why it was not paired.
import { describe, expect, it } from 'vitest'
import { configFor, evaluateReports, gapList, junit } from '../helpers/core.js'

const BRACKETS = { 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]' }
const SHARED = ['sqlite', 'postgres']

describe('failures that pairing sets aside', () => {
  it.each(['fail', 'error'] as const)('an unassigned testcase that ends in %s fails the gate, on the shared report', (status) => {
    const xml = junit([['test_insert[sqlite]'], ['test_insert[postgres]'], ['test_migrations_apply', status], ['test_upsert[postgres-conflict]', status]])
    const v = evaluateReports(configFor(BRACKETS), [{ path: 'reports/combined.xml', backends: SHARED, xml }])
    expect(v.conclusion).toBe('failure')
    const kind = status === 'fail' ? 'failed' : 'errored'
    expect(gapList(v)).toEqual([`${kind} sqlite+postgres tests.storage › test_migrations_apply`, `${kind} sqlite+postgres tests.storage › test_upsert[postgres-conflict]`])
    for (const gap of v.gaps) {
      expect(gap.reason).toContain('reports/combined.xml')
      expect(gap.reason).toContain('names no backend')
      expect(gap.message).toBeDefined()
    }
    expect(v.unassigned).toBe(2)
  })

  it('a cross-leg copy that fails in the other job fails the gate and says which backend it names', () => {
    const sqlite = junit([['test_copy[sqlite]']])
    const postgres = junit([['test_copy[postgres]'], ['test_copy[sqlite]', 'fail']])
    const v = evaluateReports(configFor(BRACKETS), [
      { path: 'reports/sqlite.xml', backends: ['sqlite'], xml: sqlite },
      { path: 'reports/postgres.xml', backends: ['postgres'], xml: postgres }
    ])
    expect(v.conclusion).toBe('failure')
    expect(gapList(v)).toEqual(['failed postgres tests.storage › test_copy'])
    expect(v.gaps[0]?.reason).toMatch(/reports\/postgres\.xml.*names sqlite/)
    expect(v.crossLeg).toHaveLength(1)
  })

  it('passing and skipped testcases set aside stay informational (no gap)', () => {
    const xml = junit([['test_insert[sqlite]'], ['test_insert[postgres]'], ['test_plain'], ['test_skip_plain', 'skip']])
    const v = evaluateReports(configFor(BRACKETS), [{ backends: SHARED, xml }])
    expect(v.conclusion).toBe('success')
    expect(v.unassigned).toBe(2)
  })

  it('an out-of-scope failure set aside is not a gap', () => {
    const storage = junit([['test_insert[sqlite]'], ['test_insert[postgres]']])
    const ui = junit([['test_plain', 'fail']], 'tests.ui')
    const config = configFor({ ...BRACKETS, scope: { include: ['tests.storage*'] } })
    const v = evaluateReports(config, [
      { backends: SHARED, xml: storage },
      { backends: SHARED, xml: ui }
    ])
    expect(gapList(v)).toEqual([])
  })

  it('the failure message is redacted', () => {
    const xml = junit([['test_insert[sqlite]'], ['test_insert[postgres]'], ['test_plain', 'fail', '<system-out>x</system-out>']]).replace(
      'assertion failed',
      'could not connect to postgres://app:hunter2-secret@db:5432/app'
    )
    const v = evaluateReports(configFor(BRACKETS), [{ backends: SHARED, xml }])
    expect(JSON.stringify(v)).not.toContain('hunter2-secret')
    expect(v.conclusion).toBe('failure')
  })
})
