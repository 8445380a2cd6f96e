// One evaluation of a workspace: config in, verdict out. Shared by the CLI and the action.
import type { Config } from '../core/config.js'
import { CoverageEngine } from '../core/engine.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { CollectedParseError, parseCollected } from '../core/collected.js'
import { parseInventoryFile } from '../core/inventory.js'
import type { DriftSource, ReportError, Verdict } from '../core/model.js'
import { createRedactor, expandSecrets, type Redactor } from '../core/redact.js'
import { SecretSpotter } from '../core/secret-spotter.js'
import { findReports, isInside, readReports } from './reports.js'
import { resolveSourcePaths } from './source-paths.js'

export interface GateOptions {
  config: Config
  workspace: string
  /** Environment to take the values of `redact-env` from. */
  env: NodeJS.ProcessEnv
  now?: Date
  /** needs.<job>.result per backend, when the workflow passes `needs`. */
  jobResults?: Map<string, string>
  /** Extra values to redact (the action adds its token). */
  secrets?: string[]
  /** Earlier inventories to compare with (the base branch's check run, a --baseline verdict). */
  drift?: DriftSource[]
  /** Put this run's inventory digest into the verdict (for the check run, or the JSON verdict). */
  digest?: boolean
}

/**
 * The runners' collected test lists (`expected:`), found with the same workspace rules as reports.
 * A configured glob that matches nothing, or a list that cannot be read or parsed, is an error:
 * "nothing collected" must never pass as "nothing expected".
 */
async function readCollectedLists(engine: CoverageEngine, config: Config, workspace: string): Promise<void> {
  if (config.expected.size === 0) return
  const backends = config.backends
    .map((b) => ({ name: b.name, reports: config.expected.get(b.name) ?? config.expected.get('*') ?? [], artifacts: [] }))
    .filter((b) => b.reports.length > 0)
  const found = await findReports({ ...config, backends }, workspace)
  for (const match of found.refused) engine.fileError(match, { file: match, message: `${match}: refused: collected lists must be regular files inside the workspace` })
  for (const backend of backends) {
    if (![...found.files.values()].some((names) => names.includes(backend.name))) {
      engine.fileError(backend.reports.join(', '), { message: `expected: no collected test list matched ${backend.reports.join(', ')} for ${backend.name}` })
    }
  }
  for (const [file, names] of found.files) {
    try {
      engine.expectCollected(file, names, parseCollected(readFileSync(path.join(workspace, file), 'utf8'), file))
    } catch (error) {
      const reason = error instanceof CollectedParseError ? error.message : `${file}: could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
      engine.fileError(file, { file, message: `expected: ${reason}` })
    }
  }
}

/** The committed inventory file as an earlier inventory: every id in it must be reported by some backend. */
function readInventorySource(workspace: string, file: string): DriftSource | { error: ReportError } {
  const label = `the inventory ${file}`
  const absolute = path.resolve(workspace, file)
  if (!isInside(workspace, absolute)) return { error: { file, message: `inventory: ${file} is outside the workspace` } }
  let text: string
  try {
    text = readFileSync(absolute, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const hint = code === 'ENOENT' ? ' (write it with `dual-backend-coverage inventory --write`)' : ''
    return { error: { file, message: `inventory: ${file} could not be read (${code ?? (error as Error).message})${hint}` } }
  }
  try {
    const ids = parseInventoryFile(text, file)
    return { label, inventory: { backends: [], tests: ids.map((id) => ({ id, backends: [] })) } }
  } catch (error) {
    return { error: { file, message: `inventory: ${(error as Error).message}` } }
  }
}

export function redactorFor(config: Config, env: NodeJS.ProcessEnv, extra: string[] = []): Redactor {
  const values = config.redactEnv.map((name) => env[name]).filter((v): v is string => v !== undefined && v.length > 0)
  // Backend names and their aliases are public words, never masked on their own (see RedactorOptions).
  return createRedactor([...values, ...extra], { publicWords: [...config.aliases.keys()] })
}

export async function evaluateWorkspace(options: GateOptions): Promise<Verdict> {
  const { config, workspace } = options
  // One redactor for the engine, the names and the secret spotter: its patterns are compiled once.
  const redactor = redactorFor(config, options.env, options.secrets)
  const engine = new CoverageEngine(config, {
    redact: redactor,
    now: options.now ?? new Date(),
    pathRoots: [workspace, ...(options.env.GITHUB_WORKSPACE === undefined ? [] : [options.env.GITHUB_WORKSPACE])]
  })
  for (const [backend, result] of options.jobResults ?? []) engine.setJobResult(backend, result)
  for (const source of options.drift ?? []) engine.compareWith(source)
  if (config.inventory !== undefined) {
    const source = readInventorySource(workspace, config.inventory)
    if ('error' in source) engine.fileError(config.inventory, source.error)
    else engine.compareWith(source)
  }
  const reports = await findReports(config, workspace)
  const named = config.redactEnv
    .map((name) => ({ name, value: options.env[name] }))
    .filter((entry): entry is { name: string; value: string } => entry.value !== undefined && entry.value.length > 0)
    .map(({ name, value }) => ({ name, forms: expandSecrets([value]) }))
  const spotter = config.secretsInReports === 'off' ? undefined : () => new SecretSpotter(redactor, named, [...config.aliases.keys()])
  await readReports(engine, reports, workspace, spotter)
  await readCollectedLists(engine, config, workspace)
  const verdict = redactNames(engine.verdict(), redactor)
  // Redacted ids, compressed: base64 hides nothing, so the digest is held to the same rule as any output.
  if (options.digest === true) verdict.digest = engine.digest()
  await resolveSourcePaths(verdict, workspace)
  return verdict
}

/**
 * The engine redacts messages; test ids and file paths come from report names, and pytest puts
 * parameter values (a DSN, a token) into test names. Mask them here, where both the CLI and the
 * action get their verdict, so no renderer ever sees them. Ids stay distinct per backend the
 * same way, since every backend's ids go through the same redactor.
 */
export function redactNames(verdict: Verdict, redact: Redactor): Verdict {
  const mask = redact
  // Consecutive gaps mostly share their file: redact each run of equal paths once.
  let lastFile: string | undefined
  let lastMasked: string | undefined
  for (const gap of verdict.gaps) {
    gap.test = mask(gap.test)
    const file = gap.file
    if (file !== undefined) {
      if (file !== lastFile) {
        lastFile = file
        lastMasked = mask(file)
      }
      gap.file = lastMasked
    }
  }
  for (const flaky of verdict.flaky) flaky.test = mask(flaky.test)
  for (const copy of verdict.crossLeg) {
    copy.test = mask(copy.test)
    // An unknown backend word is taken as written from the report (backend-in-name's capture).
    copy.namedBackend = mask(copy.namedBackend)
  }
  for (const exemption of verdict.exemptions) exemption.excused = exemption.excused.map(mask)
  for (const error of verdict.errors) if (error.file !== undefined) error.file = mask(error.file)
  return verdict
}
