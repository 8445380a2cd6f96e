// The test inventory: which in-scope test ids each backend reported. A later run compares its own
// inventory with an earlier one (the base branch's check run, a --baseline verdict, a committed
// inventory file) to find storage tests that vanished from every backend, which comparing the
// backends with each other cannot see.
//
// The digest is the inventory in a compact, versioned text form that fits GitHub's limits:
// sorted ids, front-coded (each line keeps only what differs from the id before it), gzip, base64.
// Pure computation (zlib is a codec, not I/O).
import { gunzipSync, gzipSync } from 'node:zlib'

export interface InventoryTest {
  id: string
  /** Backends the test was reported on (with any result), in the inventory's backend order. */
  backends: string[]
}

export interface TestInventory {
  backends: string[]
  /** In the order the run reported them (engine.inventory() sorts them); an id may repeat. */
  tests: InventoryTest[]
}

export const DIGEST_PREFIX = 'dbc-inventory/1:'
const FORMAT = 'dual-backend-coverage inventory'
const VERSION = 1
/** A digest that inflates past this is refused: a base check run must not exhaust the gate's memory. */
export const MAX_DIGEST_INFLATED_BYTES = 256 * 2 ** 20

export class InventoryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InventoryError'
  }
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The inventory as one digest string (DIGEST_PREFIX + base64 of the gzipped, front-coded list). */
export function encodeDigest(inventory: TestInventory): string {
  const writer = new DigestWriter(inventory.backends)
  const bit = new Map(inventory.backends.map((name, i) => [name, 1 << i]))
  for (const test of inventory.tests) {
    let mask = 0
    for (const backend of test.backends) mask |= bit.get(backend) ?? 0
    writer.add('', test.id, mask)
  }
  return writer.finish()
}

/**
 * Writes a digest one test at a time, each id given as head + tail (see IdTable.headAt) so a
 * million ids never exist as strings at once: only the front-coded lines are kept, about 20
 * bytes a test, until finish() compresses them. Ids in the order given (reports order: ids of a
 * class come together, which is what front coding needs).
 */
export class DigestWriter {
  private readonly chunks: Buffer[] = []
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  private used = 0
  private previousHead = ''
  private previousTail = ''
  private count = 0

  constructor(private readonly backends: readonly string[]) {
    if (backends.length > 30) throw new InventoryError('an inventory holds at most 30 backends')
  }

  /** `mask`: bit i set when backends[i] reported the test. */
  add(head: string, tail: string, mask: number): void {
    let shared: number
    if (head === this.previousHead || head.length === 0 || this.previousHead.length === 0) {
      shared = sharedPrefix(this.previousHead, this.previousTail, head, tail)
    } else {
      // Classes alternate (10 classes under 64 nested suites): the shared part of two heads is
      // worked out once per pair, not once per test.
      const headsShared = this.headsShared(this.previousHead, head)
      shared = headsShared < Math.min(head.length, this.previousHead.length) ? headsShared : sharedPrefix(this.previousHead, this.previousTail, head, tail)
    }
    // Never split a surrogate pair between the shared prefix and the rest.
    if (shared > 0 && isHighSurrogate(charAt(head, tail, shared - 1))) shared--
    const rest = shared >= head.length ? tail.slice(shared - head.length) : head.slice(shared) + tail
    const line = `${shared}\t${mask.toString(36)}\t${escapeLine(rest)}\n`
    if (this.used + line.length * 3 > this.chunk.length) {
      this.chunks.push(this.chunk.subarray(0, this.used))
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length * 3))
      this.used = 0
    }
    this.used += this.chunk.write(line, this.used, 'utf8')
    this.previousHead = head
    this.previousTail = tail
    this.count += 1
  }

  private readonly sharedByPair = new Map<string, Map<string, number>>()

  private headsShared(a: string, b: string): number {
    let known = this.sharedByPair.get(a)
    if (known === undefined) {
      if (this.sharedByPair.size >= 4096) this.sharedByPair.clear()
      known = new Map()
      this.sharedByPair.set(a, known)
    }
    let shared = known.get(b)
    if (shared === undefined) {
      const limit = Math.min(a.length, b.length)
      shared = 0
      while (shared < limit && a.charCodeAt(shared) === b.charCodeAt(shared)) shared++
      if (known.size >= 256) known.clear()
      known.set(b, shared)
    }
    return shared
  }

  finish(): string {
    const header = JSON.stringify({ format: FORMAT, version: VERSION, backends: this.backends, tests: this.count })
    const body = Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), ...this.chunks, this.chunk.subarray(0, this.used)])
    return DIGEST_PREFIX + gzipSync(body).toString('base64')
  }
}

const CHUNK_BYTES = 1 << 20

function charAt(head: string, tail: string, index: number): number {
  return index < head.length ? head.charCodeAt(index) : tail.charCodeAt(index - head.length)
}

/** The length of the common prefix of (aHead + aTail) and (bHead + bTail), without joining them. */
function sharedPrefix(aHead: string, aTail: string, bHead: string, bTail: string): number {
  let start = 0
  if (aHead === bHead) start = aHead.length
  const aLength = aHead.length + aTail.length
  const bLength = bHead.length + bTail.length
  const limit = Math.min(aLength, bLength)
  let i = start
  while (i < limit && charAt(aHead, aTail, i) === charAt(bHead, bTail, i)) i++
  return i
}

