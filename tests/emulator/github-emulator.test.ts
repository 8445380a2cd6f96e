import { request as httpRequest } from 'node:http'
import { Octokit } from '@octokit/rest'
import { throttling } from '@octokit/plugin-throttling'
import yauzl from 'yauzl'
import { afterEach, describe, expect, it } from 'vitest'
import {
  rawZip,
  startGitHubEmulator,
  type AnnotationInput,
  type EmulatorOptions,
  type GitHubEmulator
} from '../helpers/github-emulator.js'
import { validateComponent } from '../helpers/github-openapi.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const repo = { owner: 'octo-org', repo: 'storage' }
// Octokit logs every failed request; these tests fail requests on purpose.
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

let emulator: GitHubEmulator | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
})

async function start(options?: EmulatorOptions): Promise<{ em: GitHubEmulator; octokit: Octokit }> {
  emulator = await startGitHubEmulator(options)
  return { em: emulator, octokit: new Octokit({ auth: 'x', baseUrl: emulator.url, log }) }
}

interface HttpErrorLike {
  status: number
  message: string
  response?: { data: unknown; headers: Record<string, string | number | undefined> }
}

/** Awaits a promise that must fail with an Octokit RequestError of the given status. */
async function rejected(promise: Promise<unknown>, status: number): Promise<HttpErrorLike> {
  const error = await promise.then(
    () => {
      throw new Error(`expected HTTP ${status}, request succeeded`)
    },
    (e: unknown) => e as HttpErrorLike
  )
  expect(error.status).toBe(status)
  return error
}

/** Sends a request the typed Octokit API would refuse to compile (that is the point: GitHub must refuse it too). */
function untyped(octokit: Octokit, route: string, params: Record<string, unknown>): Promise<unknown> {
  return octokit.request(route, params)
}

function annotation(i: number, overrides: Partial<AnnotationInput> = {}): AnnotationInput {
  return { path: `src/file${i}.ts`, start_line: i + 1, end_line: i + 1, annotation_level: 'warning', message: `m${i}`, ...overrides }
}

