// dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE] [--baseline FILE]
// dual-backend-coverage inventory [--write] [--config FILE] [--backend NAME=GLOB]... [--output FILE]
// Exit 0: every in-scope test ran and passed on every backend. 1: gaps. 2: usage, config or report errors.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type Config, ConfigError, DEFAULT_CONFIG_PATH } from '../core/config.js'
import { decodeDigest, formatInventoryFile, InventoryError, readDigest } from '../core/inventory.js'
import { verdictTitle } from '../core/title.js'
import type { DriftSource } from '../core/model.js'
import { loadConfig, parseBackendLines } from '../io/config-file.js'
import { runDoctor } from './doctor.js'
import { runInit } from './init.js'
import { checkOutputPath, OutputError } from './output-path.js'
import { runScrub } from './scrub.js'
import { VERSION } from './version.js'
import { evaluateWorkspace } from '../io/gate.js'
import { UnsafePathError } from '../io/reports.js'
import { renderJsonPieces } from '../render/json.js'
import { JOB_SUMMARY_LIMIT, renderMarkdown } from '../render/markdown.js'
import { renderTextPieces } from '../render/text.js'

export const EXIT_SUCCESS = 0
export const EXIT_GAPS = 1
export const EXIT_ERROR = 2

export interface CliIo {
  stdout: (text: string) => void
  /**
   * Resolves when what was given to stdout has left the process. A pipe takes writes
   * asynchronously: without waiting, a report of a million gaps would queue up in memory whole.
   */
  stdoutDrained?: () => Promise<void>
  stderr: (text: string) => void
  isTty: boolean
  cwd: string
  env: NodeJS.ProcessEnv
  now?: Date
}

