// workflow_run mode (fork pull requests): fetch the triggering run's JUnit artifacts.
// Artifact contents are attacker-controlled: they are only ever read as data, every zip entry
// is checked to land inside the target folder, links are refused, and sizes are bounded.
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import yauzl from 'yauzl'
import type { BackendConfig } from '../core/config.js'
import { compilePattern } from '../core/patterns.js'
import type { GitHubClient } from './github.js'

export interface ArtifactLimits {
  /** Bytes of one downloaded zip (checked on the listed size, the declared length and the stream). */
  zipBytes: number
  /** Bytes written when one artifact is unpacked (zip bombs lie about sizes: we count). */
  unpackedBytes: number
  entries: number
}

export const ARTIFACT_LIMITS: Readonly<ArtifactLimits> = {
  zipBytes: 1024 * 1024 * 1024,
  unpackedBytes: 2 * 1024 * 1024 * 1024,
  entries: 20_000
}

/** The limits, lowered (never raised) by DUAL_BACKEND_COVERAGE_ARTIFACT_{ZIP_BYTES,UNPACKED_BYTES,ENTRIES}. */
export function artifactLimits(env: NodeJS.ProcessEnv): ArtifactLimits {
  const lower = (name: string, fallback: number): number => {
    const value = Number(env[`DUAL_BACKEND_COVERAGE_ARTIFACT_${name}`])
    return Number.isInteger(value) && value > 0 ? Math.min(value, fallback) : fallback
  }
  return {
    zipBytes: lower('ZIP_BYTES', ARTIFACT_LIMITS.zipBytes),
    unpackedBytes: lower('UNPACKED_BYTES', ARTIFACT_LIMITS.unpackedBytes),
    entries: lower('ENTRIES', ARTIFACT_LIMITS.entries)
  }
}

export interface ArtifactInfo {
  id: number
  name: string
  size_in_bytes?: number
  created_at: string | null
  expired: boolean
}

export interface FetchedArtifacts {
  /** backend → folder (relative to the extraction root) holding its artifacts. */
  folders: Map<string, string>
  /** Problems to report in the verdict (refused entries, failed downloads). */
  problems: string[]
  /** Artifact names per backend, for the log. */
  used: Map<string, string[]>
  /** Backends no artifact was mapped to, with the patterns that were tried. */
  unmatched: Map<string, string[]>
}

export class UnsafeArchiveError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UnsafeArchiveError'
  }
}

/** Newest artifact per name: re-run attempts upload again under the same name. */
export function newestByName(artifacts: ArtifactInfo[]): ArtifactInfo[] {
  const newest = new Map<string, ArtifactInfo>()
  for (const artifact of artifacts) {
    if (artifact.expired) continue
    const seen = newest.get(artifact.name)
    const newer = seen === undefined || (artifact.created_at ?? '') > (seen.created_at ?? '') || ((artifact.created_at ?? '') === (seen.created_at ?? '') && artifact.id > seen.id)
    if (newer) newest.set(artifact.name, artifact)
  }
  return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** Backends whose artifact patterns match a name; without patterns, a name containing the backend's name. */
export function backendsForArtifact(name: string, backends: BackendConfig[]): string[] {
  return backends
    .filter((backend) =>
      backend.artifacts.length > 0 ? backend.artifacts.some((m) => m.test(name)) : compilePattern(`*${backend.name}*`).test(name)
    )
    .map((backend) => backend.name)
}

/** The artifact name patterns of a backend, as written (for messages). */
export function artifactPatterns(backend: BackendConfig): string[] {
  return backend.artifacts.length > 0 ? backend.artifacts.map((m) => m.source) : [`*${backend.name}*`]
}

export async function fetchRunArtifacts(
  client: GitHubClient,
  repo: { owner: string; repo: string },
  runId: number,
  backends: BackendConfig[],
  root: string,
  log: (message: string) => void,
  limits: ArtifactLimits = ARTIFACT_LIMITS
): Promise<FetchedArtifacts> {
  const listed = await client.paginate(client.rest.actions.listWorkflowRunArtifacts, { ...repo, run_id: runId, per_page: 100 })
  const artifacts = newestByName(listed as ArtifactInfo[])
  log(`Run ${runId} has ${listed.length} artifact(s); newest per name: ${artifacts.map((a) => a.name).join(', ') || 'none'}`)
  const folders = new Map<string, string>()
  const used = new Map<string, string[]>()
  const problems: string[] = []
  for (const backend of backends) folders.set(backend.name, backend.name)
  for (const artifact of artifacts) {
    const targets = backendsForArtifact(artifact.name, backends)
    if (targets.length === 0) continue
    for (const backend of targets) used.set(backend, [...(used.get(backend) ?? []), artifact.name])
    if ((artifact.size_in_bytes ?? 0) > limits.zipBytes) {
      problems.push(`artifact "${artifact.name}": refused: it is ${artifact.size_in_bytes} bytes, over the ${limits.zipBytes}-byte limit for one artifact; nothing from it was used`)
      continue
    }
    const zipPath = path.join(root, '.zips', `${artifact.id}.zip`)
    const written: string[] = []
    try {
      await mkdir(path.dirname(zipPath), { recursive: true })
      await downloadArtifact(client, repo, artifact.id, zipPath, limits)
      for (const backend of targets) {
        const folder = path.join(root, backend, safeFolderName(artifact.name))
        written.push(folder)
        await extractZip(zipPath, folder, limits)
      }
    } catch (error) {
      // A refused artifact is dropped whole: none of its files is read, even those unpacked before the bad entry.
      for (const folder of written) await rm(folder, { recursive: true, force: true })
      const reason = error instanceof UnsafeArchiveError ? `refused: ${error.message}` : (error as Error).message
      problems.push(`artifact "${artifact.name}": ${reason}; nothing from it was used`)
    } finally {
      await rm(zipPath, { force: true })
    }
  }
  const unmatched = new Map<string, string[]>()
  for (const backend of backends) if (!used.has(backend.name)) unmatched.set(backend.name, artifactPatterns(backend))
  return { folders, problems, used, unmatched }
}

function safeFolderName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')
  return cleaned.length > 0 ? cleaned.slice(0, 100) : 'artifact'
}

