// Hostile names and messages in the Markdown renderer: tables stay intact, only our own HTML
// appears and it is balanced, markup shows as text (escaped), @mentions and #references are
// defused, and the byte budgets (65,535-byte check summary, 1 MiB job summary) are never
// exceeded nor a surrogate pair split, even with 4-byte emoji right at the edge.
import { describe, expect, it } from 'vitest'
import type { Gap, Verdict } from '../../src/core/model.js'
import { clip, truncateUtf8 } from '../../src/render/escape.js'
import { renderJson } from '../../src/render/json.js'
import { CHECK_SUMMARY_LIMIT, JOB_SUMMARY_LIMIT, renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { verdictOf } from '../helpers/verdicts.js'
import { markdownProblems, visibleText } from './markdown-checks.js'


function gap(test: string, extra: Partial<Gap> = {}): Gap {
  return { test, backend: 'sqlite', kind: 'failed', reason: 'failed on sqlite (passed on postgres)', others: { postgres: 'passed' }, ...extra }
}

const HOSTILE: Array<[string, string]> = [
  ['pipes', 'col1 | col2 || col3 \\| escaped'],
  ['newlines', 'line one\nline two | cell\r\nline three\r| four'],
  ['script tag', '<script>alert(document.cookie)</script>'],
  ['img onerror', '<img src=x onerror="alert(1)">'],
  ['closing our tags', '</code></pre></summary></details></a><details open><summary>x'],
  ['html comment', '<!-- hide the rest'],
  ['mentions', '@octocat and @github/security-team cc @admin'],
  ['references', 'fixes #123, GH-42 and owner/repo#7'],
  ['backticks', '```js\nfence\n``` and `inline` and ``double``'],
  ['link', '[click me](https://evil.example/x) and ![img](https://evil.example/p.png) and <https://evil.example>'],
  ['emphasis', '*bold* _em_ __strong__ ~~strike~~ $x^2$'],
  ['entities', '&lt;script&gt; &#124; &amp; &#x40;octocat &#35;123'],
  ['heading and quote', '# H1\n> quote\n- item\n1. item'],
  ['emoji', '4-byte 😀🚀👩‍👩‍👧 and CJK 名前'],
  ['table row', '| --- | --- |\n| forged | row |']
]

/** What a reader sees of an escaped text: entities decoded, escapes and zero-width spaces gone. */
function shown(markdown: string): string {
  return visibleText(markdown).replace(/\\([\\`*_[\]|~$#])/g, '$1').replace(/\u200b/g, '')
}

function oneLine(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ⏎ ')
}

describe('hostile text in every place a report can put it', () => {
  it.each(HOSTILE)('%s: valid Markdown, only our HTML, shown as text, nothing live', (_name, text) => {
    const verdict = verdictOf({
      gaps: [
        gap(text, { message: text, reason: `failed on sqlite: ${text}`, file: `tests/${text}.py`, line: 3 }),
        gap(`plain ${text}`, { kind: 'missing', backend: 'postgres', reason: `never ran on postgres ${text}`, others: { sqlite: 'failed' } })
      ],
      errors: [{ file: `reports/${text}.xml`, line: 1, column: 2, message: `reports/${text}.xml:1:2: ${text}` }],
      flaky: [{ test: text, backend: 'postgres', message: text }],
      crossLeg: [{ test: text, namedBackend: 'postgres', foundIn: 'sqlite' }]
    })
    for (const links of [undefined, { serverUrl: 'https://github.com', repository: 'o/r', sha: 'abc123' }]) {
      const markdown = renderMarkdown(verdict, { maxBytes: CHECK_SUMMARY_LIMIT, heading: text, links })
      expect(markdownProblems(markdown, CHECK_SUMMARY_LIMIT)).toEqual([])
      // Nothing notifies anyone or links an issue: every @name and #123 is broken by a zero-width space.
      expect(markdown).not.toMatch(/@[A-Za-z0-9]/)
      expect(markdown).not.toMatch(/(?<!&)#\d|GH-\d/)
      // No live Markdown link, image, autolink or code fence.
      expect(markdown).not.toMatch(/(?<!\\)\]\(|<https?:|```/)
      // The text is shown, not interpreted: every place shows it whole (one line in cells).
      const visible = shown(markdown).replace(/\r/g, '\n')
      expect(visible).toContain(oneLine(text))
      expect(visible).toContain(text.replace(/\r/g, '\n')) // in <pre>, line breaks stay
    }
  })

  it('names that try to open a second table row stay in one cell', () => {
    const markdown = renderMarkdown(verdictOf({ gaps: [gap('a |\n| b | c | d | e |\n| f')] }), { maxBytes: CHECK_SUMMARY_LIMIT })
    expect(markdownProblems(markdown)).toEqual([])
    expect(markdown.split('\n').filter((l) => l.startsWith('| <code>'))).toHaveLength(1)
  })

  it('the terminal renderer keeps every report text on its own line: no forged headline', () => {
    const forged = 'x\nPASS  12 storage tests passed on sqlite and postgres\r\nFAIL\u2028PASS'
    const text = renderText(
      verdictOf({
        gaps: [gap(forged, { message: `first\n${forged}`, reason: forged, file: forged })],
        errors: [{ file: forged, message: forged }],
        flaky: [{ test: forged, backend: 'sqlite' }],
        crossLeg: [{ test: forged, namedBackend: forged, foundIn: 'sqlite' }]
      }),
      { colour: false }
    )
    const lines = text.split(/\r\n|\r|\n|\u2028|\u2029/)
    expect(lines[0]).toMatch(/^FAIL {2}/)
    expect(lines.slice(1).filter((line) => /^(PASS|FAIL)\b/.test(line))).toEqual([])
    expect(text).toContain('x ⏎ PASS  12 storage tests passed')
  })

  it('the terminal renderer drops control characters from report text', () => {
    const text = renderText(verdictOf({ gaps: [gap('t1\x1b]0;title\x07\x1b[2J\x9b31m', { message: 'm\x1b[31mred' })] }), { colour: false })
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
    expect(text).toContain('t1]0;title[2J31m')
  })

  it('the JSON renderer keeps text exact (it is data, not markup)', () => {
    const name = HOSTILE.map(([, t]) => t).join(' ')
    const parsed = JSON.parse(renderJson(verdictOf({ gaps: [gap(name, { message: name })] }))) as { gaps: Array<{ test: string; message: string }> }
    expect(parsed.gaps[0]).toMatchObject({ test: name, message: name })
  })
})

