// The action: evaluate the reports, publish the verdict, fail the step on any gap.
// Whatever goes wrong (config, reports, an internal error, the API) ends in a failure verdict
// that says why, and a non-zero exit: never a false green, never `neutral`.
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import * as github from '@actions/github'
import { type Config, ConfigError, DEFAULT_CONFIG_PATH, DEFAULT_REDACT_ENV } from '../core/config.js'
import type { DriftSource, Verdict } from '../core/model.js'
import { createRedactor } from '../core/redact.js'
import { verdictTitle } from '../core/title.js'
import { loadConfig } from '../io/config-file.js'
import { evaluateWorkspace, redactorFor } from '../io/gate.js'
import { workflowNotices } from './doctor-notices.js'
import { UnsafePathError } from '../io/reports.js'
import { defuseWorkflowCommands } from '../render/escape.js'
import { renderJson } from '../render/json.js'
import { driftLine, JOB_SUMMARY_LIMIT, type LinkContext, renderMarkdown } from '../render/markdown.js'
import { artifactLimits, fetchRunArtifacts } from './artifacts.js'
import { findBaseInventory } from './base-inventory.js'
import { chooseSha, isForkPullRequest, workflowRunId } from './event.js'
import { createClient, describeApiError, type GitHubClient } from './github.js'
import { type ActionInputs, jobResultsByBackend, publishingInputs, readInputs } from './inputs.js'
import { AnnotationsError, publishCheckRun, publishStatus } from './publish.js'

/** Job summaries are capped at 1 MiB per step; keep a margin for anything else the job writes. */
const STEP_SUMMARY_BUDGET = JOB_SUMMARY_LIMIT - 16 * 1024

