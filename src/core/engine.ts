// The cross-backend engine: testcases in (streamed, per report file), verdict out. No I/O.
//
// Memory stays compact at millions of testcases: one shared id table, one status byte per
// test and backend, and details (messages, markers) only for tests that did not simply pass.
import type { Config, Exemption } from './config.js'
import { IdTable } from './id-table.js'
import { ID_SEPARATOR, Identifier, normalizeFile } from './identity.js'
import { DEFAULT_LIMITS, type ParsedTestcase, type ParserLimits } from './junit/parser.js'
import { type CollectedTest, findUnreported, stripBackendWords } from './collected.js'
import { compareIds, DigestWriter, decodeDigest, readDigest, type TestInventory } from './inventory.js'
import type { SpottedSecrets } from './secret-spotter.js'
import { UNREACHABLE_FIX, unreachableCause } from './unreachable.js'
import type {
  ReportSecrets,
  UnreachableGroup,
  DriftReport,
  DriftSource,
  BackendSummary,
  CrossLegCopy,
  ExemptionReport,
  FlakyTest,
  Gap,
  GapKind,
  OtherStatus,
  ReportError,
  TestStatus,
  Verdict
} from './model.js'
import { WHOLE_BACKEND } from './model.js'
import { escapeRegExp, matchesAny } from './patterns.js'
import { REDACTION_MASK, type Redactor, truncateSafely } from './redact.js'
import { eachLine, isTestFile, testFrame, visibleText } from './text-scan.js'
import { exposureSentence, verdictTitle } from './title.js'

// One status byte per test and backend.
const LAST_MASK = 0b111
const PASSED = 1
const FAILED = 2
const ERRORED = 3
const SKIPPED = 4
const ANY_FAILURE = 1 << 3
const ANY_PASS = 1 << 4
const FLAKY_MARK = 1 << 5
const MARKER_SKIP = 1 << 6
const ANY_ERRORED = 1 << 7
const ANY_SKIPPED = 1 << 8
/** The id came twice on one backend from different suite elements or files: two tests, not a rerun. */
const COLLISION = 1 << 9
const STATUS_BITS = 10
/** Distinct testcase names kept per shared id: enough to count how many tests a backend is short. */
const MAX_RAW_KINDS = 64

/** By case code (missing, passed, failed, errored, skipped): which message explains the test best. */
const SEVERITY = [0, 1, 3, 4, 2]
const CASE_CODE = { passed: PASSED, failed: FAILED, errored: ERRORED, skipped: SKIPPED } as const

/** Lines and characters of a message shown with a gap. */
const GAP_MESSAGE_LINES = 12
const GAP_MESSAGE_CHARS = 2_000

interface Detail {
  /** SEVERITY of the testcase the message came from: the worst result's message is kept. */
  severity?: number
  message?: string
  markerSkip?: boolean
  /** Where the failure happened, read from the message when the report gave no file. */
  file?: string
  line?: number
}

class BackendState {
  files = 0
  statuses = new Uint16Array(1024)
  /** Per test: how many testcases carried its id, and where the last one stood (file serial and suite). */
  seen = new Uint32Array(1024)
  seenAt = new Float64Array(1024)
  /** Tests whose id several distinct testcases share: the report files they came from (first few). */
  readonly collisions = new Map<number, Set<string>>()
  /**
   * Per test, a hash of the first testcase's own words (suites, classname and name as the report
   * wrote them); and for tests whose id testcases with different words share (the backend cut from
   * `TestNotes/sqlite` leaves Go's parent `TestNotes`), the distinct hashes: how many tests that is.
   * A set, so neither the order of files nor reruns and repeats of one test change it.
   */
  rawFirst = new Int32Array(1024)
  readonly rawKinds = new Map<number, Set<number>>()
  readonly details = new Map<number, Detail>()
  readonly errors: ReportError[] = []
  jobResult: string | undefined

  constructor(readonly name: string) {}

  mark(index: number, code: number, flags: number): void {
    if (index >= this.statuses.length) {
      const length = Math.max(index + 1, this.statuses.length * 2)
      const grown = new Uint16Array(length)
      grown.set(this.statuses)
      this.statuses = grown
      const seen = new Uint32Array(length)
      seen.set(this.seen)
      this.seen = seen
      const seenAt = new Float64Array(length)
      seenAt.set(this.seenAt)
      this.seenAt = seenAt
      const rawFirst = new Int32Array(length)
      rawFirst.set(this.rawFirst)
      this.rawFirst = rawFirst
    }
    const previous = this.statuses[index] as number
    this.statuses[index] = (previous & ~LAST_MASK & ~MARKER_SKIP) | code | flags
  }

  /**
   * Counts one more testcase with this id and tells whether it collides with an earlier one: a
   * runner's own rerun repeats a failed testcase inside the same suite element of the same file;
   * any other repeat is a second test that shares the id. Independent of the order of files and
   * suite elements: with two or more distinct places, some consecutive pair differs whatever the order.
   */
  occurrence(index: number, where: number, raw: number, path: string, previousPath: (where: number) => string | undefined): boolean {
    if (index >= this.statuses.length) this.mark(index, 0, 0)
    const count = (this.seen[index] as number) + 1
    this.seen[index] = count
    const before = this.seenAt[index] as number
    this.seenAt[index] = where
    if (count === 1) this.rawFirst[index] = raw
    else if (raw !== this.rawFirst[index]) {
      let kinds = this.rawKinds.get(index)
      if (kinds === undefined) this.rawKinds.set(index, (kinds = new Set([this.rawFirst[index] as number])))
      if (kinds.size < MAX_RAW_KINDS) kinds.add(raw)
    }
    let files = this.collisions.get(index)
    // A rerun follows failed attempts only: a repeat after a pass in the same place is a second test.
    const afterPass = ((this.statuses[index] as number) & ANY_PASS) !== 0
    if (files === undefined && (count === 1 || (before === where && !afterPass))) return false
    if (files === undefined) {
      files = new Set()
      const earlier = previousPath(before)
      if (earlier !== undefined) files.add(earlier)
      this.collisions.set(index, files)
    }
    if (files.size < 5) files.add(path)
    return true
  }

  hasTests(): boolean {
    return this.statuses.some((bits) => bits !== 0)
  }

  status(index: number): number {
    return index < this.statuses.length ? (this.statuses[index] as number) : 0
  }
}

export interface EngineOptions {
  redact: Redactor
  /** "Today", for exemption expiry. */
  now: Date
  /** Absolute prefixes stripped from report file paths (the workspace). */
  pathRoots?: readonly string[]
}

export interface ReportFile {
  readonly path: string
  readonly backends: readonly string[]
  /** Order in which the engine opened the file: with a testcase's suite, where a repeat came from. */
  readonly serial: number
}