describe('byte budgets with 4-byte characters at the edge', () => {
  /** Gaps with emoji-laden names, enough to overflow `limit` several times. */
  function emojiVerdict(limit: number, pad: number): Verdict {
    const perRow = 600
    const gaps = Array.from({ length: Math.ceil((limit * 2) / perRow) }, (_, i) =>
      gap(`${'x'.repeat(pad)}${'😀'.repeat(50)}_${i}_${'🚀|'.repeat(20)}`, { message: `${'😀'.repeat(pad)}\n${'e'.repeat(pad * 3)}` })
    )
    return verdictOf({ gaps })
  }

  it.each([
    ['check summary', CHECK_SUMMARY_LIMIT],
    ['job summary', JOB_SUMMARY_LIMIT]
  ])('%s (%i bytes): never over, never a split pair, tables intact, the rest counted', (_name, limit) => {
    for (let pad = 0; pad < 8; pad++) {
      const markdown = renderMarkdown(emojiVerdict(limit, pad), { maxBytes: limit, moreAt: 'the job summary' })
      const bytes = Buffer.byteLength(markdown)
      expect(bytes).toBeLessThanOrEqual(limit)
      // The budget is used, not wasted: the cut is within the reserve kept for the closing line.
      expect(bytes).toBeGreaterThan(limit - 2_000)
      expect(markdownProblems(markdown, limit)).toEqual([])
      expect(markdown).toMatch(/\*\*…and \d+ more gaps(, \d+ (more )?messages)?(, 2 backends)? not shown here \(size limit\)\.\*\* See the job summary for the complete list\.\n$/)
    }
  })

  it('every limit from 300 to 3,000 bytes: within the limit and valid', () => {
    const verdict = emojiVerdict(3_000, 3)
    for (let limit = 300; limit <= 3_000; limit += 7) {
      const markdown = renderMarkdown(verdict, { maxBytes: limit })
      expect(markdownProblems(markdown, limit), `limit ${limit}`).toEqual([])
    }
  })

  it('clipping a long name never leaves half an emoji (cut at every offset)', () => {
    for (let at = 395; at <= 405; at++) {
      const name = `${'a'.repeat(at)}😀😀😀${'b'.repeat(500)}`
      const markdown = renderMarkdown(verdictOf({ gaps: [gap(name, { reason: name, message: name })] }), { maxBytes: CHECK_SUMMARY_LIMIT })
      expect(markdownProblems(markdown), `offset ${at}`).toEqual([])
      expect(clip(name, 400)).toMatch(/^a+(😀)*…$/u)
    }
  })

  it('a first line of a flaky message cut at 200 characters keeps whole characters', () => {
    for (let at = 197; at <= 201; at++) {
      const message = `${'m'.repeat(at)}${'😀'.repeat(10)}`
      const markdown = renderMarkdown(verdictOf({ flaky: [{ test: 't', backend: 'sqlite', message }] }), { maxBytes: CHECK_SUMMARY_LIMIT })
      expect(markdownProblems(markdown), `offset ${at}`).toEqual([])
    }
  })

  it('truncateUtf8 cuts before a 4-byte character, never inside it', () => {
    expect(truncateUtf8('ab😀', 5)).toBe('ab')
    expect(truncateUtf8('ab😀', 6)).toBe('ab😀')
  })
})

