/**
 * Runs the bundled action the way the GitHub runner does: `node dist/index.js` in a child process,
 * cwd = workspace, inputs as `INPUT_<NAME>` env vars, the event payload in a file, and fresh
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files that are parsed after the process exits.
 *
 * The child gets a whitelisted environment, never the parent's GITHUB_* / RUNNER_* / INPUT_*
 * variables: a test run inside GitHub Actions must not leak the real run's context into the action.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pushEvent, type GitHubEvent } from './events.js'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface RunActionOptions {
  /** Base URL of the GitHub API (the emulator's `url`). */
  apiUrl: string
  /** Action inputs by their action.yml name, e.g. `{ 'check-name': 'x', token: 'ghs_...' }`. */
  inputs?: Record<string, string | number | boolean>
  /** Event from events.ts; sets GITHUB_EVENT_NAME/PATH, GITHUB_SHA, GITHUB_REF, HEAD/BASE_REF. Default: push. */
  event?: GitHubEvent
  /** Workspace dir (GITHUB_WORKSPACE and cwd). Default: a fresh temp dir. */
  workspace?: string
  /** Files to create in the workspace before the run (relative paths). */
  files?: Record<string, string | Buffer>
  /** `owner/repo`. Default: the event's repository, else `octo-org/storage`. */
  repository?: string
  runId?: number
  runAttempt?: number
  runNumber?: number
  job?: string
  workflow?: string
  actor?: string
  /** Overrides applied last (e.g. to unset a variable, pass ''). */
  env?: Record<string, string>
  /** Script to run. Default `<repo>/dist/index.js`. */
  actionPath?: string
  /** Kill the child after this long. Default 60 s. */
  timeoutMs?: number
}

/** One line of stdout, with workflow commands (`::warning file=a::msg`) decoded. */
export interface ActionLogLine {
  /** `info` for plain lines; otherwise the command name (debug, notice, warning, error, group, ...). */
  command: string
  message: string
  properties: Record<string, string>
  raw: string
}

export interface ActionResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** Parsed from GITHUB_OUTPUT (`name=value` and `name<<delimiter` heredocs). */
  outputs: Record<string, string>
  /** GITHUB_STEP_SUMMARY contents. */
  summary: string
  log: ActionLogLine[]
  workspace: string
  /** The exact environment the child saw. */
  env: Record<string, string>
}

