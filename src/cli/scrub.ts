// dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...
//
// Rewrites JUnit report files in place with the gate's redaction, so a step before
// actions/upload-artifact can make the uploaded reports safe: the same rules and `redact-env`
// values as the gate, applied to text, attribute values, CDATA and comments; nothing else changes.
// Exit 0: every file was scrubbed or was clean. 2: usage or config error, a path refused, a file
// unreadable or not UTF-8, or a pattern that matched nothing (the other files are still scrubbed).
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fchmodSync, fchownSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import yaml from 'js-yaml'
import { buildConfig, type Config, ConfigError, DEFAULT_CONFIG_PATH } from '../core/config.js'
import { InvalidEncodingError, ReportDecoder, sniffEncoding } from '../core/junit/decoder.js'
import type { Redactor } from '../core/redact.js'
import { ReportScrubber } from '../core/scrub.js'
import { loadConfig } from '../io/config-file.js'
import { redactorFor } from '../io/gate.js'
import { assertPatternInWorkspace, findReports, isInside, UnsafePathError } from '../io/reports.js'
import { defuseWorkflowCommands } from '../render/escape.js'

export interface ScrubIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  cwd: string
  env: NodeJS.ProcessEnv
}

const EXIT_SUCCESS = 0
const EXIT_ERROR = 2
const PREFIX = 'dual-backend-coverage scrub'

const USAGE = `Usage: dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...

Rewrites JUnit XML reports in place with the gate's redaction (URL passwords, password=… forms,
token shapes, and the values of the redact-env variables), so they can be uploaded as artifacts.
Only the masked values change; a file with nothing to mask is left untouched.
  --config FILE      YAML config whose redact-env to use (default .github/dual-backend.yml when it exists)
  --redact-env NAME  also mask the value of this environment variable; repeat for more
  -h, --help         show this help

Files and globs are relative to the working directory and must stay inside it ("!glob" excludes).
Exit status: 0 every file scrubbed or clean, 2 usage or config error, or a file refused, unreadable,
not UTF-8, or a pattern that matched nothing.
`

/** 64 KiB reads, as the gate reads reports (see src/io/reports.ts). */
const READ_CHUNK = 1 << 16
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf])

class ScrubFileError extends Error {}

/**
 * `argv` holds the arguments after the command word; a leading "scrub" is taken as that word
 * (scrub a file named "scrub" as "./scrub").
 */
export async function runScrub(argv: string[], io: ScrubIo): Promise<number> {
  const args = argv[0] === 'scrub' ? argv.slice(1) : argv
  let parsed: { values: { config?: string; 'redact-env'?: string[]; help?: boolean }; positionals: string[] }
  try {
    parsed = parseArgs({
      args,
      options: { config: { type: 'string' }, 'redact-env': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true
    })
  } catch (error) {
    io.stderr(`${PREFIX}: ${(error as Error).message}\n\n${USAGE}`)
    return EXIT_ERROR
  }
  const { values, positionals: patterns } = parsed
  if (values.help === true) {
    io.stdout(USAGE)
    return EXIT_SUCCESS
  }
  if (!patterns.some((pattern) => !pattern.startsWith('!'))) {
    io.stderr(`${PREFIX}: name the report files or globs to scrub\n\n${USAGE}`)
    return EXIT_ERROR
  }
  let redact: Redactor
  try {
    const config = scrubConfig(values.config, io.cwd)
    const extra = (values['redact-env'] ?? []).map((name) => io.env[name]).filter((value): value is string => value !== undefined && value.length > 0)
    redact = redactorFor(config, io.env, extra)
    // Nothing is read when any pattern names a place outside the working directory.
    patterns.forEach((pattern) => assertPatternInWorkspace(pattern.startsWith('!') ? pattern.slice(1) : pattern))
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UnsafePathError) io.stderr(`${PREFIX}: ${error.message}\n`)
    else io.stderr(`${PREFIX}: internal error: ${(error as Error).message}\n`)
    return EXIT_ERROR
  }
  // What is printed comes from file names: masked like report text, and never a workflow command.
  const shown = (name: string): string => defuseWorkflowCommands(redact(name).replace(/[\x00-\x1f\x7f\u2028\u2029]/g, '?'))

  let failed = false
  const fail = (message: string): void => {
    failed = true
    io.stderr(`${PREFIX}: ${message}\n`)
  }
  const root = await realpath(io.cwd)
  const { files, refused } = await matchPatterns(patterns, root, (pattern) => fail(`no file matched ${shown(pattern)}`))
  for (const [match, reason] of refused) fail(`${shown(match)}: refused: ${reason}; reports must be regular files inside the workspace`)
  // A link inside the workspace is scrubbed at its target (replacing the link would leave the
  // target as it was), and a target named twice is scrubbed once.
  const done = new Set<string>()
  for (const file of files) {
    try {
      const target = await realpath(path.join(root, file))
      if (!isInside(root, target)) throw new ScrubFileError('refused: it resolves outside the workspace (symbolic link)')
      if (done.has(target)) continue
      done.add(target)
      const result = await scrubFile(target, redact)
      if (result.masked === 0) io.stdout(`clean: ${shown(file)}\n`)
      else io.stdout(`scrubbed ${shown(file)}: ${plural(result.masked, 'value')} masked in ${plural(result.testcases, 'testcase')}\n`)
      if (result.masked > 0 && result.links > 1) {
        io.stderr(`${PREFIX}: note: ${shown(file)} had ${result.links - 1} other hard link(s); they still hold the unscrubbed report\n`)
      }
    } catch (error) {
      if (error instanceof ScrubFileError) fail(`${shown(file)}: ${error.message}`)
      else fail(`${shown(file)}: could not be scrubbed (${describe(error)}); left unchanged`)
    }
  }
  return failed ? EXIT_ERROR : EXIT_SUCCESS
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message
}

