// Posting the verdict: a check run (with annotations in chunks of 50) or a commit status.
import type { Gap, Verdict } from '../core/model.js'
import { WHOLE_BACKEND } from '../core/model.js'
import { clip, truncateUtf8, utf8Length } from '../render/escape.js'
import { ALL_SECTIONS, CHECK_SUMMARY_LIMIT, type LinkContext, renderMarkdown } from '../render/markdown.js'
import { splitDigest } from '../core/inventory.js'
import { DIGEST_PART_CHARS, INVENTORY_TITLE_PREFIX, MAX_DIGEST_PARTS } from './base-inventory.js'
import type { GitHubClient } from './github.js'

/** GitHub accepts at most 50 annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50
const ANNOTATION_MESSAGE_BYTES = 4_000
const ANNOTATION_TITLE_CHARS = 255
const STATUS_DESCRIPTION_CHARS = 140
const CHECK_TITLE_CHARS = 1_000

export interface Annotation {
  path: string
  start_line: number
  end_line: number
  annotation_level: 'notice' | 'warning' | 'failure'
  title: string
  message: string
  raw_details?: string
}

export interface CheckRunTarget {
  owner: string
  repo: string
  sha: string
  name: string
  /** `<run id>-<attempt>`: every run attempt gets its own check run. */
  externalId: string
  detailsUrl: string
  links: LinkContext
  /** Where annotations without a known file are placed (the config file). */
  fallbackPath: string
  maxAnnotations: number
  /** This run's inventory digest, posted as notice annotations for later runs (not counted in maxAnnotations). */
  digest?: string
}

