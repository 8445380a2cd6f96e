// The verdict end to end: bundled dist/index.js, reports in the workspace, the emulator as GitHub.
import { describe, expect, it } from 'vitest'
import { pullRequestEvent, pushEvent } from '../helpers/events.js'
import {
  apiRequests,
  assertTablesIntact,
  BASE_TESTS,
  type Case,
  CHECK_RUNS,
  junit,
  passing,
  readJson,
  reports,
  runGate,
  startEmulator,
  gapAnnotations
} from './support.js'


const ID = (name: string) => `storage › tests.storage › ${name}`

describe('all green', () => {
  it('posts one completed success check run on the PR head and sets every output', async () => {
    const emulator = await startEmulator()
    const event = pullRequestEvent()
    const result = await runGate({ emulator, event, files: reports(passing(), passing()) })

    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toHaveLength(1)
    const run = emulator.checkRuns[0]!
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha
    expect(run).toMatchObject({
      name: 'dual-backend coverage',
      headSha: head,
      status: 'completed',
      conclusion: 'success',
      externalId: '1234567890-1',
      detailsUrl: 'https://github.com/octo-org/storage/actions/runs/1234567890'
    })
    // No gap annotation; only the notice that carries this run's test inventory (for later runs).
    expect(gapAnnotations(run)).toEqual([])
    expect(run.annotations.map((a) => [a.annotation_level, a.title])).toEqual([['notice', 'dual-backend-coverage inventory 1/1']])
    expect(run.output.title).toBe(`${BASE_TESTS.length} storage tests passed on sqlite and postgres`)
    expect(run.output.summary).toContain(`${BASE_TESTS.length} storage tests passed on sqlite and postgres`)
    expect(apiRequests(emulator, 'POST', CHECK_RUNS)).toHaveLength(1)
    expect(apiRequests(emulator, 'PATCH', /check-runs/)).toHaveLength(0)

    expect(result.outputs).toMatchObject({
      conclusion: 'success',
      tests: String(BASE_TESTS.length),
      gaps: '0',
      'check-url': `https://github.com/octo-org/storage/runs/${run.id}`
    })
    const json = readJson(result)
    expect(json).toMatchObject({ conclusion: 'success', tests: BASE_TESTS.length, gaps: [], errors: [] })
    expect(result.summary).toContain(`## ✅ dual-backend coverage: ${BASE_TESTS.length} storage tests passed on sqlite and postgres`)
    assertTablesIntact(result.summary)
    expect(result.log.filter((l) => l.command === 'error')).toEqual([])
  })
})

interface GapScenario {
  title: string
  sqlite: Case[] | string | undefined
  postgres: Case[] | string | undefined
  config?: string
  inputs?: Record<string, string>
  gap: { kind: string; backend: string; test: string; reason?: RegExp; message?: RegExp }
  /** The summary row for the gap. */
  row: RegExp
}

const replacing = (name: string, replacement: Case) => BASE_TESTS.map((t) => (t === name ? replacement : { name: t }))

