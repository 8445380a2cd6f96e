/**
 * Rules GitHub's server enforces that the OpenAPI description does not express, plus the exact
 * error bodies GitHub returns. Messages are copied from real responses where known:
 * - `Validation Failed` + `errors[]` for model validation (bytesize, 140-char status description);
 * - `Invalid request.\n\n...` for JSON-schema failures (texts of the json_schema gem GitHub uses).
 */
import type { SchemaIssue } from './github-openapi.js'

export const MAX_OUTPUT_BYTES = 65535
export const MAX_STATUS_DESCRIPTION = 140
export const MAX_STATUSES_PER_CONTEXT = 1000

export interface GitHubErrorBody {
  message: string
  documentation_url: string
  status: string
  errors?: Array<{ resource: string; code: string; field: string; message: string }>
}

/** A request GitHub would reject; `kind` says which layer rejected it. */
export class Rejection extends Error {
  constructor(
    readonly status: number,
    readonly body: GitHubErrorBody | { message: string },
    readonly kind: RejectionKind
  ) {
    super(body.message)
  }
}

export type RejectionKind =
  | 'user-agent'
  | 'auth'
  | 'not-found'
  | 'gone'
  | 'bad-json'
  | 'bad-request'
  | 'schema'
  | 'rule'
  | 'read-only'
  | 'rate-limit'
  | 'server-error'
  /** A failure a test asked for (GitHubEmulator.injectFault). */
  | 'injected'

export function invalidRequest(lines: string[], documentationUrl: string): Rejection {
  return new Rejection(
    422,
    { message: `Invalid request.\n\n${lines.join('\n')}`, documentation_url: documentationUrl, status: '422' },
    'schema'
  )
}

export function validationFailed(
  resource: string,
  field: string,
  message: string,
  documentationUrl: string
): Rejection {
  return new Rejection(
    422,
    {
      message: 'Validation Failed',
      errors: [{ resource, code: 'custom', field, message }],
      documentation_url: documentationUrl,
      status: '422'
    },
    'rule'
  )
}

/** `/output/annotations/3/end_line` -> `For 'properties/output/annotations/3/end_line', <msg>` (json_schema gem style). */
export function schemaIssueLines(issues: SchemaIssue[]): string[] {
  return issues.map((issue) => {
    const where = issue.path.replace(/^(path|query):/, '')
    return where === '' ? issue.message : `For 'properties${where}', ${issue.message}`
  })
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

/** Cuts to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8')
  if (buf.length <= maxBytes) return s
  let end = maxBytes
  // Step back over continuation bytes (10xxxxxx) so we never emit half a code point.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--
  return buf.subarray(0, end).toString('utf8')
}

const SHA_RE = /^[0-9a-f]{40}$/

export function isFullSha(s: string): boolean {
  return SHA_RE.test(s)
}

export interface AnnotationInput {
  path: string
  start_line: number
  end_line: number
  start_column?: number
  end_column?: number
  annotation_level: 'notice' | 'warning' | 'failure'
  message: string
  title?: string
  raw_details?: string
}

export interface OutputInput {
  title?: string
  summary?: string
  text?: string
  annotations?: AnnotationInput[]
  images?: Array<{ alt: string; image_url: string; caption?: string }>
}

/** The body fields of create/update check run that the emulator interprets (schema already checked). */
export interface CheckRunBody {
  name?: string
  head_sha?: string
  details_url?: string
  external_id?: string
  status?: string
  started_at?: string
  conclusion?: string
  completed_at?: string
  output?: OutputInput
  actions?: Array<{ label: string; description: string; identifier: string }>
}

/**
 * Check-run rules beyond the schema. Returns warnings for things GitHub accepts but alters or
 * ignores (truncated text, columns on multi-line annotations), throws `Rejection` otherwise.
 */
export function checkRunRules(
  body: CheckRunBody,
  mode: 'create' | 'update',
  alreadyConcluded: boolean,
  docs: string
): string[] {
  const warnings: string[] = []
  const output = body.output
  if (output) {
    if (mode === 'update' && output.title === undefined) {
      // The update schema marks only `summary` required, but the docs say title is **Required**
      // and GitHub rejects an output without it.
      throw invalidRequest([`For 'properties/output', "title" wasn't supplied.`], docs)
    }
    if (output.summary !== undefined && utf8Bytes(output.summary) > MAX_OUTPUT_BYTES) {
      // The schema's maxLength counts characters; the server counts bytes (emoji/CJK hit this first).
      throw validationFailed('CheckRun', 'summary', `summary exceeds a maximum bytesize of ${MAX_OUTPUT_BYTES}`, docs)
    }
    if (output.text !== undefined && utf8Bytes(output.text) > MAX_OUTPUT_BYTES) {
      warnings.push(`output.text is ${utf8Bytes(output.text)} bytes; GitHub truncates it to ${MAX_OUTPUT_BYTES}`)
    }
    output.annotations?.forEach((a, i) => annotationRules(a, i, docs, warnings))
  }
  if (body.conclusion === 'stale') {
    throw invalidRequest([`For 'properties/conclusion', "stale" can only be set by GitHub.`], docs)
  }
  const wantsCompleted = body.status === 'completed' || body.completed_at !== undefined
  if (wantsCompleted && body.conclusion === undefined && !alreadyConcluded) {
    throw invalidRequest([`"conclusion" wasn't supplied.`], docs)
  }
  return warnings
}

function annotationRules(a: AnnotationInput, index: number, docs: string, warnings: string[]): void {
  if (a.start_line > a.end_line) {
    throw validationFailed(
      'CheckRun',
      `annotations[${index}]`,
      `start_line (${a.start_line}) must be less than or equal to end_line (${a.end_line})`,
      docs
    )
  }
  if (a.start_line < 1) {
    throw validationFailed('CheckRun', `annotations[${index}]`, 'start_line must be greater than 0', docs)
  }
  if ((a.start_column !== undefined || a.end_column !== undefined) && a.start_line !== a.end_line) {
    warnings.push(`annotations[${index}]: columns are ignored when start_line != end_line`)
  }
  if (a.title !== undefined && a.title.length > 255) {
    warnings.push(`annotations[${index}]: title over 255 characters is truncated`)
  }
  for (const field of ['message', 'raw_details'] as const) {
    const value = a[field]
    if (value !== undefined && utf8Bytes(value) > 64 * 1024) {
      throw validationFailed('CheckRun', `annotations[${index}].${field}`, `${field} exceeds a maximum bytesize of 65536`, docs)
    }
  }
}

export interface StatusBody {
  state: 'error' | 'failure' | 'pending' | 'success'
  target_url?: string | null
  description?: string | null
  context?: string
}

export function statusRules(body: StatusBody, existingForContext: number, docs: string): void {
  if (body.description && body.description.length > MAX_STATUS_DESCRIPTION) {
    throw validationFailed(
      'Status',
      'description',
      `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`,
      docs
    )
  }
  if (existingForContext >= MAX_STATUSES_PER_CONTEXT) {
    throw validationFailed('Status', 'context', 'This SHA and context has reached the maximum number of statuses.', docs)
  }
}
