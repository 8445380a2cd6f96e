// The workflow doctor: reads GitHub Actions workflow files and names the known pitfalls that
// make the dual-backend gate lie (a skipped gate that counts as passing, a check name shared
// with a job) or flake (a database that is not ready, a report that is not uploaded when a test
// fails), each with the file, the line and the fix. Pure: the caller reads the files.
//
// Positions: js-yaml keeps no positions on the objects it returns, so the parse runs with its
// `listener` option, which reports the parser state when each node opens and closes. Every
// mapping and sequence is paired with the positions of its keys and items (a WeakMap keyed by
// the returned object), so a finding on `jobs.gate.if` can name the line of `if:`.
import yaml from 'js-yaml'

export interface DoctorFinding {
  file: string
  /** 1-based. */
  line: number
  /** 1-based, when known. */
  column?: number
  rule: string
  message: string
  fix: string
  severity: 'error' | 'warning'
}

export interface DoctorOptions {
  /**
   * Also treat a step whose `uses:` matches this as the gate (the action itself is always
   * recognised: a `uses:` containing `dual-backend-coverage`). A local path (`./`,
   * `./actions/gate`) must match exactly; anything else is matched as a substring.
   */
  gateAction?: string
}

/** The rule ids, stable: tools and tests match on them. */
export const DOCTOR_RULES = [
  'yaml',
  'too-large',
  'service-health-check',
  'upload-without-always',
  'gate-without-always',
  'gate-missing-needs',
  'continue-on-error',
  'check-name-equals-job',
  'echo-secret',
  'upload-unscrubbed'
] as const
export type DoctorRule = (typeof DOCTOR_RULES)[number]

/** Workflow files larger than this (characters; the CLI also checks bytes) are not parsed. */
export const MAX_WORKFLOW_CHARS = 1024 * 1024
/** The action's default `check-name` (action.yml, src/action/inputs.ts). */
export const DEFAULT_CHECK_NAME = 'dual-backend coverage'
const GATE_ACTION = 'dual-backend-coverage'
/** Variables the gate always redacts (docs/security.md): printing them leaks a password. */
const SENSITIVE_VARIABLES = ['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL']

/** A finding for a file that was not checked because it is too large (`size` in bytes or characters). */
export function tooLargeFinding(file: string, size: number): DoctorFinding {
  return {
    file,
    line: 1,
    rule: 'too-large',
    severity: 'error',
    message: `The file is over the doctor's 1 MiB limit (${size} bytes), so it was not checked.`,
    fix: 'Split the workflow into smaller files (a reusable workflow, a composite action) so that each can be checked.'
  }
}

// ---- positions ----------------------------------------------------------------------------

/** 0-based line and column of a node's start; `endLine` is the parser's line when it closed. */
interface Span {
  line: number
  column: number
  endLine: number
}

interface Shape {
  at: Span
  keys: Map<string, { key: Span; value: Span | undefined }>
  items: Array<Span | undefined>
}

interface Closed extends Span {
  kind: string | null
  result: unknown
}

type Positions = WeakMap<object, Shape>

interface Parsed {
  document: unknown
  positions: Positions
}