const GAP_SCENARIOS: GapScenario[] = [
  {
    title: 'missing',
    sqlite: passing([...BASE_TESTS, 'pragma_foreign_keys']),
    postgres: passing(),
    gap: { kind: 'missing', backend: 'postgres', test: ID('pragma_foreign_keys'), reason: /never ran on postgres \(passed on sqlite\)/ },
    row: /^\| <code>storage › tests\.storage › pragma_foreign_keys<\/code> \| postgres \| ❔ missing \| sqlite: passed \| never ran on postgres/m
  },
  {
    title: 'skipped (element)',
    sqlite: passing(),
    postgres: replacing('json_column', { name: 'json_column', status: 'skipped', message: 'DATABASE_URL not set' }),
    gap: { kind: 'skipped', backend: 'postgres', test: ID('json_column'), reason: /^skipped on postgres/, message: /DATABASE_URL not set/ },
    row: /^\| <code>storage › tests\.storage › json_column<\/code> \| postgres \| ⏭️ skipped \| sqlite: passed \| skipped on postgres/m
  },
  {
    title: 'skipped (skip marker in system-out)',
    sqlite: passing(),
    postgres: replacing('upsert_conflict', {
      name: 'upsert_conflict',
      output: 'connecting\nSkipping postgres storage conformance: POSTGRES_TEST_URL not set\n'
    }),
    config: "skip-markers:\n  - '^Skipping postgres storage conformance'\n",
    gap: {
      kind: 'skipped',
      backend: 'postgres',
      test: ID('upsert_conflict'),
      reason: /output says it skipped itself/,
      message: /^Skipping postgres storage conformance: POSTGRES_TEST_URL not set$/
    },
    row: /^\| <code>storage › tests\.storage › upsert_conflict<\/code> \| postgres \| ⏭️ skipped \| sqlite: passed \| reported as passed on postgres, but its output says it skipped itself/m
  },
  {
    title: 'failed',
    sqlite: passing(),
    postgres: replacing('update_row', { name: 'update_row', status: 'failed', message: 'expected 1 row, got 0' }),
    gap: { kind: 'failed', backend: 'postgres', test: ID('update_row'), reason: /^failed on postgres \(passed on sqlite\)$/, message: /expected 1 row, got 0/ },
    row: /^\| <code>storage › tests\.storage › update_row<\/code> \| postgres \| ❌ failed \| sqlite: passed \| failed on postgres/m
  },
  {
    title: 'errored',
    sqlite: passing(),
    postgres: replacing('connection_pool', { name: 'connection_pool', status: 'errored', message: 'connection pool exhausted' }),
    gap: { kind: 'errored', backend: 'postgres', test: ID('connection_pool'), reason: /^errored on postgres/, message: /connection pool exhausted/ },
    row: /^\| <code>storage › tests\.storage › connection_pool<\/code> \| postgres \| 💥 errored \| sqlite: passed \| errored on postgres/m
  },
  {
    title: 'flaky under flaky: fail',
    sqlite: passing(),
    postgres: replacing('update_row', { name: 'update_row', status: 'flaky', message: 'deadlock detected' }),
    config: 'flaky: fail\n',
    gap: { kind: 'flaky', backend: 'postgres', test: ID('update_row'), reason: /only after a failed attempt \(flaky: fail\)/ },
    row: /^\| <code>storage › tests\.storage › update_row<\/code> \| postgres \| 🔁 flaky \| sqlite: passed \|/m
  },
  {
    title: 'no-report (the needs input says the job was cancelled)',
    sqlite: passing(),
    postgres: undefined,
    inputs: { needs: JSON.stringify({ sqlite: { result: 'success', outputs: {} }, postgres: { result: 'cancelled', outputs: {} } }) },
    gap: { kind: 'no-report', backend: 'postgres', test: '*', reason: /no report file matched reports\/postgres\/\*\.xml; its job's result is "cancelled"/ },
    row: /^\| \*\(every test\)\* \| postgres \| 📭 no report \| {2}\| no report file matched reports\/postgres\/\\\*\.xml; its job.{1,8}s result is &quot;cancelled&quot; \|$/m
  },
  {
    title: 'empty',
    sqlite: passing(),
    postgres: '<?xml version="1.0"?>\n<testsuites><testsuite name="storage" tests="0"></testsuite></testsuites>\n',
    gap: { kind: 'empty', backend: 'postgres', test: '*', reason: /1 report file\(s\) but no test in scope/ },
    row: /^\| \*\(every test\)\* \| postgres \| 🫙 empty \| {2}\| 1 report file\(s\) but no test in scope \|$/m
  },
  {
    title: 'too-few (min-tests)',
    sqlite: passing(['a', 'b', 'c']),
    postgres: passing(['a', 'b', 'c']),
    config: 'min-tests: 4\n',
    gap: { kind: 'too-few', backend: 'postgres', test: '*', reason: /^3 test\(s\) in scope, fewer than min-tests 4$/ },
    row: /^\| \*\(every test\)\* \| postgres \| 📉 too few \| {2}\| 3 test\(s\) in scope, fewer than min-tests 4 \|$/m
  }
]

describe('each gap kind fails the gate', () => {
  it.each(GAP_SCENARIOS)('$title', async (scenario) => {
    const emulator = await startEmulator()
    const files = reports(scenario.sqlite, scenario.postgres)
    if (scenario.config !== undefined) files['.github/dual-backend.yml'] = scenario.config
    const result = await runGate({ emulator, event: pushEvent(), files, inputs: scenario.inputs })

    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toHaveLength(1)
    const run = emulator.checkRuns[0]!
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' })
    expect(result.outputs.conclusion).toBe('failure')
    expect(Number(result.outputs.gaps)).toBeGreaterThanOrEqual(1)

    const json = readJson(result)
    expect(json.conclusion).toBe('failure')
    const gap = json.gaps.find((g) => g.kind === scenario.gap.kind && g.backend === scenario.gap.backend && g.test === scenario.gap.test)
    expect(gap, `${scenario.gap.kind} gap in ${JSON.stringify(json.gaps)}`).toBeDefined()
    if (scenario.gap.reason) expect(gap!.reason).toMatch(scenario.gap.reason)
    if (scenario.gap.message) expect(gap!.message).toMatch(scenario.gap.message)
    expect(result.outputs.gaps).toBe(String(json.gaps.length))

    expect(result.summary).toMatch(scenario.row)
    expect(run.output.summary).toMatch(scenario.row)
    assertTablesIntact(result.summary)
    assertTablesIntact(run.output.summary ?? '')
    expect(gapAnnotations(run).length).toBe(json.gaps.length)
    // The step fails with the verdict's title.
    expect(result.log).toContainEqual(expect.objectContaining({ command: 'error', message: run.output.title }))
  })

  it('flaky under flaky: warn passes, and lists the flaky test', async () => {
    const emulator = await startEmulator()
    const files = reports(passing(), replacing('update_row', { name: 'update_row', status: 'flaky', message: 'deadlock detected' }))
    files['.github/dual-backend.yml'] = 'flaky: warn\n'
    const result = await runGate({ emulator, event: pushEvent(), files })

    expect(result.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    const run = emulator.checkRuns[0]!
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' })
    expect(result.outputs).toMatchObject({ conclusion: 'success', gaps: '0' })
    const json = readJson(result)
    expect(json.flaky).toEqual([{ test: ID('update_row'), backend: 'postgres', message: 'deadlock detected' }])
    expect(result.summary).toMatch(/^### Flaky tests$/m)
    expect(result.summary).toMatch(/^\| <code>storage › tests\.storage › update_row<\/code> \| postgres \| deadlock detected \|$/m)
    expect(gapAnnotations(run)).toEqual([
      expect.objectContaining({ annotation_level: 'warning', title: `flaky on postgres: ${ID('update_row')}` })
    ])
  })
})

describe('problems that stop the evaluation still post a failure', () => {
  it('a truncated report: failure check run naming file:line:column', async () => {
    const emulator = await startEmulator()
    const full = junit(passing())
    const truncated = full.slice(0, full.indexOf('name="update_row"') + 8)
    const lines = truncated.split('\n')
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), truncated) })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    const run = emulator.checkRuns[0]!
    expect(run.conclusion).toBe('failure')
    const json = readJson(result)
    expect(json.errors).toHaveLength(1)
    const error = json.errors[0]!
    expect(error).toMatchObject({ file: 'reports/postgres/junit.xml', line: lines.length })
    const where = `reports/postgres/junit.xml:${error.line}:${error.column}`
    expect(error.message.startsWith(`${where}: `)).toBe(true)
    for (const summary of [result.summary, run.output.summary ?? '']) {
      expect(summary).toContain('### Unreadable reports')
      expect(summary).toContain(where)
      expect(summary).toContain(`| <code>reports/postgres/junit.xml</code> | line ${error.line}, column ${error.column} |`)
      assertTablesIntact(summary)
    }
    expect(run.output.title).toMatch(/^1 unreadable report/)
    expect(result.outputs.conclusion).toBe('failure')
  })

  it('an unknown config key: failure check run saying which key, never neutral', async () => {
    const emulator = await startEmulator()
    const files = { ...reports(passing(), passing()), '.github/dual-backend.yml': 'flakey: warn\n' }
    const result = await runGate({ emulator, event: pushEvent(), files })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toHaveLength(1)
    const run = emulator.checkRuns[0]!
    expect(run.conclusion).toBe('failure')
    expect(run.output.title).toMatch(/^Could not evaluate: \.github\/dual-backend\.yml: flakey: unknown key/)
    expect(result.summary).toContain('flakey: unknown key')
    expect(result.outputs.conclusion).toBe('failure')
    expect(readJson(result).errors[0]!.message).toMatch(/flakey: unknown key/)
  })

  it('an invalid action input: still posts a failure check run with the token', async () => {
    const emulator = await startEmulator()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()), inputs: { 'max-annotations': 'lots' } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toHaveLength(1)
    expect(emulator.checkRuns[0]).toMatchObject({ conclusion: 'failure', name: 'dual-backend coverage' })
    expect(emulator.checkRuns[0]!.output.title).toContain('input max-annotations: must be a whole number')
    expect(result.outputs.conclusion).toBe('failure')
  })

})

describe('apostrophes in reasons', () => {
  it("an apostrophe in a gap reason renders as an apostrophe, not a broken &#39; entity", async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pushEvent(),
      files: reports(passing(), undefined),
      inputs: { needs: JSON.stringify({ sqlite: { result: 'success' }, postgres: { result: 'cancelled' } }) }
    })
    expect(result.exitCode).toBe(1)
    expect(result.summary).toMatch(/its job(&#39;|')s result is/)
    expect(emulator.checkRuns[0]!.output.summary).not.toContain('&#\u200b39;')
  })
})
