// One evaluation of a workspace: config in, verdict out. Shared by the CLI and the action.
import type { Config } from '../core/config.js'
import { CoverageEngine } from '../core/engine.js'
import type { Verdict } from '../core/model.js'
import { createRedactor, type Redactor } from '../core/redact.js'
import { findReports, readReports } from './reports.js'
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
}

export function redactorFor(config: Config, env: NodeJS.ProcessEnv, extra: string[] = []): Redactor {
  const values = config.redactEnv.map((name) => env[name]).filter((v): v is string => v !== undefined && v.length > 0)
  // Backend names and their aliases are public words, never masked on their own (see RedactorOptions).
  return createRedactor([...values, ...extra], { publicWords: [...config.aliases.keys()] })
}

export async function evaluateWorkspace(options: GateOptions): Promise<Verdict> {
  const { config, workspace } = options
  const engine = new CoverageEngine(config, {
    redact: redactorFor(config, options.env, options.secrets),
    now: options.now ?? new Date(),
    pathRoots: [workspace, ...(options.env.GITHUB_WORKSPACE === undefined ? [] : [options.env.GITHUB_WORKSPACE])]
  })
  for (const [backend, result] of options.jobResults ?? []) engine.setJobResult(backend, result)
  const reports = await findReports(config, workspace)
  await readReports(engine, reports, workspace)
  const verdict = redactNames(engine.verdict(), redactorFor(config, options.env, options.secrets))
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