export async function run(): Promise<void> {
  const context = github.context
  const env = process.env
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd()
  const payload = context.payload as Record<string, unknown>
  let inputs: ActionInputs | undefined
  let config: Config | undefined
  let verdict: Verdict
  // Read without validation first: a bad input must still end in a posted failure, with the
  // configured token, name and commit, and the token must be masked before anything is logged.
  const publishing = publishingInputs()
  if (publishing.token.length > 0) core.setSecret(publishing.token)
  // The token and the default redact-env values are always redacted: a config that lists its own
  // redact-env adds to them, it never unmasks DATABASE_URL.
  const alwaysSecrets = [
    ...(publishing.token.length > 0 ? [publishing.token] : []),
    ...DEFAULT_REDACT_ENV.map((name) => env[name] ?? '').filter((value) => value.length > 0)
  ]
  let redact = createRedactor(alwaysSecrets)

  try {
    inputs = readInputs()
    config = loadConfig({ path: inputs.config, backends: inputs.backends })
    // Masked for the runner's log once the backend names are known (public words, see
    // RedactorOptions): nothing is logged before this point.
    const publicWords = new Set(config.aliases.keys())
    for (const name of config.redactEnv) maskEnv(env[name], publicWords)
    redact = redactorFor(config, env, alwaysSecrets)
    // Messages, reasons, test ids and file names are redacted by evaluateWorkspace (src/io/gate.ts).
    verdict = await evaluate(config, inputs, workspace, context.eventName, payload, env, alwaysSecrets)
  } catch (error) {
    if (config === undefined) for (const name of DEFAULT_REDACT_ENV) maskEnv(env[name], new Set())
    verdict = failureVerdict(config, redact(describeFailure(error)))
  }

  const choice = chooseSha(context.eventName, payload, context.sha, publishing.sha)
  core.info(`Commit: ${choice.sha} (${choice.why}${publishing.shaRejected ? '; the sha input is not a full commit SHA' : ''})`)
  // Report text in the log could otherwise be read by the runner as a workflow command.
  logInfo(redact(verdict.title))
  for (const gap of verdict.gaps.slice(0, 200)) logInfo(redact(`  ${gap.kind} on ${gap.backend}: ${gap.test}: ${gap.reason}`))
  for (const drift of verdict.drift) logInfo(redact(driftLine(drift)))
  for (const error of verdict.errors) core.error(defuseWorkflowCommands(redact(error.message)))

  const links: LinkContext = { serverUrl: context.serverUrl, repository: `${context.repo.owner}/${context.repo.repo}`, sha: choice.sha }
  const runUrl = `${context.serverUrl}/${links.repository}/actions/runs/${context.runId}`
  const checkName = publishing.checkName

  let checkUrl = ''
  let publishProblem: string | undefined
  const publish = publishing.publish
  if (publish !== 'none') {
    try {
      const client = githubClient(publishing.token, env)
      checkUrl =
        publish === 'status'
          ? await publishStatus(client, { ...context.repo, sha: choice.sha, context: checkName, targetUrl: runUrl }, verdict)
          : await publishCheckRun(
              client,
              {
                ...context.repo,
                sha: choice.sha,
                name: checkName,
                externalId: `${context.runId}-${context.runAttempt}`,
                detailsUrl: runUrl,
                links,
                fallbackPath: inputs?.config ?? DEFAULT_CONFIG_PATH,
                maxAnnotations: publishing.maxAnnotations,
                ...(verdict.digest === undefined ? {} : { digest: verdict.digest })
              },
              verdict,
              (message) => core.info(message)
            )
      if (publish === 'status' && verdict.digest !== undefined) {
        core.info('publish: status posts a commit status, which cannot carry the test inventory: later runs cannot check for vanished tests against this commit.')
      }
      if (checkUrl.length > 0) core.info(`Posted: ${checkUrl}`)
    } catch (error) {
      if (error instanceof AnnotationsError) {
        // The check run and its conclusion are on GitHub; only annotations are missing. Still an error.
        checkUrl = error.checkUrl
        const cause = publishFailureMessage(error.reason, publish, context.eventName, payload).replace(/^Could not post the check run: /, '')
        const inventory = error.inventoryLost > 0 ? 'the test inventory (later runs cannot check for vanished tests against this one)' : ''
        const what =
          error.from <= error.total
            ? `annotations ${error.from}-${error.total}${inventory.length > 0 ? ` and ${inventory}` : ''}`
            : inventory
        publishProblem = redact(`Posted the check run (${error.checkUrl}, conclusion ${verdict.conclusion}), but could not add ${what}: ${cause}`)
      } else {
        publishProblem = redact(publishFailureMessage(error, publish, context.eventName, payload))
      }
    }
  }

  workflowNotices(workspace, redact)
  await writeJobSummary(verdict, links, checkName, publishProblem)
  const jsonPath = await writeJson(verdict, env)
  core.setOutput('conclusion', verdict.conclusion)
  core.setOutput('tests', String(verdict.tests))
  core.setOutput('gaps', String(verdict.gaps.length))
  core.setOutput('check-url', checkUrl)
  core.setOutput('json', jsonPath)

  if (publishProblem !== undefined) {
    core.setFailed(publishProblem)
  } else if (verdict.conclusion !== 'success') {
    core.setFailed(redact(verdict.title))
  }
}

