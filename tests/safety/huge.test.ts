// Huge reports, one after another in this file (they share the machine with nothing else in it):
// each runs through the real CLI in a child process, with wall time and peak RSS asserted.
// Bounds are about 4x what was measured on a 2-core machine with Node 20, for a loaded CI runner.
// Generated files are streamed to a temp dir and deleted after each test.
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { JOB_SUMMARY_LIMIT } from '../../src/render/markdown.js'
import {
  backends,
  bigOutputReport,
  cliChild,
  gapsOf,
  hugeFailureMessage,
  logMeasure,
  manyTestcases,
  namesOnly,
  PASSING_REPORT,
  removeWorkspace,
  verdictOf,
  workspace,
  writeStreamed
} from './helpers.js'
import { markdownProblems } from './markdown-checks.js'

const made: string[] = []
afterEach(async () => {
  for (const dir of made.splice(0)) await removeWorkspace(dir)
})

async function tempWorkspace(): Promise<string> {
  const dir = await workspace()
  made.push(dir)
  return dir
}

const SECRET_URL = 'postgres://app:Hunter2-Very-Secret@db.internal:5432/app'
const MB = 1024 * 1024

describe.sequential('huge and hostile reports, measured', () => {
  it('a 1 GB report (20,000 testcases with 50 KB of output each): read to the end, exact verdict, < 512 MB', { timeout: 240_000 }, async () => {
    const ws = await tempWorkspace()
    const cases = 20_000
    const bytes = await writeStreamed(path.join(ws, 'reports/sqlite/big.xml'), bigOutputReport(1024 * MB, cases, `could not connect to ${SECRET_URL}`))
    await writeStreamed(path.join(ws, 'reports/postgres/small.xml'), namesOnly(cases))
    expect(bytes).toBeGreaterThan(1000 * MB)
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('1 GB report', run)
    // Measured: 5.7-10 s, 95 MB.
    expect(run.peakMb).toBeLessThan(512)
    expect(run.seconds).toBeLessThan(60)
    expect(run.code).toBe(1)
    const verdict = verdictOf(run)
    expect(verdict.conclusion).toBe('failure')
    expect(verdict.errors).toEqual([])
    expect(verdict.tests).toBe(cases)
    expect(gapsOf(verdict)).toEqual([`failed sqlite storage.test_rows › test_${cases - 1}`])
    expect(verdict.gaps[0]?.message).toBe('last one\ncould not connect to postgres://app:***@db.internal:5432/app')
    expect(run.stdout + run.stderr).not.toContain('Hunter2')
  })

  it('1,000,000 testcases per backend: one failure and one missing test found exactly, < 768 MB', { timeout: 240_000 }, async () => {
    const ws = await tempWorkspace()
    const count = 1_000_000
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), manyTestcases(count, count))
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), manyTestcases(count, 0, (i) => i === 500_000))
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('1M testcases', run)
    // Measured: 5.8 s, 163 MB.
    expect(run.peakMb).toBeLessThan(768)
    expect(run.seconds).toBeLessThan(60)
    expect(run.code).toBe(1)
    const verdict = verdictOf(run)
    expect(verdict.tests).toBe(count)
    expect(verdict.backends.map((b) => [b.name, b.tests, b.passed, b.failed])).toEqual([
      ['sqlite', count, count - 1, 1],
      ['postgres', count - 1, count - 1, 0]
    ])
    expect(gapsOf(verdict)).toEqual([
      `failed sqlite storage.test_rows › test_row_${count - 1}[case-${(count - 1) % 97}]`,
      `missing postgres storage.test_rows › test_row_500000[case-${500_000 % 97}]`
    ])
  })

  it('1,000,000 tests missing on one backend: the Markdown stays within 1 MiB and valid, < 1.5 GB', { timeout: 240_000 }, async () => {
    const ws = await tempWorkspace()
    const count = 1_000_000
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), manyTestcases(count))
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), manyTestcases(1))
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml', 'markdown'))
    logMeasure('1M gaps, markdown', run)
    // Measured: 6.7 s, 714 MB (the engine's million gap records; before rows were built lazily: 1.16 GB).
    expect(run.peakMb).toBeLessThan(1536)
    expect(run.seconds).toBeLessThan(60)
    expect(run.code).toBe(1)
    expect(Buffer.byteLength(run.stdout)).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT)
    expect(Buffer.byteLength(run.stdout)).toBeGreaterThan(JOB_SUMMARY_LIMIT - 4096)
    expect(markdownProblems(run.stdout, JOB_SUMMARY_LIMIT)).toEqual([])
    expect(run.stdout).toMatch(/\*\*…and \d{6} more gaps, 2 backends not shown here \(size limit\)\.\*\*\n$/)
    const shown = run.stdout.split('\n').filter((l) => l.includes('❔ missing')).length
    expect(run.stdout).toContain(`…and ${count - 1 - shown} more gaps`)
  })

  it('1,000,000 tests missing on one backend: the text report is written in pieces, every gap in it, < 1.1 GB', { timeout: 240_000 }, async () => {
    const ws = await tempWorkspace()
    const count = 1_000_000
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), manyTestcases(count))
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), manyTestcases(1))
    const run = await cliChild(ws, [...backends('reports/sqlite/*.xml', 'reports/postgres/*.xml', 'text'), '--output', 'report.txt'])
    logMeasure('1M gaps, text', run)
    // Measured: 6.5 s, 770 MB (--format json: 755 MB). As one joined string: 1.5 GB. The bound is
    // 1.5x, not this file's usual 3-4x: it must fail if the report is held as one string again.
    expect(run.peakMb).toBeLessThan(1152)
    expect(run.seconds).toBeLessThan(60)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    const file = path.join(ws, 'report.txt')
    const { size } = await stat(file)
    expect(size).toBeGreaterThan(100 * MB)
    const handle = await open(file)
    const head = Buffer.alloc(4096)
    const tail = Buffer.alloc(4096)
    await handle.read(head, 0, head.length, 0)
    await handle.read(tail, 0, tail.length, size - tail.length)
    await handle.close()
    const gaps = count - 1
    expect(head.toString('utf8')).toMatch(new RegExp(`^FAIL {2}${gaps} gaps: ${gaps} tests missing on postgres\n\n`))
    expect(head.toString('utf8')).toContain(`\n\nmissing (${gaps})\n  storage.test_rows › test_row_1[case-1]  [postgres]\n      never ran on postgres (passed on sqlite)\n`)
    // The last gap in id order, then exactly one line break (a cut character at the tail's start is harmless).
    expect(tail.toString('utf8').endsWith(`\n  storage.test_rows › test_row_999999[case-${999_999 % 97}]  [postgres]\n      never ran on postgres (passed on sqlite)\n`)).toBe(true)
    // Every line and nothing more: title, blank, 3 table rows, blank, the kind heading, 2 lines a gap.
    let lines = 0
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++
    }
    expect(lines).toBe(7 + 2 * gaps)
  })

  it('a 100 MB failure message: the gap keeps 12 lines, the secret before it is masked, < 256 MB', { timeout: 120_000 }, async () => {
    const ws = await tempWorkspace()
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), hugeFailureMessage(100 * MB, SECRET_URL))
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), ['<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="t2"/></testsuite>'])
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('100 MB failure message', run)
    // Measured: 1.2 s, 62 MB.
    expect(run.peakMb).toBeLessThan(256)
    expect(run.seconds).toBeLessThan(30)
    expect(run.code).toBe(1)
    const verdict = verdictOf(run)
    expect(gapsOf(verdict)).toEqual(['failed sqlite s › c › t1'])
    const message = verdict.gaps[0]?.message ?? ''
    expect(message.split('\n')).toEqual(['boom', 'connecting to postgres://app:***@db.internal:5432/app', ...Array(10).fill('x'.repeat(99)), '…'])
    expect(run.stdout + run.stderr).not.toContain('Hunter2')
  })

  it('a 1 MB attribute (a test name): read exactly, the verdict names it, < 256 MB', async () => {
    const ws = await tempWorkspace()
    const longName = `test_${'n'.repeat(MB)}`
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), [`<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="${longName}"/></testsuite>`])
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), [PASSING_REPORT])
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('1 MB attribute', run)
    expect(run.peakMb).toBeLessThan(256)
    expect(run.seconds).toBeLessThan(20)
    expect(run.code).toBe(1)
    expect(gapsOf(verdictOf(run))).toEqual([`missing postgres s › c › ${longName}`])
    // The Markdown job summary clips the name; it stays valid and within its limit.
    const md = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml', 'markdown'))
    expect(md.code).toBe(1)
    expect(markdownProblems(md.stdout, JOB_SUMMARY_LIMIT)).toEqual([])
    expect(Buffer.byteLength(md.stdout)).toBeLessThan(8192)
  })

  it.each([
    ['an attribute value', '<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="', '"/></testsuite>', 'an attribute value, name or processing instruction is longer than 8388608 characters (refused to keep memory bounded)'],
    ['an element name', '<testsuite name="s"><testcase classname="c" name="t1"/><x', '/></testsuite>', 'an attribute value, name or processing instruction is longer than 8388608 characters (refused to keep memory bounded)'],
    ['a processing instruction', '<testsuite name="s"><testcase classname="c" name="t1"/><?pi ', '?></testsuite>', 'an attribute value, name or processing instruction is longer than 8388608 characters (refused to keep memory bounded)'],
    ['a DOCTYPE internal subset', '<!DOCTYPE x [<!ENTITY e "', '">]><testsuite name="s"/>', 'a DOCTYPE is not allowed in a JUnit report (entities and DTDs are refused, never expanded)']
  ])('64 MB in %s: refused after the first chunks, naming the file, < 160 MB', { timeout: 60_000 }, async (_what, head, tail, reason) => {
    const ws = await tempWorkspace()
    const chunk = 'a'.repeat(MB)
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), [head, ...Array<string>(64).fill(chunk), tail])
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), [PASSING_REPORT])
    expect((await stat(path.join(ws, 'reports/sqlite/junit.xml'))).size).toBeGreaterThan(64 * MB)
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure(`64 MB ${_what}`, run)
    // Measured: 0.3 s, 85 MB (before the bound: 300 MB of it took 680 MB to 1.9 GB).
    expect(run.peakMb).toBeLessThan(160)
    expect(run.seconds).toBeLessThan(15)
    expect(run.code).toBe(2)
    const verdict = verdictOf(run)
    expect(verdict.conclusion).toBe('failure')
    expect(verdict.errors).toHaveLength(1)
    expect(verdict.errors[0]?.message).toMatch(new RegExp(`^reports/sqlite/junit\\.xml:1:\\d+: ${reason.replace(/[()]/g, '\\$&')}$`))
  })

  it('a 200 MB CDATA block and a 200 MB comment are streamed past, not held: success, < 256 MB', { timeout: 120_000 }, async () => {
    const ws = await tempWorkspace()
    const chunk = 'z'.repeat(MB)
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), [
      '<testsuite name="s"><testcase classname="c" name="t1"><system-out><![CDATA[',
      ...Array<string>(200).fill(chunk),
      ']]></system-out></testcase><!--',
      ...Array<string>(200).fill(chunk),
      '--></testsuite>'
    ])
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), [PASSING_REPORT])
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('400 MB CDATA + comment', run)
    expect(run.peakMb).toBeLessThan(256)
    expect(run.seconds).toBeLessThan(40)
    expect(run.code).toBe(0)
    expect(verdictOf(run)).toMatchObject({ conclusion: 'success', tests: 1, errors: [], gaps: [] })
  })

  it('64 nested suites around 100,000 testcases of 10 alternating classes (once the slowest shape per byte)', { timeout: 120_000 }, async () => {
    const ws = await tempWorkspace()
    const open = Array.from({ length: 64 }, (_, d) => `<testsuite name="suite_level_${d}_${'q'.repeat(50)}">`).join('')
    const body = function* (): Generator<string> {
      yield `<testsuites>${open}\n`
      for (let i = 0; i < 100_000; i++) yield `<testcase classname="c${i % 10}" name="t${i}"/>\n`
      yield `${'</testsuite>'.repeat(64)}</testsuites>\n`
    }
    await writeStreamed(path.join(ws, 'reports/sqlite/junit.xml'), body())
    await writeStreamed(path.join(ws, 'reports/postgres/junit.xml'), body())
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    logMeasure('64-deep suites, 2 x 100,000 testcases', run)
    // Measured: 1.1 s, 84 MB for 2 x 4 MB. Before prefixes were remembered per suite path, each
    // testcase rebuilt its 64-suite id prefix once the classes alternated beyond the recent few:
    // 7.1 s for the same files (about 0.5 MB/s).
    expect(run.peakMb).toBeLessThan(256)
    // 5 s: room for a loaded runner, and still under what the rebuild-per-testcase code took.
    expect(run.seconds).toBeLessThan(5)
    expect(run.code).toBe(0)
    expect(verdictOf(run)).toMatchObject({ conclusion: 'success', tests: 100_000, errors: [] })
  })
})