class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number | undefined
  ) {
    super(message)
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

function parseWithPositions(text: string, file: string): Parsed {
  const positions: Positions = new WeakMap()
  const stack: Array<{ line: number; column: number; children: Closed[] }> = []
  let document: unknown
  try {
    document = yaml.load(text, {
      filename: file,
      schema: yaml.DEFAULT_SCHEMA,
      listener(event, state) {
        if (event === 'open') {
          stack.push({ line: state.line, column: state.position - state.lineStart, children: [] })
          return
        }
        const frame = stack.pop()
        if (frame === undefined) return
        const closed: Closed = { line: frame.line, column: frame.column, endLine: state.line, kind: state.kind, result: state.result }
        const result: unknown = state.result
        // The first close of an object wins: a later alias (*name) closes with the same object.
        if ((state.kind === 'mapping' || state.kind === 'sequence') && isObject(result) && !positions.has(result)) {
          positions.set(result, Array.isArray(result) ? sequenceShape(closed, result, frame.children) : mappingShape(closed, result as Record<string, unknown>, frame.children, positions))
        }
        const parent = stack[stack.length - 1]
        if (parent !== undefined) parent.children.push(closed)
      }
    })
  } catch (error) {
    const e = error as { reason?: unknown; message?: unknown; mark?: { line?: unknown; column?: unknown } }
    const reason = typeof e.reason === 'string' ? e.reason : String(e.message ?? error)
    const line = typeof e.mark?.line === 'number' ? e.mark.line : 0
    const column = typeof e.mark?.column === 'number' ? e.mark.column : undefined
    throw new YamlError(reason, line, column)
  }
  return { document, positions }
}

function span(node: Closed): Span {
  return { line: node.line, column: node.column, endLine: node.endLine }
}

/**
 * Pairs the key and value nodes closed inside a mapping with its keys. Block mappings alternate
 * key, value; a flow entry without a value (`{a, b: 1}`) or `? key` has no value node, so a
 * node counts as the value only when it is the key's value.
 */
function mappingShape(at: Closed, result: Record<string, unknown>, children: Closed[], positions: Positions): Shape {
  const keys = new Map<string, { key: Span; value: Span | undefined }>()
  const merged: object[] = []
  let i = 0
  while (i < children.length) {
    const keyNode = children[i] as Closed
    i += 1
    const keyText = String(keyNode.result)
    const next = children[i]
    if (keyText === '<<' && !Object.hasOwn(result, '<<')) {
      // A merge key (`<<: *defaults` or `<<: [*a, *b]`): its keys keep their own positions.
      if (next !== undefined && isObject(next.result)) {
        i += 1
        for (const source of Array.isArray(next.result) ? next.result : [next.result]) if (isObject(source)) merged.push(source)
      }
      continue
    }
    let value: Span | undefined
    if (next !== undefined && Object.hasOwn(result, keyText) && Object.is(result[keyText], next.result)) {
      value = span(next)
      i += 1
    }
    if (!keys.has(keyText)) keys.set(keyText, { key: span(keyNode), value })
  }
  for (const source of merged) {
    const shape = positions.get(source)
    if (shape === undefined) continue
    for (const [key, entry] of shape.keys) if (!keys.has(key)) keys.set(key, entry)
  }
  const first = children[0]
  const start = first !== undefined && first.line >= at.line ? { line: first.line, column: first.column, endLine: at.endLine } : span(at)
  return { at: start, keys, items: [] }
}

function sequenceShape(at: Closed, result: unknown[], children: Closed[]): Shape {
  const items: Array<Span | undefined> = []
  let cursor = 0
  for (const item of result) {
    let found: Span | undefined
    for (let j = cursor; j < children.length; j += 1) {
      const child = children[j] as Closed
      if (Object.is(child.result, item)) {
        found = span(child)
        cursor = j + 1
        break
      }
    }
    items.push(found)
  }
  return { at: span(at), keys: new Map(), items }
}

// ---- the workflow model -------------------------------------------------------------------

type Dict = Record<string, unknown>

function isDict(value: unknown): value is Dict {
  return isObject(value) && !Array.isArray(value)
}

interface Step {
  index: number
  value: Dict
  /** 0-based line of the step (its first key). */
  line: number
  column: number
  uses: string | undefined
  run: string | undefined
}

interface Job {
  id: string
  value: Dict
  line: number
  column: number
  name: string | undefined
  needs: string[]
  steps: Step[]
}

interface Workflow {
  file: string
  document: Dict
  positions: Positions
  lines: string[]
  jobs: Job[]
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
}

function keySpan(positions: Positions, owner: unknown, key: string): Span | undefined {
  return isObject(owner) ? positions.get(owner)?.keys.get(key)?.key : undefined
}

function valueSpan(positions: Positions, owner: unknown, key: string): Span | undefined {
  return isObject(owner) ? positions.get(owner)?.keys.get(key)?.value : undefined
}

function readWorkflow(file: string, document: Dict, positions: Positions, lines: string[]): Workflow {
  const jobs: Job[] = []
  const jobsValue = document.jobs
  if (isDict(jobsValue)) {
    for (const [id, value] of Object.entries(jobsValue)) {
      if (!isDict(value)) continue
      const at = keySpan(positions, jobsValue, id) ?? positions.get(jobsValue)?.at ?? { line: 0, column: 0, endLine: 0 }
      const needsValue = value.needs
      const needs = typeof needsValue === 'string' ? [needsValue] : Array.isArray(needsValue) ? needsValue.filter((n): n is string => typeof n === 'string') : []
      const steps: Step[] = []
      const stepsValue = value.steps
      if (Array.isArray(stepsValue)) {
        const shape = positions.get(stepsValue)
        stepsValue.forEach((step, index) => {
          if (!isDict(step)) return
          const stepAt = positions.get(step)?.at ?? shape?.items[index] ?? keySpan(positions, value, 'steps') ?? at
          steps.push({ index, value: step, line: stepAt.line, column: stepAt.column, uses: asString(step.uses), run: asString(step.run) })
        })
      }
      jobs.push({ id, value, line: at.line, column: at.column, name: asString(value.name), needs, steps })
    }
  }
  return { file, document, positions, lines, jobs }
}

// ---- detection helpers --------------------------------------------------------------------

const BACKEND_WORD = /sqlite|postgres|postgis|mysql|mariadb/i
const DATABASE_IMAGE = /^(postgres|postgresql|postgis|mysql|mariadb)(?:-[a-z0-9.-]+)?$/i
const TEST_COMMAND =
  /(?:^|[\s;&|(])(?:pytest|py\.test|tox|nox|vitest|jest|mocha|gotestsum|rspec|phpunit|ctest|go\s+test|cargo\s+(?:test|nextest)|\.?\/?mvnw?|\.?\/?gradlew?|(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test(?::\S*)?|npx\s+(?:vitest|jest|mocha)|dotnet\s+test|mix\s+test|(?:bundle\s+exec\s+)?rake\s+test|make\s+(?:test|check))(?=$|[\s;&|)])/im
const REPORT_ARTIFACT = /junit|test-?results?|reports?|surefire|nextest|\.xml|sqlite|postgres|mysql|mariadb|\$\{\{\s*matrix\./i
const UPLOAD_ARTIFACT = /^actions\/upload-artifact@/i
const EXPLICIT_WAIT = /pg_isready|mysqladmin\s+ping|mariadb-admin\s+ping|healthcheck\.sh|wait-for-it|dockerize\b.*-wait|until\s[^\n]*(?:psql|mysql)/i

/** `if:` text that runs the step or job after a failure too. */
function runsAfterFailure(condition: unknown): boolean {
  const text = asString(condition)
  if (text === undefined) return false
  if (/\balways\s*\(\s*\)/i.test(text) || /!\s*cancelled\s*\(\s*\)/i.test(text)) return true
  // The `success() || failure()` idiom (= !cancelled()).
  return /\bsuccess\s*\(\s*\)/i.test(text) && /\bfailure\s*\(\s*\)/i.test(text) && !text.includes('&&')
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true')
}

/** Whether a backend word occurs in a value's keys or strings (bounded; aliases visited once). */
function mentionsBackend(value: unknown, budget = { left: 10_000 }, seen = new Set<object>()): boolean {
  if (budget.left <= 0) return false
  budget.left -= 1
  if (typeof value === 'string') return BACKEND_WORD.test(value)
  if (!isObject(value) || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) return value.some((item) => mentionsBackend(item, budget, seen))
  for (const [key, item] of Object.entries(value)) if (BACKEND_WORD.test(key) || mentionsBackend(item, budget, seen)) return true
  return false
}

/** The scrub sub-action (`OWNER/dual-backend-coverage/scrub@v1`, `./scrub` here): a backend job's step, not the gate. */
function isScrubAction(uses: string, gateAction: string | undefined): boolean {
  const text = uses.trim().toLowerCase()
  if (/(^|\/)dual-backend-coverage\/scrub(@|\/?$)/.test(text)) return true
  const gate = (gateAction ?? '').trim().toLowerCase().replace(/\/+$/, '')
  return gate !== '' && (text.replace(/\/+$/, '') === `${gate === '.' ? '.' : gate}/scrub` || text.startsWith(`${gate}/scrub@`))
}

/** A step that scrubs the reports: the sub-action, or the CLI's `scrub` command in a run script. */
function isScrubStep(step: Step, gateAction: string | undefined): boolean {
  if (step.uses !== undefined) return isScrubAction(step.uses, gateAction)
  return step.run !== undefined && /\b(?:dual-backend-coverage(?:@[\w.^~-]+)?|cli\.js)\s+scrub\b/.test(step.run)
}

function matchesGateAction(uses: string, gateAction: string | undefined): boolean {
  if (isScrubAction(uses, gateAction)) return false
  if (uses.toLowerCase().includes(GATE_ACTION)) return true
  if (gateAction === undefined || gateAction.trim() === '') return false
  const wanted = gateAction.trim()
  if (wanted.startsWith('./') || wanted === '.') {
    const strip = (s: string) => s.trim().replace(/\/+$/, '') || '.'
    return strip(uses) === strip(wanted)
  }
  return uses.toLowerCase().includes(wanted.toLowerCase())
}

function gateStep(job: Job, gateAction: string | undefined): Step | undefined {
  return job.steps.find((step) => step.uses !== undefined && matchesGateAction(step.uses, gateAction))
}

function isTestStep(step: Step): boolean {
  return step.run !== undefined && TEST_COMMAND.test(step.run)
}

function isReportUpload(step: Step): boolean {
  if (step.uses === undefined || !UPLOAD_ARTIFACT.test(step.uses.trim())) return false
  const withValue = isDict(step.value.with) ? step.value.with : {}
  const name = asString(withValue.name)
  const path = asString(withValue.path)
  return (name === undefined && path === undefined) || REPORT_ARTIFACT.test(name ?? '') || REPORT_ARTIFACT.test(path ?? '')
}

const DOWNLOAD_ARTIFACT = /^actions\/download-artifact@/i

/** What the job's download-artifact steps fetch: artifact name globs, or everything. */
function downloadSelectors(job: Job): { all: boolean; globs: RegExp[] } | undefined {
  const steps = job.steps.filter((step) => step.uses !== undefined && DOWNLOAD_ARTIFACT.test(step.uses.trim()))
  if (steps.length === 0) return undefined
  let all = false
  const globs: RegExp[] = []
  for (const step of steps) {
    const withValue = isDict(step.value.with) ? step.value.with : {}
    const selectors = [asString(withValue.name), asString(withValue.pattern)].filter((p): p is string => p !== undefined && p.trim() !== '')
    if (selectors.length === 0) all = true
    for (const selector of selectors) globs.push(globToRegExp(selector.trim()))
  }
  return { all, globs }
}

/** An artifact-name glob (`*`, `?`; an expression matches anything) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const source = glob
    .split(/(\$\{\{[^}]*\}\}|\*+|\?)/)
    .map((part) => (part.startsWith('${{') || part.startsWith('*') ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, 'i')
}

/** Whether the job uploads an artifact that these downloads fetch. */
function feeds(job: Job, downloads: { all: boolean; globs: RegExp[] }): boolean {
  return job.steps.some((step) => {
    if (step.uses === undefined || !UPLOAD_ARTIFACT.test(step.uses.trim())) return false
    if (downloads.all) return isReportUpload(step)
    const withValue = isDict(step.value.with) ? step.value.with : {}
    // An expression in the name (junit-${{ matrix.backend }}) stands for some text.
    const name = (asString(withValue.name) ?? 'artifact').replace(/\$\{\{[^}]*\}\}/g, 'x')
    return downloads.globs.some((glob) => glob.test(name))
  })
}

function databaseServices(job: Job): Array<{ id: string; value: Dict; image: string }> {
  const services = job.value.services
  if (!isDict(services)) return []
  const found: Array<{ id: string; value: Dict; image: string }> = []
  for (const [id, value] of Object.entries(services)) {
    if (!isDict(value)) continue
    const image = asString(value.image)
    if (image === undefined) continue
    // registry/namespace/name:tag@digest -> name
    const name = (image.split('@')[0] ?? '').split('/').pop()?.split(':')[0] ?? ''
    if (DATABASE_IMAGE.test(name)) found.push({ id, value, image })
  }
  return found
}

/** Jobs that look like backend jobs on their own: a backend word and tests or a report upload. */
function looksLikeBackendJob(job: Job): boolean {
  const testSteps = job.steps.filter(isTestStep)
  if (testSteps.length === 0 && !job.steps.some(isReportUpload)) return false
  return (
    BACKEND_WORD.test(job.id) ||
    BACKEND_WORD.test(job.name ?? '') ||
    mentionsBackend(isDict(job.value.strategy) ? job.value.strategy.matrix : undefined) ||
    mentionsBackend(job.value.env) ||
    testSteps.some((step) => mentionsBackend(step.value.env)) ||
    databaseServices(job).length > 0
  )
}

// ---- echo-secret: a small shell splitter ------------------------------------------------------

const VARIABLE_REFERENCE = new RegExp(
  [
    `\\$\\{?(?:${SENSITIVE_VARIABLES.join('|')})\\b`,
    `\\$env:(?:${SENSITIVE_VARIABLES.join('|')})\\b`,
    `%(?:${SENSITIVE_VARIABLES.join('|')})%`,
    `\\$\\{\\{[^}]*?\\b(?:secrets\\s*(?:\\.|\\[)|env\\.(?:${SENSITIVE_VARIABLES.join('|')})\\b)`
  ].join('|'),
  'i'
)
const PRINT_COMMAND = /^(?:echo|printf|print|puts|write-host|write-output)$/i
const XTRACE_ON = /^set\s+(?:-[A-Za-z]*x[A-Za-z]*\b|-o\s+xtrace\b)/
const XTRACE_OFF = /^set\s+(?:\+[A-Za-z]*x[A-Za-z]*\b|\+o\s+xtrace\b)/

interface Segment {
  text: string
  /** The separator after it: '|' (pipe) or anything else. */
  pipedTo: boolean
  /** An unquoted `>` / `>>` to a file (not `>&2`). */
  redirected: boolean
}

/** Splits one line at unquoted `;`, `&&`, `||`, `|`, `&`; an unquoted `#` at a word start ends it. */
function splitCommands(line: string): Segment[] {
  const segments: Segment[] = []
  let current = ''
  let quote: '"' | "'" | undefined
  let redirected = false
  const push = (pipedTo: boolean) => {
    if (current.trim() !== '') segments.push({ text: current.trim(), pipedTo, redirected })
    current = ''
    redirected = false
  }
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] as string
    if (quote !== undefined) {
      if (ch === '\\' && quote === '"' && i + 1 < line.length) {
        current += ch + (line[i + 1] as string)
        i += 1
      } else {
        if (ch === quote) quote = undefined
        current += ch
      }
      continue
    }
    if (ch === '\\' && i + 1 < line.length) {
      current += ch + (line[i + 1] as string)
      i += 1
    } else if (ch === '"' || ch === "'") {
      quote = ch
      current += ch
    } else if (ch === '#' && (current === '' || /\s$/.test(current))) {
      break
    } else if (ch === ';') {
      push(false)
    } else if (ch === '&' || ch === '|') {
      const double = line[i + 1] === ch
      if (ch === '&' && /[<>]$/.test(current)) {
        current += ch // `2>&1`, `>&2`
        continue
      }
      push(ch === '|' && !double)
      if (double) i += 1
    } else if (ch === '>') {
      let j = i + 1
      if (line[j] === '>') j += 1
      if (line[j] !== '&') redirected = true
      current += line.slice(i, j)
      i = j - 1
    } else {
      current += ch
    }
  }
  push(false)
  return segments
}

/** The command words of a segment, without `sudo`, `command`, `!`, `(`, `{` and `X=1` prefixes. */
function commandWords(text: string): string[] {
  const words = text.replace(/^[({!\s]+/, '').split(/\s+/).filter((w) => w !== '')
  while (words.length > 0 && (/^(?:sudo|command|builtin|exec)$/.test(words[0] as string) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string))) words.shift()
  return words
}

interface Leak {
  /** Index of the script line. */
  index: number
  /** What to look for in the source to find the line, best first (the script line, the command). */
  needles: string[]
  what: string
  kind: 'print' | 'dump' | 'xtrace'
}

function findLeaks(script: string, sensitiveInScope: boolean, xtraceFromShell: boolean): Leak[] {
  const leaks: Leak[] = []
  const lines = script.split(/\r\n|\r|\n/)
  let xtrace: { index: number; needles: string[] } | undefined = xtraceFromShell ? { index: -1, needles: [] } : undefined
  let xtraceReported = false
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (XTRACE_ON.test(line)) {
      xtrace = { index, needles: [line, line.split(/[;&|]/)[0] ?? line] }
      xtraceReported = false
    } else if (XTRACE_OFF.test(line)) {
      xtrace = undefined
    }
    const segments = splitCommands(line)
    let leakedHere = false
    segments.forEach((segment, s) => {
      if (leakedHere) return
      const words = commandWords(segment.text)
      const command = (words[0] ?? '').toLowerCase()
      const reference = VARIABLE_REFERENCE.exec(segment.text)?.[0]
      if (PRINT_COMMAND.test(command) && reference !== undefined && !segment.text.includes('::add-mask::') && !segment.redirected) {
        const next = segments[s + 1]
        const nextCommand = next === undefined ? '' : (commandWords(next.text)[0] ?? '').toLowerCase()
        if (!segment.pipedTo || nextCommand === 'tee' || nextCommand === 'cat') {
          leaks.push({ index, needles: [line, segment.text, reference], what: `\`${reference.replace(/\s+$/, '')}\``, kind: 'print' })
          leakedHere = true
          return
        }
      }
      if ((command === 'printenv' || command === 'env') && !segment.redirected) {
        const args = words.slice(1)
        const named = args.find((a) => SENSITIVE_VARIABLES.includes(a))
        if (command === 'printenv' && named !== undefined) {
          leaks.push({ index, needles: [line, segment.text], what: `\`${named}\``, kind: 'print' })
          leakedHere = true
        } else if (args.length === 0 && sensitiveInScope) {
          leaks.push({ index, needles: [line, segment.text], what: `every environment variable (\`${command}\`)`, kind: 'dump' })
          leakedHere = true
        }
      }
    })
    if (!leakedHere && xtrace !== undefined && !xtraceReported && !XTRACE_ON.test(line)) {
      const reference = VARIABLE_REFERENCE.exec(line)?.[0]
      if (reference !== undefined) {
        leaks.push({ index: xtrace.index, needles: xtrace.needles, what: `\`${reference.replace(/\s+$/, '')}\` (traced by \`set -x\`)`, kind: 'xtrace' })
        xtraceReported = true
      }
    }
  })
  return leaks
}