async function evaluate(
  config: Config,
  inputs: ActionInputs,
  workspace: string,
  eventName: string,
  payload: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  secrets: string[]
): Promise<Verdict> {
  const jobResults = jobResultsByBackend(inputs.needs, config.backends.map((b) => b.name))
  const drift = await baseInventory(config, inputs, eventName, payload, env)
  const runId = workflowRunId(payload)
  if (eventName !== 'workflow_run' || runId === undefined) {
    return evaluateWorkspace({ config, workspace, env, jobResults, secrets, drift, digest: true })
  }
  // Fork pull requests: the reports come from the triggering run's artifacts.
  const client = githubClient(inputs.token, env)
  const root = await mkdtemp(path.join(env.RUNNER_TEMP ?? os.tmpdir(), 'dual-backend-artifacts-'))
  // Artifact names are chosen by the triggering run, which a fork controls.
  const fetched = await fetchRunArtifacts(client, github.context.repo, runId, config.backends, root, logInfo, artifactLimits(env))
  for (const [backend, names] of fetched.used) logInfo(`${backend}: artifacts ${names.join(', ')}`)
  for (const [backend, patterns] of fetched.unmatched) core.info(`${backend}: no artifact matched ${patterns.join(', ')}`)
  const fromArtifacts: Config = {
    ...config,
    backends: config.backends.map((b) => ({ ...b, reports: [`${fetched.folders.get(b.name) ?? b.name}/**/*.xml`] }))
  }
  const evaluated = await evaluateWorkspace({ config: fromArtifacts, workspace: root, env, jobResults, secrets, drift, digest: true })
  // "No report file matched sqlite/**/*.xml" names a temporary folder: say which artifacts were looked for.
  const gaps = evaluated.gaps.map((gap) => {
    if (gap.kind !== 'no-report') return gap
    const patterns = fetched.unmatched.get(gap.backend)
    const names = fetched.used.get(gap.backend) ?? []
    const reason =
      patterns !== undefined
        ? `no artifact of run ${runId} matched ${patterns.join(', ')}`
        : `no report file (*.xml) in artifact${names.length === 1 ? '' : 's'} ${names.join(', ')} of run ${runId}`
    return { ...gap, reason: gap.reason.replace(/^no report file matched [^;]*/, reason) }
  })
  const verdict: Verdict = { ...evaluated, gaps }
  if (fetched.problems.length === 0) return verdict
  const errors = [...verdict.errors, ...fetched.problems.map((message) => ({ message }))]
  const merged: Verdict = { ...verdict, errors, conclusion: 'failure' }
  merged.title = verdictTitle(merged)
  return merged
}

/** The base commit's inventory to compare with (none with `drift: off`, which makes no API call). */
async function baseInventory(
  config: Config,
  inputs: ActionInputs,
  eventName: string,
  payload: Record<string, unknown>,
  env: NodeJS.ProcessEnv
): Promise<DriftSource[]> {
  if (config.drift === 'off') return []
  if (inputs.publish === 'none') {
    // publish: none makes no API request at all (its job may have no token or no `checks: read`).
    return [{ label: 'the base branch', notCompared: 'publish: none makes no API request, so the base check run was not read' }]
  }
  return [
    await findBaseInventory({
      ...github.context.repo,
      eventName,
      payload,
      checkName: inputs.checkName,
      client: () => githubClient(inputs.token, env),
      log: logInfo
    })
  ]
}

/** Masks an environment value, and the password inside it when it is a URL, in the runner's log.
 * Values shorter than 4 characters and `publicWords` (the backend names: PGPASSWORD=postgres is
 * common in CI) are not secrets on their own. */
