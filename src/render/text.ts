// The verdict for a terminal: per-backend totals, then gaps grouped by kind. Colour only on a TTY.
// Report text is untrusted here too: control characters are removed so a name cannot drive the terminal.
import type { Gap, GapKind, Verdict } from '../core/model.js'
import { WHOLE_BACKEND } from '../core/model.js'
import { defuseWorkflowCommands } from './escape.js'

export interface TextOptions {
  colour: boolean
}

const KIND_ORDER: GapKind[] = ['no-report', 'empty', 'too-few', 'failed', 'errored', 'missing', 'skipped', 'flaky']

export function renderText(verdict: Verdict, options: TextOptions): string {
  const paint = (code: string, text: string) => (options.colour ? `\x1b[${code}m${text}\x1b[0m` : text)
  const lines: string[] = []
  const ok = verdict.conclusion === 'success'
  lines.push(paint(ok ? '1;32' : '1;31', `${ok ? 'PASS' : 'FAIL'}  ${safe(verdict.title)}`), '')

  const header = ['backend', 'files', 'tests', 'passed', 'failed', 'errored', 'skipped', 'flaky']
  const rows = verdict.backends.map((b) => [safe(b.name), b.files, b.tests, b.passed, b.failed, b.errored, b.skipped, b.flaky].map(String))
  lines.push(...table([header, ...rows]), '')

  if (verdict.errors.length > 0) {
    lines.push(paint('1;31', `Unreadable reports (${verdict.errors.length})`))
    for (const error of verdict.errors) lines.push(`  ${safe(error.message)}`)
    lines.push('')
  }
  for (const kind of KIND_ORDER) {
    const gaps = verdict.gaps.filter((g) => g.kind === kind)
    if (gaps.length === 0) continue
    lines.push(paint('1;33', `${kind} (${gaps.length})`))
    for (const gap of gaps) lines.push(...gapLines(gap))
    lines.push('')
  }
  if (verdict.flaky.length > 0) {
    lines.push(paint('1;36', `flaky, allowed by the warn policy (${verdict.flaky.length})`))
    for (const f of verdict.flaky) lines.push(`  ${safe(f.test)}  [${safe(f.backend)}]`)
    lines.push('')
  }
  const review = verdict.exemptions.filter((e) => e.state !== 'used')
  for (const e of verdict.exemptions.filter((x) => x.state === 'used')) {
    lines.push(`exemption used: ${safe(e.test)} runs on ${e.backends.join(', ')} (${safe(e.reason)}): ${e.excused.length} test(s)`)
  }
  for (const e of review) lines.push(paint('33', `exemption ${e.state}: ${safe(e.test)} (${safe(e.reason)})${e.until === undefined ? '' : ` until ${e.until}`}`))
  if (verdict.crossLeg.length > 0) {
    lines.push(`${verdict.crossLeg.length} test(s) name one backend but sit in another backend's reports: not counted for either`)
    for (const c of verdict.crossLeg.slice(0, 20)) lines.push(`  ${safe(c.test)}  [names ${safe(c.namedBackend)}, found in ${safe(c.foundIn)}]`)
  }
  if (verdict.unassigned > 0) lines.push(`${verdict.unassigned} test(s) in shared reports name no backend: not counted`)
  return `${defuseWorkflowCommands(lines.join('\n')).replace(/\n+$/, '')}\n`
}

function gapLines(gap: Gap): string[] {
  const where = gap.file === undefined ? '' : `  (${safe(gap.file)}${gap.line === undefined ? '' : `:${gap.line}`})`
  const test = gap.test === WHOLE_BACKEND ? '(every test)' : safe(gap.test)
  const out = [`  ${test}  [${safe(gap.backend)}]${where}`, `      ${safe(gap.reason)}`]
  if (gap.message !== undefined) {
    for (const line of gap.message.split('\n').slice(0, 6)) out.push(`      | ${safe(line)}`)
  }
  return out
}

/**
 * Strips terminal control characters from untrusted text, and shows its line breaks as ⏎: a
 * test name must not start a line of its own (a forged "PASS" headline in the log).
 */
function safe(text: string): string {
  return text.replace(/\r\n?|\n|\u2028|\u2029/g, ' ⏎ ').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? []
  return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  '))
}