export class CoverageEngine {
  private readonly ids = new IdTable()
  private readonly identifier: Identifier
  /** The index the next testcase probably has: reports list tests in the same order on every backend. */
  private expected = -1
  /** normalizeFile() of the last file attribute: consecutive testcases share it. */
  private lastFile: { raw: string | undefined; normalized: string | undefined } = { raw: undefined, normalized: undefined }
  /** Per test: its file as an index into `files` (-1: none) and its line (0: none; see lineAt). */
  private fileOf = new Int32Array(1024)
  private lineOf = new Uint32Array(1024)
  /** Lines a Uint32Array cannot hold as given (0, huge, fractional): rare. */
  private readonly oddLines = new Map<number, number>()
  private readonly files: string[] = []
  private readonly fileIds = new Map<string, number>()
  private lastFileId: { file: string | undefined; id: number } = { file: undefined, id: -1 }
  private readonly states: Map<string, BackendState>
  private readonly crossLeg = new Map<string, CrossLegCopy>()
  private readonly errors: ReportError[] = []
  private unassigned = 0
  /** Failed or errored testcases that pairing set aside (see keepUnpairedFailure). */
  private readonly unpaired = new Map<string, Gap>()
  /** Report paths by ReportFile.serial. */
  private readonly reportPaths: string[] = []
  private readonly unscopedCache = new Map<string, boolean>()
  private lastState: BackendState | undefined
  private readonly driftSources: DriftSource[] = []
  /** Collected test lists (the runner's own collection), with the backends that must report them. */
  private readonly collected: Array<{ source: string; backends: string[]; tests: CollectedTest[] }> = []

  constructor(
    private readonly config: Config,
    private readonly options: EngineOptions
  ) {
    this.states = new Map(config.backends.map((b) => [b.name, new BackendState(b.name)]))
    this.identifier = new Identifier(config)
  }

  /**
   * What the reader keeps of each testcase: of its output, the first line with a skip marker,
   * found by scanning all of it as it streams (a marker after megabytes of log still counts).
   */
  readonly parserLimits: ParserLimits = {
    ...DEFAULT_LIMITS,
    outputLine: (line) => {
      if (this.watchEvidence) this.observeEvidence(line)
      return this.isSkipMarkerLine(line)
    },
    onProperty: (name, value) => {
      if (this.watchEvidence) this.observeEvidence(`${name}=${value}`)
    },
    onSuiteOutputLine: (line) => {
      if (this.watchEvidence) this.observeEvidence(line)
    }
  }

  /** Backends of the report file being read (evidence found in it is theirs). */
  private currentBackends: readonly string[] = []
  private readonly evidenceFound = new Map<string, string>()
  private readonly foreignEvidence = new Map<string, Map<string, string>>()
  private get watchEvidence(): boolean {
    return this.config.evidence.size > 0
  }

  /**
   * `evidence:` in the config: a backend's reports must show that its server ran (a version a
   * canary test prints, a suite property). A match of another backend's evidence is kept too:
   * SQLite's version in the postgres job means the storage factory fell back to SQLite.
   */
  private observeEvidence(text: string): void {
    const line = visibleLine(text)
    for (const [backend, patterns] of this.config.evidence) {
      const match = matchAny(patterns, line)
      if (match === undefined) continue
      for (const reportBackend of this.currentBackends) {
        if (reportBackend === backend) {
          if (!this.evidenceFound.has(backend)) this.evidenceFound.set(backend, this.evidenceSample(line, match))
        } else {
          let foreign = this.foreignEvidence.get(reportBackend)
          if (foreign === undefined) this.foreignEvidence.set(reportBackend, (foreign = new Map()))
          if (!foreign.has(backend)) foreign.set(backend, this.evidenceSample(line, match))
        }
      }
    }
  }

  private evidenceSample(line: string, match: RegExpExecArray): string {
    // The match with a little context, redacted: enough to show which server, never a whole log line.
    const from = Math.max(0, match.index - 40)
    const text = line.slice(from, match.index + match[0].length + 80).trim()
    return flatCopy(this.options.redact(text.length > 160 ? `${text.slice(0, 160)}…` : text))
  }

  /** Declares a report file before its testcases arrive; `backends` are the backends whose globs matched it. */
  openFile(path: string, backends: readonly string[]): ReportFile {
    for (const backend of backends) this.state(backend).files += 1
    this.currentBackends = backends
    this.reportPaths.push(path)
    return { path, backends, serial: this.reportPaths.length - 1 }
  }

  /**
   * An earlier inventory to compare with (the base branch's check run, a --baseline verdict, the
   * committed inventory file): a storage test it holds that no backend reports now has vanished.
   */
  compareWith(source: DriftSource): void {
    this.driftSources.push(source)
  }

  /**
   * A runner's collected test list (`pytest --collect-only -q`, `go test -list .`, ...): each
   * collected, in-scope test must be reported. One that no backend reports is `missing` on each
   * of `backends` ("collected but never reported"); one some backend reports is paired as usual.
   */
  expectCollected(source: string, backends: readonly string[], tests: readonly CollectedTest[]): void {
    const patterns = this.config.backendInName
    this.collected.push({ source, backends: [...backends], tests: patterns.length === 0 ? [...tests] : tests.map((t) => stripBackendWords(t, patterns)) })
  }

  /** This run's inventory, sorted by id (see digest()). */
  inventory(): TestInventory {
    const inventory = decodeDigest(this.digest())
    inventory.tests.sort((a, b) => compareIds(a.id, b.id))
    return inventory
  }

  /**
   * This run's inventory as a digest, for the next run to compare with: every in-scope test id
   * with the backends that reported it. Ids are redacted (a pytest id may hold a DSN): the digest
   * leaves the run like any other text. Written from the id table's heads and tails, so no id is
   * built as a string (a million ids of 64 nested suites would be gigabytes).
   */
  digest(): string {
    const backends = this.config.backends.map((b) => b.name)
    const states = backends.map((name) => this.state(name))
    const writer = new DigestWriter(backends)
    const redact = this.options.redact
    // Heads are shared by a class's ids; classes may alternate, so remember each head's mask.
    const maskedHeads = new Map<string, string>()
    for (let index = 0; index < this.reportedIds; index++) {
      let mask = 0
      for (let b = 0; b < states.length; b++) if ((states[b] as BackendState).status(index) !== 0) mask |= 1 << b
      if (mask === 0) continue
      const head = this.ids.headAt(index)
      let maskedHead = maskedHeads.get(head)
      if (maskedHead === undefined) {
        if (maskedHeads.size >= 65_536) maskedHeads.clear()
        maskedHead = redact(head)
        maskedHeads.set(head, maskedHead)
      }
      writer.add(maskedHead, redact(this.ids.tailAt(index)), mask)
    }
    return writer.finish()
  }

  /** Ids interned from reports (earlier inventories' ids are interned after them, to look them up). */
  private get reportedIds(): number {
    return this.reportedIdCount ?? this.ids.size
  }

  private reportedIdCount: number | undefined

  /** What the secret spotter found in one report file (src/core/secret-spotter.ts). */
  secretsInReport(file: ReportFile, spotted: SpottedSecrets): void {
    if (spotted.values === 0) return
    for (const backend of file.backends) {
      const known = this.reportSecrets.get(backend) ?? { files: 0, values: 0, testcases: 0, names: [], byShape: false }
      known.files += 1
      known.values += spotted.values
      known.testcases += spotted.testcases
      known.names = [...new Set([...known.names, ...spotted.names])].sort()
      known.byShape ||= spotted.byShape
      this.reportSecrets.set(backend, known)
    }
  }

