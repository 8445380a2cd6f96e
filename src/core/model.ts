// The verdict model shared by the engine, the renderers, the CLI and the action.
// Everything here is plain data so the JSON output is a direct serialisation of it.
import type { TestInventory } from './inventory.js'

/** How one test ended on one backend, after merging shards and re-runs. */
export type TestStatus = 'passed' | 'failed' | 'errored' | 'skipped' | 'flaky'

/** What another backend says about the same test, as shown next to a gap. */
export type OtherStatus = TestStatus | 'missing' | 'exempt'

export const GAP_KINDS = ['missing', 'skipped', 'failed', 'errored', 'flaky', 'vanished', 'no-report', 'empty', 'too-few', 'unproven', 'exposed'] as const
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
  /** With `evidence:` in the config: what the reports show about the server they ran on. */
  evidence?: BackendEvidence
  /** Testcases in this backend's reports that `scope` left out (absent: none). */
  outOfScope?: number
  /** The backend's report files hold text that redaction masks: the uploaded artifacts expose it. */
  secretsInReports?: ReportSecrets
}

export interface ReportSecrets {
  files: number
  /** Places where a secret stands (redaction changed the text around it). */
  values: number
  /** Distinct testcases holding one. */
  testcases: number
  /** redact-env variables whose value was seen (never the value). */
  names: string[]
  /** Also credentials recognised by their shape (a URL password, password=, a token). */
  byShape: boolean
}

export interface BackendEvidence {
  /** The first text (property or output line, redacted, shortened) that matched this backend's evidence. */
  found?: string
  /** Other backends whose evidence shows in this backend's reports, with the text that matched. */
  foreign: Record<string, string>
}

export type ExemptionState = 'used' | 'unused' | 'expired' | 'stale'

export interface ExemptionReport {
  /** The exemption's test patterns, joined ("*": every test, for one by skip reason only). */
  test: string
  /** Its skip-reason regex, when it excuses skips by their message. */
  skipReason?: string
  backends: string[]
  /** `backends: none`: a test for no configured backend; excused while it passes on none. */
  noBackend?: boolean
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

export interface UnreachableGroup {
  backend: string
  /** What the clients' messages say, e.g. "connection refused" (see src/core/unreachable.ts). */
  cause: string
  /** Failed or errored tests with that cause on that backend (they stay failures). */
  tests: number
  fix: string
}

export interface ReportError {
  file?: string
  line?: number
  column?: number
  message: string
}

/** An earlier inventory to compare with, found by an edge (the action, the CLI). */
export interface DriftSource {
  /** Where it came from, for the reviewer: "check run 123 on abc1234 (the pull request's base)". */
  label: string
  /** The earlier run's inventory, or for a committed inventory file the ids that must exist. */
  inventory?: TestInventory
  /** The same as a digest (src/core/inventory.ts), read one id at a time: for large suites. */
  digest?: string
  /** Why nothing could be compared (no base commit, no check run with an inventory, a 403...). */
  notCompared?: string
}

/** What one comparison with an earlier inventory found. */
export interface DriftReport {
  label: string
  compared: boolean
  /** Why not, when not compared. */
  reason?: string
  /** Tests in the earlier inventory. */
  baseTests: number
  /** In scope there, reported by no backend now (gaps of kind `vanished`, or notices with `drift: warn`). */
  vanished: string[]
  /** Vanished on purpose: matched by a `removed:` entry of the config. */
  acknowledged: Array<{ test: string; reason: string }>
  /** Earlier tests the current `scope` leaves out (not vanished: the scope change is in the config's diff). */
  leftScope: number
  /** Tests reported now that the earlier inventory does not hold. */
  added: number
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
  /** Failures whose messages show the database was not reachable or not ready, grouped per backend and cause. */
  unreachable?: UnreachableGroup[]
  /** Tests `scope` left out, per backend (the first 1,000 distinct ids of each; all are counted in backends[].outOfScope). */
  outOfScope?: Array<{ test: string; backend: string }>
  errors: ReportError[]
  /** One entry per earlier inventory compared with (base check run, --baseline file, committed inventory). */
  drift: DriftReport[]
  /** This run's inventory as a digest (src/core/inventory.ts), when the caller asked for it. */
  digest?: string
}
