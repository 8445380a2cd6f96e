// The file edge: finds each backend's report files inside the workspace and streams them through
// the decoder and the XML reader into the engine. Nothing outside the workspace is read.
import { closeSync, openSync, readSync } from 'node:fs'
import { lstat, opendir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import picomatch from 'picomatch'
import { glob } from 'tinyglobby'
import type { Config } from '../core/config.js'
import type { CoverageEngine } from '../core/engine.js'
import { InvalidEncodingError, ReportDecoder } from '../core/junit/decoder.js'
import { JUnitStreamParser, type ParserLimits, ReportParseError } from '../core/junit/parser.js'
import type { SecretSpotter } from '../core/secret-spotter.js'
import { defuseWorkflowCommands } from '../render/escape.js'

export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsafePathError'
  }
}

export interface ReportSet {
  /** Workspace-relative path → the backends whose globs matched it, in config order. */
  files: Map<string, string[]>
  /** Matches refused because they lead outside the workspace (symlinks), with the reason. */
  refused: string[]
  /** Why each refused match was refused (same order as `refused`). */
  refusedReasons?: string[]
}

/** `..` as a path segment, also inside a brace or extglob alternative ({..,x}, @(..)). */
const PARENT_SEGMENT = /(?:^|[/\\{,(|])\.\.(?=$|[/\\},)|])/

/** Refuses patterns that name places outside the workspace before any glob runs. */
export function assertPatternInWorkspace(pattern: string): void {
  const normalised = pattern.replace(/\\/g, '/')
  if (path.isAbsolute(normalised) || /^[A-Za-z]:/.test(normalised)) {
    throw new UnsafePathError(`report glob "${pattern}" is absolute: use a path relative to the workspace`)
  }
  if (normalised.split('/').includes('..') || PARENT_SEGMENT.test(normalised)) {
    throw new UnsafePathError(`report glob "${pattern}" leaves the workspace with "..": reports must be inside it`)
  }
}

export async function findReports(config: Config, workspace: string): Promise<ReportSet> {
  const root = await realpath(workspace)
  const files = new Map<string, string[]>()
  const refused: string[] = []
  const refusedReasons: string[] = []
  // Sets, not list lookups: a pull request may hold tens of thousands of links.
  const refusedSet = new Set<string>()
  for (const backend of config.backends) {
    backend.reports.forEach(assertPatternInWorkspace)
    const found = await glob(backend.reports, { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false })
    // tinyglobby leaves symbolic links out when it does not follow them: find the ones the globs
    // name, so a link is either read (it stays inside) or refused out loud, never silently dropped.
    const links = new Set(await matchingLinks(backend.reports, root))
    const matches = [...new Set([...found, ...links])]
    for (const match of matches.sort()) {
      const resolved = await realpath(path.join(root, match)).catch(() => undefined)
      if (resolved === undefined || !isInside(root, resolved)) {
        if (!refusedSet.has(match)) {
          refusedSet.add(match)
          refused.push(match)
          refusedReasons.push(resolved === undefined ? 'it is a broken symbolic link' : 'it resolves outside the workspace (symbolic link)')
        }
        continue
      }
      if (links.has(match) && (await stat(resolved).catch(() => undefined))?.isFile() !== true) continue
      const list = files.get(match) ?? []
      if (!list.includes(backend.name)) list.push(backend.name)
      files.set(match, list)
    }
  }
  return { files, refused, refusedReasons }
}

/** Entries a directory walk for links may visit per pattern: bounded time on a huge workspace. */
const MAX_LINK_WALK = 200_000

/**
 * Symbolic links (to files or directories) whose workspace-relative path one of the patterns
 * matches. Never follows a link: the walk starts at the pattern's static base (only when that
 * base really lies inside the workspace) and descends through real directories only.
 */
async function matchingLinks(patterns: readonly string[], root: string): Promise<string[]> {
  const links = new Set<string>()
  for (const raw of patterns) {
    if (raw.startsWith('!')) continue
    const pattern = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '')
    const scan = picomatch.scan(pattern)
    if (!scan.isGlob) {
      const info = await lstat(path.join(root, pattern)).catch(() => undefined)
      if (info?.isSymbolicLink() === true) links.add(pattern)
      continue
    }
    const base = scan.base
    const realBase = await realpath(path.join(root, base)).catch(() => undefined)
    if (realBase === undefined || realBase !== path.join(root, base).replace(/\/+$/, '')) continue
    const isMatch = picomatch(pattern, { dot: true })
    const pending = [base]
    let visited = 0
    while (pending.length > 0 && visited < MAX_LINK_WALK) {
      const relative = pending.pop() as string
      const dir = await opendir(path.join(root, relative)).catch(() => undefined)
      if (dir === undefined) continue
      for await (const entry of dir) {
        visited += 1
        const child = relative === '' ? entry.name : `${relative}/${entry.name}`
        if (entry.isSymbolicLink()) {
          if (isMatch(child)) links.add(child)
        } else if (entry.isDirectory()) {
          pending.push(child)
        }
      }
    }
  }
  return [...links]
}

