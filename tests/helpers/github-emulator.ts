/**
 * A local stand-in for api.github.com, for the endpoints this action uses.
 *
 * Every API request is validated against GitHub's OpenAPI description (path/query parameters and
 * JSON bodies, with unknown body keys rejected like GitHub's server does) and against server rules
 * the description cannot express (see github-rules.ts). A request GitHub would reject gets GitHub's
 * error response AND lands in `emulator.violations`, so a test can assert `violations` is empty.
 *
 * Artifact downloads redirect (302) to a second listener on another port, i.e. another origin,
 * like GitHub's redirect to blob storage: fetch drops the Authorization header on cross-origin
 * redirects, and `blobDownloads[].authorizationSent` shows whether a client sent it anyway.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { operationValidator, type OperationValidator } from './github-openapi.js'
import {
  checkRunRules,
  invalidRequest,
  isFullSha,
  MAX_OUTPUT_BYTES,
  Rejection,
  schemaIssueLines,
  statusRules,
  truncateUtf8,
  type AnnotationInput,
  type CheckRunBody,
  type RejectionKind,
  type StatusBody
} from './github-rules.js'
import { zipFiles, type FileContent } from './zip.js'

export type { AnnotationInput } from './github-rules.js'
export { rawZip, zipFiles, type RawZipEntry } from './zip.js'

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** How the token behaves. Mirrors what GITHUB_TOKEN gets in the situations the action must survive. */
export type TokenProfile = 'write' | 'read-only-fork' | 'rate-limited' | 'server-error'

/** `secondary-403`/`secondary-429`: abuse limits (retry-after); `primary`: hourly quota exhausted. */
export type RateLimitVariant = 'secondary-403' | 'secondary-429' | 'primary'

export interface ProfileOptions {
  /**
   * How many API requests fail before the emulator answers normally (`rate-limited` and
   * `server-error` only). Default 1. `Infinity` = every request fails.
   */
  failures?: number
  rateLimitVariant?: RateLimitVariant
  /** Statuses cycled through by `server-error`. Default [502, 503, 500]. */
  serverErrorStatuses?: Array<500 | 502 | 503 | 504>
  /** `retry-after` (seconds) sent with secondary rate limits. Default 1. */
  retryAfterSeconds?: number
  /** Fail only requests with this method and a path matching this pattern (others pass, uncounted). */
  failOnly?: { method: string; path: RegExp }
}

export interface EmulatorOptions extends ProfileOptions {
  profile?: TokenProfile
  /** Artifacts available from the start (more via `addArtifact`). */
  artifacts?: ArtifactInput[]
  /**
   * Reject check-run `head_sha` / status `sha` values that are not 40 hex chars, as GitHub answers
   * 422 "No commit found for SHA" for commits it doesn't have. Default true.
   */
  requireFullShas?: boolean
  /** What blob storage does when a client sends an Authorization header. Default 'record'. */
  blobAuthorization?: 'record' | 'reject'
  /** `x-ratelimit-limit` reported on responses. Default 5000. */
  rateLimit?: number
  /**
   * Permissions the token lacks (a job whose `permissions:` leave them out): every request to an
   * endpoint that needs one, read or write, gets GitHub's 403 "Resource not accessible by integration".
   */
  missingPermissions?: Permission[]
}

/** The GITHUB_TOKEN permission each emulated endpoint needs. */
export type Permission = 'checks' | 'statuses' | 'actions'

function permissionOf(specPath: string): Permission {
  if (specPath.includes('/check-runs')) return 'checks'
  if (specPath.includes('/statuses/')) return 'statuses'
  return 'actions'
}

export interface ArtifactInput {
  name: string
  /** Zip contents, zipped with yazl. Use `zip` instead for hand-crafted archives. */
  files?: Record<string, FileContent>
  /** Raw archive bytes (e.g. from `rawZip` for zip-slip entries). */
  zip?: Buffer
  /** Workflow run that owns it. Omitted: the artifact is listed for every run id. */
  runId?: number
  headSha?: string
  createdAt?: Date | string
  expired?: boolean
  id?: number
}

export interface StoredArtifact {
  id: number
  name: string
  runId: number | undefined
  headSha: string
  zip: Buffer
  createdAt: string
  expiresAt: string
  expired: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Lower-cased names, as Node reports them. */
  headers: Record<string, string>
  /** Parsed JSON when the body is JSON, else the raw string; undefined without a body. */
  body: unknown
  rawBody: string
  status: number
  /** When the request arrived (Date.now()), to measure waits between retries. */
  at: number
  /** True for requests served by the blob-storage listener (artifact bytes). */
  blob: boolean
  /** Why the request was refused, if it was (also for simulated failures). */
  rejection?: { kind: RejectionKind; message: string }
}

/** A request the client got wrong (simulated profile failures are not violations). */
export interface Violation {
  method: string
  path: string
  status: number
  kind: RejectionKind
  reason: string
}

