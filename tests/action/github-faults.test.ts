// GitHub answering badly: a read-only token (fork pull requests, missing permissions), rate limits,
// outages. The step never ends green without a posted verdict, and it says why in plain words.
import { describe, expect, it } from 'vitest'
import { forkPullRequestEvent, pullRequestEvent, pushEvent } from '../helpers/events.js'
import {
  apiRequests,
  assertNoStackTrace,
  assertTablesIntact,
  BASE_TESTS,
  CHECK_RUNS,
  errorMessages,
  passing,
  readJson,
  reports,
  runGate,
  startEmulator
} from './support.js'


// The failures hit the create request: the base-inventory lookup before it (a GET on the push's
// `before` commit) is covered by tests/action/drift.test.ts.
const POST_CHECK_RUN = { method: 'POST', path: /^\/repos\/[^/]+\/[^/]+\/check-runs$/ }
const STATUSES = /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/
const GREEN_TITLE = `${BASE_TESTS.length} storage tests passed on sqlite and postgres`
const failingPostgres = () => BASE_TESTS.map((name) => (name === 'update_row' ? { name, status: 'failed' as const, message: 'expected 1 row, got 0' } : { name }))

describe('read-only token (403 "Resource not accessible by integration")', () => {
  it('fork pull request: the step fails, explains the workflow_run recipe, and still writes the summary', async () => {
    const emulator = await startEmulator({ profile: 'read-only-fork' })
    const result = await runGate({ emulator, event: forkPullRequestEvent(), files: reports(passing(), passing()) })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    // One attempt: a 403 for a missing permission is not retried.
    const posts = apiRequests(emulator, 'POST', CHECK_RUNS)
    expect(posts.map((r) => r.status)).toEqual([403])
    expect(emulator.checkRuns).toEqual([])

    const errors = errorMessages(result)
    expect(errors).toHaveLength(1)
    const message = errors[0]!
    expect(message).toContain('GitHub answered 403 "Resource not accessible by integration"')
    expect(message).toContain('`checks: write`')
    expect(message).toMatch(/from a fork/)
    expect(message).toMatch(/on: workflow_run/)
    expect(message).toMatch(/artifacts?/)
    // Our own words survive redaction (the redactor masks what follows "token:" or "password=").
    expect(message).not.toContain('***')
    assertNoStackTrace(result)

    // The verdict itself (green here) is not lost: job summary, outputs and JSON carry it.
    expect(result.summary).toContain('> [!WARNING]')
    expect(result.summary).toContain('Resource not accessible by integration')
    expect(result.summary).toContain(`## ✅ dual-backend coverage: ${GREEN_TITLE}`)
    assertTablesIntact(result.summary)
    expect(result.outputs).toMatchObject({ conclusion: 'success', tests: String(BASE_TESTS.length), gaps: '0', 'check-url': '' })
    expect(readJson(result).conclusion).toBe('success')
  })

  it('same-repository pull request without `checks: write`: the message names the permission to add', async () => {
    const emulator = await startEmulator({ profile: 'read-only-fork' })
    const result = await runGate({ emulator, event: pullRequestEvent(), files: reports(passing(), failingPostgres()) })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toEqual([])
    const errors = errorMessages(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('GitHub answered 403 "Resource not accessible by integration"')
    expect(errors[0]).toContain('`checks: write`')
    expect(errors[0]).toContain('permissions:')
    expect(errors[0]).not.toMatch(/from a fork/)
    assertNoStackTrace(result)
    // The gap is still in the summary and the outputs.
    expect(result.summary).toMatch(/^\| <code>storage › tests\.storage › update_row<\/code> \| postgres \| ❌ failed \|/m)
    expect(result.outputs).toMatchObject({ conclusion: 'failure', gaps: '1', 'check-url': '' })
  })

  it('publish: status without `statuses: write`: the message names that permission', async () => {
    const emulator = await startEmulator({ profile: 'read-only-fork' })
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()), inputs: { publish: 'status' } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'POST', STATUSES).map((r) => r.status)).toEqual([403])
    expect(emulator.statuses).toEqual([])
    const errors = errorMessages(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('`statuses: write`')
    expect(errors[0]).toContain('commit status')
    expect(result.summary).toContain(`## ✅ dual-backend coverage: ${GREEN_TITLE}`)
    assertNoStackTrace(result)
  })
})

