// The verdict in one line: the check-run title, the CLI's headline, the commit-status description.
import type { GapKind, ReportSecrets, Verdict } from './model.js'

const KIND_PHRASE: Record<GapKind, [string, string]> = {
  failed: ['test failed', 'tests failed'],
  errored: ['test errored', 'tests errored'],
  missing: ['test missing', 'tests missing'],
  skipped: ['test skipped', 'tests skipped'],
  flaky: ['test flaky', 'tests flaky'],
  vanished: ['test vanished', 'tests vanished'],
  unproven: ['no evidence the backend ran', 'no evidence the backend ran'],
  exposed: ['secrets in the reports', 'secrets in the reports'],
  'no-report': ['no report', 'no report'],
  empty: ['empty report', 'empty reports'],
  'too-few': ['too few tests', 'too few tests']
}

export function verdictTitle(verdict: Pick<Verdict, 'gaps' | 'errors' | 'tests' | 'backends' | 'unreachable'>): string {
  const title = gapsTitle(verdict)
  const unreachable = (verdict.unreachable ?? []).map((u) => unreachableSentence(u))
  return unreachable.length === 0 ? title : `${title}; ${unreachable.join('; ')}`
}

/** "postgres: 40 tests could not reach the database (connection refused)". */
export function unreachableSentence(group: { backend: string; cause: string; tests: number }): string {
  return `${group.backend}: ${group.tests} ${group.tests === 1 ? 'test' : 'tests'} could not reach the database (${group.cause})`
}

function gapsTitle(verdict: Pick<Verdict, 'gaps' | 'errors' | 'tests' | 'backends'>): string {
  const names = verdict.backends.map((b) => b.name)
  if (verdict.gaps.length === 0 && verdict.errors.length === 0) {
    return `${verdict.tests} storage ${verdict.tests === 1 ? 'test' : 'tests'} passed on ${joinAnd(names)}`
  }
  const counts = new Map<string, { kind: GapKind; backend: string; count: number }>()
  for (const gap of verdict.gaps) {
    // Vanished tests are on no backend now: one count, whatever backends they ran on before.
    const key = gap.kind === 'vanished' ? 'vanished' : `${gap.kind}\0${gap.backend}`
    const entry = counts.get(key) ?? { kind: gap.kind, backend: gap.backend, count: 0 }
    entry.count += 1
    counts.set(key, entry)
  }
  const parts = [...counts.values()].map(({ kind, backend, count }) => {
    const [one, many] = KIND_PHRASE[kind]
    const wholeBackend = kind === 'no-report' || kind === 'empty' || kind === 'too-few' || kind === 'unproven' || kind === 'exposed'
    if (kind === 'vanished') return `${count} ${count === 1 ? one : many} from every backend`
    return wholeBackend ? `${one} for ${backend}` : `${count} ${count === 1 ? one : many} on ${backend}`
  })
  const head: string[] = []
  if (verdict.errors.length > 0) head.push(`${verdict.errors.length} unreadable ${verdict.errors.length === 1 ? 'report' : 'reports'}`)
  if (verdict.gaps.length > 0) head.push(`${verdict.gaps.length} ${verdict.gaps.length === 1 ? 'gap' : 'gaps'}`)
  return parts.length > 0 ? `${head.join(', ')}: ${parts.join(', ')}` : head.join(', ')
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** "the postgres report contains the DATABASE_URL password in 3 testcases: …", never the value. */
export function exposureSentence(backend: string, secrets: ReportSecrets): string {
  const what = [...secrets.names.map((n) => `the ${n} value`), ...(secrets.byShape ? ['credentials (a URL password, a password= value or a token)'] : [])]
  const where = secrets.testcases > 0 ? `in ${secrets.testcases} ${secrets.testcases === 1 ? 'testcase' : 'testcases'}` : 'outside testcases'
  const files = secrets.files === 1 ? 'report contains' : `reports (${secrets.files} files) contain`
  return `the ${backend} ${files} ${what.join(' and ')} ${where}: the uploaded artifact exposes it; run \`dual-backend-coverage scrub\` on the reports before uploading them`
}