export function buildAnnotations(verdict: Verdict, fallbackPath: string, max: number): Annotation[] {
  const annotations: Annotation[] = []
  const add = (gap: Pick<Gap, 'test' | 'backend' | 'message' | 'file' | 'line'> & { kind: string; reason: string }, level: Annotation['annotation_level']) => {
    if (annotations.length >= max) return
    const known = gap.file !== undefined && isRepoPath(gap.file)
    const line = known && gap.line !== undefined && gap.line > 0 ? gap.line : 1
    const subject = gap.test === WHOLE_BACKEND ? `every test on ${gap.backend}` : gap.test
    const body = gap.message === undefined ? gap.reason : `${gap.reason}\n\n${gap.message}`
    annotations.push({
      path: known ? (gap.file as string).replace(/^\.\//, '') : fallbackPath,
      start_line: line,
      end_line: line,
      annotation_level: level,
      title: clip(`${gap.kind} on ${gap.backend}: ${subject}`, ANNOTATION_TITLE_CHARS - 1),
      message: truncateUtf8(known || gap.test === WHOLE_BACKEND ? body : `${subject}\n${body}`, ANNOTATION_MESSAGE_BYTES)
    })
  }
  for (const error of verdict.errors) {
    add({ test: WHOLE_BACKEND, backend: 'reports', kind: 'unreadable report', reason: error.message, file: error.file, line: error.line }, 'failure')
  }
  for (const gap of verdict.gaps) add(gap, 'failure')
  // Under `flaky: fail` a flaky test is already a gap (annotated above as a failure).
  const flakyGaps = new Set(verdict.gaps.filter((g) => g.kind === 'flaky').map((g) => `${g.test}\0${g.backend}`))
  for (const flaky of verdict.flaky) {
    if (flakyGaps.has(`${flaky.test}\0${flaky.backend}`)) continue
    add({ ...flaky, kind: 'flaky', reason: `passed on ${flaky.backend} after a failed attempt (allowed by flaky: warn)` }, 'warning')
  }
  // Under `drift: fail` a vanished test is a gap (annotated above); under `drift: warn` it is a notice.
  if (!verdict.gaps.some((g) => g.kind === 'vanished')) {
    for (const drift of verdict.drift) {
      for (const test of drift.vanished) {
        add({ test, backend: 'every backend', kind: 'vanished', reason: `reported at ${drift.label}, reported by no backend now (allowed by drift: warn)` }, 'notice')
      }
    }
  }
  return annotations
}

/**
 * The digest as notice annotations, one per part of at most DIGEST_PART_CHARS characters, titled
 * `dual-backend-coverage inventory <i>/<n>` (how base-inventory.ts finds them). Undefined when the
 * digest needs more than MAX_DIGEST_PARTS parts: then none is posted.
 */
export function inventoryAnnotations(digest: string, fallbackPath: string, tests: number): Annotation[] | undefined {
  const parts = splitDigest(digest, DIGEST_PART_CHARS)
  if (parts.length > MAX_DIGEST_PARTS) return undefined
  return parts.map((part, i) => ({
    path: fallbackPath,
    start_line: 1,
    end_line: 1,
    annotation_level: 'notice',
    title: `${INVENTORY_TITLE_PREFIX}${i + 1}/${parts.length}`,
    message:
      `Machine-readable list of the ${tests} storage ${tests === 1 ? 'test' : 'tests'} in this check, compared by later runs ` +
      `to find tests that vanished. Part ${i + 1} of ${parts.length}.`,
    raw_details: part
  }))
}

function isRepoPath(file: string): boolean {
  return !file.startsWith('/') && !/^[A-Za-z]:/.test(file) && !file.split('/').includes('..') && !/^[a-z]+:\/\//i.test(file)
}

export interface CheckOutput {
  title: string
  summary: string
  text?: string
}

export function checkOutput(verdict: Verdict, links: LinkContext, checkName: string): CheckOutput {
  const summary = renderMarkdown(verdict, {
    maxBytes: CHECK_SUMMARY_LIMIT,
    heading: checkName,
    links,
    sections: ALL_SECTIONS.filter((section) => section !== 'messages'),
    moreAt: 'the job summary and the `json` output of this step'
  })
  const output: CheckOutput = { title: clip(verdict.title, CHECK_TITLE_CHARS), summary }
  if (verdict.gaps.some((g) => g.message !== undefined)) {
    // Failure messages go in `text`, which has its own 65,535-byte budget.
    output.text = renderMarkdown(verdict, { maxBytes: CHECK_SUMMARY_LIMIT, links, sections: ['messages'], moreAt: 'the job summary' })
  }
  if (utf8Length(output.summary) > CHECK_SUMMARY_LIMIT) throw new Error('internal error: summary over budget')
  return output
}

/** The check run was created (with its conclusion) but a later chunk of annotations failed. */
export class AnnotationsError extends Error {
  constructor(
    readonly checkUrl: string,
    /** 1-based number of the first gap annotation not posted, and the number of gap annotations
     * (from > total when every gap annotation was posted and only inventory parts were lost). */
    readonly from: number,
    readonly total: number,
    readonly reason: unknown,
    /** Inventory parts that were not posted (later runs cannot compare with this one). */
    readonly inventoryLost = 0
  ) {
    super(`annotations ${from}-${total} were not added`)
    this.name = 'AnnotationsError'
  }
}

/** Creates the check run, then appends annotations 50 at a time: the gap annotations first (so the
 * create request stays small and carries what the reviewer needs), then the inventory parts.
 * Returns its html_url. */
export async function publishCheckRun(client: GitHubClient, target: CheckRunTarget, verdict: Verdict, log: (message: string) => void = () => {}): Promise<string> {
  const output = checkOutput(verdict, target.links, target.name)
  const gapAnnotations = buildAnnotations(verdict, target.fallbackPath, target.maxAnnotations)
  let inventory: Annotation[] = []
  if (target.digest !== undefined) {
    const parts = inventoryAnnotations(target.digest, target.fallbackPath, verdict.tests)
    if (parts === undefined) {
      log(
        `The test inventory digest is ${target.digest.length} characters, more than ${MAX_DIGEST_PARTS} annotations of ${DIGEST_PART_CHARS}: ` +
          'it is not posted, so later runs cannot check for vanished tests against this run.'
      )
    } else {
      inventory = parts
      log(`Test inventory: ${target.digest.length} characters in ${parts.length} annotation${parts.length === 1 ? '' : 's'} (not counted in max-annotations).`)
    }
  }
  const annotations = [...gapAnnotations, ...inventory]
  const first = annotations.slice(0, ANNOTATIONS_PER_REQUEST)
  const created = await client.rest.checks.create({
    owner: target.owner,
    repo: target.repo,
    name: target.name,
    head_sha: target.sha,
    external_id: target.externalId,
    details_url: target.detailsUrl,
    status: 'completed',
    conclusion: verdict.conclusion,
    completed_at: new Date().toISOString(),
    output: first.length > 0 ? { ...output, annotations: first } : output
  })
  const url = created.data.html_url ?? ''
  for (let start = ANNOTATIONS_PER_REQUEST; start < annotations.length; start += ANNOTATIONS_PER_REQUEST) {
    // An update replaces `output`, so title, summary and text go with every chunk.
    try {
      await client.rest.checks.update({
        owner: target.owner,
        repo: target.repo,
        check_run_id: created.data.id,
        output: { ...output, annotations: annotations.slice(start, start + ANNOTATIONS_PER_REQUEST) }
      })
    } catch (error) {
      throw new AnnotationsError(url, start + 1, gapAnnotations.length, error, inventory.length - Math.max(0, start - gapAnnotations.length))
    }
  }
  return url
}

export interface StatusTarget {
  owner: string
  repo: string
  sha: string
  context: string
  targetUrl: string
}

export async function publishStatus(client: GitHubClient, target: StatusTarget, verdict: Verdict): Promise<string> {
  await client.rest.repos.createCommitStatus({
    owner: target.owner,
    repo: target.repo,
    sha: target.sha,
    state: verdict.conclusion,
    context: target.context,
    description: clip(verdict.title, STATUS_DESCRIPTION_CHARS - 1),
    target_url: target.targetUrl
  })
  return target.targetUrl
}