describe('rate limits', () => {
  it.each([
    { variant: 'secondary-403' as const, green: true },
    { variant: 'secondary-429' as const, green: false }
  ])('$variant with retry-after: 2, then success: one check run, the wait is honoured, the step follows the verdict', async ({ variant, green }) => {
    // 2 s rather than 1: the throttling plugin spaces writes 1 s apart anyway, so only a longer
    // retry-after tells "waited for the header" from "waited for the write spacing".
    const emulator = await startEmulator({ profile: 'rate-limited', rateLimitVariant: variant, failures: 1, retryAfterSeconds: 2, failOnly: POST_CHECK_RUN })
    const started = Date.now()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), green ? passing() : failingPostgres()) })
    const elapsed = Date.now() - started

    expect(emulator.violations).toEqual([])
    const posts = apiRequests(emulator, 'POST', CHECK_RUNS)
    expect(posts.map((r) => r.status)).toEqual([variant === 'secondary-429' ? 429 : 403, 201])
    // retry-after is in seconds: the retry waits the full 2 s, whatever the 5xx backoff base (50 ms here).
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1950)
    expect(elapsed).toBeLessThan(15_000)
    expect(emulator.checkRuns).toHaveLength(1)
    expect(emulator.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: green ? 'success' : 'failure' })
    expect(result.outputs.conclusion).toBe(green ? 'success' : 'failure')
    expect(result.outputs['check-url']).toBe(`https://github.com/octo-org/storage/runs/${emulator.checkRuns[0]!.id}`)
    expect(result.exitCode).toBe(green ? 0 : 1)
    // The wait is logged as a warning, once; the failed attempt as a plain line.
    const warnings = result.log.filter((l) => l.command === 'warning').map((l) => l.message)
    expect(warnings).toEqual(['Secondary rate limit on POST /repos/{owner}/{repo}/check-runs: retrying after 2 s'])
    expect(result.log).toContainEqual(
      expect.objectContaining({ command: 'info', message: expect.stringMatching(new RegExp(`^POST /repos/octo-org/storage/check-runs - ${posts[0]!.status} with id `)) })
    )
    if (!green) expect(errorMessages(result)).toEqual([emulator.checkRuns[0]!.output.title])
    else expect(errorMessages(result)).toEqual([])
    assertNoStackTrace(result)
  })

  it('rate limited on every attempt: gives up after 3 attempts and fails loudly, the summary still written', async () => {
    const emulator = await startEmulator({ profile: 'rate-limited', rateLimitVariant: 'secondary-403', failures: Infinity, retryAfterSeconds: 1, failOnly: POST_CHECK_RUN })
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()) })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'POST', CHECK_RUNS).map((r) => r.status)).toEqual([403, 403, 403])
    expect(emulator.checkRuns).toEqual([])
    const errors = errorMessages(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^Could not post the check run: the GitHub API failed: 403 "You have exceeded a secondary rate limit\. .*" after 3 attempts\./)
    expect(result.summary).toContain(`## ✅ dual-backend coverage: ${GREEN_TITLE}`)
    expect(result.outputs['check-url']).toBe('')
    assertNoStackTrace(result)
  })

  it('primary rate limit (x-ratelimit-remaining: 0, reset in 1 s): waits for the reset, then posts once', async () => {
    const emulator = await startEmulator({ profile: 'rate-limited', rateLimitVariant: 'primary', failures: 1, failOnly: POST_CHECK_RUN })
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()) })

    expect(result.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    const posts = apiRequests(emulator, 'POST', CHECK_RUNS)
    expect(posts.map((r) => r.status)).toEqual([403, 201])
    // The reset is 1 s after the refusal (whole seconds); the plugin adds a second.
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1000)
    expect(emulator.checkRuns).toHaveLength(1)
    expect(result.log.filter((l) => l.command === 'warning').map((l) => l.message)).toEqual([
      expect.stringMatching(/^Rate limit on POST \/repos\/\{owner\}\/\{repo\}\/check-runs: retrying after [12] s$/)
    ])
    expect(result.outputs['check-url']).toBe(`https://github.com/octo-org/storage/runs/${emulator.checkRuns[0]!.id}`)
  })

  it('a retry-after of an hour: gives up at once rather than hold the job, and fails loudly', async () => {
    const emulator = await startEmulator({ profile: 'rate-limited', rateLimitVariant: 'secondary-429', failures: Infinity, retryAfterSeconds: 3600, failOnly: POST_CHECK_RUN })
    const started = Date.now()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()) })

    expect(Date.now() - started).toBeLessThan(15_000)
    expect(result.exitCode).toBe(1)
    expect(apiRequests(emulator, 'POST', CHECK_RUNS).map((r) => r.status)).toEqual([429])
    expect(result.log.filter((l) => l.command === 'warning').map((l) => l.message)).toEqual([
      'Secondary rate limit on POST /repos/{owner}/{repo}/check-runs: giving up'
    ])
    expect(errorMessages(result)).toEqual([expect.stringMatching(/^Could not post the check run: the GitHub API failed: 429 "You have exceeded a secondary rate limit\. .*" after 1 attempt\./)])
    assertNoStackTrace(result)
  })
})

