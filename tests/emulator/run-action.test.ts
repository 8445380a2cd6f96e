import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { forkPullRequestEvent } from '../helpers/events.js'
import { startGitHubEmulator, type GitHubEmulator } from '../helpers/github-emulator.js'
import { inputEnvName, parseFileCommand, parseLog, runAction } from '../helpers/run-action.js'

const fakeAction = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fake-action.mjs')

let emulator: GitHubEmulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

describe('runAction', () => {
  it('runs an action like the runner: inputs, event, outputs, summary, log, API calls', async () => {
    emulator = await startGitHubEmulator()
    const event = forkPullRequestEvent({ action: 'synchronize' })
    const result = await runAction({
      apiUrl: emulator.url,
      actionPath: fakeAction,
      event,
      inputs: { 'check-name': 'dual-backend-coverage', 'max-annotations': 50, token: 'ghs_test', mode: 'fail' },
      files: { 'reports/junit.xml': '<testsuites/>' }
    })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(1) // core.setFailed
    expect(result.outputs).toMatchObject({ 'max-annotations': '50', multiline: 'line 1\nline 2', leaked: '' })
    expect(result.outputs['check-run-url']).toMatch(/^https:\/\/github\.com\/octo-org\/storage\/runs\/\d+$/)
    expect(result.summary).toContain('<h1>Dual backend coverage</h1>')
    expect(result.log).toContainEqual(
      expect.objectContaining({ command: 'warning', properties: { title: 'gap: a,b', file: 'tests/storage.test.ts', line: '3' } })
    )
    expect(result.log).toContainEqual(expect.objectContaining({ command: 'error', message: 'gate found gaps' }))
    expect(result.env).toMatchObject({
      'INPUT_CHECK-NAME': 'dual-backend-coverage',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_SHA: event.sha,
      GITHUB_REF: 'refs/pull/17/merge',
      GITHUB_REPOSITORY: 'octo-org/storage',
      GITHUB_API_URL: emulator.url,
      RUNNER_OS: 'Linux'
    })
    // The action used the PR head SHA from the payload, not GITHUB_SHA (the merge commit).
    const head = (event.payload.pull_request as { head: { sha: string } }).head.sha
    expect(emulator.checkRuns.map((r) => r.headSha)).toEqual([head])
    expect(emulator.violations).toEqual([])
  })

  it('does not pass the parent GITHUB_* variables through', async () => {
    process.env.GITHUB_TOKEN_LEAK_PROBE = 'leak'
    try {
      const result = await runAction({ apiUrl: 'http://127.0.0.1:9', actionPath: fakeAction, inputs: { mode: 'hang' }, timeoutMs: 300 })
      expect(result.env.GITHUB_TOKEN_LEAK_PROBE).toBeUndefined()
      expect(result.timedOut).toBe(true)
      expect(result.signal).toBe('SIGKILL')
    } finally {
      delete process.env.GITHUB_TOKEN_LEAK_PROBE
    }
  })

  it('parses both GITHUB_OUTPUT formats and workflow-command escapes', () => {
    expect(inputEnvName('max annotations')).toBe('INPUT_MAX_ANNOTATIONS')
    expect(inputEnvName('check-name')).toBe('INPUT_CHECK-NAME')
    expect(parseFileCommand('a=1\nb<<ghadelimiter_x\nl1\nl2=3\nghadelimiter_x\nc=x=y\n')).toEqual({ a: '1', b: 'l1\nl2=3', c: 'x=y' })
    expect(() => parseFileCommand('b<<EOF\nnever closed\n')).toThrow(/never closed/)
    expect(parseLog('::error file=a%2Cb.ts,line=2::100%25%0Adone %250A\nplain')).toEqual([
      { command: 'error', message: '100%\ndone %0A', properties: { file: 'a,b.ts', line: '2' }, raw: '::error file=a%2Cb.ts,line=2::100%25%0Adone %250A' },
      { command: 'info', message: 'plain', properties: {}, raw: 'plain' }
    ])
  })
})