const USAGE = `Usage: dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE] [--baseline FILE]
       dual-backend-coverage inventory [--write] [--config FILE] [--backend NAME=GLOB]... [--output FILE]
       dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]
       dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...
       dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]

Proves from JUnit XML reports that every storage test ran and passed on every backend.
  --config FILE        YAML config (default .github/dual-backend.yml when it exists)
  --backend NAME=GLOB  report files of one backend; repeat for each backend and glob (replaces the config's backends)
  --format FORMAT      text (default), markdown or json (the JSON verdict holds this run's test inventory)
  --output FILE        write the report to FILE instead of standard output
  --baseline FILE      a JSON verdict of an earlier run: a storage test it holds that no backend reports now is "vanished"
  -h, --help           show this help
  -V, --version        print the version

doctor: reads .github/workflows and names what makes this gate lie or flake (a gate without
if: always(), a report upload that skips on failure, a database service without a health check...).

init: drafts a starting config from the reports: backend-in-name when the names carry the
backend, and today's one-sided tests as draft exemptions whose TODO reasons you fill in.

scrub: rewrites report files in place with the gate's redaction (run it before uploading them).

inventory: lists the storage test ids the reports hold, one per line, in the format of the
config's \`inventory:\` file (the tests that must exist). --write writes that file instead of printing it.

Exit status: 0 all tests ran and passed everywhere, 1 gaps found, 2 usage, config or unreadable-report error.
`

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout(`dual-backend-coverage ${VERSION}\n`)
    return EXIT_SUCCESS
  }
  if (argv[0] === 'doctor') return runDoctor(argv.slice(1), io)
  if (argv[0] === 'scrub') return runScrub(argv.slice(1), io)
  if (argv[0] === 'init') return runInit(argv.slice(1), io)
  const command = argv[0] === 'inventory' ? 'inventory' : 'check'
  let values: { config?: string; backend?: string[]; format?: string; output?: string; baseline?: string; write?: boolean; help?: boolean }
  try {
    values = parseArgs({
      args: command === 'inventory' ? argv.slice(1) : argv,
      options: {
        config: { type: 'string' },
        backend: { type: 'string', multiple: true },
        format: { type: 'string' },
        output: { type: 'string' },
        baseline: { type: 'string' },
        write: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    io.stderr(`dual-backend-coverage: ${(error as Error).message}\n\n${USAGE}`)
    return EXIT_ERROR
  }
  if (values.help === true) {
    io.stdout(USAGE)
    return EXIT_SUCCESS
  }
  const misplaced = command === 'inventory' ? (values.baseline !== undefined ? '--baseline' : values.format !== undefined ? '--format' : undefined) : values.write === true ? '--write' : undefined
  if (misplaced !== undefined) {
    io.stderr(`dual-backend-coverage: ${misplaced} ${command === 'inventory' ? 'is not an option of the inventory command' : 'belongs to the inventory command: dual-backend-coverage inventory --write'}\n\n${USAGE}`)
    return EXIT_ERROR
  }
  if (command === 'inventory') return runInventory(values, io)
  const format = values.format ?? 'text'
  if (format !== 'text' && format !== 'markdown' && format !== 'json') {
    io.stderr(`dual-backend-coverage: --format must be text, markdown or json (got "${format}")\n`)
    return EXIT_ERROR
  }
  const firstRun = noConfigMessage(values, io.cwd)
  if (firstRun !== undefined) {
    io.stderr(firstRun)
    return EXIT_ERROR
  }
  try {
    if (values.output !== undefined) checkOutputPath(values.output, io.cwd)
    const config = loadConfig({ path: values.config, backends: parseBackendLines(values.backend ?? [], '='), cwd: io.cwd })
    const drift = values.baseline === undefined ? [] : [readBaseline(values.baseline, io.cwd)]
    const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, drift, digest: format === 'json' })
    // JSON and text go out in pieces: a huge verdict as one string (UTF-16 with any non-Latin-1
    // name) plus its UTF-8 copy nearly doubled the peak memory at 1M testcases. Markdown is
    // already cut to its 1 MiB budget.
    const pieces =
      format === 'json'
        ? renderJsonPieces(verdict)
        : format === 'markdown'
          ? [renderMarkdown(verdict, { maxBytes: JOB_SUMMARY_LIMIT, heading: 'dual-backend coverage' })]
          : renderTextPieces(verdict, { colour: values.output === undefined && wantsColour(io) })
    if (values.output === undefined) await writeOut(pieces, io)
    else {
      writeFilePieces(pieces, path.resolve(io.cwd, values.output), values.output)
      // The report went to a file: the terminal still gets the verdict in one line.
      io.stderr(`${verdict.conclusion === 'success' ? 'PASS' : 'FAIL'}  ${verdictTitle(verdict)} (${format} report written to ${values.output})\n`)
    }
    for (const error of verdict.errors) io.stderr(`dual-backend-coverage: ${error.message}\n`)
    if (verdict.errors.length > 0) return EXIT_ERROR
    return verdict.conclusion === 'success' ? EXIT_SUCCESS : EXIT_GAPS
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UnsafePathError || error instanceof InventoryError || error instanceof OutputError) {
      io.stderr(`dual-backend-coverage: ${error.message}\n`)
    } else {
      io.stderr(`dual-backend-coverage: internal error: ${(error as Error).message}\n`)
    }
    return EXIT_ERROR
  }
}

/** An earlier run's JSON verdict as an inventory to compare with; an unusable file is an error (exit 2). */
function readBaseline(file: string, cwd: string): DriftSource {
  let document: unknown
  try {
    document = JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new InventoryError(`--baseline ${file}: ${code === undefined ? `not a JSON verdict (${(error as Error).message})` : `could not be read (${code})`}`)
  }
  const digest = (document as { inventory?: unknown } | null)?.inventory
  if (typeof digest !== 'string') {
    throw new InventoryError(`--baseline ${file}: holds no test inventory (write it with \`--format json\` of this version or later)`)
  }
  try {
    // Checked whole first (a damaged baseline is an error, exit 2); the engine then reads it one id at a time.
    readDigest(digest, () => undefined)
    return { label: `the baseline ${file}`, digest }
  } catch (error) {
    throw new InventoryError(`--baseline ${file}: ${(error as Error).message}`)
  }
}