// ---- the rules ----------------------------------------------------------------------------

class Collector {
  readonly findings: DoctorFinding[] = []
  private readonly seen = new Set<string>()

  add(file: string, at: { line: number; column?: number }, rule: DoctorRule, severity: DoctorFinding['severity'], message: string, fix: string): void {
    const line = at.line + 1
    const key = `${file}\0${line}\0${rule}\0${message}`
    if (this.seen.has(key)) return
    this.seen.add(key)
    const finding: DoctorFinding = { file, line, rule, message, fix, severity }
    if (at.column !== undefined) finding.column = at.column + 1
    this.findings.push(finding)
  }
}

function list(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ')
}

function quoteYaml(names: string[]): string {
  return `[${names.map((n) => (/^[A-Za-z0-9_-]+$/.test(n) ? n : JSON.stringify(n))).join(', ')}]`
}

function healthFix(image: string): string {
  const name = image.toLowerCase()
  const cmd = /mariadb/.test(name) ? '"healthcheck.sh --connect --innodb_initialized"' : /mysql/.test(name) ? '"mysqladmin ping -h 127.0.0.1"' : 'pg_isready'
  return `Add to the service: \`options: >- --health-cmd ${cmd} --health-interval 5s --health-timeout 5s --health-retries 10\` (the runner then waits for "healthy" before the first step).`
}