export interface StoredCheckRun {
  id: number
  owner: string
  repo: string
  name: string
  headSha: string
  status: string
  conclusion: string | null
  startedAt: string
  completedAt: string | null
  externalId: string | null
  detailsUrl: string | null
  output: { title: string | null; summary: string | null; text: string | null }
  /** True when GitHub would have cut `output.text` at 65535 bytes (the stored text is cut). */
  textTruncated: boolean
  /** All annotations, appended across create + every PATCH (GitHub behaviour). */
  annotations: AnnotationInput[]
  actions: Array<{ label: string; description: string; identifier: string }>
  /** Number of successful PATCH requests. */
  updates: number
}

export interface StoredStatus {
  id: number
  owner: string
  repo: string
  sha: string
  state: StatusBody['state']
  description: string | null
  targetUrl: string | null
  context: string
  createdAt: string
}

/** A check run a test places on a commit (e.g. the base of a pull request), as an earlier run left it. */
export interface SeedCheckRunInput {
  headSha: string
  /** Default the action's default check name, `dual-backend coverage`. */
  name?: string
  owner?: string
  repo?: string
  /** Default 'completed' (with a conclusion), or 'queued' / 'in_progress'. */
  status?: 'queued' | 'in_progress' | 'completed'
  /** Default 'success' for a completed run. */
  conclusion?: string
  /** Default now (whole seconds); newer runs are listed first. */
  completedAt?: Date | string
  output?: { title?: string; summary?: string; text?: string }
  annotations?: AnnotationInput[]
  /** Copy output and annotations from a run stored earlier, e.g. one a real run of the action posted on another sha. */
  copyOf?: StoredCheckRun
  externalId?: string
}

/**
 * A failure the emulator answers instead of the real response, for requests matching `method` and
 * `path` (after the request itself passed validation). Not a violation: the client did nothing wrong.
 */
export interface InjectedFault {
  method: string
  path: RegExp
  status: 403 | 404 | 500 | 502 | 503
  /** How many matching requests fail. Default every one. */
  times?: number
  /** GitHub's message. Default by status: "Resource not accessible by integration", "Not Found", "Server Error"... */
  message?: string
}

export interface BlobDownload {
  artifactId: number
  authorizationSent: boolean
  status: number
}

export interface EmulatorWarning {
  method: string
  path: string
  message: string
}

export interface GitHubEmulator {
  /** Base URL to use as GITHUB_API_URL / Octokit baseUrl, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  readonly checkRuns: StoredCheckRun[]
  readonly statuses: StoredStatus[]
  readonly artifacts: StoredArtifact[]
  readonly violations: Violation[]
  /** Things GitHub accepts but changes or ignores (e.g. output.text truncated). */
  readonly warnings: EmulatorWarning[]
  readonly blobDownloads: BlobDownload[]
  /** Emulator responses that do not match the OpenAPI description's response schema (an emulator bug). */
  readonly responseIssues: EmulatorWarning[]
  readonly profile: TokenProfile
  /** Places a check run on a commit, as if an earlier run had posted it (listed and paged like any other). */
  seedCheckRun(input: SeedCheckRunInput): StoredCheckRun
  /** Answers matching requests with a failure (see InjectedFault); `undefined` removes it. */
  injectFault(fault: InjectedFault | undefined): void
  /** Switches the token profile and restarts the failure counter. */
  setProfile(profile: TokenProfile, options?: ProfileOptions): void
  addArtifact(input: ArtifactInput): Promise<StoredArtifact>
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const DOCS = 'https://docs.github.com/rest'
/** Values GitHub accepts in `X-GitHub-Api-Version` (absent = 2022-11-28). */
const SUPPORTED_API_VERSIONS = new Set(['2022-11-28', '2026-03-10'])
const JSON_TYPE = 'application/json; charset=utf-8'
const USER_AGENT_TEXT =
  'Request forbidden by administrative rules. Please make sure your request has a User-Agent header ' +
  '(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). ' +
  'Check https://developer.github.com for other possible causes.\n'

interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
  /** Non-JSON payload (zip bytes, plain text). */
  raw?: { data: Buffer | string; contentType: string }
}

interface RouteContext {
  params: Record<string, string>
  query: Record<string, string>
  body: unknown
  validator: OperationValidator
  method: string
  path: string
}

interface Route {
  method: string
  pattern: RegExp
  /** Key into the OpenAPI `paths` object. */
  specPath: string
  /** Needs write permission (refused for read-only-fork tokens). */
  write: boolean
  handle(ctx: RouteContext): Reply
}

class Emulator implements GitHubEmulator {
  url = ''
  blobUrl = ''
  readonly requests: RecordedRequest[] = []
  readonly checkRuns: StoredCheckRun[] = []
  readonly statuses: StoredStatus[] = []
  readonly artifacts: StoredArtifact[] = []
  readonly violations: Violation[] = []
  readonly warnings: EmulatorWarning[] = []
  readonly blobDownloads: BlobDownload[] = []
  readonly responseIssues: EmulatorWarning[] = []
  profile: TokenProfile = 'write'
  private fault: { spec: InjectedFault; used: number } | undefined

  private profileOptions: ProfileOptions = {}
  private failedSoFar = 0
  private rateRemaining: number
  private readonly rateReset = Math.floor(Date.now() / 1000) + 3600
  private nextId = 1_000_001
  private readonly blobTokens = new Map<string, number>()
  private readonly routes: Route[]
  private readonly api: Server
  private readonly blobs: Server

