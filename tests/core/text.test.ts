// The streamed terminal report is the same text as the one-string rendering it replaced, byte for
// byte, whatever the report text holds: control characters, line breaks, workflow commands at line
// starts ("::error::", also after blank and whitespace-only lines) and "##[" anywhere.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ExemptionReport, Gap, GapKind, Verdict } from '../../src/core/model.js'
import { WHOLE_BACKEND } from '../../src/core/model.js'
import { defuseWorkflowCommands } from '../../src/render/escape.js'
import { renderText, renderTextPieces, type TextOptions } from '../../src/render/text.js'
import { gapOf, verdictOf } from '../helpers/verdicts.js'

/**
 * renderText as it was before it was streamed (commit 4f87708), kept as the oracle: every line
 * joined into one string, defused as a whole, trailing blank lines cut. Changed since only where
 * the report's content changed on purpose: a pytest skip line shown once, exemptions by skip reason.
 */
function renderTextWhole(verdict: Verdict, options: TextOptions): string {
  const KIND_ORDER: GapKind[] = ['no-report', 'empty', 'too-few', 'failed', 'errored', 'missing', 'skipped', 'flaky']
  const safe = (text: string) => text.replace(/\r\n?|\n|\u2028|\u2029/g, ' ⏎ ').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')
  const table = (rows: string[][]) => {
    const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? []
    return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  '))
  }
  const gapLines = (gap: Gap) => {
    const where = gap.file === undefined ? '' : `  (${safe(gap.file)}${gap.line === undefined ? '' : `:${gap.line}`})`
    const test = gap.test === WHOLE_BACKEND ? '(every test)' : safe(gap.test)
    const out = [`  ${test}  [${safe(gap.backend)}]${where}`, `      ${safe(gap.reason)}`]
    if (gap.message !== undefined) {
      let shown = gap.message.split('\n')
      if (shown[0] && shown[1]?.endsWith(`: ${shown[0]}`) && /:\d+: /.test(shown[1])) shown = shown.slice(1)
      for (const line of shown.slice(0, 6)) out.push(`      | ${safe(line)}`)
    }
    return out
  }
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
    const where = e.noBackend === true ? ' on no configured backend' : e.backends.length > 0 ? ` on ${e.backends.join(', ')}` : ''
    const scope =
      e.skipReason !== undefined && e.test === '*'
        ? `tests whose skip matches /${safe(e.skipReason)}/${where === '' ? '' : ` run${where}`}`
        : `${safe(e.test)}${where === '' ? '' : ` runs${where}`}${e.skipReason === undefined ? '' : `, skips matching /${safe(e.skipReason)}/`}`
    lines.push(`exemption used: ${scope} (${safe(e.reason)}): ${e.excused.length} test(s)`)
  }
  for (const e of review) lines.push(paint('33', `exemption ${e.state}: ${safe(e.test)} (${safe(e.reason)})${e.until === undefined ? '' : ` until ${e.until}`}`))
  if (verdict.crossLeg.length > 0) {
    lines.push(`${verdict.crossLeg.length} test(s) name one backend but sit in another backend's reports: not counted for either`)
    for (const c of verdict.crossLeg.slice(0, 20)) lines.push(`  ${safe(c.test)}  [names ${safe(c.namedBackend)}, found in ${safe(c.foundIn)}]`)
  }
  if (verdict.unassigned > 0) lines.push(`${verdict.unassigned} test(s) in shared reports name no backend: not counted`)
  return `${defuseWorkflowCommands(lines.join('\n')).replace(/\n+$/, '')}\n`
}


const gap = gapOf

const COLOURS: TextOptions[] = [{ colour: false }, { colour: true }]

/** The hostile texts: control characters, every line break, workflow commands old and new. */
const HOSTILE = [
  '::error::forged',
  '::set-output name=conclusion::success',
  '::stop-commands::token',
  '  \t::warning file=x::indented',
  '\u00a0\u2003::notice::unicode spaces',
  'x ##[error]old style',
  '##[set-output name=conclusion;]success',
  'a\n::error::after a line feed',
  'a\r::error::after a carriage return',
  'a\r\n::error::after CRLF',
  'a\u2028::error::after a line separator',
  'a\u2029##[error]after a paragraph separator',
  '\u0085::error::after NEL',
  't1\x1b]0;title\x07\x1b[2J\x9b31m',
  'PASS  forged headline\nFAIL',
  '#',
  ':',
  '##',
  '[',
  '',
  ' ',
  '\u00a0',
  '\n\n\n',
  '🐘 名前 "quoted" \\ back'
]