/**
 * The config for its `redact-env` and backend names (never masked as bare words). No config file
 * is fine: the default variables. A file without `backends` (given to the action as an input
 * instead) is fine too: scrubbing compares nothing.
 */
function scrubConfig(configPath: string | undefined, cwd: string): Config {
  const explicit = configPath !== undefined && configPath.length > 0
  if (!explicit && !existsSync(path.resolve(cwd, DEFAULT_CONFIG_PATH))) return buildConfig({}, 'config')
  try {
    return loadConfig({ path: configPath, cwd })
  } catch (error) {
    if (!(error instanceof ConfigError) || !/^backends: at least two backends/.test(error.message)) throw error
    const file = explicit ? (configPath as string) : DEFAULT_CONFIG_PATH
    const document = yaml.load(readFileSync(path.resolve(cwd, file), 'utf8'), { filename: file, schema: yaml.CORE_SCHEMA }) ?? {}
    return buildConfig(document, file)
  }
}

/**
 * The files the patterns match, with the gate's rules (src/io/reports.ts findReports): inside the
 * working directory, links followed only when they resolve inside it, a recursive "**" never
 * walking into a linked folder. Each positive pattern must match something; "!" patterns exclude.
 */
async function matchPatterns(patterns: readonly string[], root: string, unmatched: (pattern: string) => void): Promise<{ files: string[]; refused: Map<string, string> }> {
  const negatives = patterns.filter((pattern) => pattern.startsWith('!'))
  const files = new Set<string>()
  const refused = new Map<string, string>()
  const config = buildConfig({}, 'config')
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) continue
    const found = await findReports({ ...config, backends: [{ name: 'scrub', reports: [pattern, ...negatives], artifacts: [] }] }, root)
    if (found.files.size === 0 && found.refused.length === 0) unmatched(pattern)
    for (const file of found.files.keys()) files.add(file)
    found.refused.forEach((match, i) => refused.set(match, found.refusedReasons?.[i] ?? 'it resolves outside the workspace (symbolic link)'))
  }
  return { files: [...files].sort(), refused }
}

/**
 * Streams one file through the decoder and the scrubber into a temporary file next to it, then
 * renames that over the original (atomic; mode, and owner where allowed, kept). A clean file is
 * left untouched (the temporary file is removed): same bytes, same modification time.
 */
async function scrubFile(file: string, redact: Redactor): Promise<{ masked: number; testcases: number; links: number }> {
  const info = await stat(file)
  if (!info.isFile()) throw new ScrubFileError('not a regular file')
  let input: number
  try {
    input = openSync(file, 'r')
  } catch (error) {
    throw new ScrubFileError(`could not be read (${describe(error)})`)
  }
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.scrub`)
  let output: number | undefined
  let renamed = false
  try {
    const decoder = new ReportDecoder()
    const scrubber = new ReportScrubber(redact)
    let first = true
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK)
      let read: number
      try {
        read = readSync(input, chunk, 0, READ_CHUNK, null)
      } catch (error) {
        throw new ScrubFileError(`could not be read (${describe(error)}); left unchanged`)
      }
      const bytes = read === READ_CHUNK ? chunk : chunk.subarray(0, read)
      if (first) {
        first = false
        const encoding = sniffEncoding(bytes)
        if (encoding !== 'utf-8') {
          const label = encoding === 'windows-1252' ? 'a Latin-1/ASCII encoding by its XML declaration' : encoding.toUpperCase()
          throw new ScrubFileError(`is ${label}: scrub writes reports back as UTF-8 only, so it is left unchanged (make the test runner write UTF-8)`)
        }
        try {
          output = openSync(temporary, 'wx', 0o600)
        } catch (error) {
          throw new ScrubFileError(`could not write a scrubbed copy next to it (${describe(error)}); left unchanged`)
        }
        // The decoder drops a byte-order mark: put it back.
        if (bytes.subarray(0, 3).equals(UTF8_BOM)) writeAll(output, UTF8_BOM)
      }
      if (read === 0) break
      writeText(output as number, scrubber.push(decode(() => decoder.push(bytes))))
    }
    writeText(output as number, scrubber.push(decode(() => decoder.end())))
    writeText(output as number, scrubber.end())
    if (scrubber.masked === 0) return { masked: 0, testcases: 0, links: info.nlink }
    const fd = output as number
    fchmodSync(fd, info.mode & 0o7777)
    try {
      fchownSync(fd, info.uid, info.gid)
    } catch {
      // Only root may give a file away; the owner is then ours, as for any rewritten file.
    }
    fsyncSync(fd)
    closeSync(fd)
    output = undefined
    renameSync(temporary, file)
    renamed = true
    return { masked: scrubber.masked, testcases: scrubber.testcases, links: info.nlink }
  } finally {
    closeSync(input)
    if (output !== undefined) closeSync(output)
    if (!renamed) {
      try {
        unlinkSync(temporary)
      } catch {
        // Never created, or already gone.
      }
    }
  }
}

function decode(step: () => string): string {
  try {
    return step()
  } catch (error) {
    if (error instanceof InvalidEncodingError) {
      throw new ScrubFileError(`invalid ${error.encoding} (byte offset ${error.byteOffset}); left unchanged`)
    }
    throw error
  }
}

function writeText(fd: number, text: string): void {
  if (text.length > 0) writeAll(fd, Buffer.from(text, 'utf8'))
}

function writeAll(fd: number, bytes: Buffer): void {
  let written = 0
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written)
}
