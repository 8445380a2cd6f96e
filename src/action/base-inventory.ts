// The base branch's test inventory, read back from the check run an earlier run of this action
// posted on the base commit (the digest lives in notice annotations, see publish.ts). A storage
// test that no backend reports any more is invisible to a gate that only compares backends with
// each other; comparing with the base's inventory finds it.
//
// Whatever goes wrong here (no base commit, no such check run, an older version of the action on
// the base, 403/404/5xx, a damaged digest) is a DriftSource with `notCompared`: the summary says
// why nothing was compared, and the verdict is decided by the current reports alone.
import { decodeDigest, InventoryError } from '../core/inventory.js'
import type { DriftSource } from '../core/model.js'
import { describeApiError, type GitHubClient } from './github.js'

/** How the reader finds the inventory annotations: the title is `<prefix><i>/<n>`. */
export const INVENTORY_TITLE_PREFIX = 'dual-backend-coverage inventory '
/** Characters of digest per annotation: raw_details holds at most 64 KB (65,536 bytes); base64 is ASCII. */
export const DIGEST_PART_CHARS = 60_000
/** More parts than this (more than 3,000,000 characters, about 500k tests) are not posted at all. */
export const MAX_DIGEST_PARTS = 50
/** Check runs of the base looked at (newest first), and annotation pages read per run. */
export const MAX_RUNS_LOOKED_AT = 10
export const MAX_ANNOTATION_PAGES = 20
const ANNOTATIONS_PER_PAGE = 100
const ZERO_SHA = /^0+$/

type Payload = Record<string, unknown>

export interface BaseCommit {
  sha: string
  /** Where the sha came from, for the log. */
  why: string
}

function get(payload: Payload, ...path: Array<string | number>): unknown {
  let value: unknown = payload
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string | number, unknown>)[key]
  }
  return value
}

function sha(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i.test(value) ? value : undefined
}

/** The commit whose inventory this run compares with, or why there is none. */
export function baseCommit(eventName: string, payload: Payload): BaseCommit | { reason: string } {
  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const base = sha(get(payload, 'pull_request', 'base', 'sha'))
      return base !== undefined ? { sha: base, why: `${eventName}: the pull request's base commit` } : { reason: `the ${eventName} payload names no base commit` }
    }
    case 'merge_group': {
      const base = sha(get(payload, 'merge_group', 'base_sha'))
      return base !== undefined ? { sha: base, why: "merge_group: the merge queue's base commit" } : { reason: 'the merge_group payload names no base commit' }
    }
    case 'push': {
      const before = get(payload, 'before')
      if (typeof before === 'string' && ZERO_SHA.test(before)) return { reason: 'the push created the branch, so there is no earlier commit to compare with' }
      const previous = sha(before)
      return previous !== undefined ? { sha: previous, why: 'push: the commit the branch pointed to before the push' } : { reason: 'the push payload names no earlier commit' }
    }
    case 'workflow_run': {
      const base = sha(get(payload, 'workflow_run', 'pull_requests', 0, 'base', 'sha'))
      if (base !== undefined) return { sha: base, why: "workflow_run: the base commit of the triggering run's pull request" }
      const event = get(payload, 'workflow_run', 'event')
      const trigger = typeof event === 'string' && event.length > 0 ? event : 'unknown'
      const detail =
        trigger === 'pull_request' || trigger === 'pull_request_target'
          ? "the workflow_run payload lists no pull request (GitHub leaves it empty for a pull request from a fork), so no base could be found"
          : `the triggering run's event is ${trigger}, and a workflow_run payload carries no earlier commit for it, so no base could be found`
      return { reason: detail }
    }
    default:
      return { reason: `the ${eventName || 'unknown'} event has no base commit` }
  }
}

export interface BaseInventoryOptions {
  owner: string
  repo: string
  eventName: string
  payload: Payload
  /** The check-name input: the base's check run has the same name. */
  checkName: string
  /** A client, or why none could be made (an empty token). */
  client: () => GitHubClient
  /** Plain log lines (never workflow commands). */
  log: (message: string) => void
}

/** Finds the base commit's inventory. Never throws: every failure is a `notCompared` reason. */
export async function findBaseInventory(options: BaseInventoryOptions): Promise<DriftSource> {
  const base = baseCommit(options.eventName, options.payload)
  if ('reason' in base) return { label: 'the base branch', notCompared: base.reason }
  const short = base.sha.slice(0, 7)
  const label = `the base ${short} (check run "${options.checkName}")`
  options.log(`Base: ${base.sha} (${base.why})`)
  try {
    return await readInventory(options, base.sha, label)
  } catch (error) {
    return { label, notCompared: apiReason(error, base.sha) }
  }
}

interface ListedRun {
  id: number
  status: string
  completed_at?: string | null
  output: { annotations_count: number }
}

