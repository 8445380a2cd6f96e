// The verdict as GitHub Markdown, within a byte budget: a check-run summary (GitHub rejects one
// over 65,535 bytes) or a job summary (1 MiB per step). Blocks are added whole, most important
// first (errors, gaps), so a cut never leaves a broken table or an open tag; what did not fit is
// counted in a closing line that points at the complete record.
import { exposureSentence, unreachableSentence } from '../core/title.js'
import type { DriftReport, Gap, Verdict } from '../core/model.js'
import { WHOLE_BACKEND } from '../core/model.js'
import { clip, escapeHtml, escapeInline, inlineCode, singleLine, sliceWhole, utf8Length } from './escape.js'

/** Characters of a test id or reason shown in a table cell. */
const CELL_CHARS = 400

export const CHECK_SUMMARY_LIMIT = 65_535
export const JOB_SUMMARY_LIMIT = 1_048_576

export interface LinkContext {
  serverUrl: string
  repository: string
  sha: string
}

export interface MarkdownOptions {
  /** Maximum UTF-8 bytes of the whole document. */
  maxBytes: number
  /** Heading shown above the verdict, e.g. the check name. */
  heading?: string
  /** Link gaps to file:line at this commit. */
  links?: LinkContext
  /** Where the complete record is, named in the "and N more" line. Our own Markdown, not escaped. */
  moreAt?: string
  /** The parts to render, in their fixed order; all by default. */
  sections?: readonly Section[]
}

export type Section = 'title' | 'errors' | 'gaps' | 'messages' | 'backends' | 'drift' | 'flaky' | 'exemptions' | 'copies'
export const ALL_SECTIONS: readonly Section[] = ['title', 'errors', 'gaps', 'messages', 'backends', 'drift', 'flaky', 'exemptions', 'copies']

class Budget {
  private readonly parts: string[] = []
  private used = 0

  constructor(private readonly limit: number) {}

  get remaining(): number {
    return this.limit - this.used
  }

  /** Adds the text whole if it fits within the budget less `reserve`; otherwise adds nothing. */
  tryAdd(text: string, reserve = 0): boolean {
    const size = utf8Length(text)
    if (this.used + size > this.limit - reserve) return false
    this.parts.push(text)
    this.used += size
    return true
  }

  toString(): string {
    return this.parts.join('')
  }
}

/** Room kept for the "...and N more" line at the end of a cut section. */
const TAIL_RESERVE = 400

