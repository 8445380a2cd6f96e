// The verdict for a terminal: per-backend totals, then gaps grouped by kind. Colour only on a TTY.
// Report text is untrusted here too: control characters are removed so a name cannot drive the terminal.
import type { Gap, GapKind, Verdict } from '../core/model.js'
import { WHOLE_BACKEND } from '../core/model.js'
import { defuseWorkflowCommands } from './escape.js'
import { exposureSentence, unreachableSentence } from '../core/title.js'
import { driftLine } from './markdown.js'

export interface TextOptions {
  colour: boolean
}

const KIND_ORDER: GapKind[] = ['no-report', 'empty', 'too-few', 'unproven', 'exposed', 'failed', 'errored', 'missing', 'vanished', 'skipped', 'flaky']

/** The whole report as one string: renderTextPieces joined. */
export function renderText(verdict: Verdict, options: TextOptions): string {
  let text = ''
  for (const piece of renderTextPieces(verdict, options)) text += piece
  return text
}

/** Pieces of about this many UTF-16 code units (a piece holds whole lines, so one long line is one piece). */
const PIECE_LENGTH = 1 << 16

/**
 * renderText()'s exact text in pieces of whole lines, so a verdict with 1,000,000 gaps is never held
 * as one string. Each piece is defused on its own: a piece starts at a line start and ends with a
 * "\n", so no "##[" or line-start "::" spans two pieces (a run of blank lines before "::" is
 * matched from the later line start instead, with the same output). The report's trailing blank
 * lines are held back until it is known whether more text follows them. `pieceLength` is for tests
 * (small pieces put cuts everywhere).
 */
export function* renderTextPieces(verdict: Verdict, options: TextOptions, pieceLength = PIECE_LENGTH): Generator<string> {
  let batch = ''
  let emitted = false
  for (const line of textLines(verdict, options)) {
    batch += `${line}\n`
    if (batch.length < pieceLength) continue
    // Cut after the first "\n" of the batch's trailing run of line breaks: they may end the report.
    let end = batch.length
    while (end > 0 && batch.charCodeAt(end - 1) === 10) end--
    if (end === 0) continue
    yield defuseWorkflowCommands(batch.slice(0, end + 1))
    batch = batch.slice(end + 1)
    emitted = true
  }
  const rest = defuseWorkflowCommands(batch).replace(/\n+$/, '')
  if (rest.length > 0 || !emitted) yield `${rest}\n`
}

