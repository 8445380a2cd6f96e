// Many gaps (annotation chunks, the 65,535-byte summary cut) and hostile test names (Markdown injection).
import { describe, expect, it } from 'vitest'
import { pushEvent } from '../helpers/events.js'
import {
  apiRequests,
  assertHtmlBalanced,
  assertTablesIntact,
  CHECK_RUN,
  CHECK_RUNS,
  passing,
  readJson,
  reports,
  runGate,
  startEmulator,
  gapAnnotations
} from './support.js'


const CHECK_SUMMARY_LIMIT = 65_535

describe('200 gaps', () => {
  it('annotations go in chunks of 50 up to max-annotations; the summary is cut at a row boundary', async () => {
    const emulator = await startEmulator()
    // Long names, so 200 gap rows cannot fit in 65,535 bytes.
    const names = Array.from({ length: 200 }, (_, i) => `test_${String(i).padStart(3, '0')}_${'x'.repeat(330)}`)
    const result = await runGate({
      emulator,
      event: pushEvent(),
      files: reports(passing(['common', ...names]), passing(['common'])),
      inputs: { 'max-annotations': 120 }
    })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.warnings).toEqual([])
    expect(result.outputs).toMatchObject({ conclusion: 'failure', gaps: '200', tests: '201' })

    const creates = apiRequests(emulator, 'POST', CHECK_RUNS)
    const patches = apiRequests(emulator, 'PATCH', CHECK_RUN)
    expect(creates).toHaveLength(1)
    type Body = { output: { title: string; summary: string; text?: string; annotations?: unknown[] } }
    const created = creates[0]!.body as Body
    expect(created.output.annotations).toHaveLength(50)
    // 120 gap annotations, then the test inventory (1 part, not counted in max-annotations).
    expect(patches.map((p) => (p.body as Body).output.annotations?.length)).toEqual([50, 21])
    for (const patch of patches) {
      const output = (patch.body as Body).output
      // A PATCH replaces output: title and summary must travel with every chunk.
      expect(output.title).toBe(created.output.title)
      expect(output.summary).toBe(created.output.summary)
      expect(patch.status).toBe(200)
    }
    const run = emulator.checkRuns[0]!
    expect(emulator.checkRuns).toHaveLength(1)
    expect(gapAnnotations(run)).toHaveLength(120)
    expect(run.annotations).toHaveLength(121)
    expect(run.updates).toBe(2)
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: '200 gaps: 200 tests missing on postgres' } })

    const summary = run.output.summary ?? ''
    expect(Buffer.byteLength(summary, 'utf8')).toBeLessThanOrEqual(CHECK_SUMMARY_LIMIT)
    const shown = summary.split('\n').filter((line) => line.startsWith('| <code>')).length
    expect(shown).toBeGreaterThan(0)
    expect(shown).toBeLessThan(200)
    const tail = summary.slice(-600)
    expect(tail).toMatch(new RegExp(`\\n\\*\\*…and ${200 - shown} more gaps(, [^*\\n]+)? not shown here \\(size limit\\)\\.\\*\\* See the job summary and the \`json\` output of this step for the complete list\\.\\n$`))
    assertTablesIntact(summary)
    assertHtmlBalanced(summary)
    // The cut is after a whole row: the line before the table's end is a complete row.
    const rows = summary.split('\n').filter((line) => line.startsWith('|'))
    expect(rows.at(-1)).toMatch(/^\| <code>storage › tests\.storage › test_\d{3}_x+<\/code> \| postgres \| ❔ missing \| sqlite: passed \| never ran on postgres \(passed on sqlite\) \|$/)

    // The job summary (1 MiB budget) holds every gap; the JSON holds all of them.
    expect(result.summary.split('\n').filter((line) => line.startsWith('| <code>'))).toHaveLength(200)
    assertTablesIntact(result.summary)
    expect(readJson(result).gaps).toHaveLength(200)
  })

  it('max-annotations 0 posts no gap annotations (only the test inventory) and no PATCH', async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pushEvent(),
      files: reports(passing(['common', 'a', 'b']), passing(['common'])),
      inputs: { 'max-annotations': 0 }
    })
    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(gapAnnotations(emulator.checkRuns[0]!)).toEqual([])
    expect(emulator.checkRuns[0]!.annotations).toHaveLength(1)
    expect(apiRequests(emulator, 'PATCH', CHECK_RUN)).toHaveLength(0)
  })
})

