import { describe, expect, it } from 'vitest'
import {
  forkPullRequestEvent,
  mergeGroupEvent,
  pullRequestEvent,
  pushEvent,
  workflowRunEvent,
  type GitHubEvent
} from '../helpers/events.js'
import { validateComponent } from '../helpers/github-openapi.js'

/** Webhook schema in GitHub's OpenAPI description for each built event. */
function schemaFor(event: GitHubEvent): string {
  const action = event.payload.action
  switch (event.name) {
    case 'pull_request':
      return `webhook-pull-request-${String(action)}`
    case 'push':
      return 'webhook-push'
    case 'workflow_run':
      return 'webhook-workflow-run-completed'
    case 'merge_group':
      return 'webhook-merge-group-checks-requested'
  }
}

describe('event payload builders match GitHub webhook schemas', () => {
  const cases: Array<[string, GitHubEvent]> = [
    ['pull_request opened', pullRequestEvent()],
    ['pull_request synchronize', pullRequestEvent({ action: 'synchronize' })],
    ['pull_request from a fork', forkPullRequestEvent({ action: 'synchronize' })],
    ['push', pushEvent()],
    ['workflow_run from a fork PR', workflowRunEvent({ forkRepo: 'contributor/storage' })],
    ['workflow_run from a same-repo PR', workflowRunEvent({ pullRequestNumber: 17 })],
    ['merge_group', mergeGroupEvent()]
  ]
  it.each(cases)('%s', (_label, event) => {
    expect(validateComponent(schemaFor(event), event.payload)).toEqual([])
  })

  it('the schema check is real: a broken payload fails', () => {
    const event = forkPullRequestEvent()
    const head = (event.payload.pull_request as { head: Record<string, unknown> }).head
    delete head.sha
    expect(validateComponent('webhook-pull-request-opened', event.payload)).toEqual([
      { path: '/pull_request/head', message: `"sha" wasn't supplied.` }
    ])
  })

  it('models the SHAs and refs the runner sets', () => {
    const pr = forkPullRequestEvent()
    const payload = pr.payload as { pull_request: { head: { sha: string; repo: { fork: boolean; full_name: string } }; base: { repo: { full_name: string } } } }
    expect(pr.sha).not.toBe(payload.pull_request.head.sha) // GITHUB_SHA is the merge commit
    expect(pr.ref).toBe('refs/pull/17/merge')
    expect(payload.pull_request.head.repo.fork).toBe(true)
    expect(payload.pull_request.head.repo.full_name).not.toBe(payload.pull_request.base.repo.full_name)

    const run = workflowRunEvent({ forkRepo: 'contributor/storage' })
    const wr = (run.payload as { workflow_run: { pull_requests: unknown[]; head_sha: string; event: string } }).workflow_run
    expect(wr.pull_requests).toEqual([])
    expect(wr.event).toBe('pull_request')
    expect(run.sha).not.toBe(wr.head_sha)

    const mg = mergeGroupEvent()
    expect(mg.sha).toBe((mg.payload as { merge_group: { head_sha: string } }).merge_group.head_sha)
    expect(mg.ref).toMatch(/^refs\/heads\/gh-readonly-queue\/main\/pr-17-[0-9a-f]{40}$/)
  })
})