export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/**
 * 64 KiB reads: the decoded text stays a young-generation string the collector frees cheaply.
 * 1 MiB reads made 2 MB strings that go straight to the old generation and pile up between full
 * collections (measured on 2 x 1M testcases: peak RSS about 600 MB -> 490 MB, and less CPU).
 */
const READ_CHUNK = 1 << 16

/** Streams every report into the engine. Unreadable files become errors in the verdict, never a silent gap. */
export async function readReports(engine: CoverageEngine, reports: ReportSet, workspace: string, spotter?: () => SecretSpotter): Promise<void> {
  reports.refused.forEach((match, i) => {
    const reason = reports.refusedReasons?.[i] ?? 'it resolves outside the workspace (symbolic link)'
    engine.fileError(match, { file: match, message: defuseWorkflowCommands(`${match}: refused: ${reason}; reports must be regular files inside the workspace`) })
  })
  for (const [file, backends] of reports.files) {
    const handle = engine.openFile(file, backends)
    const spotting = spotter?.()
    try {
      await streamReport(path.join(workspace, file), file, (testcase) => engine.addTestcase(handle, testcase), engine.parserLimits, spotting)
      if (spotting !== undefined) engine.secretsInReport(handle, spotting.end())
    } catch (error) {
      engine.fileError(handle, toReportError(file, error))
    }
  }
}

/** Decodes and parses one file; throws ReportParseError with file, line and column. */
export async function streamReport(
  absolutePath: string,
  displayName: string,
  onTestcase: ConstructorParameters<typeof JUnitStreamParser>[1],
  limits?: ParserLimits,
  spotter?: SecretSpotter
): Promise<number> {
  const info = await stat(absolutePath)
  if (!info.isFile()) throw new ReportParseError(displayName, undefined, undefined, 'not a regular file')
  const parser = new JUnitStreamParser(displayName, onTestcase, limits)
  const decoder = new ReportDecoder()
  // Plain blocking reads, a fresh buffer per chunk (the decoder may keep a view of the last one):
  // the same chunks as a read stream, without its thread-pool round trip and promise per chunk
  // (at 2 x 100k testcases, about 7% of the run was waiting and stream glue).
  let fd: number | undefined
  try {
    fd = openSync(absolutePath, 'r')
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK)
      const read = readSync(fd, chunk, 0, READ_CHUNK, null)
      if (read === 0) break
      const text = decoder.push(read === READ_CHUNK ? chunk : chunk.subarray(0, read))
      spotter?.push(text)
      parser.write(text)
    }
    closeSync(fd)
    fd = undefined
    const last = decoder.end()
    spotter?.push(last)
    parser.write(last)
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    if (error instanceof InvalidEncodingError) {
      // Feed the valid part first so the error names the line and column of the bad bytes.
      parser.write(error.validPrefix)
      throw parser.errorHere(`invalid ${error.encoding} (byte offset ${error.byteOffset}); reports must be UTF-8 or UTF-16 with a byte-order mark`)
    }
    throw error
  }
  parser.end()
  return parser.testcases
}

function toReportError(file: string, error: unknown): { file: string; line?: number; column?: number; message: string } {
  const located = locate(file, error)
  // The CLI prints this message as it is: a report named "##[error]x.xml" must not become a workflow command.
  return { ...located, message: defuseWorkflowCommands(located.message) }
}

function locate(file: string, error: unknown): { file: string; line?: number; column?: number; message: string } {
  if (error instanceof ReportParseError) {
    const result: { file: string; line?: number; column?: number; message: string } = { file, message: error.message }
    if (error.line !== undefined) result.line = error.line
    if (error.column !== undefined) result.column = error.column
    return result
  }
  const code = (error as NodeJS.ErrnoException).code
  return { file, message: `${file}: could not read the report${code === undefined ? '' : ` (${code})`}: ${(error as Error).message}` }
}
