// One evaluation of a workspace: config in, verdict out. Shared by the CLI and the action.
import type { Config } from '../core/config.js'
import { CoverageEngine } from '../core/engine.js'
import type { Verdict } from '../core/model.js'
import { createRedactor, type Redactor } from '../core/redact.js'
import { findReports, readReports } from './reports.js'

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
  return createRedactor([...values, ...extra])
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
  return engine.verdict()
}
