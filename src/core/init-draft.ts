// `init`: a starting config drafted from one run's verdict (no exemptions). Pure: the CLI gives it
// the gaps and the id list, it gives back YAML a maintainer reviews. One-sided tests become draft
// exemptions grouped by skip reason, then by file, then by suite; failures are never exempted.
import { ID_SEPARATOR } from './identity.js'
import type { Gap, TestStatus } from './model.js'
import { compilePattern, escapeRegExp } from './patterns.js'

export const TODO_PREFIX = 'TODO'

export interface DraftInput {
  /** Backend name → report globs, in the order given. */
  backends: Array<{ name: string; reports: string[] }>
  backendInName?: string
  /** Gaps of a run without exemptions. */
  gaps: Gap[]
  /** Every in-scope id the run reported. */
  ids: string[]
}

export interface DraftExemption {
  tests: string[]
  skipReason?: string
  /** Backends it runs on; empty: `backends: none`. */
  backends: string[]
  ids: string[]
  groupedBy: 'skip reason' | 'file' | 'suite' | 'id'
}

export interface Draft {
  exemptions: DraftExemption[]
  /** Tests that failed or errored somewhere: reported, never exempted. */
  failing: string[]
  paired: number
  oneSided: number
}

type Status = TestStatus | 'missing'

export function draftExemptions(input: DraftInput): Draft {
  const names = input.backends.map((b) => b.name)
  const statuses = new Map<string, Map<string, Status>>()
  const messages = new Map<string, Map<string, string>>()
  for (const gap of input.gaps) {
    if (gap.test === '*' || !names.includes(gap.backend)) continue
    const entry = statuses.get(gap.test) ?? new Map<string, Status>()
    statuses.set(gap.test, entry)
    entry.set(gap.backend, gap.kind as Status)
    for (const [other, status] of Object.entries(gap.others)) if (!entry.has(other) && status !== 'exempt') entry.set(other, status)
    if (gap.kind === 'skipped' && gap.message !== undefined) {
      const m = messages.get(gap.test) ?? new Map<string, string>()
      messages.set(gap.test, m)
      m.set(gap.backend, firstLine(gap.message))
    }
  }
  const failing: string[] = []
  const oneSided: Array<{ id: string; runs: string[]; message?: string }> = []
  for (const [id, entry] of statuses) {
    const of = (b: string): Status => entry.get(b) ?? 'passed'
    if (names.some((b) => of(b) === 'failed' || of(b) === 'errored')) {
      failing.push(id)
      continue
    }
    const absent = names.filter((b) => of(b) === 'skipped' || of(b) === 'missing')
    if (absent.length === 0) continue
    const runs = names.filter((b) => !absent.includes(b))
    const skipTexts = new Set(absent.map((b) => (of(b) === 'skipped' ? messages.get(id)?.get(b) : undefined)))
    const only = skipTexts.size === 1 ? [...skipTexts][0] : undefined
    oneSided.push(only === undefined || only.length === 0 ? { id, runs } : { id, runs, message: only })
  }
  const exemptions: DraftExemption[] = []
  // 1. By skip reason: the same message on the same backends (two tests or more).
  const byReason = groupBy(
    oneSided.filter((t) => t.message !== undefined),
    (t) => `${t.runs.join(',')}\u0000${t.message}`
  )
  const rest = oneSided.filter((t) => t.message === undefined || (byReason.get(`${t.runs.join(',')}\u0000${t.message}`)?.length ?? 0) < 2)
  for (const group of byReason.values()) {
    if (group.length < 2) continue
    const first = group[0] as { runs: string[]; message: string }
    exemptions.push({ tests: [], skipReason: `^${escapeRegExp(first.message)}`, backends: first.runs, ids: sorted(group.map((t) => t.id)), groupedBy: 'skip reason' })
  }
  // 2. By file (the id's first part), a whole file or suite as one pattern when all of it is one-sided the same way.
  const allIds = [...new Set([...input.ids, ...statuses.keys()])]
  // How many known tests each file and each suite holds: counted once, not per group.
  const perFile = countBy(allIds.filter((id) => id.includes(ID_SEPARATOR)), (id) => headOf(id, 1))
  const perSuite = countBy(allIds, suiteOf)
  const byFile = groupBy(rest, (t) => `${t.runs.join(',')}\u0000${headOf(t.id, 1)}`)
  for (const group of byFile.values()) {
    const runs = (group[0] as { runs: string[] }).runs
    const file = headOf((group[0] as { id: string }).id, 1)
    const ids = sorted(group.map((t) => t.id))
    if (ids.length > 1 && perFile.get(file) === ids.length && ids.every((id) => id.includes(ID_SEPARATOR)) && safeGlobPart(file)) {
      exemptions.push({ tests: [`${file}${ID_SEPARATOR}*`], backends: runs, ids, groupedBy: 'file' })
      continue
    }
    const patterns: string[] = []
    const bySuite = groupBy(ids, (id) => suiteOf(id))
    for (const [suite, members] of bySuite) {
      if (members.length > 1 && suite !== '' && suite !== file && perSuite.get(suite) === members.length && safeGlobPart(suite)) patterns.push(`${suite}${ID_SEPARATOR}*`)
      else patterns.push(...members.map((id) => exactPattern(id, allIds)))
    }
    exemptions.push({ tests: sorted(patterns), backends: runs, ids, groupedBy: patterns.length < ids.length ? 'suite' : 'id' })
  }
  exemptions.sort((a, b) => cmp(a.groupedBy === 'skip reason' ? '0' : '1', b.groupedBy === 'skip reason' ? '0' : '1') || cmp(a.skipReason ?? '', b.skipReason ?? '') || cmp(a.tests.join('\n'), b.tests.join('\n')) || cmp(a.backends.join(), b.backends.join()))
  const paired = input.ids.length - oneSided.length - failing.length
  return { exemptions, failing: sorted(failing), paired: Math.max(0, paired), oneSided: oneSided.length }
}

