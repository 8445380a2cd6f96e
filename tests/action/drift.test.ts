// Base-branch drift (issue #10): a storage test that vanished from every backend is invisible to a
// gate that only compares backends with each other. Every check run carries its test inventory in
// notice annotations; the next run reads the base commit's check run back and compares.
//
// Every run here is the bundled action against the emulator, which validates each request (and its
// own responses) against GitHub's OpenAPI description and documented limits.
import { describe, expect, it } from 'vitest'
import { createClient } from '../../src/action/github.js'
import { publishCheckRun } from '../../src/action/publish.js'
import { decodeDigest, encodeDigest } from '../../src/core/inventory.js'
import { fakeSha, mergeGroupEvent, pullRequestEvent, pushEvent, workflowRunEvent, type GitHubEvent } from '../helpers/events.js'
import type { GitHubEmulator, StoredCheckRun } from '../helpers/github-emulator.js'
import type { ActionResult } from '../helpers/run-action.js'
import { gapOf, verdictOf } from '../helpers/verdicts.js'
import { apiRequests, assertNoStackTrace, assertTablesIntact, BASE_TESTS, CHECK_RUN, CHECK_RUNS, errorMessages, junit, passing, readJson, reports, runGate, startEmulator } from './support.js'

const BASE = fakeSha('drift-base')
const HEAD = fakeSha('drift-head')
const ZERO = '0'.repeat(40)
const CHECK = 'dual-backend coverage'
const CONFIG = '.github/dual-backend.yml'
const PREFIX = 'dual-backend-coverage inventory '
const ID = (name: string) => `storage › tests.storage › ${name}`
const LIST_FOR_REF = /^\/repos\/octo-org\/storage\/commits\/[0-9a-f]{40}\/check-runs$/
const ANNOTATIONS = /^\/repos\/octo-org\/storage\/check-runs\/\d+\/annotations$/
/** The two tests a pull request deletes (from both backends' reports). */
const REMOVED = ['json_column', 'upsert_conflict']
const KEPT = BASE_TESTS.filter((name) => !REMOVED.includes(name))
const LABEL = `the base ${BASE.slice(0, 7)} (check run "${CHECK}")`