  private readonly reportSecrets = new Map<string, ReportSecrets>()
  /** Per backend: testcases `scope` left out, and the first distinct ids (a too-wide pattern shows here). */
  private readonly outOfScope = new Map<string, { testcases: number; ids: Set<string> }>()

  private noteOutOfScope(backend: string, head: string, tail: string): void {
    let entry = this.outOfScope.get(backend)
    if (entry === undefined) this.outOfScope.set(backend, (entry = { testcases: 0, ids: new Set() }))
    entry.testcases += 1
    if (entry.ids.size < OUT_OF_SCOPE_LISTED) entry.ids.add(flatCopy(head + tail))
  }

  /** The workflow's `needs.<job>.result` for a backend's job (failure, cancelled, skipped). */
  setJobResult(backend: string, result: string): void {
    this.state(backend).jobResult = result
  }

  fileError(file: ReportFile | string, error: ReportError): void {
    const entry = { ...error, message: this.options.redact(error.message) }
    this.errors.push(entry)
    if (typeof file !== 'string') for (const backend of file.backends) this.state(backend).errors.push(entry)
  }

  addTestcase(file: ReportFile, testcase: ParsedTestcase): void {
    const testFile = this.normalizedFile(testcase.file)
    const { head, tail, namedBackend } = this.identifier.identifyParts(testcase, testFile)
    let backend: string | undefined
    if (namedBackend !== undefined) {
      if (!file.backends.includes(namedBackend)) {
        this.noteCrossLeg(head + tail, namedBackend, file.backends.join('+'))
        this.keepUnpairedFailure(file, testcase, head, tail, testFile, `its name names ${namedBackend}, but it ran in a report of ${file.backends.join('+')}`)
        return
      }
      backend = namedBackend
    } else if (file.backends.length === 1) {
      backend = file.backends[0]
    } else {
      this.unassigned += 1
      this.keepUnpairedFailure(file, testcase, head, tail, testFile, `its name names no backend, and the report is shared by ${file.backends.join('+')}`)
      return
    }
    if (backend === undefined) return
    if (!this.inScope(head, tail, testFile)) {
      this.noteOutOfScope(backend, head, tail)
      return
    }
    const index = this.indexOf(head, tail, testFile, reportedLine(testcase))
    const state = this.state(backend)

    let code: number = CASE_CODE[testcase.status]
    let flags = 0
    let detail: Detail | undefined
    if (code === PASSED && testcase.output !== undefined) {
      const marker = this.findSkipMarker(testcase.output)
      if (marker !== undefined) {
        code = SKIPPED
        flags |= MARKER_SKIP
        detail = { message: flatCopy(marker), markerSkip: true }
      }
    }
    if (code === PASSED) flags |= ANY_PASS
    if (code === FAILED || code === ERRORED) flags |= ANY_FAILURE
    if (testcase.flaky) flags |= FLAKY_MARK
    if (detail === undefined && (code !== PASSED || testcase.flaky) && testcase.message !== undefined) {
      detail = { message: flatCopy(this.cleanMessage(testcase.message)) }
      if (testFile === undefined) Object.assign(detail, this.locate(testcase.message, code === SKIPPED))
    }
    if (testcase.status === 'errored') flags |= ANY_ERRORED
    if (code === SKIPPED) flags |= ANY_SKIPPED
    if (state.occurrence(index, file.serial * 1e7 + Math.min(testcase.suite, 9_999_999), this.rawHash(testcase), file.path, (where) => this.reportPaths[Math.floor(where / 1e7)])) {
      flags |= COLLISION
    }
    state.mark(index, code, flags)
    // The worst result's message is kept (a later pass keeps the failure that explains a flaky test);
    // among equals the first stays.
    if (detail !== undefined) {
      detail.severity = SEVERITY[code] as number
      const kept = state.details.get(index)
      if (kept === undefined || (kept.severity ?? 0) < detail.severity) state.details.set(index, detail)
    }
  }

  /** Suite paths are shared by a suite's testcases: their hash is worked out once per path. */
  private readonly suiteHashes = new WeakMap<readonly string[], number>()

  /** FNV-1a over the testcase's suites, classname and name as written (no file: workspaces differ between jobs). */
  private rawHash(testcase: ParsedTestcase): number {
    let hash = this.suiteHashes.get(testcase.suitePath)
    if (hash === undefined) {
      hash = 0x811c9dc5
      for (const suite of testcase.suitePath) hash = fnv(fnv(hash, suite), '\u0001')
      this.suiteHashes.set(testcase.suitePath, hash)
    }
    return fnv(fnv(fnv(hash, testcase.classname ?? '\u0000'), '\u0002'), testcase.name)
  }