  constructor(private readonly options: EmulatorOptions) {
    this.rateRemaining = options.rateLimit ?? 5000
    this.setProfile(options.profile ?? 'write', options)
    this.routes = this.buildRoutes()
    this.api = createServer((req, res) => void this.serve(req, res, false))
    this.blobs = createServer((req, res) => void this.serve(req, res, true))
  }

  async listen(): Promise<void> {
    this.url = await listenLocal(this.api)
    this.blobUrl = await listenLocal(this.blobs)
  }

  setProfile(profile: TokenProfile, options: ProfileOptions = {}): void {
    this.profile = profile
    this.profileOptions = { ...options }
    this.failedSoFar = 0
  }

  injectFault(fault: InjectedFault | undefined): void {
    this.fault = fault === undefined ? undefined : { spec: fault, used: 0 }
  }

  seedCheckRun(input: SeedCheckRunInput): StoredCheckRun {
    const completed = (input.status ?? 'completed') === 'completed'
    const at = isoSeconds(input.completedAt === undefined ? new Date() : new Date(input.completedAt))
    const from = input.copyOf
    const run: StoredCheckRun = {
      id: this.newId(),
      owner: input.owner ?? from?.owner ?? 'octo-org',
      repo: input.repo ?? from?.repo ?? 'storage',
      name: input.name ?? from?.name ?? 'dual-backend coverage',
      headSha: input.headSha,
      status: input.status ?? 'completed',
      conclusion: completed ? (input.conclusion ?? from?.conclusion ?? 'success') : null,
      startedAt: at,
      completedAt: completed ? at : null,
      externalId: input.externalId ?? from?.externalId ?? null,
      detailsUrl: from?.detailsUrl ?? null,
      output: {
        title: input.output?.title ?? from?.output.title ?? 'seeded check run',
        summary: input.output?.summary ?? from?.output.summary ?? 'seeded',
        text: input.output?.text ?? from?.output.text ?? null
      },
      textTruncated: false,
      annotations: (input.annotations ?? from?.annotations ?? []).map((a) => ({ ...a })),
      actions: [],
      updates: 0
    }
    if (!isFullSha(run.headSha)) throw new Error(`seedCheckRun: headSha must be a full SHA (got ${run.headSha})`)
    this.checkRuns.push(run)
    return run
  }

  async addArtifact(input: ArtifactInput): Promise<StoredArtifact> {
    const zip = input.zip ?? (await zipFiles(input.files ?? {}))
    const created = input.createdAt ? new Date(input.createdAt) : new Date()
    const artifact: StoredArtifact = {
      id: input.id ?? this.newId(),
      name: input.name,
      runId: input.runId,
      headSha: input.headSha ?? 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      zip,
      createdAt: isoSeconds(created),
      expiresAt: isoSeconds(new Date(created.getTime() + 90 * 24 * 3600 * 1000)),
      expired: input.expired ?? false
    }
    this.artifacts.push(artifact)
    return artifact
  }

  async close(): Promise<void> {
    await Promise.all([closeServer(this.api), closeServer(this.blobs)])
  }

  private newId(): number {
    return this.nextId++
  }