describe('check runs', () => {
  it('creates and updates a check run; PATCH replaces output text and appends annotations', async () => {
    const { em, octokit } = await start()
    const created = await octokit.rest.checks.create({
      ...repo,
      name: 'dual-backend-coverage',
      head_sha: SHA,
      status: 'in_progress',
      external_id: 'run-1',
      output: { title: 'Running', summary: 'first', annotations: [annotation(0), annotation(1)] }
    })
    expect(created.status).toBe(201)
    expect(validateComponent('check-run', created.data)).toEqual([])
    expect(created.data.html_url).toBe(`https://github.com/octo-org/storage/runs/${created.data.id}`)
    expect(created.headers['x-ratelimit-remaining']).toBeDefined()
    expect(created.headers['x-github-request-id']).toMatch(/^[0-9A-F:]+$/)

    const updated = await octokit.rest.checks.update({
      ...repo,
      check_run_id: created.data.id,
      conclusion: 'success',
      output: { title: 'Done', summary: 'second', text: 'details', annotations: [annotation(2)] }
    })
    expect(updated.data.status).toBe('completed') // a conclusion implies completed
    expect(updated.data.output).toMatchObject({ title: 'Done', summary: 'second', annotations_count: 3 })

    const run = em.checkRuns[0]
    expect(run?.annotations.map((a) => a.path)).toEqual(['src/file0.ts', 'src/file1.ts', 'src/file2.ts'])
    expect(run?.updates).toBe(1)

    const listed = await octokit.rest.checks.listForRef({ ...repo, ref: SHA, check_name: 'dual-backend-coverage' })
    expect(listed.data.total_count).toBe(1)
    const annotations = await octokit.rest.checks.listAnnotations({ ...repo, check_run_id: created.data.id })
    expect(annotations.data).toHaveLength(3)
    expect(validateComponent('check-annotation', annotations.data[0])).toEqual([])
    expect(em.violations).toEqual([])
  })

  it('rejects 51 annotations in one request but accepts 50 + 50 over two requests', async () => {
    const { em, octokit } = await start()
    const fiftyOne = Array.from({ length: 51 }, (_, i) => annotation(i))
    const error = await rejected(
      octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: 's', annotations: fiftyOne } }),
      422
    )
    expect(error.message).toContain('No more than 50 items are allowed')
    expect(em.violations).toHaveLength(1)

    const created = await octokit.rest.checks.create({
      ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: 's', annotations: fiftyOne.slice(0, 50) }
    })
    await octokit.rest.checks.update({
      ...repo, check_run_id: created.data.id, output: { title: 't', summary: 's', annotations: fiftyOne.slice(0, 50) }
    })
    expect(em.checkRuns[0]?.annotations).toHaveLength(100)
  })

  it('counts summary size in UTF-8 bytes: 65,536 bytes fails, 65,535 passes', async () => {
    const { em, octokit } = await start()
    const tooBig = 'é'.repeat(32768) // 32,768 chars (well under maxLength) but 65,536 bytes
    const error = await rejected(
      octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: tooBig } }),
      422
    )
    expect(error.message).toContain('summary exceeds a maximum bytesize of 65535')
    expect(error.response?.data).toMatchObject({ message: 'Validation Failed', errors: [{ resource: 'CheckRun', field: 'summary' }] })

    const justFits = 'é'.repeat(32767) + 'a' // 65,535 bytes
    const ok = await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: justFits } })
    expect(ok.status).toBe(201)
    expect(em.violations).toHaveLength(1)
  })

  it('truncates output.text over 65,535 bytes and records a warning', async () => {
    const { em, octokit } = await start()
    await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: 's', text: '€'.repeat(30000) } })
    const run = em.checkRuns[0]
    expect(run?.textTruncated).toBe(true)
    expect(Buffer.byteLength(run?.output.text ?? '')).toBeLessThanOrEqual(65535)
    expect(em.warnings[0]?.message).toContain('truncates')
    expect(em.violations).toEqual([])
  })

  it('rejects unknown body keys at every level GitHub checks', async () => {
    const { em, octokit } = await start()
    const base = { ...repo, name: 'c', head_sha: SHA }
    const bodies: Array<Record<string, unknown>> = [
      { ...base, summary: 'top-level typo' },
      { ...base, output: { title: 't', summary: 's', body: 'x' } },
      { ...base, output: { title: 't', summary: 's', annotations: [{ ...annotation(0), line: 3 }] } },
      { ...base, actions: [{ label: 'Fix', description: 'd', identifier: 'fix', url: 'x' }] }
    ]
    for (const body of bodies) {
      const error = await rejected(untyped(octokit, 'POST /repos/{owner}/{repo}/check-runs', body), 422)
      expect(error.message).toMatch(/^Invalid request\.\n\n.*is not a permitted key/s)
    }
    expect(em.violations.map((v) => v.kind)).toEqual(['schema', 'schema', 'schema', 'schema'])
    expect(em.checkRuns).toEqual([])
  })

  it('enforces status/conclusion, date, annotation and PATCH output rules', async () => {
    const { em, octokit } = await start()
    const base = { ...repo, name: 'c', head_sha: SHA }
    const completedWithoutConclusion = await rejected(octokit.rest.checks.create({ ...base, status: 'completed' }), 422)
    expect(completedWithoutConclusion.message).toContain('"conclusion" wasn\'t supplied.')
    await rejected(octokit.rest.checks.create({ ...base, conclusion: 'success', completed_at: 'yesterday' }), 422)
    await rejected(
      octokit.rest.checks.create({ ...base, output: { title: 't', summary: 's', annotations: [annotation(0, { start_line: 5, end_line: 4 })] } }),
      422
    )
    await rejected(
      untyped(octokit, 'POST /repos/{owner}/{repo}/check-runs', {
        ...base, output: { title: 't', summary: 's', annotations: [{ ...annotation(0), annotation_level: 'error' }] }
      }),
      422
    )
    await rejected(octokit.rest.checks.create({ ...base, head_sha: 'abc123' }), 422) // not a commit GitHub knows

    const created = await octokit.rest.checks.create({ ...base, conclusion: 'failure', completed_at: new Date().toISOString() })
    expect(created.data).toMatchObject({ status: 'completed', conclusion: 'failure' })
    const patchWithoutTitle = await rejected(
      untyped(octokit, 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        ...repo, check_run_id: created.data.id, output: { summary: 's', annotations: [annotation(0)] }
      }),
      422
    )
    expect(patchWithoutTitle.message).toContain('"title" wasn\'t supplied.')
    const patchWithoutSummary = await rejected(
      untyped(octokit, 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        ...repo, check_run_id: created.data.id, output: { title: 't', annotations: [annotation(0)] }
      }),
      422
    )
    expect(patchWithoutSummary.message).toContain('"summary" wasn\'t supplied.')
    expect(em.violations).toHaveLength(7)
    expect(em.checkRuns).toHaveLength(1)
  })

  it('seeded runs on a base commit: listed newest first by completed_at, filtered by check_name / status / filter, paged', async () => {
    const { em, octokit } = await start()
    const BASE = 'fedcba9876543210fedcba9876543210fedcba98'
    const older = em.seedCheckRun({ headSha: BASE, completedAt: '2024-05-01T10:00:00Z', annotations: [annotation(0)] })
    const newer = em.seedCheckRun({ headSha: BASE, completedAt: '2024-05-01T11:00:00Z' })
    em.seedCheckRun({ headSha: BASE, name: 'other check' })
    em.seedCheckRun({ headSha: BASE, status: 'in_progress' })
    // A real create on another commit is not listed for BASE.
    await octokit.rest.checks.create({ ...repo, name: 'dual-backend coverage', head_sha: SHA })

    const all = await octokit.rest.checks.listForRef({ ...repo, ref: BASE, check_name: 'dual-backend coverage', filter: 'all', per_page: 100 })
    expect(all.data.total_count).toBe(3)
    // The in-progress one has no completed_at and started now: the newest.
    expect(all.data.check_runs.map((r) => r.status)).toEqual(['in_progress', 'completed', 'completed'])
    expect(all.data.check_runs.slice(1).map((r) => r.id)).toEqual([newer.id, older.id])
    expect(all.data.check_runs[2]!.output.annotations_count).toBe(1)
    for (const run of all.data.check_runs) expect(validateComponent('check-run', run)).toEqual([])
    const completed = await octokit.rest.checks.listForRef({ ...repo, ref: BASE, check_name: 'dual-backend coverage', status: 'completed', filter: 'all' })
    expect(completed.data.check_runs.map((r) => r.id)).toEqual([newer.id, older.id])
    const latest = await octokit.rest.checks.listForRef({ ...repo, ref: BASE, check_name: 'dual-backend coverage' })
    expect(latest.data.check_runs).toHaveLength(1)
    const paged = await octokit.rest.checks.listForRef({ ...repo, ref: BASE, filter: 'all', per_page: 2, page: 2 })
    expect(paged.data.total_count).toBe(4)
    expect(paged.data.check_runs).toHaveLength(2)
    expect(paged.headers.link).toContain('rel="prev"')
    expect(em.violations).toEqual([])
    expect(em.responseIssues).toEqual([])
  })

  it('annotations: appended across create + PATCH, listed 100 a page (per_page above 100 gives 100), copied by seedCheckRun', async () => {
    const { em, octokit } = await start()
    const batch = (from: number) => Array.from({ length: 50 }, (_, i) => annotation(from + i, i === 0 ? { title: 't', raw_details: 'x'.repeat(60_000) } : {}))
    const created = await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA, output: { title: 't', summary: 's', annotations: batch(0) } })
    for (const from of [50, 100]) {
      await octokit.rest.checks.update({ ...repo, check_run_id: created.data.id, output: { title: 't', summary: 's', annotations: batch(from) } })
    }
    const page1 = await octokit.rest.checks.listAnnotations({ ...repo, check_run_id: created.data.id, per_page: 100 })
    expect(page1.data.map((a) => a.path)).toEqual(Array.from({ length: 100 }, (_, i) => `src/file${i}.ts`))
    expect(page1.headers.link).toContain('rel="next"')
    const page2 = await octokit.rest.checks.listAnnotations({ ...repo, check_run_id: created.data.id, per_page: 100, page: 2 })
    expect(page2.data).toHaveLength(50)
    expect(page2.data[0]).toMatchObject({ title: 't', raw_details: 'x'.repeat(60_000), annotation_level: 'warning' })
    expect((await untyped(octokit, 'GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations', { ...repo, check_run_id: created.data.id, per_page: 500 }) as { data: unknown[] }).data).toHaveLength(100)

    const BASE = 'fedcba9876543210fedcba9876543210fedcba98'
    const copy = em.seedCheckRun({ headSha: BASE, copyOf: em.checkRuns[0]! })
    expect(copy.annotations).toHaveLength(150)
    const listed = await octokit.rest.checks.listForRef({ ...repo, ref: BASE, filter: 'all' })
    expect(listed.data.check_runs.map((r) => [r.id, r.output.annotations_count])).toEqual([[copy.id, 150]])
    expect(em.violations).toEqual([])
    expect(em.responseIssues).toEqual([])
  })

  it('injected faults answer 404 / 403 / 500 on chosen routes, are not violations, and can be limited or removed', async () => {
    const { em, octokit } = await start()
    const LIST = /\/commits\/[^/]+\/check-runs$/
    em.injectFault({ method: 'GET', path: LIST, status: 404 })
    expect((await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 404)).message).toContain('Not Found')
    em.injectFault({ method: 'GET', path: LIST, status: 403 })
    expect((await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 403)).message).toContain('Resource not accessible by integration')
    em.injectFault({ method: 'GET', path: LIST, status: 500, times: 1 })
    await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 500)
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA })).status).toBe(200)
    // Other routes are untouched; an invalid request still fails validation first (a violation).
    em.injectFault({ method: 'GET', path: LIST, status: 404 })
    expect((await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA })).status).toBe(201)
    await rejected(untyped(octokit, 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...repo, ref: SHA, filter: 'newest' }), 422)
    expect(em.violations.map((v) => v.kind)).toEqual(['schema'])
    em.injectFault(undefined)
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA })).status).toBe(200)
  })

  it('lists only the latest run per name by default', async () => {
    const { octokit } = await start()
    for (const name of ['a', 'a', 'b']) await octokit.rest.checks.create({ ...repo, name, head_sha: SHA })
    const latest = await octokit.rest.checks.listForRef({ ...repo, ref: SHA })
    expect(latest.data.check_runs.map((r) => r.name).sort()).toEqual(['a', 'b'])
    const all = await octokit.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'all', per_page: 2 })
    expect(all.data.total_count).toBe(3)
    expect(all.data.check_runs).toHaveLength(2)
    expect(all.headers.link).toContain('rel="next"')
  })
})