  verdict(): Verdict {
    const backends = this.config.backends.map((b) => b.name)
    const today = this.options.now.toISOString().slice(0, 10)
    const exemptionUse = this.config.exemptions.map(() => ({ matched: false, excused: new Set<string>() }))
    const gaps: Gap[] = []
    const flaky: FlakyTest[] = []
    const summaries = new Map<string, BackendSummary>(
      backends.map((name) => {
        const state = this.state(name)
        const summary: BackendSummary = { name, files: state.files, tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 }
        if (state.jobResult !== undefined) summary.jobResult = state.jobResult
        const left = this.outOfScope.get(name)
        if (left !== undefined) summary.outOfScope = left.testcases
        const secrets = this.reportSecrets.get(name)
        if (secrets !== undefined) summary.secretsInReports = secrets
        if (this.config.evidence.size > 0) {
          const found = this.evidenceFound.get(name)
          summary.evidence = { ...(found === undefined ? {} : { found }), foreign: Object.fromEntries(this.foreignEvidence.get(name) ?? []) }
        }
        return [name, summary]
      })
    )
    // A backend with no report or no test has one backend-level gap: listing every test as missing there is noise.
    const silenced = new Set(backends.filter((name) => this.state(name).files === 0 || !this.state(name).hasTests()))

    const states = backends.map((name) => this.state(name))
    const summaryList = backends.map((name) => summaries.get(name) as BackendSummary)
    const finals: (TestStatus | 'missing')[] = backends.map(() => 'missing')
    const hasExemptions = this.config.exemptions.length > 0
    const size = this.ids.size
    // Per backend, tests by final status (STATUS_NAMES order), and the tests that did not pass
    // everywhere: small loops over typed arrays (fast even before the optimiser has run).
    const counts = states.map(() => new Float64Array(STATUS_NAMES.length))
    const codes = states.map((state) => finalCodes(state.statuses, size))
    const notPassed = new Uint8Array(size)
    codes.forEach((list, b) => countCodes(list, counts[b] as Float64Array, notPassed))
    const width = states.length
    for (let index = 0; index < size; index++) {
      // Passed everywhere and no exemption to match: nothing more to say about this test.
      if (notPassed[index] === 0 && !hasExemptions) continue
      for (let b = 0; b < width; b++) finals[b] = STATUS_NAMES[(codes[b] as Uint8Array)[index] as number] as TestStatus | 'missing'
      const id = this.ids.idAt(index)
      const file = this.fileAt(index)
      // Every exemption that matches counts, whatever their order: a skip or absence is excused
      // when any of them excuses it, and each of those is credited with it.
      const matching = hasExemptions ? this.matchingExemptions(id, file) : NONE
      for (const i of matching) (exemptionUse[i] as { matched: boolean }).matched = true
      const ranSomewhere = matching.length > 0 && finals.some((s) => s === 'passed' || s === 'flaky')
      const excusers: number[][] =
        matching.length === 0 ? [] : backends.map((name, b) => this.excusers(matching, name, finals[b] as TestStatus | 'missing', (states[b] as BackendState).details.get(index), today, ranSomewhere))
      // A skip-reason declaration is about this test only when one of its skips says that reason.
      const contradicted = ranSomewhere
        ? matching.find((i) => {
            const e = this.config.exemptions[i] as Exemption
            if (e.noBackend !== true) return false
            return e.skipReason === undefined || states.some((state, b) => skipSaysReason(e, finals[b] as TestStatus | 'missing', state.details.get(index)))
          })
        : undefined
      const expiredOne = matching.length === 0 ? undefined : matching.map((i) => this.config.exemptions[i] as Exemption).find((e) => e.until !== undefined && e.until < today)

      for (let b = 0; b < width; b++) {
        const status = finals[b] as TestStatus | 'missing'
        if (status === 'passed') continue
        const name = backends[b] as string
        const state = states[b] as BackendState
        const detail = state.details.get(index)
        if (status === 'flaky') {
          flaky.push(withMessage({ test: id, backend: name }, detail?.message))
          if (this.config.flaky === 'warn') continue
        }
        const excusedBy = excusers[b] ?? NONE
        if (excusedBy.length > 0) {
          for (const i of excusedBy) exemptionUse[i]?.excused.add(id)
          continue
        }
        if (status === 'missing' && silenced.has(name)) continue
        const others = othersOf(backends, finals, b, excusers)
        const expired = expiredOne !== undefined && (status === 'missing' || status === 'skipped')
        const gap: Gap = {
          test: id,
          backend: name,
          kind: status,
          reason:
            testReason(status, name, others, detail, expiredOne?.until, expired) +
            collisionNote(state, index) +
            (contradicted === undefined || (status !== 'missing' && status !== 'skipped') ? '' : noBackendNote(this.config.exemptions[contradicted] as Exemption)),
          others
        }
        if (detail?.message !== undefined) gap.message = detail.message
        const line = file !== undefined ? this.lineAt(index) : detail?.line
        if (file !== undefined || detail?.file !== undefined) gap.file = file ?? detail?.file
        if (line !== undefined) gap.line = line
        gaps.push(gap)
      }
    }
    this.fewerInstancesGaps(states, codes, gaps, silenced, today, exemptionUse)
    states.forEach((_, b) => {
      const summary = summaryList[b] as BackendSummary
      const count = counts[b] as Float64Array
      for (let code = 1; code < STATUS_NAMES.length; code++) {
        summary.tests += count[code] as number
        summary[STATUS_NAMES[code] as TestStatus] += count[code] as number
      }
    })

    const backendGaps = this.backendGaps([...summaries.values()])
    this.collectedGaps(gaps, silenced, today)
    const drift = this.driftSources.map((source) => this.compareDrift(source, gaps))
    const allGaps = [...backendGaps, ...sortGaps([...gaps, ...this.unpaired.values()])]
    const exemptions: ExemptionReport[] = this.config.exemptions.map((exemption, i) => {
      const use = exemptionUse[i] as { matched: boolean; excused: Set<string> }
      const expired = exemption.until !== undefined && exemption.until < today
      const state = !use.matched ? 'stale' : expired ? 'expired' : use.excused.size > 0 ? 'used' : 'unused'
      const report: ExemptionReport = {
        test: exemption.tests.map((t) => t.source).join(', ') || '*',
        backends: exemption.backends,
        reason: exemption.reason,
        state,
        excused: [...use.excused].sort()
      }
      if (exemption.until !== undefined) report.until = exemption.until
      if (exemption.skipReason !== undefined) report.skipReason = exemption.skipReason.source
      if (exemption.noBackend === true) report.noBackend = true
      return report
    })
    const unreachable = groupUnreachable(allGaps)
    const conclusion = allGaps.length === 0 && this.errors.length === 0 ? 'success' : 'failure'
    const verdict: Verdict = {
      conclusion,
      title: '',
      backends: summaryList,
      tests: this.reportedIds,
      gaps: allGaps,
      exemptions,
      flaky: flaky.sort((a, b) => a.test.localeCompare(b.test) || a.backend.localeCompare(b.backend)),
      crossLeg: [...this.crossLeg.values()],
      unassigned: this.unassigned,
      ...(unreachable.length === 0 ? {} : { unreachable }),
      outOfScope: [...this.outOfScope].flatMap(([backend, entry]) => [...entry.ids].sort(compareIds).map((test) => ({ test: this.options.redact(test), backend }))),
      errors: this.errors,
      drift
    }
    verdict.title = verdictTitle(verdict)
    return verdict
  }

