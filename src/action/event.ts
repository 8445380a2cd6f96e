// Which commit the check belongs to, and what kind of run this is, from the event payload.
// On pull_request events GITHUB_SHA is the temporary merge commit, not the PR head the
// reviewer sees: a check posted there would never show on the pull request.

export interface CommitChoice {
  sha: string
  why: string
}

type Payload = Record<string, unknown>

function get(payload: Payload, ...path: string[]): unknown {
  let value: unknown = payload
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

export function chooseSha(eventName: string, payload: Payload, githubSha: string, override: string | undefined): CommitChoice {
  if (override !== undefined) return { sha: override, why: 'the sha input' }
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    const head = text(get(payload, 'pull_request', 'head', 'sha'))
    if (head !== undefined) return { sha: head, why: `${eventName}: the pull request's head commit (GITHUB_SHA is the merge commit)` }
  }
  if (eventName === 'workflow_run') {
    const head = text(get(payload, 'workflow_run', 'head_sha'))
    if (head !== undefined) return { sha: head, why: 'workflow_run: the head commit of the run that produced the reports' }
  }
  if (eventName === 'merge_group') {
    const head = text(get(payload, 'merge_group', 'head_sha'))
    if (head !== undefined) return { sha: head, why: "merge_group: the merge queue's head commit" }
  }
  return { sha: githubSha, why: `${eventName || 'event'}: GITHUB_SHA` }
}

/** A pull request from a fork gets a read-only token: writes fail with 403. */
export function isForkPullRequest(eventName: string, payload: Payload): boolean {
  if (eventName !== 'pull_request') return false
  const headRepo = text(get(payload, 'pull_request', 'head', 'repo', 'full_name'))
  const baseRepo = text(get(payload, 'pull_request', 'base', 'repo', 'full_name'))
  return get(payload, 'pull_request', 'head', 'repo', 'fork') === true || (headRepo !== undefined && baseRepo !== undefined && headRepo !== baseRepo)
}

export function workflowRunId(payload: Payload): number | undefined {
  const id = get(payload, 'workflow_run', 'id')
  return typeof id === 'number' ? id : undefined
}