  // -- request pipeline --------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse, blob: boolean): Promise<void> {
    const rawBody = await readBody(req)
    const url = new URL(req.url ?? '/', 'http://emulator.invalid')
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flattenHeaders(req),
      body: parseMaybeJson(rawBody),
      rawBody,
      status: 0,
      at: Date.now(),
      blob
    }
    this.requests.push(record)
    let reply: Reply
    try {
      reply = blob ? this.serveBlob(record) : this.serveApi(record, rawBody)
    } catch (error) {
      if (!(error instanceof Rejection)) throw error
      reply = this.rejectionReply(error, record)
    }
    record.status = reply.status
    this.send(res, reply, blob)
  }

  private serveApi(record: RecordedRequest, rawBody: string): Reply {
    const { headers } = record
    if (!headers['user-agent']) {
      throw new Rejection(403, { message: USER_AGENT_TEXT }, 'user-agent')
    }
    if (!/^(token|bearer)\s+\S+$/i.test(headers.authorization ?? '')) {
      throw new Rejection(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' }, 'auth')
    }
    const version = headers['x-github-api-version']
    if (version !== undefined && !SUPPORTED_API_VERSIONS.has(version)) {
      throw new Rejection(400, { message: `API version ${version} is not supported.`, documentation_url: DOCS, status: '400' }, 'bad-request')
    }
    this.injectProfileFailure(record)

    const match = this.matchRoute(record.method, record.path)
    if (!match) throw notFound()
    const { route, params } = match
    const validator = operationValidator(route.specPath, record.method.toLowerCase())
    const paramIssues = validator.validateParams(params, record.query)
    // A non-numeric id never reaches a handler on GitHub: the router answers 404.
    if (paramIssues.some((i) => i.path.startsWith('path:'))) throw notFound()
    if (paramIssues.length > 0) throw invalidRequest(schemaIssueLines(paramIssues), validator.documentationUrl)

    const denied = this.options.missingPermissions?.includes(permissionOf(route.specPath)) ?? false
    if (denied || (route.write && this.profile === 'read-only-fork')) {
      throw new Rejection(
        403,
        { message: 'Resource not accessible by integration', documentation_url: validator.documentationUrl, status: '403' },
        'read-only'
      )
    }
    const body = validator.hasBody ? parseJsonBody(rawBody, validator) : undefined
    this.injectFaultFor(record, validator.documentationUrl)
    const reply = route.handle({ params, query: record.query, body, validator, method: record.method, path: record.path })
    if (reply.status >= 200 && reply.status < 300 && reply.body !== undefined) {
      for (const issue of validator.validateResponse(reply.status, reply.body)) {
        this.responseIssues.push({ method: record.method, path: record.path, message: `${issue.path || '/'}: ${issue.message}` })
      }
    }
    return reply
  }

  private injectFaultFor(record: RecordedRequest, documentationUrl: string): void {
    const fault = this.fault
    if (fault === undefined || fault.spec.method !== record.method || !fault.spec.path.test(record.path)) return
    if (fault.used >= (fault.spec.times ?? Infinity)) return
    fault.used++
    const { status } = fault.spec
    const messages: Record<number, string> = {
      403: 'Resource not accessible by integration',
      404: 'Not Found',
      500: 'Server Error',
      502: 'Server Error',
      503: 'Service Unavailable'
    }
    const message = fault.spec.message ?? messages[status] ?? 'Server Error'
    const body = status >= 500 ? { message } : { message, documentation_url: documentationUrl, status: String(status) }
    throw new Rejection(status, body, 'injected')
  }

  /** Simulated rate limits / outages for the first N requests of the `rate-limited` / `server-error` profiles. */
  private injectProfileFailure(record: RecordedRequest): void {
    if (this.profile !== 'rate-limited' && this.profile !== 'server-error') return
    const only = this.profileOptions.failOnly
    if (only !== undefined && (only.method !== record.method || !only.path.test(record.path))) return
    const limit = this.profileOptions.failures ?? 1
    if (this.failedSoFar >= limit) return
    const attempt = this.failedSoFar++
    if (this.profile === 'server-error') {
      const statuses = this.profileOptions.serverErrorStatuses ?? [502, 503, 500]
      throw serverError(statuses[attempt % statuses.length] ?? 502)
    }
    throw rateLimitError(this.profileOptions.rateLimitVariant ?? 'secondary-403', this.profileOptions.retryAfterSeconds ?? 1)
  }

  private matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue
      const m = route.pattern.exec(path)
      if (!m?.groups) continue
      const params = Object.fromEntries(
        Object.entries(m.groups).map(([k, v]) => [k, decodeURIComponent(v ?? '')])
      )
      return { route, params }
    }
    return undefined
  }

  private rejectionReply(error: Rejection, record: RecordedRequest): Reply {
    record.rejection = { kind: error.kind, message: error.message }
    const simulated = ['read-only', 'rate-limit', 'server-error', 'injected'].includes(error.kind)
    if (!simulated) {
      this.violations.push({
        method: record.method,
        path: record.path,
        status: error.status,
        kind: error.kind,
        reason: error.message
      })
    }
    if (error.kind === 'user-agent') {
      return { status: 403, raw: { data: error.message, contentType: 'text/plain; charset=utf-8' } }
    }
    const headers = error instanceof RateLimitRejection ? error.headers : undefined
    return { status: error.status, body: error.body, ...(headers ? { headers } : {}) }
  }

  private send(res: ServerResponse, reply: Reply, blob: boolean): void {
    const headers: Record<string, string> = blob ? {} : this.apiHeaders()
    Object.assign(headers, reply.headers)
    let payload: Buffer | string = ''
    if (reply.raw) {
      payload = reply.raw.data
      headers['content-type'] = reply.raw.contentType
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body)
      headers['content-type'] = JSON_TYPE
    }
    headers['content-length'] = String(Buffer.byteLength(payload))
    res.writeHead(reply.status, headers)
    res.end(payload)
  }

  private apiHeaders(): Record<string, string> {
    this.rateRemaining = Math.max(0, this.rateRemaining - 1)
    const limit = this.options.rateLimit ?? 5000
    return {
      'x-github-request-id': requestId(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(this.rateRemaining),
      'x-ratelimit-reset': String(this.rateReset),
      'x-ratelimit-used': String(limit - this.rateRemaining),
      'x-ratelimit-resource': 'core'
    }
  }

  // -- routes ----------------------------------------------------------------------------------

  private buildRoutes(): Route[] {
    const repo = '/repos/(?<owner>[^/]+)/(?<repo>[^/]+)'
    const route = (
      method: string,
      pattern: string,
      specPath: string,
      write: boolean,
      handle: (ctx: RouteContext) => Reply
    ): Route => ({ method, pattern: new RegExp(`^${repo}${pattern}$`), specPath, write, handle })
    return [
      route('POST', '/check-runs', '/repos/{owner}/{repo}/check-runs', true, (c) => this.createCheckRun(c)),
      route('GET', '/check-runs/(?<check_run_id>[^/]+)', '/repos/{owner}/{repo}/check-runs/{check_run_id}', false, (c) =>
        ok(this.checkRunJson(this.findCheckRun(c)))
      ),
      route('PATCH', '/check-runs/(?<check_run_id>[^/]+)', '/repos/{owner}/{repo}/check-runs/{check_run_id}', true, (c) =>
        this.updateCheckRun(c)
      ),
      route(
        'GET',
        '/check-runs/(?<check_run_id>[^/]+)/annotations',
        '/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations',
        false,
        (c) => this.listAnnotations(c)
      ),
      route('GET', '/commits/(?<ref>.+)/check-runs', '/repos/{owner}/{repo}/commits/{ref}/check-runs', false, (c) =>
        this.listCheckRunsForRef(c)
      ),
      route('POST', '/statuses/(?<sha>.+)', '/repos/{owner}/{repo}/statuses/{sha}', true, (c) => this.createStatus(c)),
      route('GET', '/actions/runs/(?<run_id>[^/]+)/artifacts', '/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts', false, (c) =>
        this.listRunArtifacts(c)
      ),
      route('GET', '/actions/artifacts/(?<artifact_id>[^/]+)', '/repos/{owner}/{repo}/actions/artifacts/{artifact_id}', false, (c) =>
        ok(this.artifactJson(this.findArtifact(c), c.params))
      ),
      route(
        'GET',
        '/actions/artifacts/(?<artifact_id>[^/]+)/(?<archive_format>[^/]+)',
        '/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}',
        false,
        (c) => this.downloadArtifact(c)
      )
    ]
  }

  // -- check runs ------------------------------------------------------------------------------

  private createCheckRun(c: RouteContext): Reply {
    const body = c.body as CheckRunBody & { name: string; head_sha: string }
    const docs = c.validator.documentationUrl
    const warnings = checkRunRules(body, 'create', false, docs)
    this.requireSha(body.head_sha, docs)
    const now = isoSeconds(new Date())
    const concluded = body.conclusion !== undefined
    const run: StoredCheckRun = {
      id: this.newId(),
      owner: c.params.owner ?? '',
      repo: c.params.repo ?? '',
      name: body.name,
      headSha: body.head_sha,
      // Providing a conclusion sets the status to completed (documented behaviour).
      status: concluded ? 'completed' : (body.status ?? 'queued'),
      conclusion: body.conclusion ?? null,
      startedAt: body.started_at ?? now,
      completedAt: concluded ? (body.completed_at ?? now) : null,
      externalId: body.external_id ?? null,
      detailsUrl: body.details_url ?? null,
      output: { title: null, summary: null, text: null },
      textTruncated: false,
      annotations: [],
      actions: body.actions ?? [],
      updates: 0
    }
    this.applyOutput(run, body.output)
    this.checkRuns.push(run)
    this.warn(c, warnings)
    return { status: 201, body: this.checkRunJson(run) }
  }

  private updateCheckRun(c: RouteContext): Reply {
    const run = this.findCheckRun(c)
    const body = c.body as CheckRunBody
    const warnings = checkRunRules(body, 'update', run.conclusion !== null, c.validator.documentationUrl)
    const now = isoSeconds(new Date())
    if (body.name !== undefined) run.name = body.name
    if (body.details_url !== undefined) run.detailsUrl = body.details_url
    if (body.external_id !== undefined) run.externalId = body.external_id
    if (body.started_at !== undefined) run.startedAt = body.started_at
    if (body.status !== undefined) run.status = body.status
    if (body.conclusion !== undefined) {
      run.conclusion = body.conclusion
      run.status = 'completed'
    }
    if (run.status === 'completed') run.completedAt = body.completed_at ?? run.completedAt ?? now
    if (body.actions !== undefined) run.actions = body.actions
    this.applyOutput(run, body.output)
    run.updates++
    this.warn(c, warnings)
    return ok(this.checkRunJson(run))
  }

  /** title/summary/text are replaced; annotations are appended (GitHub keeps earlier ones). */
  private applyOutput(run: StoredCheckRun, output: CheckRunBody['output']): void {
    if (!output) return
    if (output.title !== undefined) run.output.title = output.title
    if (output.summary !== undefined) run.output.summary = output.summary
    if (output.text !== undefined) {
      run.output.text = truncateUtf8(output.text, MAX_OUTPUT_BYTES)
      run.textTruncated = run.output.text !== output.text
    }
    run.annotations.push(...(output.annotations ?? []))
  }

  private findCheckRun(c: RouteContext): StoredCheckRun {
    const id = Number(c.params.check_run_id)
    const run = this.checkRuns.find((r) => r.id === id && sameRepo(r, c.params))
    if (!run) throw notFound(c.validator.documentationUrl)
    return run
  }

  private listAnnotations(c: RouteContext): Reply {
    const run = this.findCheckRun(c)
    const items = run.annotations.map((a) => ({
      path: a.path,
      start_line: a.start_line,
      end_line: a.end_line,
      start_column: a.start_column ?? null,
      end_column: a.end_column ?? null,
      annotation_level: a.annotation_level,
      title: a.title ?? null,
      message: a.message,
      raw_details: a.raw_details ?? null,
      blob_href: `https://github.com/${run.owner}/${run.repo}/blob/${run.headSha}/${a.path}`
    }))
    return this.paginated(c, items, (page) => page)
  }

  private listCheckRunsForRef(c: RouteContext): Reply {
    const ref = c.params.ref ?? ''
    let runs = this.checkRuns.filter((r) => sameRepo(r, c.params) && r.headSha === ref)
    if (c.query.check_name !== undefined) runs = runs.filter((r) => r.name === c.query.check_name)
    if (c.query.status !== undefined) runs = runs.filter((r) => r.status === c.query.status)
    // Newest first, as GitHub lists them (seeded runs carry their own times; ties: the later one).
    const order = new Map(this.checkRuns.map((r, i) => [r, i]))
    const time = (r: StoredCheckRun): string => r.completedAt ?? r.startedAt
    runs = [...runs].sort((a, b) => time(b).localeCompare(time(a)) || (order.get(b) ?? 0) - (order.get(a) ?? 0))
    // filter=latest (the default) keeps only the most recent run per check name.
    if ((c.query.filter ?? 'latest') === 'latest') {
      const seen = new Set<string>()
      runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name) !== undefined)
    }
    return this.paginated(c, runs, (page) => ({
      total_count: runs.length,
      check_runs: page.map((r) => this.checkRunJson(r))
    }))
  }

  checkRunJson(run: StoredCheckRun): Record<string, unknown> {
    const repoApi = `https://api.github.com/repos/${run.owner}/${run.repo}`
    return {
      id: run.id,
      name: run.name,
      node_id: nodeId('CR', run.id),
      head_sha: run.headSha,
      external_id: run.externalId ?? '',
      url: `${repoApi}/check-runs/${run.id}`,
      html_url: `https://github.com/${run.owner}/${run.repo}/runs/${run.id}`,
      details_url: run.detailsUrl ?? `https://github.com/${run.owner}/${run.repo}/runs/${run.id}`,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.annotations.length,
        annotations_url: `${repoApi}/check-runs/${run.id}/annotations`
      },
      check_suite: { id: 9_000_000 + run.id },
      app: GITHUB_ACTIONS_APP,
      pull_requests: []
    }
  }

  // -- statuses --------------------------------------------------------------------------------

  private createStatus(c: RouteContext): Reply {
    const body = c.body as StatusBody
    const sha = c.params.sha ?? ''
    const docs = c.validator.documentationUrl
    this.requireSha(sha, docs)
    const context = body.context ?? 'default'
    const existing = this.statuses.filter((s) => s.sha === sha && s.context.toLowerCase() === context.toLowerCase())
    statusRules(body, existing.length, docs)
    const status: StoredStatus = {
      id: this.newId(),
      owner: c.params.owner ?? '',
      repo: c.params.repo ?? '',
      sha,
      state: body.state,
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      context,
      createdAt: isoSeconds(new Date())
    }
    this.statuses.push(status)
    const url = `https://api.github.com/repos/${status.owner}/${status.repo}/statuses/${sha}`
    return { status: 201, body: statusJson(status, url), headers: { location: url } }
  }

  private requireSha(sha: string, docs: string): void {
    if ((this.options.requireFullShas ?? true) && !isFullSha(sha)) {
      throw new Rejection(422, { message: `No commit found for SHA: ${sha}`, documentation_url: docs, status: '422' }, 'rule')
    }
  }

  // -- artifacts -------------------------------------------------------------------------------

  private listRunArtifacts(c: RouteContext): Reply {
    const runId = Number(c.params.run_id)
    let list = this.artifacts.filter((a) => a.runId === undefined || a.runId === runId)
    if (c.query.name !== undefined) list = list.filter((a) => a.name === c.query.name)
    list = [...list].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
    if (c.query.direction === 'asc') list.reverse()
    return this.paginated(c, list, (page) => ({
      total_count: list.length,
      artifacts: page.map((a) => this.artifactJson(a, c.params, runId))
    }))
  }

  private findArtifact(c: RouteContext): StoredArtifact {
    const artifact = this.artifacts.find((a) => a.id === Number(c.params.artifact_id))
    if (!artifact) throw notFound(c.validator.documentationUrl)
    return artifact
  }

  artifactJson(a: StoredArtifact, params: Record<string, string>, runId?: number): Record<string, unknown> {
    const api = `${this.url}/repos/${params.owner ?? ''}/${params.repo ?? ''}/actions/artifacts/${a.id}`
    return {
      id: a.id,
      node_id: nodeId('MDg6QXJ0aWZhY3', a.id),
      name: a.name,
      size_in_bytes: a.zip.length,
      url: api,
      archive_download_url: `${api}/zip`,
      expired: a.expired,
      created_at: a.createdAt,
      updated_at: a.createdAt,
      expires_at: a.expiresAt,
      digest: `sha256:${a.zip.length.toString(16).padStart(64, '0')}`,
      workflow_run: {
        id: a.runId ?? runId ?? 1,
        repository_id: 42,
        head_repository_id: 42,
        head_branch: 'main',
        head_sha: a.headSha
      }
    }
  }

  private downloadArtifact(c: RouteContext): Reply {
    const artifact = this.findArtifact(c)
    if (c.params.archive_format !== 'zip') throw notFound(c.validator.documentationUrl)
    if (artifact.expired) {
      throw new Rejection(
        410,
        { message: 'Artifact has expired', documentation_url: c.validator.documentationUrl, status: '410' },
        'gone'
      )
    }
    const token = randomBytes(12).toString('hex')
    this.blobTokens.set(token, artifact.id)
    const sig = randomBytes(24).toString('base64url')
    const location = `${this.blobUrl}/_blobs/${token}?sv=2021-12-02&se=${encodeURIComponent(isoSeconds(new Date(Date.now() + 60_000)))}&sr=b&sp=r&sig=${sig}`
    return { status: 302, headers: { location } }
  }

  /** The blob-storage side: no API auth, no rate-limit headers, raw zip bytes. */
  private serveBlob(record: RecordedRequest): Reply {
    const token = /^\/_blobs\/([0-9a-f]+)$/.exec(record.path)?.[1]
    const artifactId = token ? this.blobTokens.get(token) : undefined
    const artifact = this.artifacts.find((a) => a.id === artifactId)
    const authorizationSent = record.headers.authorization !== undefined
    if (!artifact || record.method !== 'GET' || !record.query.sig) {
      const reply = azureError(404, 'BlobNotFound', 'The specified blob does not exist.')
      this.blobDownloads.push({ artifactId: artifactId ?? -1, authorizationSent, status: reply.status })
      return reply
    }
    if (authorizationSent && this.options.blobAuthorization === 'reject') {
      this.blobDownloads.push({ artifactId: artifact.id, authorizationSent, status: 400 })
      return azureError(400, 'InvalidAuthenticationInfo', 'Authentication information is not given in the correct format.')
    }
    this.blobDownloads.push({ artifactId: artifact.id, authorizationSent, status: 200 })
    return { status: 200, raw: { data: artifact.zip, contentType: 'application/zip' } }
  }

  // -- shared helpers --------------------------------------------------------------------------

  /** Applies per_page/page and sets GitHub's `Link` header (next/last/first/prev). */
  private paginated<T>(c: RouteContext, items: T[], shape: (page: T[]) => unknown): Reply {
    const perPage = Math.min(100, Math.max(1, Number(c.query.per_page ?? 30)))
    const page = Math.max(1, Number(c.query.page ?? 1))
    const lastPage = Math.max(1, Math.ceil(items.length / perPage))
    const slice = items.slice((page - 1) * perPage, page * perPage)
    const link = linkHeader(`${this.url}${c.path}`, c.query, page, lastPage, perPage)
    return { status: 200, body: shape(slice), ...(link ? { headers: { link } } : {}) }
  }

  private warn(c: RouteContext, messages: string[]): void {
    for (const message of messages) this.warnings.push({ method: c.method, path: c.path, message })
  }
}