  /**
   * Compares with one earlier inventory. A test it holds that is in scope now and that no backend
   * reports is `vanished` (a gap with drift: fail, a notice with drift: warn) unless a `removed:`
   * entry acknowledges it. A test still reported by some backend but missing on another is already
   * a `missing` gap there: pairing covers it.
   */
  private compareDrift(source: DriftSource, gaps: Gap[]): DriftReport {
    const report: DriftReport = { label: source.label, compared: false, baseTests: 0, vanished: [], acknowledged: [], leftScope: 0, added: 0 }
    if (this.config.drift === 'off') return { ...report, reason: 'drift: off in the config' }
    if (source.inventory === undefined && source.digest === undefined) return { ...report, reason: source.notCompared ?? 'no earlier inventory was found' }
    this.reportedIdCount ??= this.ids.size
    const reported = this.reportedIdCount
    const matched = new Uint8Array(reported)
    let matchedCount = 0
    const vanished: Array<{ id: string; backends: string[] }> = []
    // Earlier ids are redacted (see inventory()): one holding a mask is looked up among the masked ids.
    let masked: Map<string, number> | undefined
    const visit = (id: string, backends: string[]) => {
      report.baseTests += 1
      const test = { id, backends }
      let index = this.ids.intern(test.id)
      if (index >= reported && test.id.includes(REDACTION_MASK)) {
        masked ??= this.maskedIds(reported)
        index = masked.get(test.id) ?? index
      }
      if (index < reported) {
        if (matched[index] === 0) matchedCount += 1
        matched[index] = 1
        return
      }
      const firstPart = test.id.split(ID_SEPARATOR, 1)[0] as string
      if (!this.scopeAdmits(test.id, firstPart)) {
        report.leftScope += 1
        return
      }
      const removal = this.config.removed.find((entry) => matchesAny(entry.tests, [test.id, firstPart]))
      if (removal !== undefined) report.acknowledged.push({ test: this.options.redact(test.id), reason: removal.reason })
      else vanished.push(test)
    }
    if (source.inventory !== undefined) {
      for (const test of source.inventory.tests) visit(test.id, test.backends)
    } else {
      try {
        readDigest(source.digest as string, visit)
      } catch (error) {
        // Nothing of a damaged inventory counts (ids it added to the table stay past `reported`).
        return { ...report, baseTests: 0, acknowledged: [], leftScope: 0, reason: (error as Error).message }
      }
    }
    report.compared = true
    // An earlier inventory may list one (masked) id twice: one vanished test.
    const unique = [...new Map(vanished.map((test) => [test.id, test])).values()]
    vanished.length = 0
    vanished.push(...unique)
    report.added = reported - matchedCount
    report.vanished = vanished.map((test) => this.options.redact(test.id))
    if (this.config.drift === 'fail' && vanished.length > 0) {
      const renamedTo = this.renameHints(vanished, matched, reported)
      for (const test of vanished) {
        const where = test.backends.length > 0 ? `reported on ${test.backends.join(' and ')} at ${source.label}` : `listed in ${source.label}`
        const hint = renamedTo.get(test.id)
        gaps.push({
          test: test.id,
          backend: test.backends.length > 0 ? test.backends.join('+') : this.config.backends.map((b) => b.name).join('+'),
          kind: 'vanished',
          reason:
            `${where}, reported by no backend now (deleted, renamed, filtered out or ignored)` +
            (hint === undefined ? '' : `; renamed to "${this.options.redact(hint)}"?`) +
            '; if it was removed on purpose, add it to `removed:` in the config with a reason',
          others: {}
        })
      }
    }
    return report
  }

  /**
   * Two tests can share an id (Go's parent test and its `/sqlite` subtest once the backend is cut
   * from the name, jest's `a` › `b c` and `a b` › `c`): when one backend reports more differently
   * named testcases under it than another, one of those tests did not run there, even though the
   * id passed on both. A gap on each backend that has fewer, unless an exemption excuses the
   * absence there. Repeats of one testcase (reruns, `-count=2`, a matrix) are one test, not more.
   */
  private fewerInstancesGaps(
    states: readonly BackendState[],
    codes: readonly Uint8Array[],
    gaps: Gap[],
    silenced: Set<string>,
    today: string,
    exemptionUse: ReadonlyArray<{ excused: Set<string> }>
  ): void {
    const shared = new Set<number>()
    for (const state of states) for (const index of state.rawKinds.keys()) shared.add(index)
    if (shared.size === 0) return
    const already = new Set(gaps.map((gap) => `${gap.backend}\0${gap.test}`))
    for (const index of [...shared].sort((a, b) => a - b)) {
      const counts = states.map((state, b) => ((codes[b] as Uint8Array)[index] === 0 ? 0 : (state.rawKinds.get(index)?.size ?? 1)))
      const most = Math.max(...counts)
      const id = this.ids.idAt(index)
      const file = this.fileAt(index)
      const matching = this.config.exemptions.length > 0 ? this.matchingExemptions(id, file) : NONE
      const fullest = states[counts.indexOf(most)] as BackendState
      states.forEach((state, b) => {
        const count = counts[b] as number
        // Absent altogether: the missing gap already says so.
        if (count === 0 || count === most || silenced.has(state.name) || already.has(`${state.name}\0${id}`)) return
        const excusedBy = this.excusers(matching, state.name, 'missing', undefined, today, true)
        for (const i of excusedBy) exemptionUse[i]?.excused.add(id)
        if (excusedBy.length > 0) return
        const where = [...(fullest.collisions.get(index) ?? [])].sort().join(', ')
        const gap: Gap = {
          test: id,
          backend: state.name,
          kind: 'missing',
          reason:
            `${most} differently named testcases share this id on ${fullest.name}${where === '' ? '' : ` (${where})`}, ${count} on ${state.name}: ` +
            `${most - count === 1 ? 'one of those tests' : `${most - count} of those tests`} did not run on ${state.name}`,
          others: Object.fromEntries(
            states.flatMap((other, o) => (other === state ? [] : [[other.name, STATUS_NAMES[(codes[o] as Uint8Array)[index] as number] as OtherStatus]]))
          )
        }
        if (file !== undefined) {
          gap.file = file
          const line = this.lineAt(index)
          if (line !== undefined) gap.line = line
        }
        gaps.push(gap)
      })
    }
  }

  private collectedGaps(gaps: Gap[], silenced: Set<string>, today: string): void {
    if (this.collected.length === 0) return
    const reported = this.reportedIdCount ?? this.ids.size
    const ids = this.ids
    const everyId = function* (): Generator<string> {
      for (let index = 0; index < reported; index++) yield ids.idAt(index)
    }
    // One index of the reported ids for all lists: findUnreported hands back the tests it was given.
    const unreported = new Set(findUnreported(this.collected.flatMap((list) => list.tests), everyId()))
    const seen = new Set<string>()
    for (const list of this.collected) {
      for (const test of list.tests) {
        if (!unreported.has(test)) continue
        const file = test.file
        if (!this.scopeAdmits(test.display, file ?? test.display)) continue
        const matching = this.matchingExemptions(test.display, file)
        for (const backend of list.backends) {
          if (silenced.has(backend) || seen.has(`${backend}\0${test.display}`)) continue
          if (this.excusers(matching, backend, 'missing', undefined, today, false).length > 0) continue
          seen.add(`${backend}\0${test.display}`)
          const gap: Gap = {
            test: test.display,
            backend,
            kind: 'missing',
            reason: `collected (${list.source}) but never reported on ${backend}: no report names it (a pending, ignored or assertion-free test the reporter leaves out, or a filter?)`,
            others: {}
          }
          if (file !== undefined) gap.file = file
          if (test.line !== undefined) gap.line = test.line
          gaps.push(gap)
        }
      }
    }
  }

  /** Indices of the exemptions whose test patterns match (an exemption with none matches every test). */
  private matchingExemptions(id: string, file: string | undefined): number[] {
    const found: number[] = []
    this.config.exemptions.forEach((e, i) => {
      if (e.tests.length === 0 || matchesAny(e.tests, [id, file])) found.push(i)
    })
    return found
  }

  /** Which of the matching exemptions excuse this status on this backend (none when it passed or failed). */
  private excusers(matching: readonly number[], backend: string, status: TestStatus | 'missing', detail: Detail | undefined, today: string, ranSomewhere: boolean): number[] {
    if (status !== 'missing' && status !== 'skipped') return NONE
    const excused: number[] = []
    for (const i of matching) {
      const e = this.config.exemptions[i] as Exemption
      if (e.until !== undefined && e.until < today) continue
      // For no configured backend: a test that passes on one is not that, and its skips elsewhere are gaps.
      if (e.noBackend === true && ranSomewhere) continue
      if (e.backends.includes(backend)) continue
      if (e.skipReason !== undefined) {
        // By skip reason: only a skip whose message says why, on a backend it is not expected to run on.
        if (!skipSaysReason(e, status, detail)) continue
      }
      excused.push(i)
    }
    return excused
  }

