// Shared helpers for the safety suite: temp workspaces, the CLI in-process (runCli) and as a
// child process (dist/cli.js) with its peak RSS, and streaming generators for huge reports.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../src/cli/cli.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI_JS = path.join(REPO_ROOT, 'dist', 'cli.js')

export const PASSING_REPORT = '<testsuite name="s"><testcase classname="c" name="t1"/></testsuite>\n'

export async function workspace(files: Record<string, string | Buffer> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dbc-safety-'))
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  return dir
}

export async function removeWorkspace(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

let emptyConfig: string | undefined

/**
 * A config file with no settings (defaults; backends come from --backend). The CLI looks for its
 * default .github/dual-backend.yml relative to the process, not io.cwd, so in-process runs from
 * the repository root would otherwise pick up the repository's own dogfood config.
 */
async function defaultsConfig(): Promise<string> {
  if (emptyConfig === undefined) {
    // One fixed file for every run and worker (same content; an empty read also means defaults).
    emptyConfig = path.join(tmpdir(), 'dbc-safety-defaults.yml')
    await writeFile(emptyConfig, '# no settings: every default applies\n{}\n')
  }
  return emptyConfig
}

/** runCli in-process with the workspace as cwd (globs and reading are relative to io.cwd). */
export async function cli(cwd: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const args = argv.includes('--config') ? argv : ['--config', await defaultsConfig(), ...argv]
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTty: false,
    cwd,
    env,
    now: new Date('2026-01-15T00:00:00Z')
  })
  return { code, stdout, stderr }
}

/** The usual two-backend invocation: sqlite reads `sqliteGlob`, postgres reads `postgresGlob`. */
export function backends(sqliteGlob: string, postgresGlob: string, format = 'json'): string[] {
  return ['--backend', `sqlite=${sqliteGlob}`, '--backend', `postgres=${postgresGlob}`, '--format', format]
}

/**
 * Without GNU time: a preload that prints the process's own peak RSS (getrusage maxrss, KB) at
 * exit. It reads no file, so it works under the permission model too.
 */
const PEAK_PRELOAD = `--import=data:text/javascript,${encodeURIComponent("process.on('exit',()=>process.stderr.write('DBC_PEAK_KB='+process.resourceUsage().maxRSS+'\\n'))")}`

export interface ChildRun extends CliRun {
  /** Wall time of the child, seconds. */
  seconds: number
  /** Peak resident set of the child (VmHWM / ru_maxrss), MB. */
  peakMb: number
}

/**
 * Runs `node dist/cli.js` in a child process. Peak RSS comes from GNU time (-v) when it is
 * installed, else from a preload that reads /proc/self/status VmHWM at exit.
 */
export async function cliChild(cwd: string, argv: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<ChildRun> {
  if (!existsSync(CLI_JS)) throw new Error(`${CLI_JS} is missing: run \`npm run build\` before the safety suite`)
  const useTime = existsSync('/usr/bin/time') && process.env.DBC_SAFETY_NO_GNU_TIME === undefined
  const node = process.execPath
  const command = useTime ? '/usr/bin/time' : node
  const args = useTime ? ['-f', 'DBC_PEAK_KB=%M', node, ...nodeArgs, CLI_JS, ...argv] : [...nodeArgs, PEAK_PRELOAD, CLI_JS, ...argv]
  const started = performance.now()
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t))
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t))
  const [code] = (await once(child, 'close')) as [number | null]
  const seconds = (performance.now() - started) / 1000
  const match = /DBC_PEAK_KB=(\d+)/.exec(stderr)
  stderr = stderr.replace(/(Command exited with non-zero status \d+\n)?DBC_PEAK_KB=\d+\n?/, '')
  return { code: code ?? -1, stdout, stderr, seconds, peakMb: match === null ? Number.NaN : Number(match[1]) / 1024 }
}

/** Streams generated text to a file with back-pressure, so a 1 GB report never sits in memory. */
export async function writeStreamed(file: string, parts: Iterable<string>): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true })
  const out = createWriteStream(file)
  let bytes = 0
  let batch = ''
  for (const part of parts) {
    batch += part
    if (batch.length >= 1 << 20) {
      bytes += Buffer.byteLength(batch)
      if (!out.write(batch)) await once(out, 'drain')
      batch = ''
    }
  }
  bytes += Buffer.byteLength(batch)
  out.end(batch)
  await once(out, 'finish')
  return bytes
}