function maskEnv(value: string | undefined, publicWords: ReadonlySet<string>): void {
  if (value === undefined || value.trim().length < 4) return
  if (!publicWords.has(value.trim().toLowerCase())) core.setSecret(value)
  let password = ''
  try {
    password = new URL(value.trim()).password
  } catch {
    return
  }
  for (const part of new Set([password, safeDecode(password)])) {
    if (part.length >= 4 && !publicWords.has(part.toLowerCase())) core.setSecret(part)
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

function githubClient(token: string, env: NodeJS.ProcessEnv): GitHubClient {
  // Worded without "token:", which the redactor reads as a key and value.
  if (token.length === 0) throw new ConfigError('the token input is empty: pass ${{ github.token }} or an app token')
  const retryBase = Number(env.DUAL_BACKEND_COVERAGE_RETRY_BASE_MS)
  return createClient({
    token,
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    log: (message) => core.warning(message),
    info: (message) => core.info(message),
    retryBaseMs: Number.isFinite(retryBase) && retryBase > 0 ? retryBase : undefined
  })
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof UnsafePathError) return error.message
  const api = describeApiError(error)
  if (api.status === 403 && /not accessible by integration/i.test(api.message)) {
    return (
      `GitHub answered 403 "${api.message}" while reading the triggering run's artifacts: the token lacks the ` +
      '`actions: read` permission. Give the workflow_run job `permissions: { actions: read, checks: write }`.'
    )
  }
  if (api.status !== undefined) {
    const tries = api.attempts === undefined ? '' : ` after ${api.attempts} ${api.attempts === 1 ? 'attempt' : 'attempts'}`
    return `GitHub API error while reading the triggering run's artifacts: ${api.status} "${api.message}"${tries}`
  }
  return `internal error: ${error instanceof Error ? error.message : String(error)}`
}

/** A failure verdict for problems that stopped the evaluation itself. */
function failureVerdict(config: Config | undefined, message: string): Verdict {
  const verdict: Verdict = {
    conclusion: 'failure',
    title: '',
    backends: (config?.backends ?? []).map((b) => ({ name: b.name, files: 0, tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 })),
    tests: 0,
    gaps: [],
    exemptions: [],
    flaky: [],
    crossLeg: [],
    unassigned: 0,
    errors: [{ message }],
    drift: []
  }
  verdict.title = `Could not evaluate: ${message.split('\n')[0]?.slice(0, 200) ?? ''}`
  return verdict
}

function publishFailureMessage(error: unknown, mode: string, eventName: string, payload: Record<string, unknown>): string {
  const { status, message, attempts } = describeApiError(error)
  const permission = mode === 'status' ? 'statuses: write' : 'checks: write'
  const what = mode === 'status' ? 'commit status' : 'check run'
  const where = 'The verdict is in the job summary and the outputs of this step.'
  if (status === 403 && /not accessible by integration/i.test(message)) {
    if (isForkPullRequest(eventName, payload)) {
      return (
        `Could not post the ${what}: GitHub answered 403 "${message}". ` +
        `This pull request comes from a fork, and GitHub gives such runs a read-only token, which cannot get \`${permission}\`, ` +
        'whatever the workflow asks for. Use the workflow_run recipe: the pull_request workflow only runs the tests and uploads ' +
        'the JUnit reports as artifacts; a second workflow (on: workflow_run, with `checks: write` and `actions: read`) runs this ' +
        'action, which downloads the artifacts and posts the check on the pull request head. ' +
        `See docs/fork-pull-requests.md. ${where}`
      )
    }
    return (
      `Could not post the ${what}: GitHub answered 403 "${message}". The token lacks the \`${permission}\` permission: ` +
      `add \`permissions: { ${permission} }\` to the job (and \`actions: read\` for the workflow_run mode). ${where}`
    )
  }
  if (status === 401) return `Could not post the ${what}: GitHub answered 401 "${message}": the token is missing or invalid. ${where}`
  if (status !== undefined) {
    const tries = attempts === undefined ? '' : ` after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}`
    return `Could not post the ${what}: the GitHub API failed: ${status} "${message}"${tries}. ${where}`
  }
  return `Could not post the ${what}: ${message}. ${where}`
}

async function writeJobSummary(verdict: Verdict, links: LinkContext, checkName: string, problem: string | undefined): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined) return
  let markdown = renderMarkdown(verdict, { maxBytes: STEP_SUMMARY_BUDGET - 4096, heading: checkName, links, moreAt: 'the `json` output of this step' })
  if (problem !== undefined) markdown = `> [!WARNING]\n> ${problem.replace(/\n/g, ' ')}\n\n${markdown}`
  await core.summary.addRaw(markdown).write()
}

async function writeJson(verdict: Verdict, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = env.RUNNER_TEMP ?? os.tmpdir()
  const file = path.join(dir, `dual-backend-coverage-${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${process.pid}.json`)
  await writeFile(file, renderJson(verdict))
  return file
}

/** A log line holding text from reports or artifacts: never a workflow command. */
function logInfo(text: string): void {
  core.info(defuseWorkflowCommands(text))
}