class RateLimitRejection extends Rejection {
  constructor(
    status: number,
    body: { message: string; documentation_url: string; status: string },
    readonly headers: Record<string, string>
  ) {
    super(status, body, 'rate-limit')
  }
}

const GITHUB_ACTIONS_APP = {
  id: 15368,
  slug: 'github-actions',
  node_id: 'MDM6QXBwMTUzNjg=',
  client_id: 'Iv1.05c79e9ad1f6bdfa',
  owner: {
    login: 'github',
    id: 9919,
    node_id: 'MDEyOk9yZ2FuaXphdGlvbjk5MTk=',
    avatar_url: 'https://avatars.githubusercontent.com/u/9919?v=4',
    gravatar_id: '',
    url: 'https://api.github.com/users/github',
    html_url: 'https://github.com/github',
    followers_url: 'https://api.github.com/users/github/followers',
    following_url: 'https://api.github.com/users/github/following{/other_user}',
    gists_url: 'https://api.github.com/users/github/gists{/gist_id}',
    starred_url: 'https://api.github.com/users/github/starred{/owner}{/repo}',
    subscriptions_url: 'https://api.github.com/users/github/subscriptions',
    organizations_url: 'https://api.github.com/users/github/orgs',
    repos_url: 'https://api.github.com/users/github/repos',
    events_url: 'https://api.github.com/users/github/events{/privacy}',
    received_events_url: 'https://api.github.com/users/github/received_events',
    type: 'Organization',
    site_admin: false
  },
  name: 'GitHub Actions',
  description: 'Automate your workflow from idea to production',
  external_url: 'https://help.github.com/en/actions',
  html_url: 'https://github.com/apps/github-actions',
  created_at: '2018-07-30T09:30:17Z',
  updated_at: '2019-12-10T19:04:12Z',
  permissions: { checks: 'write', contents: 'write', metadata: 'read', statuses: 'write' },
  events: ['check_run', 'check_suite', 'push', 'pull_request', 'workflow_run']
}