/** `count` passing testcases in one suite, about 100 bytes each; `omit(i)` leaves testcase i out. */
export function* manyTestcases(count: number, failEvery = 0, omit?: (index: number) => boolean): Generator<string> {
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="huge">\n<testsuite name="storage" tests="' + count + '">\n'
  for (let i = 0; i < count; i++) {
    if (omit?.(i) === true) continue
    if (failEvery > 0 && i % failEvery === failEvery - 1) {
      yield `  <testcase classname="storage.test_rows" name="test_row_${i}[case-${i % 97}]" time="0.001"><failure message="boom &amp; &lt;bad&gt;">line 1\nline 2</failure></testcase>\n`
    } else {
      yield `  <testcase classname="storage.test_rows" name="test_row_${i}[case-${i % 97}]" time="0.001"/>\n`
    }
  }
  yield '</testsuite>\n</testsuites>\n'
}

/** One failing testcase whose <failure> body is `bytes` long (multi-line), then one passing testcase. */
export function* hugeFailureMessage(bytes: number, secret = ''): Generator<string> {
  yield '<testsuite name="s"><testcase classname="c" name="t1"><failure message="boom">'
  if (secret.length > 0) yield `connecting to ${secret}\n`
  const line = `${'x'.repeat(99)}\n`
  for (let written = 0; written < bytes; written += line.length) yield line
  yield '</failure></testcase><testcase classname="c" name="t2"/></testsuite>\n'
}

/**
 * Node's permission model, reads limited to the workspace and dist/: any read outside them
 * (an entity's SYSTEM file, a followed link) fails with ERR_ACCESS_DENIED instead of succeeding.
 */
export function readOnlyInside(workspaceDir: string): string[] {
  // Node 20 knows --experimental-permission; newer lines call it --permission and dropped the old name.
  const flag = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission'
  return [flag, `--allow-fs-read=${workspaceDir}`, `--allow-fs-read=${path.join(REPO_ROOT, 'dist')}`, '--no-warnings']
}

/** The JSON verdict as the CLI prints it (fields the safety tests look at). */
export interface JsonVerdict {
  conclusion: 'success' | 'failure'
  title: string
  tests: number
  backends: Array<{ name: string; files: number; tests: number; passed: number; failed: number; errored: number; skipped: number }>
  gaps: Array<{ test: string; backend: string; kind: string; reason: string; message?: string; file?: string; line?: number }>
  errors: Array<{ file?: string; line?: number; column?: number; message: string }>
}

export function verdictOf(run: CliRun): JsonVerdict {
  return JSON.parse(run.stdout) as JsonVerdict
}

/** Compact "kind backend test" strings for exact assertions. */
export function gapsOf(verdict: JsonVerdict): string[] {
  return verdict.gaps.map((g) => `${g.kind} ${g.backend} ${g.test}`)
}

/** Bounds stated once: generous for a loaded 2-core CI machine (about 4x what was measured). */
export function logMeasure(label: string, run: ChildRun): void {
  if (process.env.DBC_SAFETY_VERBOSE !== undefined) console.log(`${label}: ${run.seconds.toFixed(2)} s, peak ${run.peakMb.toFixed(0)} MB`)
}

/**
 * About `bytes` of report: `cases` testcases, each with a big <system-out> of log lines; the last
 * testcase fails with `lastMessage` (so the verdict proves the file was read to its end).
 */
export function* bigOutputReport(bytes: number, cases: number, lastMessage: string): Generator<string> {
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="storage">\n'
  const line = `2026-01-15 12:00:00 DEBUG storage: ${'y'.repeat(62)}\n`
  const linesPerCase = Math.max(1, Math.round(bytes / cases / line.length))
  const block = line.repeat(Math.min(linesPerCase, 1000))
  for (let i = 0; i < cases; i++) {
    yield `<testcase classname="storage.test_rows" name="test_${i}" time="0.01"><system-out>`
    for (let written = 0; written < linesPerCase; written += 1000) yield written + 1000 <= linesPerCase ? block : line.repeat(linesPerCase - written)
    yield i === cases - 1 ? `</system-out><failure message="last one">${lastMessage}</failure></testcase>\n` : '</system-out></testcase>\n'
  }
  yield '</testsuite></testsuites>\n'
}

/** The same testcase names as bigOutputReport, all passing, without output (a few hundred KB). */
export function* namesOnly(cases: number): Generator<string> {
  yield '<testsuites><testsuite name="storage">\n'
  for (let i = 0; i < cases; i++) yield `<testcase classname="storage.test_rows" name="test_${i}"/>\n`
  yield '</testsuite></testsuites>\n'
}
