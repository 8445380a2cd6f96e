// dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]
//
// Drafts a starting config from one run's reports: `backend-in-name` when the test names carry
// the backend (checked with the real engine: it must pair more tests and name none wrongly), and
// today's one-sided tests as draft exemptions whose TODO reasons the maintainer fills in.
// Exit 0: written. 2: usage error, the file exists (without --force), or the reports cannot be read.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { buildConfig, ConfigError, DEFAULT_CONFIG_PATH } from '../core/config.js'
import { backendInNameCandidates, draftExemptions, renderDraft } from '../core/init-draft.js'
import { decodeDigest } from '../core/inventory.js'
import type { Verdict } from '../core/model.js'
import { parseBackendLines } from '../io/config-file.js'
import { evaluateWorkspace } from '../io/gate.js'
import type { CliIo } from './cli.js'
import { checkOutputPath, OutputError } from './output-path.js'

const PREFIX = 'dual-backend-coverage init'
const USAGE = `Usage: dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]
  --backend NAME=GLOB  report files of one backend (repeat; the same glob for two backends: one shared report)
  --output FILE        where to write the draft (default ${DEFAULT_CONFIG_PATH}; - prints it)
  --force              overwrite an existing file
`

interface Run {
  verdict: Verdict
  ids: string[]
  paired: number
}

export async function runInit(args: string[], io: CliIo): Promise<number> {
  let values: { backend?: string[]; output?: string; force?: boolean; help?: boolean }
  try {
    values = parseArgs({ args, options: { backend: { type: 'string', multiple: true }, output: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values
  } catch (error) {
    io.stderr(`${PREFIX}: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help === true) {
    io.stdout(USAGE)
    return 0
  }
  const started = Date.now()
  try {
    const backendMap = parseBackendLines(values.backend ?? [], '=')
    if (backendMap.size < 2) throw new ConfigError('name at least two backends: --backend sqlite=GLOB --backend postgres=GLOB')
    const output = values.output ?? DEFAULT_CONFIG_PATH
    const target = output === '-' ? undefined : path.resolve(io.cwd, output)
    if (target !== undefined && existsSync(target) && values.force !== true) {
      io.stderr(`${PREFIX}: ${output} already exists; not overwritten (review it, or pass --force to replace it, or --output - to print the draft)\n`)
      return 2
    }
    // The default place is made when missing (a new repository may have no .github yet); a
    // folder the user named must exist, as for every other --output.
    if (target !== undefined && values.output === undefined && !existsSync(path.dirname(target))) mkdirSync(path.dirname(target), { recursive: true })
    if (target !== undefined) checkOutputPath(output, io.cwd)
    const backends = [...backendMap].map(([name, reports]) => ({ name, reports }))
    const names = backends.map((b) => b.name)
    const run = async (backendInName?: string): Promise<Run> => {
      const config = buildConfig({ backends: backendMap.size > 0 ? Object.fromEntries(backendMap) : {}, 'min-tests': 0, drift: 'off', ...(backendInName === undefined ? {} : { 'backend-in-name': backendInName }) })
      const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, digest: true })
      const tests = decodeDigest(verdict.digest ?? '').tests
      return { verdict, ids: [...new Set(tests.map((t) => t.id))], paired: tests.filter((t) => names.every((n) => t.backends.includes(n))).length }
    }
    let best = await run()
    if (best.verdict.errors.length > 0 && best.verdict.unassigned === 0) {
      for (const error of best.verdict.errors) io.stderr(`${PREFIX}: ${error.message}\n`)
      return 2
    }
    let backendInName: string | undefined
    for (const candidate of backendInNameCandidates(best.ids, names)) {
      const tried = await run(candidate)
      // Only when the engine pairs more tests with it and no name lands in the wrong backend's report.
      if (tried.paired > best.paired && tried.verdict.crossLeg.length === 0 && tried.verdict.errors.length === 0) {
        best = tried
        backendInName = candidate
      }
    }
    const noReport = best.verdict.gaps.filter((g) => g.kind === 'no-report' || g.kind === 'empty')
    if (noReport.length > 0) {
      for (const gap of noReport) io.stderr(`${PREFIX}: ${gap.backend}: ${gap.reason}\n`)
      return 2
    }
    const input = { backends, gaps: best.verdict.gaps, ids: best.ids, ...(backendInName === undefined ? {} : { backendInName }) }
    const draft = draftExemptions(input)
    const text = renderDraft(input, draft)
    if (target === undefined) io.stdout(text)
    else writeFileSync(target, text)
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    io.stderr(
      [
        `${PREFIX}: ${best.ids.length} tests: ${draft.paired} ran on every backend, ${draft.oneSided} one-sided in ${draft.exemptions.length} draft exemption(s), ${draft.failing.length} failing (not exempted)${backendInName === undefined ? '' : `; backend-in-name: ${backendInName}`} (${seconds}s)`,
        target === undefined ? '' : `  wrote ${output}: review it and replace each "TODO" reason with why those tests run only there, then run dual-backend-coverage${output === DEFAULT_CONFIG_PATH ? '' : ` --config ${output}`}`,
        ''
      ]
        .filter((line, i) => i !== 1 || line.length > 0)
        .join('\n')
    )
    return 0
  } catch (error) {
    io.stderr(`${PREFIX}: ${error instanceof ConfigError || error instanceof OutputError ? '' : 'internal error: '}${(error as Error).message}\n`)
    return 2
  }
}