const GITHUB_ACTIONS_BOT = {
  login: 'github-actions[bot]',
  id: 41898282,
  node_id: 'MDM6Qm90NDE4OTgyODI=',
  avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
  gravatar_id: '',
  url: 'https://api.github.com/users/github-actions%5Bbot%5D',
  html_url: 'https://github.com/apps/github-actions',
  followers_url: 'https://api.github.com/users/github-actions%5Bbot%5D/followers',
  following_url: 'https://api.github.com/users/github-actions%5Bbot%5D/following{/other_user}',
  gists_url: 'https://api.github.com/users/github-actions%5Bbot%5D/gists{/gist_id}',
  starred_url: 'https://api.github.com/users/github-actions%5Bbot%5D/starred{/owner}{/repo}',
  subscriptions_url: 'https://api.github.com/users/github-actions%5Bbot%5D/subscriptions',
  organizations_url: 'https://api.github.com/users/github-actions%5Bbot%5D/orgs',
  repos_url: 'https://api.github.com/users/github-actions%5Bbot%5D/repos',
  events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/events{/privacy}',
  received_events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/received_events',
  type: 'Bot',
  site_admin: false
}

function statusJson(s: StoredStatus, url: string): Record<string, unknown> {
  return {
    url,
    avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
    id: s.id,
    node_id: nodeId('SC_kwDO', s.id),
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: GITHUB_ACTIONS_BOT
  }
}