  /** Current ids that redaction changes, masked, with their index. */
  private maskedIds(reported: number): Map<string, number> {
    const masked = new Map<string, number>()
    const redact = this.options.redact
    for (let index = 0; index < reported; index++) {
      // Masked the way digest() masks: head and tail on their own.
      const head = this.ids.headAt(index)
      const tail = this.ids.tailAt(index)
      const id = redact(head) + redact(tail)
      if (id !== head + tail && !masked.has(id)) masked.set(id, index)
    }
    return masked
  }

  /** A new test with the same last id part as a vanished one was probably that test, renamed or moved. */
  private renameHints(vanished: Array<{ id: string }>, matched: Uint8Array, reported: number): Map<string, string> {
    const lastPart = (id: string) => {
      const at = id.lastIndexOf(ID_SEPARATOR)
      return at < 0 ? id : id.slice(at + ID_SEPARATOR.length)
    }
    const wanted = new Map(vanished.map((test) => [lastPart(test.id), test.id]))
    const hints = new Map<string, string>()
    for (let index = 0; index < reported && hints.size < wanted.size; index++) {
      if (matched[index] === 1) continue
      const id = this.ids.idAt(index)
      const from = wanted.get(lastPart(id))
      if (from !== undefined && !hints.has(from)) hints.set(from, id)
    }
    return hints
  }

  private scopeAdmits(id: string, file: string): boolean {
    const { include, exclude } = this.config
    const candidates = [id, file]
    return (include.length === 0 || matchesAny(include, candidates)) && !matchesAny(exclude, candidates)
  }

  private backendGaps(summaries: BackendSummary[]): Gap[] {
    const gaps: Gap[] = []
    const patterns = new Map(this.config.backends.map((b) => [b.name, b.reports.join(', ')]))
    for (const summary of summaries) {
      const { name } = summary
      const job = summary.jobResult !== undefined && summary.jobResult !== 'success' ? `; its job's result is "${summary.jobResult}"` : ''
      const base = { test: WHOLE_BACKEND, backend: name, others: {} }
      const errors = this.state(name).errors.length
      const unreadable = errors > 0 ? `; ${errors} report file(s) could not be read` : ''
      if (summary.files === 0) {
        gaps.push({ ...base, kind: 'no-report', reason: `no report file matched ${patterns.get(name) ?? 'its globs'}${job}` })
      } else if (summary.tests === 0) {
        gaps.push({
          ...base,
          kind: 'empty',
          reason: `${summary.files} report file(s) but no test in scope${unreadable}${job}`
        })
      } else if (summary.tests < this.config.minTests) {
        gaps.push({
          ...base,
          kind: 'too-few',
          reason: `${summary.tests} test(s) in scope, fewer than min-tests ${this.config.minTests}${job}`
        })
      }
      if (summary.secretsInReports !== undefined && this.config.secretsInReports === 'fail') {
        gaps.push({ ...base, kind: 'exposed', reason: `${exposureSentence(name, summary.secretsInReports)} (secrets-in-reports: fail)` })
      }
      const evidence = this.config.evidence.get(name)
      if (summary.files > 0 && summary.tests > 0 && evidence !== undefined && summary.evidence?.found === undefined) {
        const foreign = Object.entries(summary.evidence?.foreign ?? {})
          .map(([other, sample]) => `; they show ${other} instead ("${sample}")`)
          .join('')
        gaps.push({
          ...base,
          kind: 'unproven',
          reason: `no ${name} report shows evidence that ${name} ran (evidence: ${evidence.map((p) => `/${p.source}/`).join(' or ')})${foreign}: the job may have run on another backend (a storage factory that falls back when DATABASE_URL is missing?)`
        })
      }
    }
    return gaps
  }

  private state(name: string): BackendState {
    // Testcases come a file (one backend) at a time: the last state is nearly always the one.
    const last = this.lastState
    if (last !== undefined && last.name === name) return last
    let state = this.states.get(name)
    if (state === undefined) {
      state = new BackendState(name)
      this.states.set(name, state)
    }
    this.lastState = state
    return state
  }

  private indexOf(head: string, tail: string, file: string | undefined, line: number | undefined): number {
    const known = this.ids.size
    const index = this.ids.intern(head, tail, this.expected)
    if (index === known) {
      if (index >= this.fileOf.length) {
        const fileOf = new Int32Array(this.fileOf.length * 2)
        fileOf.set(this.fileOf)
        this.fileOf = fileOf
        const lineOf = new Uint32Array(this.lineOf.length * 2)
        lineOf.set(this.lineOf)
        this.lineOf = lineOf
      }
      this.fileOf[index] = file === undefined ? -1 : this.fileId(file)
      if (line === undefined) this.lineOf[index] = 0
      else if (Number.isInteger(line) && line >= 1 && line <= 0xffffffff) this.lineOf[index] = line
      else this.oddLines.set(index, line)
    }
    this.expected = index + 1
    return index
  }

  private fileId(file: string): number {
    // Consecutive tests share their file (the same string from normalizedFile): no lookup then.
    if (file === this.lastFileId.file) return this.lastFileId.id
    let id = this.fileIds.get(file)
    if (id === undefined) {
      id = this.files.length
      const copy = flatCopy(file)
      this.files.push(copy)
      this.fileIds.set(copy, id)
    }
    this.lastFileId = { file, id }
    return id
  }

  private fileAt(index: number): string | undefined {
    const id = this.fileOf[index] as number
    return id < 0 ? undefined : this.files[id]
  }

  private lineAt(index: number): number | undefined {
    const line = this.lineOf[index] as number
    if (line !== 0) return line
    return this.oddLines.size === 0 ? undefined : this.oddLines.get(index)
  }

  private normalizedFile(file: string | undefined): string | undefined {
    const last = this.lastFile
    if (file !== last.raw) {
      // Copied: the attribute may be a slice of a whole chunk of the report.
      const raw = file === undefined ? undefined : flatCopy(file)
      this.lastFile = { raw, normalized: normalizeFile(raw, this.options.pathRoots ?? []) }
    }
    return this.lastFile.normalized
  }

  private inScope(head: string, tail: string, file: string | undefined): boolean {
    const { include, exclude } = this.config
    if (include.length === 0 && exclude.length === 0) return true
    const id = head + tail
    const key = file === undefined ? id : `${file}\0${id}`
    let scoped = this.unscopedCache.get(key)
    if (scoped === undefined) {
      const candidates = [id, file]
      scoped = (include.length === 0 || matchesAny(include, candidates)) && !matchesAny(exclude, candidates)
      // Only cache the answer per file when the file decides it; ids are unique, caching them costs memory.
      if (file !== undefined && this.unscopedCache.size < 100_000) this.unscopedCache.set(key, scoped)
    }
    return scoped
  }

