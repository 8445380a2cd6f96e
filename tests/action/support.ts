/**
 * Shared helpers for the action's integration tests: JUnit report builders, a runAction wrapper
 * with the defaults every test wants (token, backends, short retry backoff), and accessors for
 * what the emulator received.
 */
import { existsSync, readFileSync } from 'node:fs'
import { expect, onTestFinished } from 'vitest'
import { startGitHubEmulator, type EmulatorOptions, type GitHubEmulator, type RecordedRequest } from '../helpers/github-emulator.js'
import { runAction, type ActionResult, type RunActionOptions } from '../helpers/run-action.js'
import { htmlProblems, tableProblems } from '../safety/markdown-checks.js'

/** Looks like an installation token (ghs_ + 36 chars), so the redactor's known-token rule applies too. */
export const TOKEN = 'ghs_0123456789abcdefghijABCDEFGHIJ012345'

export const BACKENDS_INPUT = 'sqlite: reports/sqlite/*.xml\npostgres: reports/postgres/*.xml'

export interface Case {
  name: string
  classname?: string
  status?: 'passed' | 'failed' | 'errored' | 'skipped' | 'flaky'
  message?: string
  body?: string
  output?: string
  file?: string
  line?: number
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;')
}

function textEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A JUnit report (surefire-like shape) with one suite. */
export function junit(cases: Case[], suite = 'storage'): string {
  const body = cases
    .map((c) => {
      const attrs = [`classname="${xmlEscape(c.classname ?? 'tests.storage')}"`, `name="${xmlEscape(c.name)}"`, 'time="0.01"']
      if (c.file !== undefined) attrs.push(`file="${xmlEscape(c.file)}"`)
      if (c.line !== undefined) attrs.push(`line="${c.line}"`)
      const message = c.message === undefined ? '' : ` message="${xmlEscape(c.message)}"`
      const inner: string[] = []
      const status = c.status ?? 'passed'
      if (status === 'failed') inner.push(`<failure${message} type="AssertionError">${textEscape(c.body ?? '')}</failure>`)
      if (status === 'errored') inner.push(`<error${message} type="RuntimeError">${textEscape(c.body ?? '')}</error>`)
      if (status === 'skipped') inner.push(`<skipped${message}/>`)
      if (status === 'flaky') inner.push(`<flakyFailure${message} type="AssertionError"><stackTrace>${textEscape(c.body ?? '')}</stackTrace></flakyFailure>`)
      if (c.output !== undefined) inner.push(`<system-out>${textEscape(c.output)}</system-out>`)
      return `    <testcase ${attrs.join(' ')}>${inner.join('')}</testcase>`
    })
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xmlEscape(suite)}" tests="${cases.length}">\n${body}\n  </testsuite>\n</testsuites>\n`
}

export const BASE_TESTS = ['insert_and_get', 'update_row', 'json_column', 'upsert_conflict', 'connection_pool']

export function passing(names: string[] = BASE_TESTS): Case[] {
  return names.map((name) => ({ name }))
}

/** Both backends' reports in the workspace layout BACKENDS_INPUT expects. */
export function reports(sqlite: Case[] | string | undefined, postgres: Case[] | string | undefined): Record<string, string> {
  const files: Record<string, string> = {}
  if (sqlite !== undefined) files['reports/sqlite/junit.xml'] = typeof sqlite === 'string' ? sqlite : junit(sqlite)
  if (postgres !== undefined) files['reports/postgres/junit.xml'] = typeof postgres === 'string' ? postgres : junit(postgres)
  return files
}

export interface GateRunOptions extends Omit<RunActionOptions, 'apiUrl'> {
  emulator: GitHubEmulator
}

/** runAction with a token, both backends, and a 50 ms retry base. Inputs and env given win. */
export async function runGate(options: GateRunOptions): Promise<ActionResult> {
  const { emulator, inputs, env, ...rest } = options
  return runAction({
    ...rest,
    apiUrl: emulator.url,
    inputs: { token: TOKEN, backends: BACKENDS_INPUT, ...inputs },
    env: { DUAL_BACKEND_COVERAGE_RETRY_BASE_MS: '50', ...env }
  })
}

export function apiRequests(emulator: GitHubEmulator, method: string, pathPattern: RegExp): RecordedRequest[] {
  return emulator.requests.filter((r) => !r.blob && r.method === method && pathPattern.test(r.path))
}

/** Title prefix of the annotations that carry the run's test inventory (src/action/base-inventory.ts). */
export const INVENTORY_TITLE = 'dual-backend-coverage inventory '

/** A check run's annotations without the inventory parts every check run carries. */
export function gapAnnotations<T extends { title?: string }>(run: { annotations: T[] }): T[] {
  return run.annotations.filter((a) => !(a.title ?? '').startsWith(INVENTORY_TITLE))
}

export const CHECK_RUNS = /^\/repos\/[^/]+\/[^/]+\/check-runs$/
export const CHECK_RUN = /^\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/

export interface JsonVerdict {
  conclusion: string
  title: string
  tests: number
  gaps: Array<{ test: string; backend: string; kind: string; reason: string; message?: string; others: Record<string, string> }>
  errors: Array<{ file?: string; line?: number; column?: number; message: string }>
  flaky: Array<{ test: string; backend: string; message?: string }>
  backends: Array<{ name: string; tests: number; jobResult?: string }>
}

export function readJson(result: ActionResult): JsonVerdict {
  const file = result.outputs.json
  expect(file, 'json output').toBeTruthy()
  expect(existsSync(file as string)).toBe(true)
  return JSON.parse(readFileSync(file as string, 'utf8')) as JsonVerdict
}

/** Every request body the emulator received (API and blob), joined. */
export function allRequestText(emulator: GitHubEmulator): string {
  return emulator.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.rawBody}`).join('\n')
}

/** Every table keeps its cell count in every row (shared with the safety suite's checks). */
export function assertTablesIntact(markdown: string): void {
  expect(tableProblems(markdown)).toEqual([])
}

/** HTML is ours only and balanced: <details>, <summary>, <pre>, <code>, <a> open and close in order. */
export function assertHtmlBalanced(markdown: string): void {
  expect(htmlProblems(markdown)).toEqual([])
}

/** A Node stack frame ("    at fn (file.js:1:2)") or a bare "Error: ..." dump in the log. */
const STACK_FRAME = /^\s+at\s+(?:\S+\s+\()?(?:file:\/\/|node:|\/|[A-Za-z]:\\)\S*:\d+:\d+\)?$/m

/** The step's whole output (stdout and stderr) carries no stack trace. */
export function assertNoStackTrace(result: ActionResult): void {
  expect(result.stdout, 'stack frame in stdout').not.toMatch(STACK_FRAME)
  expect(result.stderr, 'stack frame in stderr').not.toMatch(STACK_FRAME)
  expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\b(?:RequestError|HttpError)\b/)
}

/** The messages of `::error::` commands (what fails the step on the runner). */
export function errorMessages(result: ActionResult): string[] {
  return result.log.filter((l) => l.command === 'error').map((l) => l.message)
}

/** The `Commit: <sha> (<why>)` line the action logs. */
export function commitLine(result: ActionResult): string | undefined {
  return result.log.find((l) => l.command === 'info' && l.message.startsWith('Commit: '))?.message
}

/** An emulator for the running test, closed when the test finishes. */
export async function startEmulator(options?: EmulatorOptions): Promise<GitHubEmulator> {
  const emulator = await startGitHubEmulator(options)
  onTestFinished(() => emulator.close())
  return emulator
}
