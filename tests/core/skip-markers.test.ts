// Skip markers see what a person sees (issue #9): colour codes in every form a report carries
// them are removed before matching, each output line is matched on its own, and system-out and
// system-err are never joined into one line.
import { describe, expect, it } from 'vitest'
import { eachLine, visibleText } from '../../src/core/text-scan.js'
import { configFor, evaluateReports, gapList } from '../helpers/core.js'

const withOutput = (output: string) =>
  `<testsuite name="s"><testcase classname="c" name="upsert">${output}</testcase><testcase classname="c" name="other"/></testsuite>`

function verdictFor(postgresOutput: string) {
  return evaluateReports(configFor({ 'skip-markers': ['^Skipping postgres\\b'] }), [
    { backends: ['sqlite'], xml: withOutput('') },
    { backends: ['postgres'], xml: withOutput(postgresOutput) }
  ])
}

describe('coloured skip lines', () => {
  const forms: Record<string, string> = {
    // The reader's decoder turns a raw ESC or &#27; into U+FFFD before the parser sees it.
    'ESC or &#27; after the decoder (U+FFFD)': '\ufffd[33mSkipping postgres storage tests\ufffd[0m',
    'ESC dropped (vitest)': '[33mSkipping postgres storage tests[39m',
    "pytest's literal #x1B": '#x1B[33mSkipping postgres storage tests#x1B[0m',
    'bold and colour': '\ufffd[1;33mSkipping postgres\ufffd[0m',
    'escaped in text (\\x1b, \\033, \\u001b)': '\\x1b[33m\\033[1m\\u001b[4mSkipping postgres: no DATABASE_URL'
  }
  it.each(Object.entries(forms))('%s', (_, text) => {
    const v = verdictFor(`<system-out>collected 1 item\n${text}\nok</system-out>`)
    expect(gapList(v)).toHaveLength(1)
    expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['skipped postgres'])
    expect(v.gaps[0]?.message).toMatch(/^Skipping postgres/)
  })
})

describe('lines are matched one at a time', () => {
  it('system-out and system-err are not joined into one line', () => {
    const v = verdictFor('<system-out>done</system-out><system-err>Skipping postgres: no server</system-err>')
    expect(v.gaps.map((g) => g.kind)).toEqual(['skipped'])
  })

  it('a CR line ending counts as a line break', () => {
    const v = verdictFor('<system-out>progress 10%&#13;Skipping postgres now</system-out>')
    expect(v.gaps.map((g) => g.kind)).toEqual(['skipped'])
  })

  it('plain text without a marker stays a pass', () => {
    const v = verdictFor('<system-out>[33mrunning postgres[0m\nall good</system-out>')
    expect(v.conclusion).toBe('success')
  })
})

describe('visibleText and eachLine', () => {
  it('keeps brackets that are not colour codes', () => {
    expect(visibleText('test_x[sqlite] [1/3] [a]')).toBe('test_x[sqlite] [1/3] [a]')
    expect(visibleText('\u001b]8;;https://x\u0007link\u001b]8;;\u0007 \ufffd[31mred')).toBe('link red')
  })

  it('splits LF, CRLF and CR', () => {
    expect([...eachLine('a\nb\r\nc\rd')]).toEqual(['a', 'b', 'c', 'd'])
  })

  it('is linear on long runs of brackets, digits and escapes', () => {
    for (const piece of ['[', '[1;', '\u001b[', '\u001b]', '#x1B[', '\\x1b']) {
      const text = piece.repeat(Math.ceil(200_000 / piece.length))
      const started = performance.now()
      visibleText(text)
      expect(performance.now() - started).toBeLessThan(500)
    }
  })
})

describe('markers anywhere in the output, however long (streamed, bounded memory)', () => {
  const filler = (lines: number) => 'x'.repeat(79).concat('\n').repeat(lines)

  it('finds a marker after 4 MB of output (the old reader stopped at 64 Ki characters)', () => {
    const v = verdictFor(`<system-out>${filler(50_000)}Skipping postgres: DATABASE_URL not set\n${filler(10)}</system-out>`)
    expect(v.gaps.map((g) => `${g.kind} ${g.backend} ${g.message}`)).toEqual(['skipped postgres Skipping postgres: DATABASE_URL not set'])
  })

  it('finds a marker in system-err after a long system-out', () => {
    const v = verdictFor(`<system-out>${filler(20_000)}</system-out><system-err>Skipping postgres</system-err>`)
    expect(v.gaps.map((g) => g.kind)).toEqual(['skipped'])
  })

  it('finds a marker inside one 300 000-character line, wherever the windows fall', () => {
    const marker = 'Skipping postgres: no server'
    for (const at of [0, 65_530, 65_536 - 10, 131_000, 299_000]) {
      const line = 'y'.repeat(at) + marker + 'z'.repeat(300_000 - at)
      const v = evaluateReports(configFor({ 'skip-markers': ['Skipping postgres\\b'] }), [
        { backends: ['sqlite'], xml: withOutput('') },
        { backends: ['postgres'], xml: withOutput(`<system-out>${line}</system-out>`) }
      ])
      expect(v.gaps.map((g) => g.kind), `marker at ${at}`).toEqual(['skipped'])
    }
  })

  it('a marker split across CDATA sections and text nodes of one line still matches', () => {
    const v = verdictFor('<system-out>ok\nSkip<![CDATA[ping post]]>gres now\n</system-out>')
    expect(v.gaps.map((g) => g.kind)).toEqual(['skipped'])
  })

  it('the marker must be on one line: a line break inside it is not a marker', () => {
    const v = verdictFor(`<system-out>${filler(2_000)}Skipping\npostgres</system-out>`)
    expect(v.conclusion).toBe('success')
  })

  it('output after a failure is not scanned, and the failure stays', () => {
    const v = verdictFor(`<failure message="boom"/><system-out>${filler(1_000)}Skipping postgres</system-out>`)
    expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['failed postgres'])
  })
})