describe('commit statuses', () => {
  it('accepts 140-character descriptions and rejects 141', async () => {
    const { em, octokit } = await start()
    const ok = await octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success', context: 'ctx', description: 'x'.repeat(140) })
    expect(ok.status).toBe(201)
    expect(validateComponent('status', ok.data)).toEqual([])
    const error = await rejected(
      octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success', description: 'x'.repeat(141) }),
      422
    )
    expect(error.message).toContain('description is too long (maximum is 140 characters)')
    await rejected(untyped(octokit, 'POST /repos/{owner}/{repo}/statuses/{sha}', { ...repo, sha: SHA, state: 'passed' }), 422)
    expect(em.statuses).toHaveLength(1)
    expect(em.violations).toHaveLength(2)
  })
})

describe('token profiles', () => {
  it('read-only-fork: writes get 403 "Resource not accessible by integration", reads work', async () => {
    const { em, octokit } = await start({ profile: 'read-only-fork' })
    const error = await rejected(octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA }), 403)
    expect(error.response?.data).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/checks/runs#create-a-check-run',
      status: '403'
    })
    await rejected(octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success' }), 403)
    const list = await octokit.rest.checks.listForRef({ ...repo, ref: SHA })
    expect(list.status).toBe(200)
    expect(em.violations).toEqual([]) // simulated refusals are not client mistakes

    em.setProfile('write')
    expect((await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA })).status).toBe(201)
  })

  it('rate-limited: secondary limit as 403 and as 429 with retry-after, then normal', async () => {
    const { em, octokit } = await start({ profile: 'rate-limited', failures: 1 })
    const first = await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 403)
    expect(first.message).toContain('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.')
    expect(first.response?.headers['retry-after']).toBe('1')
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA })).status).toBe(200)

    em.setProfile('rate-limited', { failures: 1, rateLimitVariant: 'secondary-429' })
    const second = await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 429)
    expect(second.response?.headers['retry-after']).toBe('1')

    em.setProfile('rate-limited', { failures: 1, rateLimitVariant: 'primary' })
    const primary = await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 403)
    expect(primary.response?.headers['x-ratelimit-remaining']).toBe('0')
  })

  it('rate-limited: @octokit/plugin-throttling waits retry-after and succeeds', async () => {
    const { em } = await start({ profile: 'rate-limited', failures: 1 })
    const Throttled = Octokit.plugin(throttling)
    const seen: number[] = []
    const octokit = new Throttled({
      auth: 'x',
      baseUrl: em.url,
      log,
      throttle: {
        onRateLimit: () => false,
        onSecondaryRateLimit: (retryAfter: number) => {
          seen.push(retryAfter)
          return true
        }
      }
    })
    const created = await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA })
    expect(created.status).toBe(201)
    expect(seen).toEqual([1])
    expect(em.requests.map((r) => r.status)).toEqual([403, 201])
  })

  it('rate-limited: retry-after is configurable, and each request records when it arrived', async () => {
    const { em, octokit } = await start({ profile: 'rate-limited', failures: 1, retryAfterSeconds: 7 })
    const before = Date.now()
    const error = await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 403)
    expect(error.response?.headers['retry-after']).toBe('7')
    expect(em.requests[0]!.at).toBeGreaterThanOrEqual(before)
    expect(em.requests[0]!.at).toBeLessThanOrEqual(Date.now())
  })

  it('missingPermissions: endpoints needing them answer 403 "Resource not accessible by integration", reads too', async () => {
    const { em, octokit } = await start({ missingPermissions: ['actions', 'statuses'] })
    const list = await rejected(octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: 1 }), 403)
    expect(list.response?.data).toMatchObject({ message: 'Resource not accessible by integration' })
    await rejected(octokit.rest.repos.createCommitStatus({ ...repo, sha: SHA, state: 'success' }), 403)
    // checks: still granted.
    expect((await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA })).status).toBe(201)
    // Simulated refusals are not client mistakes.
    expect(em.violations).toEqual([])
  })

  it('server-error: first N requests get 502/503, then normal', async () => {
    const { em, octokit } = await start({ profile: 'server-error', failures: 2 })
    const a = await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 502)
    expect(a.response?.data).toEqual({ message: 'Server Error' })
    await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 503)
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA })).status).toBe(200)
    em.setProfile('server-error', { failures: Infinity, serverErrorStatuses: [500] })
    await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA }), 500)
  })
})