describe('Markdown injection', () => {
  const HOSTILE = 'weird | name\nsecond line <script>alert(1)</script> @octocat #123 `rm -rf` 🐘🚀 **bold** [x](https://evil.example)'
  const HOSTILE_MESSAGE = 'boom </pre></details><script>alert(2)</script> @octocat fixes #123 | cell 🐘'

  it('a hostile test name and message are inert in the check run and the job summary', async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pushEvent(),
      files: reports(passing(['common', HOSTILE]), [{ name: 'common' }, { name: HOSTILE, status: 'failed', message: HOSTILE_MESSAGE }])
    })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    const run = emulator.checkRuns[0]!
    const documents = { job: result.summary, checkSummary: run.output.summary ?? '', checkText: run.output.text ?? '' }
    expect(documents.checkText).not.toBe('')
    for (const [where, doc] of Object.entries(documents)) {
      expect(doc, where).not.toMatch(/<script/i)
      expect(doc, where).not.toMatch(/<\/pre><\/details>/)
      expect(doc, where).not.toMatch(/@octocat/) // a zero-width space follows every @
      expect(doc, where).not.toMatch(/(^|[^&])#123/) // no issue reference
      expect(doc, where).not.toContain('](https://evil.example)')
      assertTablesIntact(doc)
      assertHtmlBalanced(doc)
    }
    for (const doc of [documents.job, documents.checkSummary]) {
      const row = doc.split('\n').find((line) => line.includes('weird'))
      expect(row, 'the gap row').toBeDefined()
      // One line, 5 cells, the emoji intact (4-byte characters not split), backticks not live.
      expect(row).toMatch(/^\| <code>storage › tests\.storage › weird &#124; name ⏎ second line &lt;script&gt;alert\(1\)&lt;\/script&gt; @\u200boctocat #\u200b123 &#96;rm -rf&#96; 🐘🚀 &#42;&#42;bold&#42;&#42; &#91;x&#93;\(https:\/\/evil\.example\)<\/code> \| postgres \| ❌ failed \| sqlite: passed \| failed on postgres \(passed on sqlite\) \|$/)
    }
    expect(documents.job).toContain('&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;alert(2)&lt;/script&gt; @\u200boctocat fixes #\u200b123 &#124; cell 🐘')
    expect(run.output.title).not.toMatch(/<script/)
  })
})

describe('workflow-command injection through the log', () => {
  it('test names that hold ::commands:: and ##[commands] are logged as text, never run by the runner', async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pushEvent(),
      files: reports(passing(['common']), [
        { name: 'common' },
        { name: 'a\n::error title=pwned::forged annotation', status: 'failed', message: 'm' },
        { name: 'b ##[set-output name=conclusion;]success', status: 'failed', message: 'm' },
        { name: 'c\n::add-mask::common', status: 'failed', message: 'm' }
      ])
    })
    expect(result.exitCode).toBe(1)
    // The runner would have turned these into an error annotation, an output and a mask.
    expect(result.log.filter((line) => line.command !== 'info' && /pwned|common|conclusion/.test(line.message))).toEqual([])
    expect(result.stdout.split('\n').filter((line) => /^\s*::(error title=pwned|add-mask::common)/.test(line))).toEqual([])
    expect(result.stdout).not.toContain('##[set-output')
    expect(result.outputs.conclusion).toBe('failure')
    // The names are still there to read.
    expect(result.stdout).toMatch(/forged annotation/)
  })
})