/** Summary text as a reader sees it (the renderer escapes quotes, `_` and `#` for Markdown). */
const plain = (markdown: string | null | undefined) =>
  (markdown ?? '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\\_/g, '_').replace(/\u200b/g, '')

const inventoryParts = (run: StoredCheckRun) => run.annotations.filter((a) => a.title?.startsWith(PREFIX))

/** The base's check run, posted by a real run of the action on the base commit (a push to main). */
async function runOnBase(emulator: GitHubEmulator, names: string[] = BASE_TESTS, files: Record<string, string> = {}): Promise<StoredCheckRun> {
  const result = await runGate({ emulator, event: pushEvent({ after: BASE, before: ZERO }), files: { ...reports(passing(names), passing(names)), ...files } })
  expect(result.exitCode).toBe(0)
  const run = emulator.checkRuns.at(-1)!
  expect(run.headSha).toBe(BASE)
  return run
}

function prEvent(): GitHubEvent {
  return pullRequestEvent({ baseSha: BASE, headSha: HEAD })
}

function assertClean(emulator: GitHubEmulator, result: ActionResult): void {
  expect(emulator.violations).toEqual([])
  expect(emulator.warnings).toEqual([])
  expect(emulator.responseIssues).toEqual([])
  assertNoStackTrace(result)
}

describe('a pull request that deletes two storage tests', () => {
  it('fails with exactly two vanished gaps; the check run title and summary say so', async () => {
    const emulator = await startEmulator()
    const base = await runOnBase(emulator)
    // The base's own check run carries its inventory: one notice annotation on the config path.
    expect(inventoryParts(base)).toEqual([
      expect.objectContaining({ path: CONFIG, start_line: 1, end_line: 1, annotation_level: 'notice', title: `${PREFIX}1/1`, message: `Machine-readable list of the ${BASE_TESTS.length} storage tests in this check, compared by later runs to find tests that vanished. Part 1 of 1.` })
    ])
    expect(decodeDigest(inventoryParts(base)[0]!.raw_details!).tests.map((t) => t.id).sort()).toEqual(BASE_TESTS.map(ID).sort())

    const result = await runGate({ emulator, event: prEvent(), files: reports(passing(KEPT), passing(KEPT)) })

    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    const json = readJson(result)
    expect(json.gaps.map((g) => [g.kind, g.test])).toEqual(REMOVED.map((name) => ['vanished', ID(name)]).sort((a, b) => a[1]!.localeCompare(b[1]!)))
    for (const gap of json.gaps) expect(gap.reason).toContain(`reported on sqlite and postgres at ${LABEL}, reported by no backend now`)
    const run = emulator.checkRuns.at(-1)!
    expect(run).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(run.output.title).toBe('2 gaps: 2 tests vanished from every backend')
    const summary = plain(run.output.summary)
    for (const name of REMOVED) expect(summary).toMatch(new RegExp(`^\\| <code>${ID(name).replace(/\./g, '\\.')}</code> \\| sqlite\\+postgres \\| 🕳️ vanished \\|`, 'm'))
    expect(summary).toContain(`Compared with ${LABEL}: 5 tests there, 2 vanished, 0 new.`)
    assertTablesIntact(run.output.summary ?? '')
    expect(plain(result.summary)).toContain('2 tests vanished from every backend')
    // Two failure annotations for the gaps, then this run's own inventory (3 tests).
    expect(run.annotations.filter((a) => a.annotation_level === 'failure').map((a) => a.title)).toEqual(json.gaps.map((g) => `vanished on sqlite+postgres: ${g.test}`))
    expect(decodeDigest(inventoryParts(run).map((a) => a.raw_details).join('')).tests).toHaveLength(KEPT.length)

    // The lookup, as documented: the base's runs by name (all, not just the latest), then its annotations.
    const lookups = apiRequests(emulator, 'GET', LIST_FOR_REF)
    expect(lookups.map((r) => [r.path, r.query])).toEqual([
      [`/repos/octo-org/storage/commits/${BASE}/check-runs`, { check_name: CHECK, filter: 'all', per_page: '100' }]
    ])
    expect(apiRequests(emulator, 'GET', ANNOTATIONS).map((r) => [r.path, r.query])).toEqual([
      [`/repos/octo-org/storage/check-runs/${base.id}/annotations`, { per_page: '100', page: '1' }]
    ])
    expect(result.log).toContainEqual(expect.objectContaining({ command: 'info', message: `Base: ${BASE} (pull_request: the pull request's base commit)` }))
    expect(errorMessages(result)).toEqual(['2 gaps: 2 tests vanished from every backend'])
  })

  it('acknowledged by `removed:` in the config: success, listed under "Removed on purpose"', async () => {
    const emulator = await startEmulator()
    await runOnBase(emulator)
    const config = [
      'removed:',
      `  - test: '${ID('json_column')}'`,
      "    reason: 'JSON columns moved to the documents store (#42)'",
      "  - test: '*upsert_conflict'",
      "    reason: 'covered by test_merge_rows now'"
    ].join('\n')
    const result = await runGate({ emulator, event: prEvent(), files: { ...reports(passing(KEPT), passing(KEPT)), [CONFIG]: `${config}\n` } })

    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(readJson(result).gaps).toEqual([])
    const run = emulator.checkRuns.at(-1)!
    expect(run).toMatchObject({ headSha: HEAD, conclusion: 'success' })
    const summary = plain(run.output.summary)
    expect(summary).toMatch(/^### Removed on purpose$/m)
    expect(summary).toContain(`| <code>${ID('json_column')}</code> | JSON columns moved to the documents store (#42) |`)
    expect(summary).toContain(`| <code>${ID('upsert_conflict')}</code> | covered by test_merge_rows now |`)
    expect(summary).toContain(`Compared with ${LABEL}: 5 tests there, 0 vanished, 2 removed on purpose, 0 new.`)
    assertTablesIntact(run.output.summary ?? '')
    expect(plain(result.summary)).toMatch(/^### Removed on purpose$/m)
  })

  it('drift: warn: success, the vanished tests listed (summary section and notice annotations)', async () => {
    const emulator = await startEmulator()
    await runOnBase(emulator)
    const result = await runGate({ emulator, event: prEvent(), files: { ...reports(passing(KEPT), passing(KEPT)), [CONFIG]: 'drift: warn\n' } })

    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(readJson(result).gaps).toEqual([])
    const run = emulator.checkRuns.at(-1)!
    expect(run).toMatchObject({ conclusion: 'success' })
    const summary = plain(run.output.summary)
    expect(summary).toMatch(/^### Vanished since the earlier run \(drift: warn\)$/m)
    for (const name of REMOVED) expect(summary).toContain(`| <code>${ID(name)}</code> | ${LABEL} |`)
    const notices = run.annotations.filter((a) => a.annotation_level === 'notice' && !a.title?.startsWith(PREFIX))
    expect(notices.map((a) => a.title).sort()).toEqual(REMOVED.map((name) => `vanished on every backend: ${ID(name)}`).sort())
    expect(notices[0]!.message).toContain('allowed by drift: warn')
  })

  it('drift: off: no lookup at all (no API call but the post), success', async () => {
    const emulator = await startEmulator()
    await runOnBase(emulator)
    const before = emulator.requests.length
    const result = await runGate({ emulator, event: prEvent(), files: { ...reports(passing(KEPT), passing(KEPT)), [CONFIG]: 'drift: off\n' } })

    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(emulator.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/octo-org/storage/check-runs'])
    // Still publishes its own inventory for later runs.
    expect(inventoryParts(emulator.checkRuns.at(-1)!)).toHaveLength(1)
  })
})

describe('no usable base inventory: the current reports alone decide, and the summary says why', () => {
  interface NoBaseCase {
    title: string
    setUp: (emulator: GitHubEmulator) => Promise<void> | void
    inputs?: Record<string, string>
    missingPermissions?: Array<'checks'>
    reason: RegExp
  }
  const CASES: NoBaseCase[] = [
    {
      title: 'the base has no check run',
      setUp: () => {},
      reason: /^no check run named "dual-backend coverage" on [0-9a-f]{7} \(the gate did not run there, or ran under another name\)$/
    },
    {
      title: 'the base check run holds no digest (an older version of the action)',
      setUp: (emulator) => {
        emulator.seedCheckRun({ headSha: BASE, annotations: [{ path: CONFIG, start_line: 1, end_line: 1, annotation_level: 'failure', title: 'missing on postgres: x', message: 'never ran' }] })
        emulator.seedCheckRun({ headSha: BASE, completedAt: '2024-01-01T00:00:00Z' })
      },
      reason: /^the check runs "dual-backend coverage" on [0-9a-f]{7} hold no test inventory \(posted by a version of this action from before inventories, or with publish: status\)$/
    },
    {
      title: 'a 404 on the lookup',
      setUp: (emulator) => emulator.injectFault({ method: 'GET', path: LIST_FOR_REF, status: 404 }),
      reason: /^GitHub answered 404 "Not Found" when reading the check runs of [0-9a-f]{7} \(the commit is not in this repository, or the token cannot see it\)$/
    },
    {
      title: 'a 403 on the lookup',
      setUp: (emulator) => emulator.injectFault({ method: 'GET', path: LIST_FOR_REF, status: 403 }),
      reason: /^GitHub answered 403 "Resource not accessible by integration" when reading the check runs of [0-9a-f]{7}: the token lacks the `checks: read` permission/
    },
    {
      title: 'a 403 because the job has `statuses: write` only (publish: status)',
      setUp: () => {},
      inputs: { publish: 'status' },
      missingPermissions: ['checks'],
      reason: /^GitHub answered 403 "Resource not accessible by integration" when reading the check runs of [0-9a-f]{7}: the token lacks the `checks: read` permission/
    },
    {
      title: 'a 500 on the lookup, after the retries',
      setUp: (emulator) => emulator.injectFault({ method: 'GET', path: LIST_FOR_REF, status: 500 }),
      reason: /^GitHub answered 500 "Server Error" after 4 attempts when reading the check runs of [0-9a-f]{7}$/
    },
    {
      title: 'a secondary rate limit on every attempt of the lookup (not a permission problem)',
      setUp: (emulator) => emulator.setProfile('rate-limited', { rateLimitVariant: 'secondary-403', failures: Infinity, retryAfterSeconds: 1, failOnly: { method: 'GET', path: LIST_FOR_REF } }),
      reason: /^GitHub answered 403 "You have exceeded a secondary rate limit\. .*" after 3 attempts when reading the check runs of [0-9a-f]{7}$/
    },
    {
      title: 'a 500 on the annotations, after the retries',
      setUp: async (emulator) => {
        await runOnBase(emulator)
        emulator.injectFault({ method: 'GET', path: ANNOTATIONS, status: 500 })
      },
      reason: /^GitHub answered 500 "Server Error" after 4 attempts when reading the check runs of [0-9a-f]{7}$/
    },
    {
      title: 'a damaged digest',
      setUp: (emulator) => {
        emulator.seedCheckRun({ headSha: BASE, annotations: [{ path: CONFIG, start_line: 1, end_line: 1, annotation_level: 'notice', title: `${PREFIX}1/1`, message: 'm', raw_details: 'dbc-inventory/1:H4sIAAAAnot-gzip' }] })
      },
      reason: /^no usable test inventory in the 1 newest check run on [0-9a-f]{7} \(check run \d+: the inventory digest is damaged \(.+\)\)$/
    },
    {
      title: 'an incomplete digest (part 2 of 2 missing)',
      setUp: (emulator) => {
        emulator.seedCheckRun({ headSha: BASE, annotations: [{ path: CONFIG, start_line: 1, end_line: 1, annotation_level: 'notice', title: `${PREFIX}1/2`, message: 'm', raw_details: 'dbc-inventory/1:H4sI' }] })
      },
      reason: /^no usable test inventory in the 1 newest check run on [0-9a-f]{7} \(check run \d+: its inventory is incomplete: 1 of 2 parts \(missing 2\)\)$/
    }
  ]

  it.each(CASES)('$title', async (c) => {
    const emulator = await startEmulator(c.missingPermissions === undefined ? {} : { missingPermissions: c.missingPermissions })
    await c.setUp(emulator)
    const result = await runGate({ emulator, event: prEvent(), files: reports(passing(KEPT), passing(KEPT)), inputs: c.inputs ?? {} })

    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(readJson(result)).toMatchObject({ conclusion: 'success', gaps: [] })
    expect(errorMessages(result)).toEqual([])
    const line = result.log.find((l) => l.command === 'info' && l.message.startsWith(`Not compared with ${LABEL}: `))?.message
    expect(line, 'the "Not compared" log line').toBeDefined()
    const reason = line!.slice(`Not compared with ${LABEL}: `.length).replace(/\.$/, '')
    expect(reason).toMatch(c.reason)
    // The same sentence in the job summary and (check-run mode) the check run's summary.
    expect(plain(result.summary)).toContain(`Not compared with ${LABEL}: `)
    if (c.inputs?.publish !== 'status') {
      const run = emulator.checkRuns.at(-1)!
      expect(run).toMatchObject({ headSha: HEAD, conclusion: 'success' })
      expect(plain(run.output.summary)).toContain(`Not compared with ${LABEL}: `)
      if (/403/.test(c.title)) expect(plain(run.output.summary)).toMatch(/checks: read/)
    } else {
      expect(emulator.statuses.map((s) => s.state)).toEqual(['success'])
      expect(plain(result.summary)).toMatch(/checks: read/)
      expect(result.log).toContainEqual(expect.objectContaining({ command: 'info', message: expect.stringContaining('publish: status posts a commit status, which cannot carry the test inventory') }))
    }
  })

  it('a newer damaged run is skipped; the older good one is compared with', async () => {
    const emulator = await startEmulator()
    const good = await runOnBase(emulator)
    good.completedAt = '2024-01-01T00:00:00Z'
    emulator.seedCheckRun({ headSha: BASE, annotations: [{ path: CONFIG, start_line: 1, end_line: 1, annotation_level: 'notice', title: `${PREFIX}1/1`, message: 'm', raw_details: 'dbc-inventory/9:whatever' }] })
    const result = await runGate({ emulator, event: prEvent(), files: reports(passing(KEPT), passing(KEPT)) })

    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    expect(readJson(result).gaps.map((g) => g.kind)).toEqual(['vanished', 'vanished'])
    expect(result.log).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/^Base inventory: skipped check run \d+: inventory digest version 9 is newer than this version of the gate reads \(1\)$/) }))
    expect(result.log).toContainEqual(expect.objectContaining({ message: `Base inventory: check run ${good.id} on ${BASE.slice(0, 7)}, 5 tests in 1 part` }))
  })

  it('a base check run produced by a real run on another sha, seeded onto the base: compared', async () => {
    const emulator = await startEmulator()
    const elsewhere = await runGate({ emulator, event: pushEvent({ after: fakeSha('somewhere-else'), before: ZERO }), files: reports(passing(), passing()) })
    expect(elsewhere.exitCode).toBe(0)
    emulator.seedCheckRun({ headSha: BASE, copyOf: emulator.checkRuns[0]! })
    const result = await runGate({ emulator, event: prEvent(), files: reports(passing(KEPT), passing(KEPT)) })
    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    expect(readJson(result).gaps.map((g) => g.test)).toEqual(REMOVED.map(ID))
  })
})

describe('the base commit per event', () => {
  it('push: compares with `before`', async () => {
    const emulator = await startEmulator()
    await runOnBase(emulator)
    const result = await runGate({ emulator, event: pushEvent({ before: BASE, after: HEAD }), files: reports(passing(KEPT), passing(KEPT)) })
    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    expect(readJson(result).gaps.map((g) => [g.kind, g.test])).toEqual(REMOVED.map((name) => ['vanished', ID(name)]))
    expect(apiRequests(emulator, 'GET', LIST_FOR_REF).at(-1)!.path).toBe(`/repos/octo-org/storage/commits/${BASE}/check-runs`)
    expect(result.log).toContainEqual(expect.objectContaining({ message: `Base: ${BASE} (push: the commit the branch pointed to before the push)` }))
  })

  it('push that creates a branch (before is all zeros): no lookup, said plainly', async () => {
    const emulator = await startEmulator()
    const result = await runGate({ emulator, event: pushEvent({ before: ZERO, after: HEAD }), files: reports(passing(), passing()) })
    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(apiRequests(emulator, 'GET', LIST_FOR_REF)).toEqual([])
    expect(plain(result.summary)).toContain('Not compared with the base branch: the push created the branch, so there is no earlier commit to compare with.')
  })

  it('merge_group: compares with merge_group.base_sha', async () => {
    const emulator = await startEmulator()
    await runOnBase(emulator)
    const result = await runGate({ emulator, event: mergeGroupEvent({ baseSha: BASE, headSha: HEAD }), files: reports(passing(KEPT), passing(KEPT)) })
    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    expect(readJson(result).gaps.map((g) => g.kind)).toEqual(['vanished', 'vanished'])
    expect(emulator.checkRuns.at(-1)).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(result.log).toContainEqual(expect.objectContaining({ message: `Base: ${BASE} (merge_group: the merge queue's base commit)` }))
  })

  it('workflow_run of a same-repository pull request: compares with pull_requests[0].base.sha', async () => {
    const emulator = await startEmulator()
    const base = fakeSha('workflow-run-base')
    await runGate({ emulator, event: pushEvent({ after: base, before: ZERO }), files: reports(passing(), passing()) })
    const runId = 4242
    await emulator.addArtifact({ name: 'junit-sqlite', runId, files: { 'junit.xml': junit(passing(KEPT)) } })
    await emulator.addArtifact({ name: 'junit-postgres', runId, files: { 'junit.xml': junit(passing(KEPT)) } })
    const event = workflowRunEvent({ pullRequestNumber: 7, runId, headSha: HEAD })
    const result = await runGate({ emulator, event, files: { [CONFIG]: "artifacts:\n  sqlite: 'junit-sqlite'\n  postgres: 'junit-postgres'\n" } })
    expect(result.exitCode).toBe(1)
    assertClean(emulator, result)
    expect(readJson(result).gaps.map((g) => g.kind)).toEqual(['vanished', 'vanished'])
    expect(emulator.checkRuns.at(-1)).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(inventoryParts(emulator.checkRuns.at(-1)!)).toHaveLength(1)
  })

  it('workflow_run of a fork pull request (pull_requests is empty): "no base could be found"', async () => {
    const emulator = await startEmulator()
    const runId = 4243
    await emulator.addArtifact({ name: 'junit-sqlite', runId, files: { 'junit.xml': junit(passing()) } })
    await emulator.addArtifact({ name: 'junit-postgres', runId, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: workflowRunEvent({ forkRepo: 'contributor/storage', runId, headSha: HEAD }), files: { [CONFIG]: "artifacts:\n  sqlite: 'junit-sqlite'\n  postgres: 'junit-postgres'\n" } })
    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(apiRequests(emulator, 'GET', LIST_FOR_REF)).toEqual([])
    expect(plain(result.summary)).toMatch(/Not compared with the base branch: the workflow_run payload lists no pull request \(GitHub leaves it empty for a pull request from a fork\), so no base could be found\./)
    expect(inventoryParts(emulator.checkRuns.at(-1)!)).toHaveLength(1)
  })

  it('workflow_run of a push: "no base could be found"', async () => {
    const emulator = await startEmulator()
    const runId = 4244
    await emulator.addArtifact({ name: 'junit-sqlite', runId, files: { 'junit.xml': junit(passing()) } })
    await emulator.addArtifact({ name: 'junit-postgres', runId, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: workflowRunEvent({ event: 'push', runId, headSha: HEAD }), files: { [CONFIG]: "artifacts:\n  sqlite: 'junit-sqlite'\n  postgres: 'junit-postgres'\n" } })
    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(plain(result.summary)).toContain("Not compared with the base branch: the triggering run's event is push, and a workflow_run payload carries no earlier commit for it, so no base could be found.")
  })
})

// ---------------------------------------------------------------------------------------------
// Size: 100k test ids round-trip through annotations.
// ---------------------------------------------------------------------------------------------

const WORDS = ['insert', 'update', 'delete', 'select', 'upsert', 'merge', 'json', 'text', 'blob', 'index', 'unique', 'foreign', 'cascade', 'null', 'default',
  'timestamp', 'timezone', 'decimal', 'collation', 'savepoint', 'rollback', 'commit', 'isolation', 'deadlock', 'pool', 'cursor', 'batch', 'stream', 'migration',
  'schema', 'view', 'trigger', 'sequence', 'returning', 'window', 'lateral', 'array', 'enum', 'uuid', 'bytea']

/** Deterministic, hash-spread choices, so names are as varied as a real suite's (gzip gets no free run). */
function pick(i: number, salt: number, n: number): number {
  let x = (i + 1) * 0x9e3779b1 + salt * 0x85ebca6b
  x ^= x >>> 15
  x = Math.imul(x, 0x2c1b3c6d)
  x ^= x >>> 12
  return (x >>> 0) % n
}

/**
 * Pytest-like ids grouped as JUnit reports group them (a class's tests together, a module's
 * classes together). `varied`: three hash-picked words, a base-36 serial and a parameter on a
 * third of the tests, as entropy-rich as names get (a pessimistic shape for gzip); otherwise
 * two hash-picked words and the test's place in its class (a typical suite).
 */
function suiteNames(count: number, varied = false): Array<{ classname: string; name: string }> {
  return Array.from({ length: count }, (_, i) => {
    const module = Math.floor(i / 120)
    const classname = `tests.storage.test_${WORDS[module % WORDS.length]}_${module}.Test${WORDS[Math.floor(i / 12) % WORDS.length]}${Math.floor(i / 12) % 7}`
    if (!varied) return { classname, name: `test_${WORDS[pick(i, 1, WORDS.length)]}_${WORDS[pick(i, 2, WORDS.length)]}_${i % 12}` }
    const words = [pick(i, 1, WORDS.length), pick(i, 2, WORDS.length), pick(i, 3, WORDS.length)].map((w) => WORDS[w]).join('_')
    const param = pick(i, 4, 3) === 0 ? `[${WORDS[pick(i, 5, WORDS.length)]}-${pick(i, 6, 1000)}]` : ''
    return { classname, name: `test_${words}_${i.toString(36)}${param}` }
  })
}

function bigReport(cases: Array<{ classname: string; name: string }>): string {
  const lines = cases.map((c) => `    <testcase classname="${c.classname}" name="${c.name}" time="0.001"></testcase>`)
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="storage" tests="${cases.length}">\n${lines.join('\n')}\n  </testsuite>\n</testsuites>\n`
}

// Measured with the digest format of src/core/inventory.ts (printed by the tests below):
//   typical ids: 100k tests -> 630,560 characters (6.3 a test), 11 annotation parts; the create
//     request of a run without gaps is 620 KiB; the next run reads them on 1 annotation page.
//     50 parts (3,000,000 characters) hold about 475k such tests.
//   varied ids (pessimistic): 12.5 characters a test, 21 parts for 100k; 50 parts hold ~239k.
//   The largest request: 50 parts in one PATCH behind 50 gap annotations, 2,950 KiB.
describe('size', () => {
  it('100k test ids: the action posts them as annotations and the next run reads them back, within every limit', async () => {
    const emulator = await startEmulator()
    const cases = suiteNames(100_000)
    const report = bigReport(cases)
    const base = await runGate({ emulator, event: pushEvent({ after: BASE, before: ZERO }), files: { 'reports/sqlite/junit.xml': report, 'reports/postgres/junit.xml': report }, timeoutMs: 120_000 })
    expect(base.exitCode).toBe(0)
    const baseRun = emulator.checkRuns[0]!
    const parts = inventoryParts(baseRun)
    const digest = parts.map((a) => a.raw_details).join('')
    expect(decodeDigest(digest).tests).toHaveLength(100_000)
    expect(base.log).toContainEqual(expect.objectContaining({ message: `Test inventory: ${digest.length} characters in ${parts.length} annotations (not counted in max-annotations).` }))

    const result = await runGate({ emulator, event: prEvent(), files: { 'reports/sqlite/junit.xml': report, 'reports/postgres/junit.xml': report }, timeoutMs: 120_000 })
    expect(result.exitCode).toBe(0)
    assertClean(emulator, result)
    expect(readJson(result).gaps).toEqual([])
    expect(plain(result.summary)).toContain(`Compared with ${LABEL}: 100000 tests there, 0 vanished, 0 new.`)

    // Every part within raw_details' 64 KB, 50 annotations per request at most (the emulator
    // refuses anything else, and violations is empty), and the sizes on record:
    for (const part of parts) expect(Buffer.byteLength(part.raw_details ?? '')).toBeLessThanOrEqual(60_000)
    const posts = [...apiRequests(emulator, 'POST', CHECK_RUNS), ...apiRequests(emulator, 'PATCH', CHECK_RUN)]
    const sizes = posts.map((r) => Buffer.byteLength(r.rawBody))
    const pages = apiRequests(emulator, 'GET', ANNOTATIONS)
    const pageBytes = pages.map((r) => r.status)
    console.log(
      `100k tests: digest ${digest.length} characters (${(digest.length / 100_000).toFixed(2)} per test), ${parts.length} annotation parts; ` +
        `request bodies ${sizes.map((b) => `${(b / 1024).toFixed(0)} KiB`).join(', ')}; annotation pages read ${pages.length} (${pageBytes.join(', ')})`
    )
    expect(parts.length).toBeLessThanOrEqual(50)
    // Without gaps, the create request carries summary + every part: about parts × 60 KB.
    expect(Math.max(...sizes)).toBeLessThan(parts.length * 61_000 + 70_000)
    // The PR run read the base's annotations: every part on the first page of 100.
    expect(pages).toHaveLength(1)
  }, 120_000)

  it('the largest suite whose digest fits in 50 annotations (measured in process, both id shapes)', () => {
    const measure = (count: number, varied: boolean) => {
      const names = suiteNames(count, varied).map((c) => `storage › ${c.classname} › ${c.name}`)
      return encodeDigest({ backends: ['sqlite', 'postgres'], tests: names.map((id) => ({ id, backends: ['sqlite', 'postgres'] })) }).length
    }
    for (const varied of [false, true]) {
      const at100k = measure(100_000, varied)
      const perTest = at100k / 100_000
      const largest = Math.floor(3_000_000 / perTest)
      const atLargest = measure(largest, varied)
      console.log(
        `${varied ? 'varied' : 'typical'} ids: 100k tests ${at100k} characters (${perTest.toFixed(2)} per test, ${Math.ceil(at100k / 60_000)} parts); ` +
          `${largest} tests ${atLargest} characters (${Math.ceil(atLargest / 60_000)} parts); 50 parts hold 3,000,000 characters`
      )
      expect(Math.ceil(at100k / 60_000)).toBeLessThanOrEqual(50)
      expect(largest).toBeGreaterThan(200_000)
    }
  })

  it('50 parts (3,000,000 characters) are posted in one PATCH within the limits; 50 parts + 1 character are not posted, with a log line', async () => {
    const emulator = await startEmulator()
    const client = createClient({ token: 'ghs_test', baseUrl: emulator.url, log: () => {} })
    const target = {
      owner: 'octo-org', repo: 'storage', sha: HEAD, name: CHECK, externalId: '1-1', detailsUrl: 'https://github.com/octo-org/storage/actions/runs/1',
      links: { serverUrl: 'https://github.com', repository: 'octo-org/storage', sha: HEAD }, fallbackPath: CONFIG, maxAnnotations: 50
    }
    const gaps = Array.from({ length: 50 }, (_, i) => gapOf(`storage › t › test_${i}`))
    const full = `dbc-inventory/1:${'A'.repeat(3_000_000 - 16)}`
    const logged: string[] = []
    await publishCheckRun(client, { ...target, digest: full }, verdictOf({ gaps, tests: 500_000 }), (m) => logged.push(m))
    expect(emulator.violations).toEqual([])
    const run = emulator.checkRuns[0]!
    expect(inventoryParts(run)).toHaveLength(50)
    expect(inventoryParts(run).map((a) => a.raw_details).join('')).toBe(full)
    const sizes = emulator.requests.map((r) => `${r.method} ${(Buffer.byteLength(r.rawBody) / 1024).toFixed(0)} KiB`)
    console.log(`50 parts behind 50 gap annotations: ${sizes.join(', ')}`)
    expect(logged).toEqual(['Test inventory: 3000000 characters in 50 annotations (not counted in max-annotations).'])

    logged.length = 0
    await publishCheckRun(client, { ...target, digest: `${full}A` }, verdictOf({ gaps, tests: 500_001 }), (m) => logged.push(m))
    expect(inventoryParts(emulator.checkRuns[1]!)).toEqual([])
    expect(logged).toEqual([
      'The test inventory digest is 3000001 characters, more than 50 annotations of 60000: it is not posted, so later runs cannot check for vanished tests against this run.'
    ])
  })
})
