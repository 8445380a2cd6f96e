// Which commit gets the verdict, the three publish modes, and re-run attempts.
import { describe, expect, it } from 'vitest'
import { fakeSha, mergeGroupEvent, pullRequestEvent, pushEvent, type GitHubEvent } from '../helpers/events.js'
import {
  apiRequests,
  BASE_TESTS,
  CHECK_RUNS,
  commitLine,
  errorMessages,
  passing,
  readJson,
  reports,
  runGate,
  TOKEN,
  startEmulator
} from './support.js'


const RUN_URL = 'https://github.com/octo-org/storage/actions/runs/1234567890'
const failingPostgres = () => BASE_TESTS.map((name) => (name === 'update_row' ? { name, status: 'failed' as const, message: 'expected 1 row, got 0' } : { name }))

describe('the commit the check is posted on', () => {
  interface ShaCase {
    title: string
    event: () => GitHubEvent
    /** Overrides GITHUB_SHA, to prove the payload (not GITHUB_SHA) was used. */
    githubSha?: string
    sha?: string
    expected: (event: GitHubEvent) => string
    why: RegExp
  }
  const other = fakeSha('not-this-one')
  const CASES: ShaCase[] = [
    {
      title: "pull_request: the PR head, not GITHUB_SHA (the merge commit)",
      event: () => pullRequestEvent(),
      expected: (e) => (e.payload.pull_request as { head: { sha: string } }).head.sha,
      why: /^pull_request: the pull request's head commit \(GITHUB_SHA is the merge commit\)$/
    },
    {
      title: 'merge_group: merge_group.head_sha',
      event: () => mergeGroupEvent(),
      githubSha: other,
      expected: (e) => (e.payload.merge_group as { head_sha: string }).head_sha,
      why: /^merge_group: the merge queue's head commit$/
    },
    {
      title: 'push: GITHUB_SHA',
      event: () => pushEvent(),
      expected: (e) => e.sha,
      why: /^push: GITHUB_SHA$/
    },
    {
      title: 'the sha input overrides the event',
      event: () => pullRequestEvent(),
      sha: fakeSha('chosen-by-input'),
      expected: () => fakeSha('chosen-by-input'),
      why: /^the sha input$/
    }
  ]

  it.each(CASES)('$title', async (c) => {
    const emulator = await startEmulator()
    const event = c.event()
    const result = await runGate({
      emulator,
      event,
      files: reports(passing(), passing()),
      inputs: c.sha === undefined ? {} : { sha: c.sha },
      env: c.githubSha === undefined ? {} : { GITHUB_SHA: c.githubSha }
    })
    const expected = c.expected(event)
    expect(expected).toMatch(/^[0-9a-f]{40}$/)
    expect(expected).not.toBe(c.githubSha ?? (c.sha === undefined ? '' : event.sha))

    expect(result.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns.map((r) => r.headSha)).toEqual([expected])
    const line = commitLine(result)
    expect(line).toBeDefined()
    const [, sha, why] = /^Commit: ([0-9a-f]{40}) \((.*)\)$/.exec(line!) ?? []
    expect(sha).toBe(expected)
    expect(why).toMatch(c.why)
    // The summary's links point at the same commit.
    expect(result.summary).not.toContain(c.githubSha ?? 'no GITHUB_SHA override')
  })

  it('a sha input that is not a full commit SHA fails the step with a message naming the input', async () => {
    const emulator = await startEmulator()
    const event = pullRequestEvent()
    const result = await runGate({ emulator, event, files: reports(passing(), passing()), inputs: { sha: 'main' } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    // The failure still reaches the pull request: posted on the commit the event names.
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha
    expect(emulator.checkRuns.map((r) => [r.headSha, r.conclusion])).toEqual([[head, 'failure']])
    expect(emulator.checkRuns[0]!.output.title).toBe('Could not evaluate: input sha: must be a full 40-character commit SHA (got "main")')
    expect(commitLine(result)).toMatch(/^Commit: [0-9a-f]{40} \(pull_request: .*; the sha input is not a full commit SHA\)$/)
    expect(result.outputs.conclusion).toBe('failure')
  })
})

describe('publish modes', () => {
  it('publish: status, red verdict: one failure commit status, description within 140 characters, no check run', async () => {
    const emulator = await startEmulator()
    // A long unknown key makes a long "Could not evaluate: ..." title.
    const longKey = `flakey-${'x'.repeat(150)}`
    const files = { ...reports(passing(), passing()), '.github/dual-backend.yml': `${longKey}: warn\n` }
    const result = await runGate({ emulator, event: pushEvent(), files, inputs: { publish: 'status', 'check-name': 'storage coverage' } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.warnings).toEqual([])
    expect(emulator.checkRuns).toEqual([])
    expect(apiRequests(emulator, 'POST', CHECK_RUNS)).toEqual([])
    expect(emulator.statuses).toHaveLength(1)
    const status = emulator.statuses[0]!
    expect(status).toMatchObject({ sha: pushEvent().sha, state: 'failure', context: 'storage coverage', targetUrl: RUN_URL })
    expect(status.description!.length).toBeLessThanOrEqual(140)
    expect(status.description).toMatch(/^Could not evaluate: \.github\/dual-backend\.yml: flakey-x+…$/)
    expect(result.outputs).toMatchObject({ conclusion: 'failure', 'check-url': RUN_URL })
    expect(result.summary).toContain('unknown key')
    expect(errorMessages(result)).toHaveLength(2)
  })

  it('publish: status, green verdict: a success commit status on the PR head', async () => {
    const emulator = await startEmulator()
    const event = pullRequestEvent()
    const result = await runGate({ emulator, event, files: reports(passing(), passing()), inputs: { publish: 'status' } })

    expect(result.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toEqual([])
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha
    expect(emulator.statuses.map((s) => [s.sha, s.state, s.context, s.targetUrl, s.description])).toEqual([
      [head, 'success', 'dual-backend coverage', RUN_URL, `${BASE_TESTS.length} storage tests passed on sqlite and postgres`]
    ])
    expect(result.outputs).toMatchObject({ conclusion: 'success', 'check-url': RUN_URL })
  })

  it('publish: none: no request at all, yet the summary and every output are written and the step follows the verdict', async () => {
    const emulator = await startEmulator()
    const result = await runGate({ emulator, event: pullRequestEvent(), files: reports(passing(), failingPostgres()), inputs: { publish: 'none' } })

    expect(emulator.requests).toEqual([])
    expect(result.exitCode).toBe(1)
    expect(result.outputs).toMatchObject({ conclusion: 'failure', tests: String(BASE_TESTS.length), gaps: '1', 'check-url': '' })
    expect(readJson(result).gaps).toEqual([expect.objectContaining({ kind: 'failed', backend: 'postgres' })])
    expect(result.summary).toMatch(/^## ❌ dual-backend coverage: 1 gap: 1 test failed on postgres$/m)
    expect(errorMessages(result)).toEqual(['1 gap: 1 test failed on postgres'])
  })

  it('publish: check-run with an empty token: the step fails saying so, the verdict still in the summary', async () => {
    const emulator = await startEmulator()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()), inputs: { token: '' } })

    expect(emulator.requests).toEqual([])
    expect(result.exitCode).toBe(1)
    expect(errorMessages(result)).toEqual([
      'Could not post the check run: the token input is empty: pass ${{ github.token }} or an app token. The verdict is in the job summary and the outputs of this step.'
    ])
    expect(result.outputs).toMatchObject({ conclusion: 'success', 'check-url': '' })
    expect(result.summary).toContain('## ✅ dual-backend coverage:')
  })

  it('publish: none with no token: green and quiet', async () => {
    const emulator = await startEmulator()
    const result = await runGate({ emulator, event: pushEvent(), files: reports(passing(), passing()), inputs: { publish: 'none', token: '' } })

    expect(emulator.requests).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ conclusion: 'success', gaps: '0', 'check-url': '' })
    expect(result.summary).toContain('## ✅ dual-backend coverage:')
  })
})