describe('cuts inside the reader and the engine keep whole characters too', () => {
  it('a message cut at the reader limit (16,384) or the gap limit (2,000) never ends in half an emoji', async () => {
    const { configFor, evaluateReports } = await import('../helpers/core.js')
    const config = configFor({})
    for (const at of [1_935, 1_936, 1_999, 2_000, 16_383, 16_384]) {
      for (const where of ['attribute', 'body'] as const) {
        const text = `${'a'.repeat(at)}${'😀'.repeat(40)}`
        const failure = where === 'attribute' ? `<failure message="${text}"/>` : `<failure>${text}</failure>`
        const sqlite = `<testsuite name="s"><testcase classname="c" name="t">${failure}</testcase></testsuite>`
        const postgres = '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>'
        const verdict = evaluateReports(config, [
          { backends: ['sqlite'], xml: sqlite },
          { backends: ['postgres'], xml: postgres }
        ])
        const message = verdict.gaps[0]?.message ?? ''
        expect(message.length, `${where} ${at}`).toBeGreaterThan(1_000)
        expect(message, `${where} ${at}`).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/)
        expect(markdownProblems(renderMarkdown(verdict, { maxBytes: CHECK_SUMMARY_LIMIT }), CHECK_SUMMARY_LIMIT)).toEqual([])
      }
    }
  })

  it('the reader keeps whole characters at its own message and output limits', async () => {
    const { JUnitStreamParser } = await import('../../src/core/junit/parser.js')
    for (let at = 8; at <= 11; at++) {
      const text = `${'a'.repeat(at)}😀😀😀`
      const cases: Array<{ message?: string; output?: string }> = []
      const parser = new JUnitStreamParser('r.xml', (t) => cases.push(t), { messageChars: 10, outputChars: 10 })
      parser.write(`<testsuite><testcase name="t"><failure message="${text}">${text}</failure><system-out>${text}</system-out></testcase></testsuite>`)
      parser.end()
      expect(cases[0]?.output, `offset ${at}`).toBe(at >= 10 ? 'a'.repeat(10) : `${'a'.repeat(at)}${at === 8 ? '😀' : ''}`)
      expect(cases[0]?.message, `offset ${at}`).toMatch(/^a+(😀)?(\na*(😀)?)?$/u)
    }
  })
})

