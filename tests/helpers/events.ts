/**
 * Builders for the event payloads the runner writes to GITHUB_EVENT_PATH, plus the GITHUB_SHA /
 * GITHUB_REF the runner sets for each event (they differ from the payload's head SHA, which is
 * exactly what actions get wrong).
 *
 * Shapes follow GitHub's webhook schemas in the OpenAPI description (`webhook-pull-request-opened`,
 * `webhook-push`, ...); tests/emulator/events.test.ts validates every builder against them.
 */
import { createHash } from 'node:crypto'

export type EventName = 'pull_request' | 'push' | 'workflow_run' | 'merge_group'

export interface GitHubEvent {
  name: EventName
  payload: Record<string, unknown>
  /** GITHUB_SHA the runner sets for this event. */
  sha: string
  /** GITHUB_REF the runner sets for this event. */
  ref: string
  /** GITHUB_HEAD_REF / GITHUB_BASE_REF (set for pull_request events only). */
  headRef?: string
  baseRef?: string
}

/** Deterministic fake commit SHA, so tests can name commits ("head", "merge") and stay reproducible. */
export function fakeSha(label: string): string {
  return createHash('sha1').update(label).digest('hex')
}

const TIME = '2024-05-01T12:00:00Z'

function idFor(label: string): number {
  return Number.parseInt(fakeSha(label).slice(0, 7), 16)
}