function checkServices(wf: Workflow, job: Job, out: Collector): void {
  const services = job.value.services
  const wait = job.steps.some((step) => step.run !== undefined && EXPLICIT_WAIT.test(step.run))
  for (const service of databaseServices(job)) {
    const options = asString(service.value.options)
    if (options !== undefined && /--health-cmd\b/.test(options)) continue
    const at = keySpan(wf.positions, services, service.id) ?? job
    out.add(
      wf.file,
      at,
      'service-health-check',
      wait ? 'warning' : 'error',
      `Service "${service.id}" (${service.image}) of job "${job.id}" has no --health-cmd, so the steps can start before the database accepts connections${wait ? ' (a step of the job waits for it explicitly, which helps only if it runs before the tests)' : ' and the first tests fail with "connection refused"'}.`,
      healthFix(service.image)
    )
  }
}

function checkUploads(wf: Workflow, job: Job, out: Collector): void {
  for (const step of job.steps) {
    if (!isReportUpload(step) || runsAfterFailure(step.value.if)) continue
    const condition = asString(step.value.if)
    const at = keySpan(wf.positions, step.value, condition === undefined ? 'uses' : 'if') ?? step
    out.add(
      wf.file,
      at,
      'upload-without-always',
      'error',
      condition === undefined
        ? `The report upload of backend job "${job.id}" has no \`if: always()\`, so when a test fails the upload is skipped and the gate shows "no report" instead of the failing tests.`
        : `The report upload of backend job "${job.id}" runs only \`if: ${condition.trim()}\`, so in the other outcomes the upload is skipped and the gate shows "no report" for this backend.`,
      condition === undefined ? 'Add `if: always()` to this actions/upload-artifact step.' : 'Replace the condition with `if: always()` on this actions/upload-artifact step.'
    )
  }
}