async function readInventory(options: BaseInventoryOptions, ref: string, label: string): Promise<DriftSource> {
  const client = options.client()
  const { owner, repo, checkName } = options
  const short = ref.slice(0, 7)
  const listed = await client.rest.checks.listForRef({ owner, repo, ref, check_name: checkName, filter: 'all', per_page: 100 })
  const runs = (listed.data.check_runs as ListedRun[]).filter((run) => run.status === 'completed')
  if (listed.data.check_runs.length === 0) return { label, notCompared: `no check run named "${checkName}" on ${short} (the gate did not run there, or ran under another name)` }
  if (runs.length === 0) return { label, notCompared: `the check run "${checkName}" on ${short} has not completed` }
  // Newest first: a re-run's check run supersedes the earlier attempt's.
  runs.sort((a, b) => (b.completed_at ?? '').localeCompare(a.completed_at ?? '') || b.id - a.id)
  const problems: string[] = []
  let withoutInventory = 0
  for (const run of runs.slice(0, MAX_RUNS_LOOKED_AT)) {
    if ((run.output.annotations_count ?? 0) === 0) {
      withoutInventory += 1
      continue
    }
    const found = await readParts(client, owner, repo, run.id)
    if (found.kind === 'none') {
      withoutInventory += 1
      if (found.truncated) problems.push(`check run ${run.id} has more than ${MAX_ANNOTATION_PAGES * ANNOTATIONS_PER_PAGE} annotations and none of the first ones is an inventory`)
      continue
    }
    if (found.kind === 'problem') {
      problems.push(`check run ${run.id}: ${found.message}`)
      options.log(`Base inventory: skipped check run ${run.id}: ${found.message}`)
      continue
    }
    try {
      const inventory = decodeDigest(found.digest)
      options.log(`Base inventory: check run ${run.id} on ${short}, ${inventory.tests.length} tests in ${found.parts} part${found.parts === 1 ? '' : 's'}`)
      return { label, inventory }
    } catch (error) {
      const message = error instanceof InventoryError ? error.message : `the inventory could not be read (${(error as Error).message})`
      problems.push(`check run ${run.id}: ${message}`)
      options.log(`Base inventory: skipped check run ${run.id}: ${message}`)
    }
  }
  const looked = Math.min(runs.length, MAX_RUNS_LOOKED_AT)
  if (problems.length > 0) {
    return { label, notCompared: `no usable test inventory in the ${looked} newest check run${looked === 1 ? '' : 's'} on ${short} (${problems.join('; ')})` }
  }
  return {
    label,
    notCompared:
      `the check run${withoutInventory === 1 ? '' : 's'} "${checkName}" on ${short} hold${withoutInventory === 1 ? 's' : ''} no test inventory ` +
      '(posted by a version of this action from before inventories, or with publish: status)'
  }
}

type Parts = { kind: 'found'; digest: string; parts: number } | { kind: 'none'; truncated: boolean } | { kind: 'problem'; message: string }

/** Reads a check run's annotations (100 a page, at most MAX_ANNOTATION_PAGES pages) for the inventory parts. */
async function readParts(client: GitHubClient, owner: string, repo: string, checkRunId: number): Promise<Parts> {
  const parts = new Map<number, string>()
  let total: number | undefined
  let truncated = false
  for (let page = 1; page <= MAX_ANNOTATION_PAGES; page++) {
    const response = await client.rest.checks.listAnnotations({ owner, repo, check_run_id: checkRunId, per_page: ANNOTATIONS_PER_PAGE, page })
    for (const annotation of response.data) {
      const title = annotation.title ?? ''
      if (!title.startsWith(INVENTORY_TITLE_PREFIX)) continue
      const match = /^(\d+)\/(\d+)$/.exec(title.slice(INVENTORY_TITLE_PREFIX.length).trim())
      if (match === null) return { kind: 'problem', message: `an inventory annotation has the title "${title.slice(0, 80)}"` }
      const index = Number(match[1])
      const count = Number(match[2])
      if (count < 1 || index < 1 || index > count) return { kind: 'problem', message: `an inventory annotation is numbered ${index}/${count}` }
      if (total !== undefined && total !== count) return { kind: 'problem', message: `its inventory annotations disagree on the number of parts (${total} and ${count})` }
      total = count
      if (typeof annotation.raw_details !== 'string' || annotation.raw_details.length === 0) return { kind: 'problem', message: `inventory part ${index}/${count} is empty` }
      if (parts.has(index)) return { kind: 'problem', message: `inventory part ${index}/${count} appears twice` }
      parts.set(index, annotation.raw_details)
    }
    if (total !== undefined && parts.size === total) break
    if (response.data.length < ANNOTATIONS_PER_PAGE) break
    if (page === MAX_ANNOTATION_PAGES) truncated = true
  }
  if (total === undefined) return { kind: 'none', truncated }
  if (parts.size < total) {
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !parts.has(i))
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '')
    return { kind: 'problem', message: `its inventory is incomplete: ${parts.size} of ${total} parts (missing ${shown})` }
  }
  let digest = ''
  for (let i = 1; i <= total; i++) digest += parts.get(i) as string
  return { kind: 'found', digest, parts: total }
}

function apiReason(error: unknown, ref: string): string {
  const short = ref.slice(0, 7)
  const { status, message, attempts } = describeApiError(error)
  const tries = attempts === undefined || attempts === 1 ? '' : ` after ${attempts} attempts`
  if (status === 403 && !/rate limit/i.test(message)) {
    return (
      `GitHub answered 403 "${message}" when reading the check runs of ${short}: the token lacks the \`checks: read\` permission ` +
      '(add `checks: read` to the job\'s `permissions:`; `checks: write` includes it)'
    )
  }
  if (status === 404) return `GitHub answered 404 "${message}" when reading the check runs of ${short} (the commit is not in this repository, or the token cannot see it)`
  if (status !== undefined) return `GitHub answered ${status} "${message}"${tries} when reading the check runs of ${short}`
  return `the check runs of ${short} could not be read: ${message}`
}