describe('artifacts', () => {
  it('lists with pagination and downloads through the 302 to blob storage', async () => {
    const { em, octokit } = await start({
      artifacts: [
        { name: 'junit-sqlite', files: { 'report.xml': '<testsuites/>' }, runId: 77, createdAt: '2024-05-01T10:00:00Z' },
        { name: 'junit-postgres', files: { 'report.xml': '<testsuites name="pg"/>' }, runId: 77, createdAt: '2024-05-01T11:00:00Z' },
        { name: 'other-run', files: { 'a.txt': 'a' }, runId: 78 }
      ]
    })
    const page1 = await octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: 77, per_page: 1 })
    expect(page1.data.total_count).toBe(2)
    expect(page1.data.artifacts[0]?.name).toBe('junit-postgres') // newest first
    expect(page1.headers.link).toMatch(/page=2>; rel="next"/)
    expect(validateComponent('artifact', page1.data.artifacts[0])).toEqual([])

    const all = await octokit.paginate(octokit.rest.actions.listWorkflowRunArtifacts, { ...repo, run_id: 77, per_page: 1 })
    expect(all.map((a) => a.name)).toEqual(['junit-postgres', 'junit-sqlite'])
    const byName = await octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: 77, name: 'junit-sqlite' })
    expect(byName.data.artifacts).toHaveLength(1)

    const artifactId = byName.data.artifacts[0]?.id ?? 0
    const download = await octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: artifactId, archive_format: 'zip' })
    expect(download.status).toBe(200)
    const entries = await readZip(Buffer.from(download.data as ArrayBuffer))
    expect(entries).toEqual({ 'report.xml': '<testsuites/>' })

    const redirect = em.requests.find((r) => r.path.endsWith('/zip'))
    expect(redirect?.status).toBe(302)
    // Blob storage is another origin, so fetch drops the token on the redirect.
    expect(em.blobDownloads).toEqual([{ artifactId, authorizationSent: false, status: 200 }])
    expect(em.violations).toEqual([])
  })

  it('records an Authorization header sent to blob storage, and can reject it', async () => {
    const { em, octokit } = await start({ blobAuthorization: 'reject' })
    const artifact = await em.addArtifact({ name: 'a', files: { 'x.txt': 'x' } })
    const redirect = await octokit.request('GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}', {
      ...repo, artifact_id: artifact.id, archive_format: 'zip', request: { redirect: 'manual' }
    }).catch((e: HttpErrorLike) => e.response)
    const location = String(redirect?.headers.location)
    expect(location).toMatch(/\/_blobs\/[0-9a-f]+\?.*sig=/)

    const withToken = await fetch(location, { headers: { authorization: 'token x' } })
    expect(withToken.status).toBe(400)
    const anonymous = await fetch(location)
    expect(anonymous.status).toBe(200)
    expect(anonymous.headers.get('content-type')).toBe('application/zip')
    expect(em.blobDownloads.map((d) => d.authorizationSent)).toEqual([true, false])
  })

  it('serves hand-made zips with entries yazl refuses, and 410 for expired artifacts', async () => {
    const { em, octokit } = await start()
    const evil = await em.addArtifact({
      name: 'evil',
      zip: rawZip([{ name: 'ok.txt', data: 'fine' }, { name: '../../evil.txt', data: 'pwned' }, { name: '/etc/passwd', data: 'root' }])
    })
    const dl = await octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: evil.id, archive_format: 'zip' })
    const names = await zipEntryNames(Buffer.from(dl.data as ArrayBuffer))
    expect(names).toEqual(['ok.txt', '../../evil.txt', '/etc/passwd'])
    const symlink = rawZip([{ name: 'link', data: '/etc/passwd', unixMode: 0o120777 }])
    expect(await readZip(rawZip([{ name: 'a/b.txt', data: 'ü' }]))).toEqual({ 'a/b.txt': 'ü' })
    expect(symlink.length).toBeGreaterThan(0)

    const old = await em.addArtifact({ name: 'old', files: { 'a.txt': 'a' }, expired: true })
    const gone = await rejected(octokit.rest.actions.downloadArtifact({ ...repo, artifact_id: old.id, archive_format: 'zip' }), 410)
    expect(gone.message).toContain('Artifact has expired')
  })
})

