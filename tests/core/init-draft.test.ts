// The draft `init` writes (issue #12, item 5), rule by rule, on the pure core: a run without
// exemptions in, draft exemptions out; then the draft, its reasons filled in, as the config of
// the same run: only failing tests are left.
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'
import { buildConfig, ConfigError } from '../../src/core/config.js'
import { draftExemptions, renderDraft } from '../../src/core/init-draft.js'
import { engineFor, evaluateReports, type ReportSpec } from '../helpers/core.js'

type Outcome = 'pass' | 'skip' | 'fail' | 'absent'
interface Case { file: string; name: string; sqlite: Outcome; postgres: Outcome; skip?: string }

function reports(cases: Case[], order: 'given' | 'reversed' = 'given'): ReportSpec[] {
  const list = order === 'given' ? cases : [...cases].reverse()
  return (['sqlite', 'postgres'] as const).map((backend) => ({
    backends: [backend],
    xml: `<testsuite name="pytest">${list
      .map((c) => {
        const outcome = c[backend]
        if (outcome === 'absent') return ''
        const body = outcome === 'skip' ? `<skipped message="${c.skip ?? 'not here'}"/>` : outcome === 'fail' ? '<failure message="boom"/>' : ''
        return `<testcase classname="${c.file.replace(/\.py$/, '').replace(/\//g, '.')}" name="${c.name}" file="${c.file}">${body}</testcase>`
      })
      .join('')}</testsuite>`
  }))
}

const BACKENDS = [
  { name: 'sqlite', reports: ['reports/sqlite/**/*.xml'] },
  { name: 'postgres', reports: ['reports/postgres/**/*.xml'] }
]

function draftFor(cases: Case[], order: 'given' | 'reversed' = 'given') {
  const base = buildConfig({ backends: { sqlite: 'reports/sqlite/**/*.xml', postgres: 'reports/postgres/**/*.xml' }, 'min-tests': 0, drift: 'off' }, 'x')
  const engine = engineFor(base, reports(cases, order))
  const ids = engine.inventory().tests.map((t) => t.id)
  const verdict = engine.verdict()
  const input = { backends: BACKENDS, gaps: verdict.gaps, ids }
  const draft = draftExemptions(input)
  return { draft, text: renderDraft(input, draft) }
}

/** The draft with every TODO reason filled in, run as the config of the same reports. */
function rerun(text: string, cases: Case[]) {
  const filled = text.replace(/"TODO:[^"]*"/g, '"by design"')
  const config = buildConfig({ ...(yaml.load(filled) as object), 'min-tests': 0 }, 'draft')
  return evaluateReports(config, reports(cases))
}

const SUITE: Case[] = [
  // A whole file that runs on postgres only: one glob for the file.
  { file: 'tests/test_jsonb.py', name: 'test_contains', sqlite: 'absent', postgres: 'pass' },
  { file: 'tests/test_jsonb.py', name: 'test_path', sqlite: 'absent', postgres: 'pass' },
  { file: 'tests/test_jsonb.py', name: 'test_index', sqlite: 'absent', postgres: 'pass' },
  // A mixed file: exact ids only, so its two-sided test is never exempted.
  { file: 'tests/test_notes.py', name: 'test_insert', sqlite: 'pass', postgres: 'pass' },
  { file: 'tests/test_notes.py', name: 'test_pragma', sqlite: 'pass', postgres: 'absent' },
  { file: 'tests/test_notes.py', name: 'test_vacuum', sqlite: 'pass', postgres: 'absent' },
  // One skip reason across files: one exemption by reason.
  { file: 'tests/test_a.py', name: 'test_listen', sqlite: 'skip', postgres: 'pass', skip: 'LISTEN/NOTIFY is PostgreSQL only' },
  { file: 'tests/test_b.py', name: 'test_notify', sqlite: 'skip', postgres: 'pass', skip: 'LISTEN/NOTIFY is PostgreSQL only' },
  { file: 'tests/test_b.py', name: 'test_common', sqlite: 'pass', postgres: 'pass' },
  // Skipped everywhere: backends: none.
  { file: 'tests/test_mysql.py', name: 'test_on_duplicate_key', sqlite: 'skip', postgres: 'skip', skip: 'MySQL only' },
  // A failure is never exempted, even on a one-sided test.
  { file: 'tests/test_c.py', name: 'test_broken', sqlite: 'absent', postgres: 'fail' }
]

describe('init draft', () => {
  const { draft, text } = draftFor(SUITE)

  it('counts the paired, one-sided and failing tests', () => {
    expect(draft.paired).toBe(2)
    expect(draft.failing).toEqual([expect.stringContaining('test_broken')])
    expect(draft.oneSided).toBe(8)
  })

  it('groups by skip reason, then by whole file; a mixed file gets exact ids; all skipped: backends none', () => {
    const brief = draft.exemptions.map((e) => ({ by: e.groupedBy, backends: e.backends, n: e.ids.length, skip: e.skipReason !== undefined }))
    expect(brief).toHaveLength(4)
    expect(brief).toEqual(
      expect.arrayContaining([
        { by: 'skip reason', backends: ['postgres'], n: 2, skip: true },
        { by: 'file', backends: ['postgres'], n: 3, skip: false },
        expect.objectContaining({ backends: ['sqlite'], n: 2, skip: false }),
        expect.objectContaining({ backends: [], n: 1 })
      ])
    )
    const mixed = draft.exemptions.find((e) => e.backends.join() === 'sqlite')
    expect(mixed?.tests.every((t) => !t.includes('*'))).toBe(true)
    expect(draft.exemptions.find((e) => e.ids.some((id) => id.includes('test_on_duplicate_key')))?.backends).toEqual([])
    expect(draft.exemptions.flatMap((e) => e.ids).some((id) => /test_broken|test_insert|test_common/.test(id))).toBe(false)
  })

  it('is refused while a TODO reason is left, and the error says what to write', () => {
    expect(() => buildConfig(yaml.load(text) as object, 'draft')).toThrow(ConfigError)
    expect(() => buildConfig(yaml.load(text) as object, 'draft')).toThrow(/still the draft placeholder from init/)
  })

  it('filled in, it leaves exactly the failing test, and every exemption is used', () => {
    const v = rerun(text, SUITE)
    expect(new Set(v.gaps.map((g) => g.test))).toEqual(new Set(draft.failing))
    expect(v.gaps.some((g) => g.kind === 'failed')).toBe(true)
    expect(v.exemptions.map((e) => e.state)).toEqual(v.exemptions.map(() => 'used'))
  })

  it('a new one-sided test in the mixed file later is a gap, not covered by the draft', () => {
    const later: Case[] = [...SUITE, { file: 'tests/test_notes.py', name: 'test_new', sqlite: 'pass', postgres: 'skip' }]
    const v = rerun(text, later)
    expect(v.gaps.some((g) => g.test.includes('test_new') && g.backend === 'postgres')).toBe(true)
  })

  it('does not depend on the order of the testcases', () => {
    expect(draftFor(SUITE, 'reversed').text).toBe(text)
  })
})