async function downloadArtifact(
  client: GitHubClient,
  repo: { owner: string; repo: string },
  id: number,
  file: string,
  limits: ArtifactLimits
): Promise<void> {
  // GitHub answers 302 to a short-lived blob URL. Follow it ourselves so the token is not sent there.
  const response = await client.request('GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}', {
    ...repo,
    artifact_id: id,
    archive_format: 'zip',
    request: { redirect: 'manual' }
  })
  const location = (response.headers as Record<string, string | undefined>).location
  if (location === undefined) throw new Error(`the download answered ${response.status} without a redirect`)
  const blob = await fetch(location, { redirect: 'follow' })
  if (!blob.ok || blob.body === null) throw new Error(`the download failed with HTTP ${blob.status}`)
  const declared = Number(blob.headers.get('content-length') ?? '0')
  if (declared > limits.zipBytes) {
    await blob.body.cancel()
    throw new UnsafeArchiveError(`the zip is ${declared} bytes, over the ${limits.zipBytes}-byte limit`)
  }
  await pipeline(Readable.fromWeb(blob.body as WebReadableStream<Uint8Array>), byteLimit(limits.zipBytes, 'the zip'), createWriteStream(file))
}

function byteLimit(limit: number, what: string): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length
      if (seen > limit) done(new UnsafeArchiveError(`${what} is over the ${limit}-byte limit`))
      else done(null, chunk)
    }
  })
}

/** An entry name that stays inside the target folder once joined, or undefined. */
export function safeEntryPath(target: string, entryName: string): string | undefined {
  const name = entryName.replace(/\\/g, '/')
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split('/').includes('..') || name.includes('\0')) return undefined
  const resolved = path.resolve(target, name)
  const relative = path.relative(target, resolved)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return resolved
}

const S_IFMT = 0o170000
const S_IFLNK = 0o120000

/** yauzl's own checks on entry names (decodeStrings), reworded as refusals. */
const YAUZL_NAME_ERROR = /^(?:absolute path|invalid relative path|invalid characters in fileName): ([\s\S]*)$/

/** Unpacks regular files and folders. Throws UnsafeArchiveError on the first entry that would land
 * outside `target` (zip-slip), on a link, and on the limits; the caller drops the whole artifact. */
export async function extractZip(zipFile: string, target: string, limits: ArtifactLimits = ARTIFACT_LIMITS): Promise<void> {
  await mkdir(target, { recursive: true })
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipFile, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (error, file) =>
      error ? reject(error) : resolve(file)
    )
  )
  const outside = (name: string) => new UnsafeArchiveError(`entry "${name}" would be written outside the extraction folder (zip-slip)`)
  let entries = 0
  let written = 0
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) => {
        const name = YAUZL_NAME_ERROR.exec(error.message)?.[1]
        reject(name === undefined ? new Error(`not a readable zip: ${error.message}`) : outside(name))
      })
      zip.on('end', () => resolve())
      zip.on('entry', (entry: yauzl.Entry) => {
        entries += 1
        if (entries > limits.entries) return reject(new UnsafeArchiveError(`more than ${limits.entries} entries`))
        const mode = (entry.externalFileAttributes >>> 16) & S_IFMT
        const destination = safeEntryPath(target, entry.fileName)
        if (destination === undefined) return reject(outside(entry.fileName))
        if (mode === S_IFLNK) return reject(new UnsafeArchiveError(`entry "${entry.fileName}" is a symbolic link`))
        if (entry.fileName.endsWith('/')) {
          mkdir(destination, { recursive: true }).then(() => zip.readEntry(), reject)
          return
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error)
          const counter = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              written += chunk.length
              if (written > limits.unpackedBytes) done(new UnsafeArchiveError(`it unpacks to more than ${limits.unpackedBytes} bytes`))
              else done(null, chunk)
            }
          })
          mkdir(path.dirname(destination), { recursive: true })
            .then(() => pipeline(stream, counter, createWriteStream(destination, { flags: 'wx' })))
            .then(
              () => zip.readEntry(),
              (error: NodeJS.ErrnoException) =>
                reject(error.code === 'EEXIST' ? new UnsafeArchiveError(`entry "${entry.fileName}" appears more than once`) : error)
            )
        })
      })
      zip.readEntry()
    })
  } finally {
    zip.close()
  }
}