describe('server errors', () => {
  it('5xx until the retries run out: non-zero exit, the API failure and the attempt count in the message, bounded time', async () => {
    const emulator = await startEmulator({ profile: 'server-error', failures: Infinity, serverErrorStatuses: [502, 503, 500], failOnly: POST_CHECK_RUN })
    const started = Date.now()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()) })
    const elapsed = Date.now() - started

    expect(result.exitCode).toBe(1)
    expect(result.timedOut).toBe(false)
    expect(emulator.violations).toEqual([])
    // 1 attempt + 3 retries, statuses cycled by the emulator.
    expect(apiRequests(emulator, 'POST', CHECK_RUNS).map((r) => r.status)).toEqual([502, 503, 500, 502])
    expect(emulator.checkRuns).toEqual([])
    const errors = errorMessages(result)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^Could not post the check run: the GitHub API failed: 502 "Server Error" after 4 attempts/)
    expect(result.outputs).toMatchObject({ conclusion: 'success', 'check-url': '' })
    expect(result.summary).toContain('> [!WARNING]')
    expect(result.summary).toContain('after 4 attempts')
    // Backoff 50 ms × (1 + 4 + 9) plus process start: well under the cap.
    expect(elapsed).toBeLessThan(15_000)
    assertNoStackTrace(result)
  })

  it('annotations chunk failing after the check run was created: the step fails, says the check run is posted, check-url set', async () => {
    const emulator = await startEmulator({ profile: 'server-error', failures: Infinity, failOnly: { method: 'PATCH', path: /\/check-runs\/\d+$/ } })
    const names = Array.from({ length: 60 }, (_, i) => `only_on_sqlite_${i}`)
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing([...BASE_TESTS, ...names]), passing()), inputs: { 'max-annotations': 60 } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'POST', CHECK_RUNS).map((r) => r.status)).toEqual([201])
    expect(apiRequests(emulator, 'PATCH', /check-runs\/\d+$/).map((r) => r.status)).toEqual([502, 503, 500, 502])
    const run = emulator.checkRuns[0]!
    expect(run).toMatchObject({ conclusion: 'failure', status: 'completed' })
    expect(run.annotations).toHaveLength(50)
    const url = `https://github.com/octo-org/storage/runs/${run.id}`
    expect(result.outputs['check-url']).toBe(url)
    const errors = errorMessages(result)
    expect(errors).toEqual([
      `Posted the check run (${url}, conclusion failure), but could not add annotations 51-60 and the test inventory (later runs cannot check for vanished tests against this one): the GitHub API failed: 502 "Server Error" after 4 attempts. The verdict is in the job summary and the outputs of this step.`
    ])
    assertNoStackTrace(result)
  })

  it('a brief outage (two 5xx) then success: one check run, the step follows the verdict', async () => {
    const emulator = await startEmulator({ profile: 'server-error', failures: 2, failOnly: POST_CHECK_RUN })
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), failingPostgres()) })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'POST', CHECK_RUNS).map((r) => r.status)).toEqual([502, 503, 201])
    expect(emulator.checkRuns).toHaveLength(1)
    expect(emulator.checkRuns[0]).toMatchObject({ conclusion: 'failure' })
    expect(errorMessages(result)).toEqual([emulator.checkRuns[0]!.output.title])
    expect(result.outputs['check-url']).toBe(`https://github.com/octo-org/storage/runs/${emulator.checkRuns[0]!.id}`)
  })
})