/**
 * A backend job that holds a database password uploads its raw reports: a failing test's message
 * often quotes the DSN, and the artifact is downloadable by anyone who can read the run.
 */
function checkScrubbed(wf: Workflow, job: Job, gateAction: string | undefined, out: Collector): void {
  const holdsSecret = sensitiveEnv(wf.document.env) || sensitiveEnv(job.value.env) || databaseServices(job).length > 0 || job.steps.some((step) => sensitiveEnv(step.value.env))
  if (!holdsSecret) return
  let scrubbed = false
  for (const step of job.steps) {
    if (isScrubStep(step, gateAction)) scrubbed = true
    if (!isReportUpload(step) || scrubbed) continue
    out.add(
      wf.file,
      keySpan(wf.positions, step.value, 'uses') ?? step,
      'upload-unscrubbed',
      'warning',
      `Backend job "${job.id}" uploads its JUnit reports as they are, and it holds a database password: a failing test's message that quotes DATABASE_URL puts the password in the artifact.`,
      'Before this step, add `- uses: OWNER/dual-backend-coverage/scrub@v1` with `if: always()` and `with: { paths: reports/**/*.xml }` (or run `npx dual-backend-coverage scrub \'reports/**/*.xml\'`).'
    )
  }
}

function checkContinueOnError(wf: Workflow, job: Job, out: Collector): void {
  if (isTrue(job.value['continue-on-error'])) {
    out.add(
      wf.file,
      keySpan(wf.positions, job.value, 'continue-on-error') ?? job,
      'continue-on-error',
      'warning',
      `Backend job "${job.id}" has \`continue-on-error: true\`, so its test failures no longer fail the job (it shows green, and \`needs.${job.id}.result\` says success).`,
      `Remove \`continue-on-error\` from job "${job.id}": let the job fail; the gate reports which tests failed.`
    )
  }
  for (const step of job.steps) {
    if (!isTestStep(step) || !isTrue(step.value['continue-on-error'])) continue
    out.add(
      wf.file,
      keySpan(wf.positions, step.value, 'continue-on-error') ?? step,
      'continue-on-error',
      'warning',
      `A test step of backend job "${job.id}" has \`continue-on-error: true\`, so failing tests no longer fail the job.`,
      'Remove `continue-on-error` from the test step; to upload the report anyway, give the upload step `if: always()`.'
    )
  }
}