describe('authentication, headers and routing', () => {
  it('answers 401 without a valid Authorization header', async () => {
    const { em } = await start()
    const anonymous = new Octokit({ baseUrl: em.url, log })
    const error = await rejected(anonymous.rest.checks.create({ ...repo, name: 'c', head_sha: SHA }), 401)
    expect(error.response?.data).toMatchObject({ message: 'Requires authentication' })
    const malformed = await rawRequest(em.url, '/repos/o/r/commits/x/check-runs', { authorization: 'x', 'user-agent': 'test' })
    expect(malformed.status).toBe(401)
    expect(em.violations.map((v) => v.kind)).toEqual(['auth', 'auth'])
  })

  it('answers 403 without a User-Agent, 404 for unknown routes, 400 for broken JSON', async () => {
    const { em, octokit } = await start()
    const noAgent = await rawRequest(em.url, `/repos/o/r/commits/${SHA}/check-runs`, { authorization: 'token x' })
    expect(noAgent.status).toBe(403)
    expect(noAgent.body).toContain('User-Agent')
    const missing = await rejected(octokit.request('GET /repos/{owner}/{repo}/pulls', repo), 404)
    expect(missing.response?.data).toMatchObject({ message: 'Not Found' })
    await rejected(octokit.rest.checks.get({ ...repo, check_run_id: 42 }), 404)
    const broken = await rawRequest(em.url, '/repos/o/r/check-runs', { authorization: 'token x', 'user-agent': 't', 'content-type': 'application/json' }, 'POST', '{"name":')
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.body)).toMatchObject({ message: 'Problems parsing JSON' })
    expect(em.requests.every((r) => r.status > 0)).toBe(true)
    expect(em.violations.map((v) => v.kind)).toEqual(['user-agent', 'not-found', 'not-found', 'bad-json'])
  })

  it('accepts the supported X-GitHub-Api-Version and rejects unknown ones', async () => {
    const { octokit } = await start()
    const headers = (v: string) => ({ headers: { 'x-github-api-version': v } })
    expect((await octokit.rest.checks.listForRef({ ...repo, ref: SHA, ...headers('2022-11-28') })).status).toBe(200)
    await rejected(octokit.rest.checks.listForRef({ ...repo, ref: SHA, ...headers('2020-01-01') }), 400)
  })

  it('records method, path, query, headers and bodies', async () => {
    const { em, octokit } = await start()
    await octokit.rest.checks.create({ ...repo, name: 'c', head_sha: SHA })
    await octokit.rest.checks.listForRef({ ...repo, ref: SHA, per_page: 5 })
    const [post, get] = em.requests
    expect(post).toMatchObject({ method: 'POST', path: '/repos/octo-org/storage/check-runs', status: 201, body: { name: 'c', head_sha: SHA } })
    expect(post?.headers.authorization).toBe('token x')
    expect(JSON.parse(post?.rawBody ?? '')).toEqual({ name: 'c', head_sha: SHA })
    expect(get).toMatchObject({ method: 'GET', query: { per_page: '5' }, body: undefined, status: 200 })
  })
})