function ok(body: unknown): Reply {
  return { status: 200, body }
}

function notFound(documentationUrl = DOCS): Rejection {
  return new Rejection(404, { message: 'Not Found', documentation_url: documentationUrl, status: '404' }, 'not-found')
}

function serverError(status: number): Rejection {
  // api.github.com answers outages with short JSON bodies (the HTML unicorn page is github.com only).
  const messages: Record<number, string> = {
    500: 'Server Error',
    502: 'Server Error',
    503: 'Service Unavailable',
    504: 'We couldn\u2019t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.'
  }
  return new Rejection(status, { message: messages[status] ?? 'Server Error' }, 'server-error')
}

function rateLimitError(variant: RateLimitVariant, retryAfterSeconds: number): Rejection {
  const docsBase = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'
  if (variant === 'primary') {
    const reset = Math.floor(Date.now() / 1000) + 1
    return new RateLimitRejection(
      403,
      {
        message: 'API rate limit exceeded for installation ID 12345678. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url: docsBase,
        status: '403'
      },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-used': '5000' }
    )
  }
  const status = variant === 'secondary-429' ? 429 : 403
  return new RateLimitRejection(
    status,
    {
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
        'If you reach out to GitHub Support for help, please include the request ID.',
      documentation_url: `${docsBase}#about-secondary-rate-limits`,
      status: String(status)
    },
    { 'retry-after': String(retryAfterSeconds) }
  )
}