function sensitiveEnv(value: unknown): boolean {
  if (!isDict(value)) return false
  return Object.entries(value).some(([key, item]) => SENSITIVE_VARIABLES.includes(key) || /\bsecrets\s*(?:\.|\[)/i.test(asString(item) ?? ''))
}

function checkEcho(wf: Workflow, job: Job, isBackend: boolean, out: Collector): void {
  const jobScope = isBackend || sensitiveEnv(wf.document.env) || sensitiveEnv(job.value.env) || databaseServices(job).length > 0
  for (const step of job.steps) {
    if (step.run === undefined) continue
    const shell = asString(step.value.shell) ?? ''
    const leaks = findLeaks(step.run, jobScope || sensitiveEnv(step.value.env), /^\s*(?:ba)?sh\s+(?:-[A-Za-z]*x|.*\s-[A-Za-z]*x)/.test(shell))
    if (leaks.length === 0) continue
    const value = valueSpan(wf.positions, step.value, 'run')
    const runKey = keySpan(wf.positions, step.value, 'run') ?? step
    let cursor = value?.line ?? runKey.line
    const last = Math.min(value?.endLine ?? runKey.line, wf.lines.length - 1)
    for (const leak of leaks) {
      let line: number
      let column: number | undefined
      const found = leak.index < 0 ? undefined : locate(wf.lines, leak.needles, cursor, last)
      if (found !== undefined) {
        line = found.line
        column = found.column
        cursor = line + 1
      } else {
        line = leak.index < 0 ? (keySpan(wf.positions, step.value, 'shell') ?? runKey).line : (value?.line ?? runKey.line)
      }
      const fix =
        leak.kind === 'xtrace'
          ? 'Remove `set -x` (or turn tracing off with `set +x` before the lines that use the variable).'
          : leak.kind === 'dump'
            ? 'Drop the line, or print only the names: `env | cut -d= -f1 | sort`.'
            : 'Do not print it: print whether it is set (`[ -n "$DATABASE_URL" ] && echo set`), or mask it first with `echo "::add-mask::$DATABASE_URL"`.'
      out.add(wf.file, column === undefined ? { line } : { line, column }, 'echo-secret', 'error', `A \`run:\` script of job "${job.id}" prints ${leak.what} to the job log, where everyone who can read the repository's logs can see the password or secret.`, fix)
    }
  }
}

/**
 * The first source line in [from, to] (0-based) holding a needle, trying the needles in order:
 * the script line itself (literal blocks, plain scalars), then shorter pieces (a folded block
 * joins lines; a quoted scalar has escapes).
 */
function locate(lines: string[], needles: string[], from: number, to: number): { line: number; column: number } | undefined {
  for (const needle of needles) {
    const wanted = needle.trim()
    if (wanted === '') continue
    for (let i = Math.max(0, from); i <= to; i += 1) {
      const column = (lines[i] ?? '').indexOf(wanted)
      if (column >= 0) return { line: i, column }
    }
  }
  return undefined
}

function checkGate(wf: Workflow, gate: Job, step: Step, backendIds: string[], everyName: Map<string, Array<{ file: string; job: string; what: 'id' | 'name' }>>, out: Collector): void {
  const missing = backendIds.filter((id) => id !== gate.id && !gate.needs.includes(id))
  if (missing.length > 0) {
    out.add(
      wf.file,
      keySpan(wf.positions, gate.value, 'needs') ?? gate,
      'gate-missing-needs',
      'error',
      missing.length === 1
        ? `The gate job "${gate.id}" does not need backend job ${list(missing)}, so it can start before that job's report is uploaded and cannot name the job's result.`
        : `The gate job "${gate.id}" does not need backend jobs ${list(missing)}, so it can start before their reports are uploaded and cannot name their results.`,
      `Set \`needs: ${quoteYaml([...gate.needs.filter((n) => wf.jobs.some((j) => j.id === n)), ...missing])}\` on job "${gate.id}".`
    )
  }
  if ((gate.needs.length > 0 || backendIds.length > 0) && !runsAfterFailure(gate.value.if)) {
    const condition = asString(gate.value.if)
    out.add(
      wf.file,
      keySpan(wf.positions, gate.value, 'if') ?? gate,
      'gate-without-always',
      'error',
      `The gate job "${gate.id}" ${condition === undefined ? 'has no `if: always()`' : `runs only \`if: ${condition.trim()}\``}, so when a backend job fails the gate is skipped, and a skipped job counts as passing for a required check (and the verdict is never posted).`,
      condition === undefined ? `Add \`if: always()\` to job "${gate.id}".` : `Make it \`if: always() && (${condition.trim()})\` on job "${gate.id}".`
    )
  }
  const withValue = isDict(step.value.with) ? step.value.with : undefined
  const given = withValue === undefined ? undefined : asString(withValue['check-name'])
  const checkName = given === undefined || given.trim() === '' ? DEFAULT_CHECK_NAME : given.trim()
  if (checkName.includes('${{')) return
  const clashes = everyName.get(checkName.toLowerCase()) ?? []
  const clash = clashes.find((c) => c.file === wf.file) ?? clashes[0]
  if (clash === undefined) return
  // The line to change: the check-name input, else the clashing job's name (same file), else the step.
  const clashingJob = clash.file === wf.file ? wf.jobs.find((j) => j.id === clash.job) : undefined
  const at =
    (given === undefined ? undefined : keySpan(wf.positions, withValue, 'check-name')) ??
    (clashingJob === undefined ? undefined : clash.what === 'name' ? (keySpan(wf.positions, clashingJob.value, 'name') ?? clashingJob) : clashingJob) ??
    keySpan(wf.positions, step.value, 'uses') ??
    step
  out.add(
    wf.file,
    at,
    'check-name-equals-job',
    'error',
    `The gate's check name "${checkName}"${given === undefined ? ' (the default)' : ''} is also the ${clash.what} of job "${clash.job}"${clash.file === wf.file ? '' : ` in ${clash.file}`}, so two check runs with one name sit on the commit and branch protection cannot tell the job's own check from the verdict.`,
    `Rename job "${clash.job}", or set a distinct \`check-name:\` on the gate step and require that name in branch protection.`
  )
}

