// dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE]
// Exit 0: every in-scope test ran and passed on every backend. 1: gaps. 2: usage, config or report errors.
import { closeSync, openSync, writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from '../core/config.js'
import { loadConfig, parseBackendLines } from '../io/config-file.js'
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

const USAGE = `Usage: dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE]

Proves from JUnit XML reports that every storage test ran and passed on every backend.
  --config FILE        YAML config (default .github/dual-backend.yml when it exists)
  --backend NAME=GLOB  report files of one backend; repeat for each backend and glob (replaces the config's backends)
  --format FORMAT      text (default), markdown or json
  --output FILE        write the report to FILE instead of standard output
  --help               show this help
Exit status: 0 all tests ran and passed everywhere, 1 gaps found, 2 usage, config or unreadable-report error.
`

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let values: { config?: string; backend?: string[]; format?: string; output?: string; help?: boolean }
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        backend: { type: 'string', multiple: true },
        format: { type: 'string' },
        output: { type: 'string' },
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
  const format = values.format ?? 'text'
  if (format !== 'text' && format !== 'markdown' && format !== 'json') {
    io.stderr(`dual-backend-coverage: --format must be text, markdown or json (got "${format}")\n`)
    return EXIT_ERROR
  }
  try {
    const config = loadConfig({ path: values.config, backends: parseBackendLines(values.backend ?? [], '='), cwd: io.cwd })
    const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now })
    // JSON and text go out in pieces: a huge verdict as one string (UTF-16 with any non-Latin-1
    // name) plus its UTF-8 copy nearly doubled the peak memory at 1M testcases. Markdown is
    // already cut to its 1 MiB budget.
    const pieces =
      format === 'json'
        ? renderJsonPieces(verdict)
        : format === 'markdown'
          ? [renderMarkdown(verdict, { maxBytes: JOB_SUMMARY_LIMIT, heading: 'dual-backend coverage' })]
          : renderTextPieces(verdict, { colour: io.isTty && values.output === undefined && io.env.NO_COLOR === undefined })
    if (values.output === undefined) await writeOut(pieces, io)
    else writeFilePieces(pieces, values.output)
    for (const error of verdict.errors) io.stderr(`dual-backend-coverage: ${error.message}\n`)
    if (verdict.errors.length > 0) return EXIT_ERROR
    return verdict.conclusion === 'success' ? EXIT_SUCCESS : EXIT_GAPS
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UnsafePathError) {
      io.stderr(`dual-backend-coverage: ${error.message}\n`)
    } else {
      io.stderr(`dual-backend-coverage: internal error: ${(error as Error).message}\n`)
    }
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

/** Writes text pieces to a file. */
function writeFilePieces(pieces: Iterable<string>, file: string): void {
  // To a file: each piece is encoded straight into one reused buffer (a UTF-16 code unit takes at
  // most 3 UTF-8 bytes), instead of joining 1 MB of pieces into a string and copying that.
  const fd = openSync(file, 'w')
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