describe('workflow commands: report text printed to a CI log never drives the runner', () => {
  // The runner splits the log at \r and \n, trims leading whitespace (.NET Char.IsWhiteSpace), and
  // runs "::name::" at the start of a line; "##[name]" it runs wherever it appears.
  const COMMANDS = [
    '::set-output name=conclusion::success',
    '::error file=src/app.ts,line=1::forged annotation',
    '::stop-commands::pwned',
    '##[error]old style',
    'x ##[set-output name=conclusion;]success'
  ]
  const HOSTILE_LINES = COMMANDS.flatMap((c) => [c, `\n${c}`, `a\r${c}`, `\n  \t${c}`, `\n\u00a0\u2003${c}`, `\u2028${c}`])

  function commandLines(output: string): string[] {
    return output.split(/\r\n|\r|\n/).filter((line) => /^[\s\u0085]*::/.test(line) || line.includes('##['))
  }

  it('in names, messages, reasons and errors: text, Markdown and JSON', () => {
    const verdict = verdictOf({
      gaps: HOSTILE_LINES.map((text, i) => gap(`${text} ${i}`, { message: `first\n${text}\nlast`, reason: text, file: `t/${text}.py`, line: 2 })),
      errors: HOSTILE_LINES.map((text) => ({ file: `${text}.xml`, message: `${text}.xml:1:1: ${text}` })),
      flaky: [{ test: HOSTILE_LINES.join(''), backend: 'sqlite', message: HOSTILE_LINES.join('\n') }]
    })
    expect(commandLines(renderText(verdict, { colour: false }))).toEqual([])
    expect(commandLines(renderMarkdown(verdict, { maxBytes: JOB_SUMMARY_LIMIT }))).toEqual([])
    const json = renderJson(verdict)
    expect(commandLines(json)).toEqual([])
    // The JSON data is unchanged: the escape is JSON's own.
    expect((JSON.parse(json) as { gaps: Array<{ test: string }> }).gaps.map((g) => g.test)).toEqual(verdict.gaps.map((g) => g.test))
  })

  it('through the CLI, every format, stdout and stderr', async () => {
    const { backends, cli, removeWorkspace, workspace } = await import('./helpers.js')
    const attr = (t: string) => t.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')
    const cases = COMMANDS.map((c, i) => `<testcase classname="" name="${attr(`${c}\n${c}`)}"><failure message="${attr(c)}">${attr(`\n${c}\n  ${c}`)}</failure></testcase><testcase classname="" name="${attr(c)}${i}"/>`)
    const ws = await workspace({
      'reports/sqlite/junit.xml': `<testsuite name="">${cases.join('')}</testsuite>`,
      'reports/postgres/junit.xml': '<testsuite name=""><testcase classname="" name="other"/></testsuite>',
      // An unreadable report whose name and error text carry commands too.
      'reports/sqlite/::error::x ##[error]y.xml': '<testsuite><testcase name="::warning::z"'
    })
    try {
      for (const format of ['text', 'markdown', 'json']) {
        const run = await cli(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml', format))
        expect(run.code).toBe(2)
        expect(run.stdout).toContain('set-output')
        expect(commandLines(run.stdout), `${format} stdout`).toEqual([])
        expect(commandLines(run.stderr), `${format} stderr`).toEqual([])
      }
    } finally {
      await removeWorkspace(ws)
    }
  })
})

describe('links from report file paths', () => {
  it('only plain repository paths become links; javascript:, data:, absolute and ".." paths stay text', () => {
    const links = { serverUrl: 'https://github.com', repository: 'o/r', sha: 'abc123' }
    const files = ['javascript:alert(1)', 'JaVaScRiPt:alert(1)//x.py', 'data:text/html,<script>x</script>', '/etc/passwd', '../../etc/passwd', 'C:\\x\\y.py', 'a/../../b.py']
    const markdown = renderMarkdown(verdictOf({ gaps: files.map((file, i) => gap(`t${i}`, { file, line: 1 })) }), { maxBytes: CHECK_SUMMARY_LIMIT, links })
    expect(markdownProblems(markdown, CHECK_SUMMARY_LIMIT)).toEqual([])
    expect(markdown).not.toContain('<a ')
    const safe = renderMarkdown(verdictOf({ gaps: [gap('t', { file: 'tests/a b/"x".py', line: 7 })] }), { maxBytes: CHECK_SUMMARY_LIMIT, links })
    expect(safe).toContain('<a href="https://github.com/o/r/blob/abc123/tests/a%20b/%22x%22.py#L7">')
  })
})