// ---- entry point --------------------------------------------------------------------------

/**
 * Diagnoses workflow files (`.github/workflows/*.yml`). Never throws on bad input: broken YAML
 * is a `yaml` finding with js-yaml's line. Findings are sorted by file, line and rule.
 */
export function diagnoseWorkflows(files: Array<{ path: string; text: string }>, options: DoctorOptions = {}): DoctorFinding[] {
  const out = new Collector()
  const workflows: Workflow[] = []
  for (const { path, text } of files) {
    if (text.length > MAX_WORKFLOW_CHARS) {
      out.findings.push(tooLargeFinding(path, text.length))
      continue
    }
    let parsed: Parsed
    try {
      parsed = parseWithPositions(text, path)
    } catch (error) {
      const e = error instanceof YamlError ? error : new YamlError(String(error), 0, undefined)
      out.add(path, { line: e.line, column: e.column }, 'yaml', 'error', `The file is not valid YAML: ${e.message}.`, 'Fix the YAML at this line: GitHub rejects the whole workflow, so none of its jobs run.')
      continue
    }
    if (parsed.document === undefined || parsed.document === null) continue
    if (!isDict(parsed.document)) {
      out.add(path, { line: 0 }, 'yaml', 'error', 'The file is not a workflow: its top level is not a mapping of keys.', 'Give it the workflow keys (`name:`, `on:`, `jobs:`), or move it out of .github/workflows.')
      continue
    }
    workflows.push(readWorkflow(path, parsed.document, parsed.positions, text.split(/\r\n|\r|\n/)))
  }

  // Every job id and name, across the workflows (a check run is named after its job).
  const everyName = new Map<string, Array<{ file: string; job: string; what: 'id' | 'name' }>>()
  const addName = (name: string, entry: { file: string; job: string; what: 'id' | 'name' }) => {
    if (name.includes('${{')) return
    const key = name.trim().toLowerCase()
    const entries = everyName.get(key) ?? []
    entries.push(entry)
    everyName.set(key, entries)
  }
  for (const wf of workflows) {
    for (const job of wf.jobs) {
      addName(job.id, { file: wf.file, job: job.id, what: 'id' })
      if (job.name !== undefined) addName(job.name, { file: wf.file, job: job.id, what: 'name' })
    }
  }

  for (const wf of workflows) {
    const gates = wf.jobs.flatMap((job) => {
      const step = gateStep(job, options.gateAction)
      return step === undefined ? [] : [{ job, step }]
    })
    const gateIds = new Set(gates.map((g) => g.job.id))
    const needed = new Set(gates.flatMap((g) => g.job.needs))
    // Jobs after a gate are never its backend jobs (a `needs` cycle is GitHub's error anyway).
    const candidates = wf.jobs.filter((job) => !gateIds.has(job.id) && !job.needs.some((n) => gateIds.has(n)))
    // Per gate, the backend jobs it must need: those uploading an artifact it downloads; when it
    // downloads nothing (workflow_run mode, reports from elsewhere), those that look like one.
    const required = new Map<string, string[]>()
    for (const { job: gate } of gates) {
      const downloads = downloadSelectors(gate)
      required.set(gate.id, candidates.filter((job) => (downloads === undefined ? looksLikeBackendJob(job) : feeds(job, downloads))).map((job) => job.id))
    }
    const backend = new Set<string>([...needed, ...[...required.values()].flat()])
    for (const job of candidates) if (looksLikeBackendJob(job)) backend.add(job.id)
    for (const id of gateIds) backend.delete(id)
    for (const job of wf.jobs) {
      checkServices(wf, job, out)
      if (backend.has(job.id)) {
        checkUploads(wf, job, out)
        checkScrubbed(wf, job, options.gateAction, out)
        checkContinueOnError(wf, job, out)
      }
      checkEcho(wf, job, backend.has(job.id), out)
    }
    for (const { job, step } of gates) checkGate(wf, job, step, required.get(job.id) ?? [], everyName, out)
  }

  const order = (f: DoctorFinding) => DOCTOR_RULES.indexOf(f.rule as DoctorRule)
  return out.findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.column ?? 0) - (b.column ?? 0) || order(a) - order(b)))
}