/** Parent variables the child may inherit; everything else is dropped. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'USER']

/** `check-name` -> `INPUT_CHECK-NAME`, like the runner (spaces become `_`, hyphens stay). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

export async function runAction(opts: RunActionOptions): Promise<ActionResult> {
  const temp = await mkdtemp(path.join(tmpdir(), 'dbc-run-'))
  const workspace = opts.workspace ?? path.join(temp, 'workspace')
  await mkdir(workspace, { recursive: true })
  await writeFiles(workspace, opts.files ?? {})
  const runnerTemp = path.join(temp, 'runner-temp')
  const fileCommands = path.join(temp, 'file-commands')
  await mkdir(runnerTemp, { recursive: true })
  await mkdir(fileCommands, { recursive: true })

  const event = opts.event ?? pushEvent()
  const eventPath = path.join(temp, 'event.json')
  await writeFile(eventPath, JSON.stringify(event.payload, null, 2))
  const files = {
    GITHUB_OUTPUT: path.join(fileCommands, `set_output_${randomUUID()}`),
    GITHUB_STEP_SUMMARY: path.join(fileCommands, `step_summary_${randomUUID()}`),
    GITHUB_ENV: path.join(fileCommands, `set_env_${randomUUID()}`),
    GITHUB_PATH: path.join(fileCommands, `add_path_${randomUUID()}`),
    GITHUB_STATE: path.join(fileCommands, `save_state_${randomUUID()}`)
  }
  for (const file of Object.values(files)) await writeFile(file, '')

  const env = buildEnv(opts, event, { workspace, runnerTemp, eventPath, files })
  const actionPath = opts.actionPath ?? path.join(REPO_ROOT, 'dist', 'index.js')
  const child = await spawnNode(actionPath, workspace, env, opts.timeoutMs ?? 60_000)

  return {
    ...child,
    outputs: parseFileCommand(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
    log: parseLog(child.stdout),
    workspace,
    env
  }
}

interface EnvPaths {
  workspace: string
  runnerTemp: string
  eventPath: string
  files: Record<string, string>
}

function buildEnv(opts: RunActionOptions, event: GitHubEvent, paths: EnvPaths): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of INHERITED_ENV) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  const repository = opts.repository ?? eventRepository(event) ?? 'octo-org/storage'
  const [owner = 'octo-org'] = repository.split('/')
  const apiUrl = opts.apiUrl.replace(/\/$/, '')
  const refName = event.ref.replace(/^refs\/(heads|tags)\//, '')
  Object.assign(env, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: '__octo-org_dual-backend-coverage',
    GITHUB_ACTION_REPOSITORY: 'octo-org/dual-backend-coverage',
    GITHUB_ACTION_REF: 'v1',
    GITHUB_ACTOR: opts.actor ?? 'maintainer',
    GITHUB_TRIGGERING_ACTOR: opts.actor ?? 'maintainer',
    GITHUB_API_URL: apiUrl,
    GITHUB_GRAPHQL_URL: `${apiUrl}/graphql`,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: paths.eventPath,
    GITHUB_SHA: event.sha,
    GITHUB_REF: event.ref,
    GITHUB_REF_NAME: event.name === 'pull_request' ? refName.replace(/^refs\/pull\//, '') : refName,
    GITHUB_REF_TYPE: event.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REF_PROTECTED: 'false',
    GITHUB_HEAD_REF: event.headRef ?? '',
    GITHUB_BASE_REF: event.baseRef ?? '',
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_REPOSITORY_ID: '123456789',
    GITHUB_REPOSITORY_OWNER_ID: '987654',
    GITHUB_RUN_ID: String(opts.runId ?? 1_234_567_890),
    GITHUB_RUN_ATTEMPT: String(opts.runAttempt ?? 1),
    GITHUB_RUN_NUMBER: String(opts.runNumber ?? 42),
    GITHUB_JOB: opts.job ?? 'coverage-gate',
    GITHUB_WORKFLOW: opts.workflow ?? 'Storage tests',
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/storage-tests.yml@${event.ref}`,
    GITHUB_WORKSPACE: paths.workspace,
    GITHUB_RETENTION_DAYS: '90',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'GitHub Actions 2',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_TEMP: paths.runnerTemp,
    RUNNER_TOOL_CACHE: path.join(paths.runnerTemp, 'tool-cache'),
    ...paths.files
  })
  for (const [name, value] of Object.entries(opts.inputs ?? {})) env[inputEnvName(name)] = String(value)
  Object.assign(env, opts.env ?? {})
  return env
}

function eventRepository(event: GitHubEvent): string | undefined {
  const repo = event.payload.repository as { full_name?: unknown } | undefined
  return typeof repo?.full_name === 'string' ? repo.full_name : undefined
}

async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative)
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

interface ChildResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
}

function spawnNode(script: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (c: Buffer) => stdout.push(c))
    child.stderr.on('data', (c: Buffer) => stderr.push(c))
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8')
      })
    })
  })
}

/**
 * Parses the runner's file-command format: `name=value` lines, or heredocs
 * `name<<DELIM` ... `DELIM` (what @actions/core writes, with `ghadelimiter_<uuid>`).
 */
export function parseFileCommand(content: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = content.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '') continue
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc
      const value: string[] = []
      i++
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++] ?? '')
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: heredoc for "${name}" never closed with ${delimiter}`)
      result[name] = value.join('\n')
      continue
    }
    const eq = line.indexOf('=')
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: malformed line ${JSON.stringify(line)}`)
    result[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return result
}

/** Decodes workflow commands as the runner does (`%25`, `%0D`, `%0A`, and in properties `%3A`, `%2C`). */
export function parseLog(stdout: string): ActionLogLine[] {
  return stdout
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((raw) => {
      const m = /^::([a-zA-Z-]+)(?: ([^:]*))?::(.*)$/.exec(raw)
      if (!m) return { command: 'info', message: raw, properties: {}, raw }
      const [, command = '', props = '', message = ''] = m
      const properties: Record<string, string> = {}
      for (const pair of props.split(',').filter(Boolean)) {
        const eq = pair.indexOf('=')
        if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1))
      }
      return { command, message: unescapeData(message), properties, raw }
    })
}

const ESCAPES: Record<string, string> = { '%25': '%', '%0D': '\r', '%0A': '\n', '%3A': ':', '%2C': ',' }

// One pass, so an escaped "%250A" decodes to the literal text "%0A" rather than a newline.
function unescapeData(s: string): string {
  return s.replace(/%(25|0D|0A)/g, (m) => ESCAPES[m] ?? m)
}

function unescapeProperty(s: string): string {
  return s.replace(/%(25|0D|0A|3A|2C)/g, (m) => ESCAPES[m] ?? m)
}