/** Reads a digest written by encodeDigest or DigestWriter; throws InventoryError on anything else. */
export function decodeDigest(digest: string): TestInventory {
  const tests: InventoryTest[] = []
  const { backends } = readDigest(digest, (id, on) => tests.push({ id, backends: on }))
  return { backends, tests }
}

/**
 * Calls `visit` with each test of a digest, in its order, holding one id at a time (a base with
 * a million tests is compared without a million strings). The backends array of a test is
 * shared with others that have the same backends: do not change it.
 */
export function readDigest(digest: string, visit: (id: string, backends: string[]) => void): { backends: string[]; tests: number } {
  const text = digest.trim()
  if (!text.startsWith(DIGEST_PREFIX)) {
    const version = /^dbc-inventory\/(\d+):/.exec(text)?.[1]
    throw new InventoryError(version === undefined ? 'not a test inventory digest' : `inventory digest version ${version} is newer than this version of the gate reads (1)`)
  }
  let body: string
  try {
    body = gunzipSync(Buffer.from(text.slice(DIGEST_PREFIX.length), 'base64'), { maxOutputLength: MAX_DIGEST_INFLATED_BYTES }).toString('utf8')
  } catch (error) {
    throw new InventoryError(`the inventory digest is damaged (${(error as Error).message})`)
  }
  const headerEnd = body.indexOf('\n')
  let header: { format?: unknown; version?: unknown; backends?: unknown; tests?: unknown }
  try {
    header = JSON.parse(body.slice(0, headerEnd < 0 ? body.length : headerEnd)) as typeof header
  } catch {
    throw new InventoryError('the inventory digest has no header')
  }
  if (header.format !== FORMAT || header.version !== VERSION || !Array.isArray(header.backends) || !header.backends.every((b) => typeof b === 'string')) {
    throw new InventoryError('the inventory digest has an unknown header')
  }
  const backends = header.backends as string[]
  const byMask = new Map<number, string[]>()
  let previous = ''
  let count = 0
  for (let start = headerEnd + 1; headerEnd >= 0 && start < body.length; ) {
    let end = body.indexOf('\n', start)
    if (end < 0) end = body.length
    const first = body.indexOf('\t', start)
    const second = first < 0 ? -1 : body.indexOf('\t', first + 1)
    count += 1
    if (first < 0 || second < 0 || second > end) throw new InventoryError(`the inventory digest is damaged at test ${count}`)
    const shared = Number(body.slice(start, first))
    const mask = parseInt(body.slice(first + 1, second), 36)
    if (!Number.isInteger(shared) || shared < 0 || shared > previous.length || !Number.isInteger(mask)) {
      throw new InventoryError(`the inventory digest is damaged at test ${count}`)
    }
    const id = previous.slice(0, shared) + unescapeLine(body.slice(second + 1, end))
    let on = byMask.get(mask)
    if (on === undefined) {
      on = backends.filter((_, b) => (mask & (1 << b)) !== 0)
      byMask.set(mask, on)
    }
    visit(id, on)
    previous = id
    start = end + 1
  }
  if (header.tests !== count) throw new InventoryError(`the inventory digest is incomplete (${count} of ${String(header.tests)} tests)`)
  return { backends, tests: count }
}

/** A digest cut into parts of at most `partChars` characters (base64 is ASCII: characters are bytes). */
export function splitDigest(digest: string, partChars: number): string[] {
  const parts: string[] = []
  for (let at = 0; at < digest.length; at += partChars) parts.push(digest.slice(at, at + partChars))
  return parts
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

/** Ids may hold any character; the line format needs "\n", "\r", "\t" and "\\" escaped. */
function escapeLine(text: string): string {
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] as string) : text
}

function unescapeLine(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c) : text
}

/**
 * The committed inventory file: one id per line, sorted, so a pull request that removes a storage
 * test shows the removal in its diff. Lines starting with "#" are comments; ids are escaped as in
 * the digest (a "\" or line break inside a name).
 */
export const INVENTORY_FILE_HEADER = [
  '# dual-backend-coverage inventory: the storage tests that must exist (one test id per line).',
  '# A test listed here that no backend reports fails the gate as "vanished". Written by',
  '# `dual-backend-coverage inventory --write`; when you remove a test on purpose, remove its line.'
]

export function formatInventoryFile(ids: readonly string[]): string {
  const sorted = [...new Set(ids)].sort(compareIds)
  return [...INVENTORY_FILE_HEADER, ...sorted.map((id) => escapeLine(id).replace(/^#/, '\\#'))].join('\n') + '\n'
}

export function parseInventoryFile(text: string, source: string): string[] {
  const ids: string[] = []
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/)
  for (const line of lines) {
    if (line.trim().length === 0 || line.startsWith('#')) continue
    ids.push(unescapeLine(line))
  }
  if (ids.length === 0) throw new InventoryError(`${source}: the inventory lists no test (write it with \`dual-backend-coverage inventory --write\`)`)
  return ids
}