// --- helpers -------------------------------------------------------------------------------------

function rawRequest(
  base: string,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string
): Promise<{ status: number; body: string }> {
  // node:http sends no User-Agent by default, unlike fetch, so we can test its absence.
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function openZip(buf: Buffer, decodeStrings: boolean): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(buf, { lazyEntries: false, decodeStrings }, (err, zip) => (err ? reject(err) : resolve(zip)))
  )
}

/** Entry names exactly as stored (yauzl's decodeStrings=false skips its own path-safety checks). */
async function zipEntryNames(buf: Buffer): Promise<string[]> {
  const zip = await openZip(buf, false)
  const names: string[] = []
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => names.push(Buffer.from(e.fileName as unknown as Buffer).toString('utf8')))
    zip.on('end', () => resolve())
    zip.on('error', reject)
  })
  return names
}

async function readZip(buf: Buffer): Promise<Record<string, string>> {
  const zip = await openZip(buf, true)
  const out: Record<string, string> = {}
  const pending: Array<Promise<void>> = []
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      pending.push(
        new Promise((res, rej) =>
          zip.openReadStream(entry, (err, stream) => {
            if (err) return rej(err)
            const chunks: Buffer[] = []
            stream.on('data', (c: Buffer) => chunks.push(c))
            stream.on('end', () => {
              out[entry.fileName] = Buffer.concat(chunks).toString('utf8')
              res()
            })
            stream.on('error', rej)
          })
        )
      )
    })
    zip.on('end', () => resolve())
    zip.on('error', reject)
  })
  await Promise.all(pending)
  return out
}