describe('re-runs', () => {
  it('GITHUB_RUN_ATTEMPT=2 creates a new check run with external_id <run id>-2; the latest is the one GitHub shows', async () => {
    const emulator = await startEmulator()
    const event = pullRequestEvent()
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha
    const first = await runGate({ emulator, event, files: reports(passing(), failingPostgres()), runAttempt: 1 })
    const second = await runGate({ emulator, event, files: reports(passing(), passing()), runAttempt: 2 })

    expect(first.exitCode).toBe(1)
    expect(second.exitCode).toBe(0)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'POST', CHECK_RUNS)).toHaveLength(2)
    expect(apiRequests(emulator, 'PATCH', /check-runs/)).toEqual([])
    expect(emulator.checkRuns.map((r) => [r.externalId, r.headSha, r.conclusion, r.name])).toEqual([
      ['1234567890-1', head, 'failure', 'dual-backend coverage'],
      ['1234567890-2', head, 'success', 'dual-backend coverage']
    ])
    const [run1, run2] = emulator.checkRuns
    expect(first.outputs['check-url']).toBe(`https://github.com/octo-org/storage/runs/${run1!.id}`)
    expect(second.outputs['check-url']).toBe(`https://github.com/octo-org/storage/runs/${run2!.id}`)

    // What branch protection sees: the latest check run of that name on the commit.
    const response = await fetch(`${emulator.url}/repos/octo-org/storage/commits/${head}/check-runs?check_name=${encodeURIComponent('dual-backend coverage')}`, {
      headers: { authorization: `token ${TOKEN}`, 'user-agent': 'test' }
    })
    const listed = (await response.json()) as { total_count: number; check_runs: Array<{ id: number; conclusion: string; external_id: string }> }
    expect(listed.check_runs.map((r) => [r.id, r.conclusion, r.external_id])).toEqual([[run2!.id, 'success', '1234567890-2']])
  })
})