export function renderMarkdown(verdict: Verdict, options: MarkdownOptions): string {
  const budget = new Budget(options.maxBytes)
  const wanted = new Set(options.sections ?? ALL_SECTIONS)
  const icon = verdict.conclusion === 'success' ? '✅' : '❌'
  const heading = options.heading === undefined ? '' : `${escapeInline(options.heading)}: `
  if (wanted.has('title')) budget.tryAdd(`## ${icon} ${heading}${escapeInline(verdict.title)}\n\n`)
  if (wanted.has('gaps')) {
    for (const u of verdict.unreachable ?? []) budget.tryAdd(`> 🔌 ${escapeInline(`${unreachableSentence(u)}. Fix: ${u.fix}`)}\n\n`, TAIL_RESERVE)
  }

  const omitted: string[] = []
  // Rows are built one at a time and only while they fit: a verdict with a million gaps costs
  // the rows that are shown, not a million strings that would be thrown away.
  const section = <T>(part: Section, title: string, header: string, items: readonly T[], row: (item: T) => string, noun: string): void => {
    if (items.length === 0 || !wanted.has(part)) return
    if (!budget.tryAdd(`### ${title}\n\n${header}`, TAIL_RESERVE + 200)) {
      omitted.push(`${items.length} ${noun}`)
      return
    }
    let shown = 0
    for (const item of items) {
      if (!budget.tryAdd(row(item), TAIL_RESERVE)) break
      shown += 1
    }
    budget.tryAdd('\n')
    if (shown < items.length) omitted.push(`${items.length - shown} more ${noun}`)
  }

  section(
    'errors',
    'Unreadable reports',
    '| Report | Where | Problem |\n| --- | --- | --- |\n',
    verdict.errors,
    (e) =>
      `| ${e.file === undefined ? '' : inlineCode(clip(e.file, CELL_CHARS))} | ${e.line === undefined ? '' : `line ${e.line}, column ${e.column ?? 0}`} | ${escapeInline(clip(e.message, CELL_CHARS * 2))} |\n`,
    'unreadable reports'
  )
  section(
    'gaps',
    'Gaps',
    '| Test | Backend | Kind | Other backends | Why |\n| --- | --- | --- | --- | --- |\n',
    verdict.gaps,
    (gap) => gapRow(gap, options.links),
    'gaps'
  )
  section('messages', 'Messages', '', verdict.gaps.filter((g) => g.message !== undefined), messageBlock, 'messages')
  section(
    'backends',
    'Backends',
    '| Backend | Report files | Tests | Passed | Failed | Errored | Skipped | Flaky |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
    verdict.backends,
    (b) =>
      `| ${escapeInline(b.name)}${b.jobResult !== undefined && b.jobResult !== 'success' ? ` (job ${escapeInline(b.jobResult)})` : ''} | ${b.files} | ${b.tests} | ${b.passed} | ${b.failed} | ${b.errored} | ${b.skipped} | ${b.flaky} |\n`,
    'backends'
  )
  if (wanted.has('backends')) {
    for (const b of verdict.backends) {
      if (b.outOfScope === undefined) continue
      const first = (verdict.outOfScope ?? []).filter((o) => o.backend === b.name).slice(0, 5)
      const examples = first.length > 0 ? `, e.g. ${first.map((o) => inlineCode(clip(o.test, CELL_CHARS))).join(', ')}` : ''
      budget.tryAdd(`> ${escapeInline(b.name)}: ${b.outOfScope} testcase(s) left out by \`scope\`${examples}.\n\n`, TAIL_RESERVE)
    }
  }
  if (wanted.has('backends') && !verdict.gaps.some((g) => g.kind === 'exposed')) {
    for (const b of verdict.backends) {
      if (b.secretsInReports !== undefined) budget.tryAdd(`> ⚠️ ${escapeInline(exposureSentence(b.name, b.secretsInReports))}.\n\n`, TAIL_RESERVE)
    }
  }
  if (wanted.has('drift')) {
    for (const drift of verdict.drift) budget.tryAdd(`> ${escapeInline(driftLine(drift))}\n\n`, TAIL_RESERVE)
  }
  const warned = verdict.drift.flatMap((d) => (verdict.gaps.some((g) => g.kind === 'vanished') ? [] : d.vanished.map((test) => ({ test, label: d.label }))))
  section(
    'drift',
    'Vanished since the earlier run (drift: warn)',
    '| Test | Was in |\n| --- | --- |\n',
    warned,
    (v) => `| ${inlineCode(clip(v.test, CELL_CHARS))} | ${escapeInline(v.label)} |\n`,
    'vanished tests'
  )
  section(
    'drift',
    'Removed on purpose',
    '| Test | Reason |\n| --- | --- |\n',
    verdict.drift.flatMap((d) => d.acknowledged),
    (a) => `| ${inlineCode(clip(a.test, CELL_CHARS))} | ${escapeInline(clip(a.reason, CELL_CHARS))} |\n`,
    'removed tests'
  )
  section(
    'flaky',
    'Flaky tests',
    '| Test | Backend | First failure |\n| --- | --- | --- |\n',
    verdict.flaky,
    (f) => `| ${inlineCode(clip(f.test, CELL_CHARS))} | ${escapeInline(f.backend)} | ${f.message === undefined ? '' : escapeInline(firstLine(f.message))} |\n`,
    'flaky tests'
  )
  const used = verdict.exemptions.filter((e) => e.state === 'used')
  section(
    'exemptions',
    'Exemptions used',
    '| Pattern | Runs on | Reason | Until | Tests excused |\n| --- | --- | --- | --- | ---: |\n',
    used,
    (e) =>
      `| ${inlineCode(e.test)}${e.skipReason === undefined ? '' : ` (skips matching ${inlineCode(`/${e.skipReason}/`)})`} | ${e.noBackend === true ? 'no configured backend' : escapeInline(e.backends.join(', ') || 'any')} | ${escapeInline(e.reason)} | ${e.until ?? ''} | ${e.excused.length} |\n`,
    'exemptions'
  )
  const attention = verdict.exemptions.filter((e) => e.state !== 'used')
  section(
    'exemptions',
    'Exemptions to review',
    '| Pattern | State | Reason | Until |\n| --- | --- | --- | --- |\n',
    attention,
    (e) => `| ${inlineCode(e.test)} | ${EXEMPTION_STATE[e.state]} | ${escapeInline(e.reason)} | ${e.until ?? ''} |\n`,
    'exemptions'
  )
  section(
    'copies',
    'Copies from another backend (not counted)',
    '| Test | Names backend | Found in the reports of |\n| --- | --- | --- |\n',
    verdict.crossLeg,
    (c) => `| ${inlineCode(clip(c.test, CELL_CHARS))} | ${escapeInline(c.namedBackend)} | ${escapeInline(c.foundIn)} |\n`,
    'copies'
  )
  if (verdict.unassigned > 0 && wanted.has('copies')) {
    budget.tryAdd(
      `> ${verdict.unassigned} tests in reports shared by several backends name no backend, so they were not counted for any (see \`backend-in-name\`).\n\n`,
      TAIL_RESERVE
    )
  }
  if (omitted.length > 0) {
    const where = options.moreAt === undefined ? '' : ` See ${options.moreAt} for the complete list.`
    budget.tryAdd(`**…and ${omitted.join(', ')} not shown here (size limit).**${where}\n`)
  }
  return budget.toString()
}