function azureError(status: number, code: string, message: string): Reply {
  const xml = `\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message></Error>`
  return { status, raw: { data: xml, contentType: 'application/xml' } }
}

function parseJsonBody(raw: string, validator: OperationValidator): unknown {
  if (raw.trim() === '') throw invalidRequest(['For \'links/0/schema\', nil is not an object.'], validator.documentationUrl)
  let body: unknown
  try {
    body = JSON.parse(raw)
  } catch {
    throw new Rejection(400, { message: 'Problems parsing JSON', documentation_url: validator.documentationUrl, status: '400' }, 'bad-json')
  }
  const issues = validator.validateBody(body)
  if (issues.length > 0) throw invalidRequest(schemaIssueLines(issues), validator.documentationUrl)
  return body
}

function parseMaybeJson(raw: string): unknown {
  if (raw === '') return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return raw
  }
}

function linkHeader(
  base: string,
  query: Record<string, string>,
  page: number,
  lastPage: number,
  perPage: number
): string | undefined {
  if (lastPage <= 1) return undefined
  const at = (p: number): string => {
    const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(p) })
    return `<${base}?${params.toString()}>`
  }
  const parts: string[] = []
  if (page > 1) parts.push(`${at(page - 1)}; rel="prev"`)
  if (page < lastPage) parts.push(`${at(page + 1)}; rel="next"`, `${at(lastPage)}; rel="last"`)
  if (page > 1) parts.push(`${at(1)}; rel="first"`)
  return parts.join(', ')
}

function sameRepo(r: { owner: string; repo: string }, params: Record<string, string>): boolean {
  // GitHub owner/repo names are case-insensitive.
  return r.owner.toLowerCase() === (params.owner ?? '').toLowerCase() && r.repo.toLowerCase() === (params.repo ?? '').toLowerCase()
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}${Buffer.from(String(id)).toString('base64url')}`
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function requestId(): string {
  const hex = (n: number): string => randomBytes(n).toString('hex').toUpperCase()
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

async function closeServer(server: Server): Promise<void> {
  // Keep-alive sockets from fetch would otherwise hold close() open.
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

export async function startGitHubEmulator(options: EmulatorOptions = {}): Promise<GitHubEmulator> {
  const emulator = new Emulator(options)
  for (const artifact of options.artifacts ?? []) await emulator.addArtifact(artifact)
  await emulator.listen()
  return emulator
}
