// The verdict model shared by the engine, the renderers, the CLI and the action.
// Everything here is plain data so the JSON output is a direct serialisation of it.

/** How one test ended on one backend, after merging shards and re-runs. */
export type TestStatus = 'passed' | 'failed' | 'errored' | 'skipped' | 'flaky'

/** What another backend says about the same test, as shown next to a gap. */
export type OtherStatus = TestStatus | 'missing' | 'exempt'

export const GAP_KINDS = ['missing', 'skipped', 'failed', 'errored', 'flaky', 'no-report', 'empty', 'too-few'] as const
export type GapKind = (typeof GAP_KINDS)[number]

/** Backend-level gaps name no single test; their `test` is this marker. */
export const WHOLE_BACKEND = '*'

export interface Gap {
  /** The test id, or WHOLE_BACKEND for no-report / empty / too-few. */
  test: string
  backend: string
  kind: GapKind
  /** One sentence a reviewer can act on. Redacted. */
  reason: string
  /** First lines of the failure, error or skip message, redacted. */
  message?: string
  file?: string
  line?: number
  /** The same test on the other backends. */
  others: Record<string, OtherStatus>
}

export interface BackendSummary {
  name: string
  /** Report files read for this backend. */
  files: number
  /** In-scope tests seen on this backend (unique ids). */
  tests: number
  passed: number
  failed: number
  errored: number
  skipped: number
  flaky: number
  /** Why the job produced nothing, from the workflow's `needs` context, when known. */
  jobResult?: string
}

export type ExemptionState = 'used' | 'unused' | 'expired' | 'stale'

export interface ExemptionReport {
  test: string
  backends: string[]
  reason: string
  until?: string
  state: ExemptionState
  /** Test ids this exemption excused on some backend. */
  excused: string[]
}

export interface FlakyTest {
  test: string
  backend: string
  message?: string
}

/** A test that names one backend but was found in another backend's reports: it counts for neither. */
export interface CrossLegCopy {
  test: string
  namedBackend: string
  foundIn: string
}

export interface ReportError {
  file?: string
  line?: number
  column?: number
  message: string
}

export interface Verdict {
  conclusion: 'success' | 'failure'
  /** The verdict in one line, for a check-run title or a terminal. */
  title: string
  backends: BackendSummary[]
  /** Unique in-scope test ids across all backends. */
  tests: number
  gaps: Gap[]
  exemptions: ExemptionReport[]
  flaky: FlakyTest[]
  crossLeg: CrossLegCopy[]
  /** Tests in multi-backend reports whose name names no backend: not counted for any backend. */
  unassigned: number
  errors: ReportError[]
}
