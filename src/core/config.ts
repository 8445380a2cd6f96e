// The gate's configuration: YAML text in, a validated and compiled Config out.
// Every error names the key it is about, so a maintainer can fix the file without guessing.
import yaml from 'js-yaml'
import { compilePattern, type Matcher } from './patterns.js'

export type FlakyPolicy = 'warn' | 'fail'
/** What a storage test that vanished from every backend since an earlier inventory does. */
export type DriftPolicy = 'fail' | 'warn' | 'off'

/** A deliberate removal: vanished tests it matches are listed with its reason and do not fail the gate. */
export interface Removal {
  tests: Matcher[]
  reason: string
}

export interface BackendConfig {
  name: string
  /** Report file globs, relative to the workspace. */
  reports: string[]
  /** Artifact name patterns for the workflow_run mode. */
  artifacts: Matcher[]
}

export interface Exemption {
  /** Test ids or patterns (any of them matches); none: every test (an exemption by skip reason). */
  tests: Matcher[]
  /** A skip on a backend whose message matches this is by design there (pytest's `requires postgresql`). */
  skipReason?: RegExp
  /**
   * The backends this test is expected to run on; its absence or skip elsewhere is excused. With
   * `skip-reason` optional: then a matching skip is excused on every backend not listed.
   */
  backends: string[]
  /**
   * `backends: none`: the test is for no configured backend (MySQL-only, CockroachDB-only, skipped
   * everywhere on purpose). Its skips and absences are excused only while it passes on none of them.
   */
  noBackend?: boolean
  reason: string
  /** ISO date (YYYY-MM-DD), inclusive; past it the exemption stops excusing. */
  until?: string
}