/** The placeholder reason of a draft exemption, and what the config error asks for. */
export function placeholderReason(exemption: Pick<DraftExemption, 'backends' | 'ids'>): string {
  const n = exemption.ids.length
  const these = n === 1 ? 'does this test' : `do these ${n} tests`
  return exemption.backends.length === 0 ? `${TODO_PREFIX}: why ${these} run on no configured backend?` : `${TODO_PREFIX}: why ${these} run only on ${exemption.backends.join(' and ')}?`
}

export function renderDraft(input: DraftInput, draft: Draft): string {
  const q = (text: string) => JSON.stringify(text)
  const lines: string[] = [
    '# Drafted by `dual-backend-coverage init`. Review it, then replace every "TODO" reason with why',
    '# those tests run on only some backends: the gate refuses the file while a TODO reason is left.',
    'backends:'
  ]
  for (const b of input.backends) lines.push(`  ${b.name}:${b.reports.length === 1 ? ` ${q(b.reports[0] as string)}` : ''}`, ...(b.reports.length === 1 ? [] : b.reports.map((r) => `    - ${q(r)}`)))
  if (input.backendInName !== undefined) {
    lines.push('# The test names carry the backend: this takes it out, so both runs of a test share one id.', `backend-in-name: ${q(input.backendInName)}`)
  }
  if (draft.failing.length > 0) {
    lines.push(`# ${draft.failing.length} test(s) failed or errored on a backend: not exempted, the gate reports them:`)
    for (const id of draft.failing.slice(0, 10)) lines.push(`#   ${id}`)
    if (draft.failing.length > 10) lines.push(`#   ... and ${draft.failing.length - 10} more`)
  }
  if (draft.exemptions.length === 0) {
    lines.push('exemptions: []')
    return lines.join('\n') + '\n'
  }
  lines.push('exemptions:')
  for (const e of draft.exemptions) {
    lines.push(`  # ${e.ids.length} test(s) by ${e.groupedBy}, ${e.backends.length === 0 ? 'on no configured backend' : `only on ${e.backends.join(', ')}`}:`)
    for (const id of e.ids.slice(0, 5)) lines.push(`  #   ${id.replace(/[\r\n]/g, ' ')}`)
    if (e.ids.length > 5) lines.push(`  #   ... and ${e.ids.length - 5} more`)
    let first = true
    const item = (text: string) => {
      lines.push(`${first ? '  - ' : '    '}${text}`)
      first = false
    }
    if (e.tests.length === 1) item(`test: ${q(e.tests[0] as string)}`)
    else if (e.tests.length > 1) {
      item('test:')
      for (const t of e.tests) lines.push(`      - ${q(t)}`)
    }
    if (e.skipReason !== undefined) item(`skip-reason: ${q(e.skipReason)}`)
    item(e.backends.length === 0 ? 'backends: none' : `backends: [${e.backends.join(', ')}]`)
    item(`reason: ${q(placeholderReason(e))}`)
  }
  return lines.join('\n') + '\n'
}

/** Candidate `backend-in-name` regexes for names that carry the backend words. */
export function backendInNameCandidates(ids: string[], backends: string[]): string[] {
  const words = backends.map(escapeRegExp).join('|')
  const candidates = [
    `\\[(?<backend>${words})\\]`,
    `(?<=\\[|-)(?<backend>${words})(?=\\]|-)`,
    `\\s*\\((?<backend>${words})\\)`,
    `(?<=^|[ _.])(?<backend>${words})_`,
    `_(?<backend>${words})(?=$|[ .(\\[])`
  ]
  // No id yet (one report shared by the backends: every name is unassigned): try them all.
  if (ids.length === 0) return candidates
  return candidates.filter((source) => {
    const regex = new RegExp(source, 'i')
    return ids.some((id) => regex.test(id))
  })
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim()
}

function headOf(id: string, parts: number): string {
  return id.split(ID_SEPARATOR).slice(0, parts).join(ID_SEPARATOR)
}

function suiteOf(id: string): string {
  const parts = id.split(ID_SEPARATOR)
  return parts.slice(0, -1).join(ID_SEPARATOR)
}

function safeGlobPart(text: string): boolean {
  return !/[*?[\]{}()!+@\\]/.test(text) && !text.startsWith('/')
}

/** The id as a pattern that matches only itself among the known ids (a regex literal when a glob would match others). */
function exactPattern(id: string, known: string[]): string {
  if (!id.startsWith('/') && !/[\r\n]/.test(id)) {
    if (safeGlobPart(id)) return id
    const matcher = compilePattern(id)
    if (!known.some((other) => other !== id && matcher.test(other))) return id
  }
  return `/^${escapeRegExp(id).replace(/\//g, '\\/')}$/`
}


function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of [...items].sort((a, b) => cmp(key(a), key(b)))) {
    const k = key(item)
    const group = map.get(k)
    if (group === undefined) map.set(k, [item])
    else group.push(item)
  }
  return new Map([...map].sort(([a], [b]) => cmp(a, b)))
}

function countBy(items: readonly string[], key: (item: string) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return counts
}

function sorted(list: string[]): string[] {
  return [...list].sort(cmp)
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