/** Joins the pieces, checking that each ends a line (so each was defused as whole lines). */
function joined(verdict: Verdict, options: TextOptions, pieceLength?: number): { text: string; pieces: string[] } {
  const pieces = [...renderTextPieces(verdict, options, pieceLength)]
  for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true)
  return { text: pieces.join(''), pieces }
}

describe('renderTextPieces', () => {
  it('joins to exactly the one-string rendering: empty, passing and every section', () => {
    const full = verdictOf({
      gaps: [gap(WHOLE_BACKEND, { kind: 'no-report' }), gap('a', { kind: 'failed', message: 'm1\nm2\n\n::error::m4\nm5\nm6\nm7', file: 'f.py', line: 3 }), gap('b')],
      errors: [{ message: 'r.xml:1:1: bad' }],
      flaky: [{ test: 'f', backend: 'sqlite' }],
      exemptions: [
        { test: 'e1', backends: ['sqlite'], reason: 'r', state: 'used', excused: ['x'] },
        { test: 'e2', backends: ['sqlite'], reason: 'r', state: 'expired', until: '2025-01-01', excused: [] }
      ],
      crossLeg: Array.from({ length: 25 }, (_, i) => ({ test: `c${i}`, namedBackend: 'sqlite', foundIn: 'postgres' })),
      unassigned: 4
    })
    for (const options of COLOURS) {
      for (const v of [verdictOf({ conclusion: 'success', title: 'all good', backends: [] }), verdictOf(), full]) {
        for (const pieceLength of [undefined, 1, 7, 64]) expect(joined(v, options, pieceLength).text).toBe(renderTextWhole(v, options))
        expect(renderText(v, options)).toBe(renderTextWhole(v, options))
      }
    }
  })

  it('hostile names, reasons, messages and files: byte-identical at every piece size, no command line left', () => {
    const gaps = HOSTILE.flatMap((text, i) => [
      gap(`${text} ${i}`, { message: `first\n${text}\n${text}`, reason: text, file: `t/${text}.py`, line: i }),
      gap(text, { kind: 'failed', backend: text, reason: '' }),
      gap(text, { kind: 'skipped', reason: '\u00a0', message: text })
    ])
    const verdict = verdictOf({
      title: HOSTILE.join(''),
      backends: [{ name: HOSTILE.join(' '), files: 1, tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 }],
      gaps,
      errors: HOSTILE.map((text) => ({ file: `${text}.xml`, message: `${text}.xml:1:1: ${text}` })),
      flaky: HOSTILE.map((text) => ({ test: text, backend: text })),
      // backends and until are printed as they are (config text): raw line breaks reach the output.
      exemptions: [
        ...HOSTILE.map((text): ExemptionReport => ({ test: text, backends: [text, 'sqlite'], reason: text, state: 'used', excused: [] })),
        ...HOSTILE.map((text): ExemptionReport => ({ test: text, backends: ['sqlite'], reason: text, state: 'stale', until: `${text}\n::error::u\n\n`, excused: [] }))
      ],
      crossLeg: HOSTILE.slice(0, 20).map((text) => ({ test: text, namedBackend: text, foundIn: text }))
    })
    for (const options of COLOURS) {
      const whole = renderTextWhole(verdict, options)
      expect(renderText(verdict, options)).toBe(whole)
      for (let pieceLength = 1; pieceLength <= 400; pieceLength += 13) expect(joined(verdict, options, pieceLength).text).toBe(whole)
      expect(joined(verdict, options).text).toBe(whole)
      const commandLines = whole.split(/\r\n|\r|\n/).filter((line) => /^[\s\u0085]*::/.test(line) || line.includes('##['))
      expect(commandLines).toEqual([])
    }
  })

  it('a "::" line after a whitespace-only line at a cut: defused in the next piece, same text', () => {
    // Gap line pairs: a whitespace-only reason line, then a name line starting "::". Across piece
    // sizes some cut falls right between them: the whole-text regex matched from the blank line.
    const verdict = verdictOf({ gaps: Array.from({ length: 3000 }, (_, i) => gap(i % 2 === 0 ? '::error::x' : `::warning::${'y'.repeat(i % 50)}`, { reason: '\u00a0 ' })) })
    let spanned = 0
    for (const pieceLength of [100, 1000, 1 << 12, 1 << 16]) {
      for (let shift = 0; shift < 8; shift++) {
        const v = { ...verdict, title: 't'.repeat(shift) }
        const { text, pieces } = joined(v, { colour: false }, pieceLength)
        expect(text).toBe(renderTextWhole(v, { colour: false }))
        for (let i = 1; i < pieces.length; i++) {
          if (/\n[\s\u00a0]+\n$/.test(pieces[i - 1] as string) && (pieces[i] as string).startsWith('  :\u200b:')) spanned++
        }
      }
    }
    expect(spanned).toBeGreaterThan(10)
  })

  it('trailing blank lines at a cut: the report still ends with one line break', () => {
    // A kind section ends with a blank line; an "until" with its own trailing line breaks ends the report.
    for (let n = 1; n < 40; n++) {
      const v = verdictOf({
        gaps: Array.from({ length: n }, (_, i) => gap(`t${i}`)),
        exemptions: n % 2 === 0 ? [] : [{ test: 'e', backends: ['sqlite'], reason: 'r', state: 'stale', until: 'soon\n\n\n', excused: [] }]
      })
      for (const pieceLength of [1, 10, 50, 97, 200]) {
        const { text } = joined(v, { colour: false }, pieceLength)
        expect(text).toBe(renderTextWhole(v, { colour: false }))
        expect(text.endsWith('\n') && !text.endsWith('\n\n')).toBe(true)
      }
    }
  })

  it('a large verdict goes out in bounded pieces (about 64 K code units each), never as one string', () => {
    const v = verdictOf({ gaps: Array.from({ length: 50_000 }, (_, i) => gap(`storage.test_rows › test_row_${i}[case-${i % 97}]`)) })
    const { text, pieces } = joined(v, { colour: false })
    expect(text).toBe(renderTextWhole(v, { colour: false }))
    expect(pieces.length).toBeGreaterThan(50)
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan((1 << 16) + 200)
  })

  it('any report text: the same bytes as the one-string rendering, whatever the piece size', () => {
    const atom = fc.constantFrom('::', ':', '##[', '#', '[', ' ', '\t', '\u00a0', '\u2003', '\n', '\r', '\r\n', '\u2028', '\u2029', '\u0085', '\x1b', '\x9b', 'a', 'PASS', '🐘', '')
    const text = fc.oneof(fc.array(atom, { maxLength: 8 }).map((a) => a.join('')), fc.string({ maxLength: 6 }))
    const kind = fc.constantFrom<GapKind>('no-report', 'empty', 'too-few', 'failed', 'errored', 'missing', 'skipped', 'flaky')
    const gapArb = fc.record({
      test: fc.oneof(text, fc.constant(WHOLE_BACKEND)),
      backend: text,
      kind,
      reason: text,
      message: fc.option(text, { nil: undefined }),
      file: fc.option(text, { nil: undefined }),
      line: fc.option(fc.nat(), { nil: undefined }),
      others: fc.constant({})
    })
    const verdictArb = fc.record({
      conclusion: fc.constantFrom<'success' | 'failure'>('success', 'failure'),
      title: text,
      gaps: fc.array(gapArb, { maxLength: 12 }),
      errors: fc.array(fc.record({ message: text }), { maxLength: 2 }),
      flaky: fc.array(fc.record({ test: text, backend: text }), { maxLength: 2 }),
      exemptions: fc.array(
        fc.record({
          test: text,
          backends: fc.array(text, { maxLength: 2 }),
          reason: text,
          state: fc.constantFrom<'used' | 'unused' | 'expired' | 'stale'>('used', 'unused', 'expired', 'stale'),
          until: fc.option(text, { nil: undefined }),
          excused: fc.constant<string[]>([])
        }),
        { maxLength: 2 }
      ),
      crossLeg: fc.array(fc.record({ test: text, namedBackend: text, foundIn: text }), { maxLength: 2 }),
      unassigned: fc.nat({ max: 2 })
    })
    fc.assert(
      fc.property(verdictArb, fc.boolean(), fc.integer({ min: 1, max: 120 }), (parts, colour, pieceLength) => {
        // Exact optional fields: an absent key, not one set to undefined.
        const gaps = parts.gaps.map((g) => Object.fromEntries(Object.entries(g).filter(([, value]) => value !== undefined)) as unknown as Gap)
        const v = verdictOf({ ...parts, gaps })
        const whole = renderTextWhole(v, { colour })
        expect([...renderTextPieces(v, { colour }, pieceLength)].join('')).toBe(whole)
        expect(renderText(v, { colour })).toBe(whole)
      }),
      { numRuns: 2000 }
    )
  })
})