  private findSkipMarker(output: string): string | undefined {
    // Line by line, as a person reads the log: colour codes gone, no match across two lines.
    for (const raw of eachLine(output)) {
      const line = visibleLine(raw)
      if (this.markerIn(line)) return this.cleanMessage(line)
    }
    return undefined
  }

  private isSkipMarkerLine(raw: string): boolean {
    return this.markerIn(visibleLine(raw))
  }

  private markerIn(line: string): boolean {
    for (const marker of this.config.skipMarkers) if (marker.test(line)) return true
    return false
  }

  private cleanMessage(raw: string): string {
    // A colour code whose ESC was neutralised by the decoder is noise in a summary.
    const redacted = pytestKeyLines(this.withoutWorkspacePaths(this.options.redact(raw).replace(/\ufffd\[[0-9;]*[A-Za-z]/g, '')))
    const lines = redacted.split('\n', GAP_MESSAGE_LINES + 1)
    const firstLines = lines.slice(0, GAP_MESSAGE_LINES).join('\n').trim()
    const { text, truncated } = truncateSafely(firstLines, GAP_MESSAGE_CHARS)
    return truncated || lines.length > GAP_MESSAGE_LINES ? `${text}\n…` : text
  }

  /** `/home/runner/work/app/app/tests/x.py:28` reads as `tests/x.py:28`: the runner's checkout path is noise. */
  private withoutWorkspacePaths(message: string): string {
    let out = message
    for (const root of this.options.pathRoots ?? []) {
      const prefix = root.replace(/[\\/]+$/, '')
      if (prefix.length < 2) continue
      // Only where a path starts: `file:///work/app/x` keeps its root (cut, it would read `file://x`).
      out = out.replace(new RegExp(`(^|[^\\w/\\\\.:-])${escapeRegExp(prefix)}[/\\\\]`, 'g'), '$1')
    }
    return out
  }

  /**
   * Where the message says the test is: the test's own frame of a failure's traceback, or the
   * test-file location that pytest (`test_x.py:12: requires postgresql`) and go test
   * (`store_test.go:42: DATABASE_URL not set`) write into a skip. A skip names no other frame:
   * a path in its reason is not where the test is.
   */
  private locate(message: string, skip: boolean): { file?: string; line?: number } {
    const frame = testFrame(message)
    if (frame === undefined || (skip && !isTestFile(frame.path))) return {}
    return { file: normalizeFile(flatCopy(frame.path), this.options.pathRoots ?? []), line: frame.line }
  }

  /**
   * Pairing may set a testcase aside (it names another backend, or no backend in a shared report),
   * but a failure never disappears with it: it becomes a gap of its own, on the report's backends.
   */
  private keepUnpairedFailure(
    file: ReportFile,
    testcase: ParsedTestcase,
    head: string,
    tail: string,
    testFile: string | undefined,
    why: string
  ): void {
    if (testcase.status !== 'failed' && testcase.status !== 'errored') return
    if (!this.inScope(head, tail, testFile)) return
    const test = head + tail
    const backend = file.backends.join('+')
    const key = `${test}\0${backend}\0${file.path}\0${testcase.status}`
    if (this.unpaired.has(key)) return
    const kind = testcase.status
    const gap: Gap = {
      test,
      backend,
      kind,
      reason: `${kind} in ${file.path}, not paired with another backend: ${why}`,
      others: {}
    }
    if (testcase.message !== undefined) {
      const message = flatCopy(this.cleanMessage(testcase.message))
      if (message !== '') gap.message = message
    }
    const located = testFile !== undefined ? { file: testFile, line: reportedLine(testcase) } : this.locate(testcase.message ?? '', false)
    if (located.file !== undefined) gap.file = located.file
    if (located.line !== undefined) gap.line = located.line
    // Bounded like the cross-leg list; past the bound one gap per kind and report still fails the gate.
    if (this.unpaired.size >= 10_000) {
      const overflow = `${backend}\0${file.path}\0${kind}`
      if (this.unpaired.has(overflow)) return
      this.unpaired.set(overflow, { ...gap, test: `${test} (and more: over 10,000 unpaired failures)` })
      return
    }
    this.unpaired.set(key, gap)
  }

  private noteCrossLeg(id: string, namedBackend: string, foundIn: string): void {
    const key = `${id}\0${namedBackend}\0${foundIn}`
    if (!this.crossLeg.has(key) && this.crossLeg.size < 10_000) this.crossLeg.set(key, { test: id, namedBackend, foundIn })
  }
}

/**
 * A copy of `text` that shares no memory with it. Strings cut from a report (attribute values,
 * messages) can be slices that keep the whole chunk they came from alive; anything kept until the
 * verdict is copied first.
 */
/**
 * A pytest failure body is the test's source, then `>` at the failing line, `E` lines with the
 * assertion, and `file:line: Error`. Cut to its first lines, the part that matters was lost: keep
 * the message's first line, the last `>` line, the `E` lines and the location line.
 */
function pytestKeyLines(message: string): string {
  if (!message.includes('\nE ')) return message
  const lines = message.split('\n', 400)
  const eLines = lines.filter((line) => /^E {2,}\S/.test(line))
  if (eLines.length === 0) return message
  const firstE = lines.findIndex((line) => /^E {2,}\S/.test(line))
  let arrow: string | undefined
  for (let i = firstE - 1; i > 0 && arrow === undefined; i--) if (/^>\s/.test(lines[i] as string)) arrow = lines[i]
  let location: string | undefined
  for (let i = lines.length - 1; i > firstE && location === undefined; i--) if (/^\S+:\d+: \S/.test(lines[i] as string)) location = lines[i]
  return [lines[0] as string, ...(arrow === undefined ? [] : [arrow]), ...eLines.slice(0, 8), ...(location === undefined ? [] : [location])].join('\n')
}

/** A skip whose message matches the exemption's skip reason (never an absence, a pass or a failure). */
function skipSaysReason(exemption: Exemption, status: TestStatus | 'missing', detail: Detail | undefined): boolean {
  return status === 'skipped' && detail?.message !== undefined && exemption.skipReason !== undefined && exemption.skipReason.test(detail.message)
}

/** The declaration says no configured backend runs this test, yet one did: the skip is a gap, and why. */
function noBackendNote(exemption: Exemption): string {
  const patterns = exemption.tests.map((t) => t.source).join(', ') || `skips matching /${exemption.skipReason?.source ?? ''}/`
  return `; an exemption (${patterns}: ${exemption.reason}) says no configured backend runs it, but it passed on one: list that backend under the exemption's backends, or fix the skip`
}

/**
 * Failures that say the database could not be reached (connection refused, starting up, too
 * many clients...) are one problem with one fix, not 40 test bugs: counted per backend and cause.
 */
function groupUnreachable(gaps: readonly Gap[]): UnreachableGroup[] {
  const groups = new Map<string, UnreachableGroup>()
  for (const gap of gaps) {
    if ((gap.kind !== 'failed' && gap.kind !== 'errored') || gap.message === undefined) continue
    const cause = unreachableCause(gap.message)
    if (cause === undefined) continue
    const key = `${gap.backend}\0${cause}`
    const group = groups.get(key) ?? { backend: gap.backend, cause, tests: 0, fix: UNREACHABLE_FIX[cause] }
    group.tests += 1
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => b.tests - a.tests || a.backend.localeCompare(b.backend) || a.cause.localeCompare(b.cause))
}

function matchAny(patterns: readonly RegExp[], text: string): RegExpExecArray | undefined {
  for (const pattern of patterns) {
    pattern.lastIndex = 0
    const match = pattern.exec(text)
    if (match !== null) return match
  }
  return undefined
}

/** A line as a person sees it; only text with a bracket can hold a colour code. */
function visibleLine(raw: string): string {
  return raw.length > 0 && (raw.includes('[') || raw.includes(']')) ? visibleText(raw) : raw
}

function flatCopy(text: string): string {
  return text.length === 0 ? text : (' ' + text).slice(1)
}

const COLLATOR = new Intl.Collator()

/** pytest writes a 0-based `line` (its item location); every other runner counts from 1. */
function reportedLine(testcase: ParsedTestcase): number | undefined {
  if (testcase.line === undefined) return undefined
  return testcase.suitePath[0] === 'pytest' ? testcase.line + 1 : testcase.line
}

function finalStatus(bits: number): TestStatus {
  const anyFailure = (bits & ANY_FAILURE) !== 0
  const worstFailure: TestStatus = (bits & ANY_ERRORED) !== 0 ? 'errored' : 'failed'
  // Different testcases that share an id: the worst result counts, whatever their order.
  if ((bits & COLLISION) !== 0) return anyFailure ? worstFailure : (bits & ANY_SKIPPED) !== 0 ? 'skipped' : 'passed'
  // One testcase, or a runner's own reruns of it: a pass after failed attempts is flaky.
  if ((bits & ANY_PASS) !== 0) return anyFailure || (bits & FLAKY_MARK) !== 0 ? 'flaky' : 'passed'
  return anyFailure ? worstFailure : 'skipped'
}

/** FINAL_CODE of each test's status byte (0, missing, past the end of `statuses`). */
function finalCodes(statuses: Uint16Array, size: number): Uint8Array {
  const codes = new Uint8Array(size)
  const known = Math.min(size, statuses.length)
  for (let i = 0; i < known; i++) codes[i] = FINAL_CODE[statuses[i] as number] as number
  return codes
}

/** Adds each code to `count` and marks the tests that did not pass in `notPassed`. */
function countCodes(codes: Uint8Array, count: Float64Array, notPassed: Uint8Array): void {
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number
    count[code] = (count[code] as number) + 1
    if (code !== FINAL_PASSED) notPassed[i] = 1
  }
}