/** `inventory`: the ids the reports hold, as the committed inventory file; refuses to write from a broken run. */
async function runInventory(values: { config?: string; backend?: string[]; output?: string; write?: boolean }, io: CliIo): Promise<number> {
  try {
    const loaded = loadConfig({ path: values.config, backends: parseBackendLines(values.backend ?? [], '='), cwd: io.cwd })
    // The inventory lists what the reports hold: the current file is not compared with itself.
    const config: Config = { ...loaded, inventory: undefined, drift: 'off' }
    const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, digest: true })
    const broken = [
      ...verdict.errors.map((e) => e.message),
      ...verdict.gaps.filter((g) => g.kind === 'no-report' || g.kind === 'empty').map((g) => `${g.backend}: ${g.reason}`)
    ]
    if (broken.length > 0) {
      io.stderr(`dual-backend-coverage inventory: not written: a backend's reports are missing or unreadable, so tests would drop out of the list:\n${broken.map((b) => `  ${b}\n`).join('')}`)
      return EXIT_ERROR
    }
    const ids = decodeDigest(verdict.digest ?? '').tests.map((t) => t.id)
    const text = formatInventoryFile(ids)
    const target = values.output ?? (values.write === true ? loaded.inventory : undefined)
    if (values.write === true && target === undefined) {
      io.stderr('dual-backend-coverage inventory: --write needs `inventory: PATH` in the config (or --output FILE)\n')
      return EXIT_ERROR
    }
    if (target === undefined) {
      io.stdout(text)
    } else {
      checkOutputPath(target, io.cwd)
      writeFileSync(path.resolve(io.cwd, target), text)
      io.stderr(`dual-backend-coverage inventory: wrote ${ids.length} test ids to ${target}\n`)
    }
    return EXIT_SUCCESS
  } catch (error) {
    io.stderr(`dual-backend-coverage inventory: ${error instanceof ConfigError || error instanceof UnsafePathError || error instanceof OutputError ? '' : 'internal error: '}${(error as Error).message}\n`)
    return EXIT_ERROR
  }
}

/** Writes text pieces to stdout about 1 MB at a time, waiting for each batch to leave. */
async function writeOut(pieces: Iterable<string>, io: CliIo): Promise<void> {
  let batch = ''
  for (const piece of pieces) {
    batch += piece
    if (batch.length >= 1 << 20) {
      io.stdout(batch)
      batch = ''
      await io.stdoutDrained?.()
    }
  }
  if (batch.length > 0) io.stdout(batch)
}

/**
 * Colour on a terminal, as other tools decide it: FORCE_COLOR wins (0 or false turns it off),
 * then NO_COLOR (any non-empty value) and TERM=dumb turn it off.
 */
export function wantsColour(io: Pick<CliIo, 'env' | 'isTty'>): boolean {
  const force = io.env.FORCE_COLOR
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase())
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false
  if (io.env.TERM === 'dumb') return false
  return io.isTty
}

/** No config file where one is looked for and no --backend: a first run, told where it looked and what to do. */
function noConfigMessage(values: { config?: string; backend?: string[] }, cwd: string): string | undefined {
  if (values.config !== undefined || (values.backend ?? []).length > 0) return undefined
  if (existsSync(path.resolve(cwd, DEFAULT_CONFIG_PATH))) return undefined
  return [
    `dual-backend-coverage: no config: looked for ${path.resolve(cwd, DEFAULT_CONFIG_PATH)} and found none, and no --backend was given.`,
    '  Name each backend\'s JUnit reports:',
    "    dual-backend-coverage --backend sqlite='reports/sqlite/*.xml' --backend postgres='reports/postgres/*.xml'",
    '  or write a starting config from them:',
    "    dual-backend-coverage init --backend sqlite='reports/sqlite/*.xml' --backend postgres='reports/postgres/*.xml'",
    '  or use another file with --config FILE. More: dual-backend-coverage --help',
    ''
  ].join('\n')
}

/** Writes text pieces to a file. */
function writeFilePieces(pieces: Iterable<string>, file: string, shown: string): void {
  // To a file: each piece is encoded straight into one reused buffer (a UTF-16 code unit takes at
  // most 3 UTF-8 bytes), instead of joining 1 MB of pieces into a string and copying that.
  let fd: number
  try {
    fd = openSync(file, 'w')
  } catch (error) {
    throw new OutputError(`--output ${shown}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const buffer = Buffer.allocUnsafe(1 << 20)
  let used = 0
  const writeAll = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done)
  }
  try {
    for (const piece of pieces) {
      if (used + piece.length * 3 > buffer.length) {
        writeAll(buffer.subarray(0, used))
        used = 0
      }
      if (piece.length * 3 > buffer.length) writeAll(Buffer.from(piece, 'utf8'))
      else used += buffer.write(piece, used, 'utf8')
    }
    writeAll(buffer.subarray(0, used))
  } finally {
    closeSync(fd)
  }
}