export function user(login: string, type: 'User' | 'Organization' | 'Bot' = 'User'): Record<string, unknown> {
  const id = idFor(`user:${login}`)
  const api = `https://api.github.com/users/${login}`
  return {
    login,
    id,
    node_id: `MDQ6VXNlcj${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false
  }
}

export interface RepoOptions {
  fork?: boolean
  private?: boolean
  defaultBranch?: string
}

/** A repository object as embedded in webhook payloads (`repository`, `head.repo`, `base.repo`). */
export function repository(fullName: string, options: RepoOptions = {}): Record<string, unknown> {
  const [ownerLogin = 'octo-org', name = 'repo'] = fullName.split('/')
  const id = idFor(`repo:${fullName}`)
  const api = `https://api.github.com/repos/${fullName}`
  const html = `https://github.com/${fullName}`
  return {
    id,
    node_id: `R_kgDO${id}`,
    name,
    full_name: fullName,
    private: options.private ?? false,
    owner: user(ownerLogin, ownerLogin.includes('org') ? 'Organization' : 'User'),
    html_url: html,
    description: null,
    fork: options.fork ?? false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: TIME,
    updated_at: TIME,
    pushed_at: TIME,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 1024,
    stargazers_count: 0,
    watchers_count: 0,
    language: 'TypeScript',
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: options.private ? 'private' : 'public',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: options.defaultBranch ?? 'main'
  }
}

export interface PullRequestEventOptions {
  action?: 'opened' | 'synchronize'
  /** Base repository, e.g. `octo-org/storage`. */
  repo?: string
  number?: number
  headSha?: string
  /** Previous head for `synchronize`. */
  beforeSha?: string
  baseSha?: string
  headRef?: string
  baseRef?: string
  /** Set to open the PR from a fork, e.g. `contributor/storage`. */
  forkRepo?: string
  author?: string
  /** GITHUB_SHA: the test merge commit `refs/pull/N/merge`, never the head SHA. */
  mergeSha?: string
}

export function pullRequestEvent(options: PullRequestEventOptions = {}): GitHubEvent {
  const baseName = options.repo ?? 'octo-org/storage'
  const number = options.number ?? 17
  const author = options.author ?? (options.forkRepo ? (options.forkRepo.split('/')[0] ?? 'contributor') : 'maintainer')
  const headSha = options.headSha ?? fakeSha(`pr-${number}-head`)
  const baseSha = options.baseSha ?? fakeSha(`pr-${number}-base`)
  const headRef = options.headRef ?? 'feature/dual-backend'
  const baseRef = options.baseRef ?? 'main'
  // Fresh objects per position, so a test mutating head.repo doesn't silently change base.repo.
  const baseRepo = repository(baseName)
  const headRepo = options.forkRepo ? repository(options.forkRepo, { fork: true }) : repository(baseName)
  const headOwner = (options.forkRepo ?? baseName).split('/')[0] ?? author
  const api = `https://api.github.com/repos/${baseName}`
  const html = `https://github.com/${baseName}/pull/${number}`
  const action = options.action ?? 'opened'

  const pullRequest: Record<string, unknown> = {
    url: `${api}/pulls/${number}`,
    id: idFor(`pr:${baseName}#${number}`),
    node_id: `PR_kwDO${number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${number}`,
    number,
    state: 'open',
    locked: false,
    title: 'Run storage tests on both backends',
    user: user(author),
    body: null,
    created_at: TIME,
    updated_at: TIME,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: false,
    commits_url: `${api}/pulls/${number}/commits`,
    review_comments_url: `${api}/pulls/${number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    head: { label: `${headOwner}:${headRef}`, ref: headRef, sha: headSha, user: user(headOwner), repo: headRepo },
    base: { label: `${baseName.split('/')[0] ?? ''}:${baseRef}`, ref: baseRef, sha: baseSha, user: baseRepo.owner, repo: baseRepo },
    _links: {
      self: { href: `${api}/pulls/${number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${number}` },
      comments: { href: `${api}/issues/${number}/comments` },
      review_comments: { href: `${api}/pulls/${number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${number}/commits` },
      statuses: { href: `${api}/statuses/${headSha}` }
    },
    author_association: options.forkRepo ? 'CONTRIBUTOR' : 'MEMBER',
    auto_merge: null,
    active_lock_reason: null,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: 'unknown',
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: options.forkRepo !== undefined,
    commits: 1,
    additions: 10,
    deletions: 2,
    changed_files: 1
  }
  const payload: Record<string, unknown> = {
    action,
    number,
    ...(action === 'synchronize'
      ? { before: options.beforeSha ?? fakeSha(`pr-${number}-before`), after: headSha }
      : {}),
    pull_request: pullRequest,
    repository: repository(baseName),
    sender: user(author)
  }
  return {
    name: 'pull_request',
    payload,
    sha: options.mergeSha ?? fakeSha(`pr-${number}-merge`),
    ref: `refs/pull/${number}/merge`,
    headRef,
    baseRef
  }
}

/** Shorthand: a pull request opened from a fork (`head.repo.fork: true`, different full_name). */
export function forkPullRequestEvent(options: PullRequestEventOptions = {}): GitHubEvent {
  return pullRequestEvent({ forkRepo: 'contributor/storage', ...options })
}

export interface PushEventOptions {
  repo?: string
  ref?: string
  after?: string
  before?: string
  pusher?: string
}

export function pushEvent(options: PushEventOptions = {}): GitHubEvent {
  const repoName = options.repo ?? 'octo-org/storage'
  const ref = options.ref ?? 'refs/heads/main'
  const after = options.after ?? fakeSha('push-after')
  const before = options.before ?? fakeSha('push-before')
  const pusher = options.pusher ?? 'maintainer'
  const repo = repository(repoName)
  const commit = {
    id: after,
    tree_id: fakeSha(`tree-${after}`),
    distinct: true,
    message: 'Add PostgreSQL backend',
    timestamp: TIME,
    url: `https://github.com/${repoName}/commit/${after}`,
    author: { name: pusher, email: `${pusher}@example.com`, username: pusher },
    committer: { name: pusher, email: `${pusher}@example.com`, username: pusher },
    added: [],
    removed: [],
    modified: ['src/storage.ts']
  }
  const payload: Record<string, unknown> = {
    ref,
    before,
    after,
    // Push payloads carry a repository with numeric timestamps and extra fields; keep both forms valid.
    repository: { ...repo, created_at: 1714564800, pushed_at: 1714564800, stargazers: 0, master_branch: 'main' },
    pusher: { name: pusher, email: `${pusher}@example.com` },
    sender: user(pusher),
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${repoName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit
  }
  return { name: 'push', payload, sha: after, ref }
}

export interface WorkflowRunEventOptions {
  repo?: string
  /** The triggering run's event; `pull_request` for the fork-PR pattern. */
  event?: string
  conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped' | 'neutral' | 'timed_out' | 'action_required'
  headSha?: string
  headBranch?: string
  /** Set for a run triggered by a fork PR: GitHub sends `pull_requests: []` for those. */
  forkRepo?: string
  /** Pull request number for same-repo PRs (ignored for forks, as GitHub omits them). */
  pullRequestNumber?: number
  runId?: number
  runAttempt?: number
  workflowName?: string
  /** GITHUB_SHA of the workflow_run-triggered job: the default branch head. */
  defaultBranchSha?: string
}

export function workflowRunEvent(options: WorkflowRunEventOptions = {}): GitHubEvent {
  const repoName = options.repo ?? 'octo-org/storage'
  const repo = repository(repoName)
  const headRepo = options.forkRepo ? repository(options.forkRepo, { fork: true }) : repository(repoName)
  const headSha = options.headSha ?? fakeSha('workflow-run-head')
  const headBranch = options.headBranch ?? 'feature/dual-backend'
  const runId = options.runId ?? 9_876_543_210
  const runAttempt = options.runAttempt ?? 1
  const event = options.event ?? 'pull_request'
  const api = `https://api.github.com/repos/${repoName}`
  const workflowId = idFor(`workflow:${repoName}`)
  const actor = user(options.forkRepo ? (options.forkRepo.split('/')[0] ?? 'contributor') : 'maintainer')
  const pullRequests =
    options.forkRepo || options.pullRequestNumber === undefined
      ? []
      : [
          {
            url: `${api}/pulls/${options.pullRequestNumber}`,
            id: idFor(`pr:${repoName}#${options.pullRequestNumber}`),
            number: options.pullRequestNumber,
            head: { ref: headBranch, sha: headSha, repo: { id: repo.id, url: api, name: repo.name } },
            base: { ref: 'main', sha: fakeSha('workflow-run-base'), repo: { id: repo.id, url: api, name: repo.name } }
          }
        ]
  const headCommit = {
    id: headSha,
    tree_id: fakeSha(`tree-${headSha}`),
    message: 'Add PostgreSQL backend',
    timestamp: TIME,
    author: { name: 'contributor', email: 'contributor@example.com' },
    committer: { name: 'contributor', email: 'contributor@example.com' }
  }
  const workflowRun = {
    id: runId,
    name: options.workflowName ?? 'Storage tests',
    node_id: `WFR_kwLO${runId}`,
    head_branch: headBranch,
    head_sha: headSha,
    path: '.github/workflows/storage-tests.yml',
    display_title: 'Add PostgreSQL backend',
    run_number: 321,
    event,
    status: 'completed',
    conclusion: options.conclusion ?? 'success',
    workflow_id: workflowId,
    check_suite_id: idFor(`suite:${runId}`),
    check_suite_node_id: `CS_kwDO${runId}`,
    url: `${api}/actions/runs/${runId}`,
    html_url: `https://github.com/${repoName}/actions/runs/${runId}`,
    pull_requests: pullRequests,
    created_at: TIME,
    updated_at: TIME,
    actor,
    triggering_actor: actor,
    run_attempt: runAttempt,
    referenced_workflows: [],
    run_started_at: TIME,
    jobs_url: `${api}/actions/runs/${runId}/jobs`,
    logs_url: `${api}/actions/runs/${runId}/logs`,
    check_suite_url: `${api}/check-suites/${idFor(`suite:${runId}`)}`,
    artifacts_url: `${api}/actions/runs/${runId}/artifacts`,
    cancel_url: `${api}/actions/runs/${runId}/cancel`,
    rerun_url: `${api}/actions/runs/${runId}/rerun`,
    previous_attempt_url: runAttempt > 1 ? `${api}/actions/runs/${runId}/attempts/${runAttempt - 1}` : null,
    workflow_url: `${api}/actions/workflows/${workflowId}`,
    head_commit: headCommit,
    repository: repo,
    head_repository: headRepo
  }
  const payload: Record<string, unknown> = {
    action: 'completed',
    workflow_run: workflowRun,
    workflow: {
      id: workflowId,
      node_id: `W_kwDO${workflowId}`,
      name: workflowRun.name,
      path: workflowRun.path,
      state: 'active',
      created_at: TIME,
      updated_at: TIME,
      url: `${api}/actions/workflows/${workflowId}`,
      html_url: `https://github.com/${repoName}/blob/main/${workflowRun.path}`,
      badge_url: `https://github.com/${repoName}/workflows/Storage%20tests/badge.svg`
    },
    repository: repository(repoName),
    sender: actor
  }
  return {
    name: 'workflow_run',
    payload,
    sha: options.defaultBranchSha ?? fakeSha('default-branch-head'),
    ref: 'refs/heads/main'
  }
}

export interface MergeGroupEventOptions {
  repo?: string
  headSha?: string
  baseSha?: string
  prNumber?: number
  baseRef?: string
}

export function mergeGroupEvent(options: MergeGroupEventOptions = {}): GitHubEvent {
  const repoName = options.repo ?? 'octo-org/storage'
  const prNumber = options.prNumber ?? 17
  const headSha = options.headSha ?? fakeSha('merge-group-head')
  const baseSha = options.baseSha ?? fakeSha('merge-group-base')
  const baseRef = options.baseRef ?? 'refs/heads/main'
  const branch = baseRef.replace(/^refs\/heads\//, '')
  const headRef = `refs/heads/gh-readonly-queue/${branch}/pr-${prNumber}-${baseSha}`
  const payload: Record<string, unknown> = {
    action: 'checks_requested',
    merge_group: {
      head_sha: headSha,
      head_ref: headRef,
      base_sha: baseSha,
      base_ref: baseRef,
      head_commit: {
        id: headSha,
        tree_id: fakeSha(`tree-${headSha}`),
        message: `Merge pull request #${prNumber} from contributor/feature`,
        timestamp: TIME,
        author: { name: 'maintainer', email: 'maintainer@example.com' },
        committer: { name: 'GitHub', email: 'noreply@github.com' }
      }
    },
    repository: repository(repoName),
    sender: user('maintainer')
  }
  return { name: 'merge_group', payload, sha: headSha, ref: headRef }
}