const KIND_LABEL: Record<Gap['kind'], string> = {
  missing: '❔ missing',
  skipped: '⏭️ skipped',
  failed: '❌ failed',
  errored: '💥 errored',
  flaky: '🔁 flaky',
  vanished: '🕳️ vanished',
  unproven: '🔍 unproven',
  exposed: '🔓 exposed',
  'no-report': '📭 no report',
  empty: '🫙 empty',
  'too-few': '📉 too few'
}

const EXEMPTION_STATE = { used: 'used', unused: 'matches tests that now run everywhere: remove it', expired: '⌛ expired', stale: '🕸️ stale: matched no test' }

function gapRow(gap: Gap, links: LinkContext | undefined): string {
  const test = gap.test === WHOLE_BACKEND ? '*(every test)*' : inlineCode(clip(gap.test, CELL_CHARS))
  const others = Object.entries(gap.others)
    .map(([name, status]) => `${escapeInline(name)}: ${status}`)
    .join(', ')
  const where = location(gap, links)
  return `| ${test}${where === '' ? '' : `<br>${where}`} | ${escapeInline(gap.backend)} | ${KIND_LABEL[gap.kind]} | ${others} | ${escapeInline(clip(gap.reason, CELL_CHARS))} |\n`
}

function location(gap: Gap, links: LinkContext | undefined): string {
  if (gap.file === undefined) return ''
  const label = `${clip(gap.file, CELL_CHARS)}${gap.line === undefined ? '' : `:${gap.line}`}`
  if (links === undefined || !isRepoRelative(gap.file)) return inlineCode(label)
  const path = gap.file.replace(/^\.\//, '').split('/').map(encodeURIComponent).join('/')
  const anchor = gap.line === undefined ? '' : `#L${gap.line}`
  const url = `${links.serverUrl}/${links.repository}/blob/${encodeURIComponent(links.sha)}/${path}${anchor}`
  return `<a href="${escapeHtml(url)}">${escapeHtml(singleLine(label))}</a>`
}

function isRepoRelative(file: string): boolean {
  return !file.startsWith('/') && !/^[A-Za-z]:/.test(file) && !file.split('/').includes('..') && !/^[a-z]+:/i.test(file)
}

function messageBlock(gap: Gap): string {
  const summary = `${escapeHtml(singleLine(clip(gap.test === WHOLE_BACKEND ? gap.kind : gap.test, CELL_CHARS)))} on ${escapeHtml(gap.backend)}`
  return `<details><summary>${summary}</summary>\n\n<pre>${escapeHtml(gap.message ?? '')}</pre>\n</details>\n\n`
}

/** One comparison with an earlier inventory, in a sentence. */
export function driftLine(drift: DriftReport): string {
  if (!drift.compared) return `Not compared with ${drift.label}: ${drift.reason ?? 'unknown reason'}.`
  const parts = [`${drift.baseTests} ${drift.baseTests === 1 ? 'test' : 'tests'} there`, `${drift.vanished.length} vanished`]
  if (drift.acknowledged.length > 0) parts.push(`${drift.acknowledged.length} removed on purpose`)
  parts.push(`${drift.added} new`)
  if (drift.leftScope > 0) parts.push(`${drift.leftScope} now out of scope`)
  return `Compared with ${drift.label}: ${parts.join(', ')}.`
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.length > 200 ? `${sliceWhole(line, 200)}…` : line
}