/** Final statuses by code: 0 is a test the backend never reported. */
const STATUS_NAMES = ['missing', 'passed', 'failed', 'errored', 'skipped', 'flaky'] as const
const FINAL_PASSED = 1
/** finalStatus() of every status byte, as an index into STATUS_NAMES (0 stays missing). */
const FINAL_CODE = Uint8Array.from({ length: 1 << STATUS_BITS }, (_, bits) => (bits === 0 ? 0 : STATUS_NAMES.indexOf(finalStatus(bits))))

function othersOf(backends: readonly string[], finals: readonly (TestStatus | 'missing')[], backend: number, excusers: readonly (readonly number[])[]): Record<string, OtherStatus> {
  const others: Record<string, OtherStatus> = {}
  for (let b = 0; b < backends.length; b++) {
    if (b === backend) continue
    const name = backends[b] as string
    others[name] = (excusers[b]?.length ?? 0) > 0 ? 'exempt' : (finals[b] as TestStatus | 'missing')
  }
  return others
}

const NONE: number[] = []
/** Out-of-scope ids listed per backend in the verdict (all are counted). */
const OUT_OF_SCOPE_LISTED = 1_000

function fnv(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash
}

/** Why a repeated id was not taken for a rerun (see BackendState.occurrence). */
function collisionNote(state: BackendState, index: number): string {
  const files = state.collisions.get(index)
  if (files === undefined) return ''
  const count = state.seen[index] as number
  const where = [...files].sort().join(', ')
  return `; ${count} testcases share this id on ${state.name} (${where}), not as one runner's rerun: the worst result counts`
}

function testReason(
  status: GapKind,
  backend: string,
  others: Record<string, OtherStatus>,
  detail: Detail | undefined,
  until: string | undefined,
  expired: boolean
): string {
  const elsewhere = Object.entries(others)
    .map(([name, s]) => `${s} on ${name}`)
    .join(', ')
  const context = elsewhere.length > 0 ? ` (${elsewhere})` : ''
  const expiry = expired && until !== undefined ? `; its exemption expired on ${until}` : ''
  switch (status) {
    case 'missing':
      return `never ran on ${backend}${context}${expiry}`
    case 'skipped':
      return detail?.markerSkip === true
        ? `reported as passed on ${backend}, but its output says it skipped itself${context}${expiry}`
        : `skipped on ${backend}${context}${expiry}`
    case 'failed':
      return `failed on ${backend}${context}`
    case 'errored':
      return `errored on ${backend}${context}`
    case 'flaky':
      return `passed on ${backend} only after a failed attempt (flaky: fail)${context}`
    default:
      return `${status} on ${backend}${context}`
  }
}

const KIND_ORDER: Record<GapKind, number> = { 'no-report': 0, empty: 1, 'too-few': 2, unproven: 3, exposed: 4, failed: 5, errored: 6, missing: 7, vanished: 8, skipped: 9, flaky: 10 }

/**
 * Gaps by kind, then backend, then test id, each name in collator order (the default-locale
 * collator orders exactly as String#localeCompare() with no locale, and faster). The few backend
 * names get ranks once (equal ranks where the collator finds them equal), so a comparison calls
 * the collator for the test ids only.
 */
function sortGaps(gaps: Gap[]): Gap[] {
  const names = [...new Set(gaps.map((gap) => gap.backend))].sort(COLLATOR.compare)
  const rank = new Map<string, number>()
  names.forEach((name, i) => rank.set(name, i > 0 && COLLATOR.compare(names[i - 1] as string, name) === 0 ? (rank.get(names[i - 1] as string) as number) : i))
  // The same order as one stable sort by (kind, backend rank, test id): the gaps are split by
  // (kind, backend rank), keeping their order, and only each group is sorted, by test id.
  const groups = new Map<number, Gap[]>()
  for (const gap of gaps) {
    const key = KIND_ORDER[gap.kind] * names.length + (rank.get(gap.backend) as number)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [gap])
    else group.push(gap)
  }
  const byTest = (a: Gap, b: Gap) => COLLATOR.compare(a.test, b.test)
  const sorted: Gap[] = []
  for (const key of [...groups.keys()].sort((a, b) => a - b)) for (const gap of (groups.get(key) as Gap[]).sort(byTest)) sorted.push(gap)
  return sorted
}

function withMessage<T extends object>(value: T, message: string | undefined): T & { message?: string } {
  return message === undefined ? value : { ...value, message }
}