export interface Config {
  backends: BackendConfig[]
  backendInName: RegExp[]
  /** Lower-cased alias → canonical backend name. */
  aliases: Map<string, string>
  include: Matcher[]
  exclude: Matcher[]
  exemptions: Exemption[]
  flaky: FlakyPolicy
  skipMarkers: RegExp[]
  minTests: number
  redactEnv: string[]
  drift: DriftPolicy
  removed: Removal[]
  /** Workspace path of the committed inventory file (the ids that must exist), if any. */
  inventory?: string
  /** A report holding what redaction masks (the uploaded artifact exposes it): a note, a gap, or not looked for. */
  secretsInReports: 'warn' | 'fail' | 'off'
  /** Per backend: regexes one of which must match a property or output line of its reports (proof the backend ran). */
  evidence: Map<string, RegExp[]>
  /** Globs of the runners' collected test lists, per backend ("*": every backend): each collected test must be reported. */
  expected: Map<string, string[]>
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export const DEFAULT_CONFIG_PATH = '.github/dual-backend.yml'
/** The most common silent skip: an early return that prints "Skipping ..." and passes. */
export const DEFAULT_SKIP_MARKERS = ['^Skipping\\b']
export const DEFAULT_REDACT_ENV = ['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL']
const KNOWN_KEYS = [
  'backends',
  'backend-in-name',
  'aliases',
  'scope',
  'exemptions',
  'flaky',
  'skip-markers',
  'min-tests',
  'redact-env',
  'artifacts',
  'drift',
  'removed',
  'inventory',
  'expected',
  'evidence',
  'secrets-in-reports'
]
const BACKEND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** Parses YAML text (js-yaml's safe core schema: no custom tags, no code). */
export function parseConfigText(text: string, source = 'config'): Config {
  let document: unknown
  try {
    document = yaml.load(text, { filename: source, schema: yaml.CORE_SCHEMA })
  } catch (error) {
    throw new ConfigError(`${source}: not valid YAML: ${(error as Error).message}`)
  }
  return buildConfig(document ?? {}, source)
}

/** Validates a config object (from YAML, or built by the CLI/action from flags and inputs). */
export function buildConfig(document: unknown, source = 'config'): Config {
  const at = (key: string, message: string) => new ConfigError(`${source}: ${key}: ${message}`)
  if (!isRecord(document)) throw new ConfigError(`${source}: the top level must be a mapping of keys`)
  for (const key of Object.keys(document)) {
    if (!KNOWN_KEYS.includes(key)) throw at(key, `unknown key (known keys: ${KNOWN_KEYS.join(', ')})`)
  }

  const backendsValue = document.backends ?? {}
  if (!isRecord(backendsValue)) throw at('backends', 'must map each backend name to a glob or a list of globs')
  const artifactsValue = document.artifacts ?? {}
  if (!isRecord(artifactsValue)) throw at('artifacts', 'must map each backend name to an artifact name pattern or a list of them')
  const backends: BackendConfig[] = Object.entries(backendsValue).map(([name, globs]) => {
    if (!BACKEND_NAME.test(name)) throw at(`backends.${name}`, 'a backend name uses letters, digits, ".", "_" and "-"')
    const reports = stringList(globs, `backends.${name}`, at)
    if (reports.length === 0) throw at(`backends.${name}`, 'needs at least one report glob')
    const artifactPatterns = stringList(artifactsValue[name] ?? [], `artifacts.${name}`, at)
    return { name, reports, artifacts: artifactPatterns.map((p) => pattern(p, `artifacts.${name}`, at)) }
  })
  for (const name of Object.keys(artifactsValue)) {
    if (!backends.some((b) => b.name === name)) throw at(`artifacts.${name}`, 'names a backend that is not under backends')
  }

  const aliases = new Map<string, string>()
  const aliasValue = document.aliases ?? {}
  if (!isRecord(aliasValue)) throw at('aliases', 'must map a backend name to a list of other spellings')
  for (const [name, spellings] of Object.entries(aliasValue)) {
    for (const spelling of stringList(spellings, `aliases.${name}`, at)) aliases.set(spelling.toLowerCase(), name)
  }
  for (const backend of backends) aliases.set(backend.name.toLowerCase(), backend.name)

  const backendInName = stringList(document['backend-in-name'] ?? [], 'backend-in-name', at).map((source) => {
    let regex: RegExp
    try {
      regex = new RegExp(source)
    } catch (error) {
      throw at('backend-in-name', `not a valid regular expression: ${(error as Error).message}`)
    }
    if (!/\(\?<backend>/.test(source)) throw at('backend-in-name', `needs a named group (?<backend>...): ${source}`)
    return regex
  })

  const scope = document.scope ?? {}
  if (!isRecord(scope)) throw at('scope', 'must be a mapping with include and exclude lists')
  for (const key of Object.keys(scope)) {
    if (key !== 'include' && key !== 'exclude') throw at(`scope.${key}`, 'unknown key (use include and exclude)')
  }
  const include = stringList(scope.include ?? [], 'scope.include', at).map((p) => pattern(p, 'scope.include', at))
  const exclude = stringList(scope.exclude ?? [], 'scope.exclude', at).map((p) => pattern(p, 'scope.exclude', at))

  const exemptions = listOf(document.exemptions ?? [], 'exemptions', at).map((entry, index) =>
    exemption(entry, `exemptions[${index}]`, backends, aliases, at)
  )

  const flaky = document.flaky ?? 'warn'
  if (flaky !== 'warn' && flaky !== 'fail') throw at('flaky', 'must be "warn" or "fail"')

  const skipMarkers = stringList(document['skip-markers'] ?? DEFAULT_SKIP_MARKERS, 'skip-markers', at).map((source) => {
    try {
      return new RegExp(source, 'm')
    } catch (error) {
      throw at('skip-markers', `not a valid regular expression: ${(error as Error).message}`)
    }
  })

  const minTests = document['min-tests'] ?? 1
  if (typeof minTests !== 'number' || !Number.isInteger(minTests) || minTests < 0) {
    throw at('min-tests', 'must be a whole number, 0 or more')
  }

  // Listed variables add to the defaults: a config naming its own secret must not unmask DATABASE_URL.
  const redactEnv = [...new Set([...DEFAULT_REDACT_ENV, ...stringList(document['redact-env'] ?? [], 'redact-env', at)])]

  const drift = document.drift ?? 'fail'
  if (drift !== 'fail' && drift !== 'warn' && drift !== 'off') throw at('drift', 'must be "fail", "warn" or "off"')
  const removed = listOf(document.removed ?? [], 'removed', at).map((entry, index) => removal(entry, `removed[${index}]`, at))
  const inventory = document.inventory
  if (inventory !== undefined && (typeof inventory !== 'string' || inventory.trim().length === 0)) {
    throw at('inventory', 'must be the workspace path of the inventory file (written by `dual-backend-coverage inventory --write`)')
  }

  const expected = new Map<string, string[]>()
  const expectedValue = document.expected ?? []
  if (isRecord(expectedValue)) {
    for (const [name, globs] of Object.entries(expectedValue)) {
      const canonical = aliases.get(name.toLowerCase()) ?? name
      if (backends.length > 0 && !backends.some((b) => b.name === canonical)) throw at(`expected.${name}`, 'names a backend that is not under backends')
      expected.set(canonical, stringList(globs, `expected.${name}`, at))
    }
  } else {
    // A glob or a list of globs: the collected lists every backend must report (key "*", so
    // backends given later by --backend or the backends input get them too).
    const globs = stringList(expectedValue, 'expected', at)
    if (globs.length > 0) expected.set('*', globs)
  }

  const evidence = new Map<string, RegExp[]>()
  const evidenceValue = document.evidence ?? {}
  if (!isRecord(evidenceValue)) throw at('evidence', "must map each backend to a regex (or list) its reports must show, e.g. postgres: 'PostgreSQL 1[4-9]\\.'")
  for (const [name, sources] of Object.entries(evidenceValue)) {
    const canonical = aliases.get(name.toLowerCase()) ?? name
    if (backends.length > 0 && !backends.some((b) => b.name === canonical)) throw at(`evidence.${name}`, 'names a backend that is not under backends')
    evidence.set(
      canonical,
      stringList(sources, `evidence.${name}`, at).map((source) => {
        try {
          return new RegExp(source)
        } catch (error) {
          throw at(`evidence.${name}`, `not a valid regular expression: ${(error as Error).message}`)
        }
      })
    )
  }

  const secretsInReports = document['secrets-in-reports'] ?? 'warn'
  if (secretsInReports !== 'warn' && secretsInReports !== 'fail' && secretsInReports !== 'off') throw at('secrets-in-reports', 'must be "warn", "fail" or "off"')

  const config: Config = {
    backends,
    backendInName,
    aliases,
    include,
    exclude,
    exemptions,
    flaky,
    skipMarkers,
    minTests,
    redactEnv,
    drift,
    removed,
    expected,
    evidence,
    secretsInReports
  }
  if (typeof inventory === 'string') config.inventory = inventory.trim()
  return config
}

function removal(entry: unknown, key: string, at: ErrorAt): Removal {
  if (!isRecord(entry)) throw at(key, 'must be a mapping {test, reason}')
  for (const field of Object.keys(entry)) {
    if (field !== 'test' && field !== 'reason') throw at(`${key}.${field}`, 'unknown key (use test and reason)')
  }
  const tests = stringList(entry.test ?? [], `${key}.test`, at)
  if (tests.length === 0) throw at(`${key}.test`, 'name the removed test: an id or pattern, or a list of them')
  if (typeof entry.reason !== 'string' || entry.reason.trim().length === 0) {
    throw at(`${key}.reason`, 'a reason is required: say why the test was removed (it is shown to the reviewer)')
  }
  return { tests: tests.map((t) => pattern(t, `${key}.test`, at)), reason: entry.reason.trim() }
}

/** Checks that run once the backends are final (after CLI flags or action inputs override them). */
export function assertRunnable(config: Config): void {
  if (config.backends.length < 2) {
    throw new ConfigError(
      `backends: at least two backends are needed to compare (found ${config.backends.length}: ${config.backends.map((b) => b.name).join(', ') || 'none'})`
    )
  }
}

type ErrorAt = (key: string, message: string) => ConfigError

function exemption(entry: unknown, key: string, backends: BackendConfig[], aliases: Map<string, string>, at: ErrorAt): Exemption {
  if (!isRecord(entry)) throw at(key, 'must be a mapping {test, skip-reason, backends, reason, until}')
  for (const field of Object.keys(entry)) {
    if (!['test', 'skip-reason', 'backends', 'reason', 'until'].includes(field)) throw at(`${key}.${field}`, 'unknown key (use test, skip-reason, backends, reason, until)')
  }
  const tests = stringList(entry.test ?? [], `${key}.test`, at)
  let skipReason: RegExp | undefined
  if (entry['skip-reason'] !== undefined) {
    if (typeof entry['skip-reason'] !== 'string' || entry['skip-reason'].length === 0) throw at(`${key}.skip-reason`, 'must be a regular expression matched on the skip message')
    try {
      skipReason = new RegExp(entry['skip-reason'], 'i')
    } catch (error) {
      throw at(`${key}.skip-reason`, `not a valid regular expression: ${(error as Error).message}`)
    }
  }
  if (tests.length === 0 && skipReason === undefined) throw at(`${key}.test`, 'a test pattern (or a list of them) or a skip-reason is required')
  if (typeof entry.reason !== 'string' || entry.reason.trim().length === 0) {
    throw at(`${key}.reason`, 'a reason is required: say why this test may skip some backends')
  }
  if (/^TODO\b/i.test(entry.reason.trim())) {
    const where = typeof entry.backends === 'string' || Array.isArray(entry.backends) ? ` (backends: ${String(entry.backends)})` : ''
    throw at(`${key}.reason`, `still the draft placeholder from init ("${entry.reason.trim()}"): replace it with why these tests run only where listed${where}, e.g. "uses JSONB", "SQLite PRAGMA"`)
  }
  const noBackend = typeof entry.backends === 'string' && entry.backends.trim().toLowerCase() === 'none'
  const onBackends = (noBackend ? [] : stringList(entry.backends ?? [], `${key}.backends`, at)).map((name) => {
    const canonical = aliases.get(name.toLowerCase()) ?? name
    if (backends.length > 0 && !backends.some((b) => b.name === canonical)) {
      throw at(`${key}.backends`, `unknown backend "${name}"`)
    }
    return canonical
  })
  if (!noBackend && onBackends.length === 0 && skipReason === undefined) {
    throw at(`${key}.backends`, 'list the backends the test is expected to run on, or write `backends: none` for a test no configured backend runs (MySQL-only, skipped everywhere)')
  }
  let until: string | undefined
  if (entry.until !== undefined) {
    const text = entry.until instanceof Date ? entry.until.toISOString().slice(0, 10) : String(entry.until)
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) throw at(`${key}.until`, 'must be a date YYYY-MM-DD')
    until = text
  }
  const result: Exemption = { tests: tests.map((t) => pattern(t, `${key}.test`, at)), backends: onBackends, reason: entry.reason.trim(), until }
  if (skipReason !== undefined) result.skipReason = skipReason
  if (noBackend) result.noBackend = true
  return result
}

function pattern(source: string, key: string, at: ErrorAt): Matcher {
  try {
    return compilePattern(source)
  } catch (error) {
    throw at(key, `not a valid pattern "${source}": ${(error as Error).message}`)
  }
}

function stringList(value: unknown, key: string, at: ErrorAt): string[] {
  if (value === null) return []
  const list = Array.isArray(value) ? value : [value]
  return list.map((item) => {
    if (typeof item !== 'string' || item.length === 0) throw at(key, 'must be a string or a list of strings')
    return item
  })
}

function listOf(value: unknown, key: string, at: ErrorAt): unknown[] {
  if (!Array.isArray(value)) throw at(key, 'must be a list')
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