/** The report's lines, before workflow commands are defused (each may hold a line break of its own). */
function* textLines(verdict: Verdict, options: TextOptions): Generator<string> {
  const paint = (code: string, text: string) => (options.colour ? `\x1b[${code}m${text}\x1b[0m` : text)
  const ok = verdict.conclusion === 'success'
  yield paint(ok ? '1;32' : '1;31', `${ok ? 'PASS' : 'FAIL'}  ${safe(verdict.title)}`)
  yield ''

  const header = ['backend', 'files', 'tests', 'passed', 'failed', 'errored', 'skipped', 'flaky']
  const rows = verdict.backends.map((b) => [safe(b.name), b.files, b.tests, b.passed, b.failed, b.errored, b.skipped, b.flaky].map(String))
  yield* table([header, ...rows])
  yield ''

  if (verdict.errors.length > 0) {
    yield paint('1;31', `Unreadable reports (${verdict.errors.length})`)
    for (const error of verdict.errors) yield `  ${safe(error.message)}`
    yield ''
  }
  // Counted first, then walked once per kind: no per-kind copy of a million gaps.
  const counts = new Map<GapKind, number>()
  for (const gap of verdict.gaps) counts.set(gap.kind, (counts.get(gap.kind) ?? 0) + 1)
  for (const kind of KIND_ORDER) {
    const count = counts.get(kind) ?? 0
    if (count === 0) continue
    yield paint('1;33', `${kind} (${count})`)
    for (const gap of verdict.gaps) if (gap.kind === kind) yield* gapLines(gap)
    yield ''
  }
  for (const u of verdict.unreachable ?? []) yield paint('1;31', `${safe(unreachableSentence(u))}. Fix: ${safe(u.fix)}`)
  for (const b of verdict.backends) {
    if (b.outOfScope === undefined) continue
    const first = (verdict.outOfScope ?? []).filter((o) => o.backend === b.name).slice(0, 5)
    yield `${b.name}: ${b.outOfScope} testcase(s) left out by scope${first.length > 0 ? `, e.g. ${first.map((o) => safe(o.test)).join('; ')}` : ''}`
  }
  if (!verdict.gaps.some((g) => g.kind === 'exposed')) {
    for (const b of verdict.backends) if (b.secretsInReports !== undefined) yield paint('33', `warning: ${safe(exposureSentence(b.name, b.secretsInReports))}`)
  }
  for (const drift of verdict.drift) {
    yield safe(driftLine(drift))
    if (!verdict.gaps.some((g) => g.kind === 'vanished')) for (const test of drift.vanished) yield paint('33', `  vanished (drift: warn): ${safe(test)}`)
    for (const a of drift.acknowledged) yield `  removed on purpose: ${safe(a.test)} (${safe(a.reason)})`
    yield ''
  }
  if (verdict.flaky.length > 0) {
    yield paint('1;36', `flaky, allowed by the warn policy (${verdict.flaky.length})`)
    for (const f of verdict.flaky) yield `  ${safe(f.test)}  [${safe(f.backend)}]`
    yield ''
  }
  const review = verdict.exemptions.filter((e) => e.state !== 'used')
  for (const e of verdict.exemptions.filter((x) => x.state === 'used')) {
    const where = e.noBackend === true ? ' on no configured backend' : e.backends.length > 0 ? ` on ${e.backends.join(', ')}` : ''
    // By skip reason alone the test pattern is "*": name the tests by their skip instead.
    const scope =
      e.skipReason !== undefined && e.test === '*'
        ? `tests whose skip matches /${safe(e.skipReason)}/${where === '' ? '' : ` run${where}`}`
        : `${safe(e.test)}${where === '' ? '' : ` runs${where}`}${e.skipReason === undefined ? '' : `, skips matching /${safe(e.skipReason)}/`}`
    yield `exemption used: ${scope} (${safe(e.reason)}): ${e.excused.length} test(s)`
  }
  for (const e of review) yield paint('33', `exemption ${e.state}: ${safe(e.test)} (${safe(e.reason)})${e.until === undefined ? '' : ` until ${e.until}`}`)
  if (verdict.crossLeg.length > 0) {
    yield `${verdict.crossLeg.length} test(s) name one backend but sit in another backend's reports: not counted for either`
    for (const c of verdict.crossLeg.slice(0, 20)) yield `  ${safe(c.test)}  [names ${safe(c.namedBackend)}, found in ${safe(c.foundIn)}]`
  }
  if (verdict.unassigned > 0) yield `${verdict.unassigned} test(s) in shared reports name no backend: not counted`
}

function gapLines(gap: Gap): string[] {
  const where = gap.file === undefined ? '' : `  (${safe(gap.file)}${gap.line === undefined ? '' : `:${gap.line}`})`
  const test = gap.test === WHOLE_BACKEND ? '(every test)' : safe(gap.test)
  const out = [`  ${test}  [${safe(gap.backend)}]${where}`, `      ${safe(gap.reason)}`]
  if (gap.message !== undefined) {
    for (const line of messageLines(gap.message).slice(0, 6)) out.push(`      | ${safe(line)}`)
  }
  return out
}

/**
 * The message's lines, without a first line that the next one restates with its location
 * (pytest writes a skip as message="reason" and body "path:line: reason"): one line, not two.
 */
function messageLines(message: string): string[] {
  const lines = message.split('\n')
  const [first, second] = lines
  if (first !== undefined && first.length > 0 && second !== undefined && second.endsWith(`: ${first}`) && /:\d+: /.test(second)) return lines.slice(1)
  return lines
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
