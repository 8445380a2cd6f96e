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
  /** Sorted by id (UTF-16 code-unit order), ids unique. */
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
  const { backends } = inventory
  if (backends.length > 30) throw new InventoryError('an inventory holds at most 30 backends')
  const bit = new Map(backends.map((name, i) => [name, 1 << i]))
  const lines = [JSON.stringify({ format: FORMAT, version: VERSION, backends, tests: inventory.tests.length })]
  let previous = ''
  for (const test of inventory.tests) {
    let shared = 0
    const limit = Math.min(previous.length, test.id.length)
    while (shared < limit && previous.charCodeAt(shared) === test.id.charCodeAt(shared)) shared++
    // Never split a surrogate pair between the shared prefix and the rest.
    if (shared > 0 && isHighSurrogate(test.id.charCodeAt(shared - 1))) shared--
    let mask = 0
    for (const backend of test.backends) mask |= bit.get(backend) ?? 0
    lines.push(`${shared}\t${mask.toString(36)}\t${escapeLine(test.id.slice(shared))}`)
    previous = test.id
  }
  return DIGEST_PREFIX + gzipSync(Buffer.from(lines.join('\n') + '\n', 'utf8'), { level: 9 }).toString('base64')
}

/** Reads a digest written by encodeDigest; throws InventoryError on anything else. */
export function decodeDigest(digest: string): TestInventory {
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
  const lines = body.split('\n')
  if (lines.at(-1) === '') lines.pop()
  let header: { format?: unknown; version?: unknown; backends?: unknown; tests?: unknown }
  try {
    header = JSON.parse(lines[0] ?? '') as typeof header
  } catch {
    throw new InventoryError('the inventory digest has no header')
  }
  if (header.format !== FORMAT || header.version !== VERSION || !Array.isArray(header.backends) || !header.backends.every((b) => typeof b === 'string')) {
    throw new InventoryError('the inventory digest has an unknown header')
  }
  const backends = header.backends as string[]
  if (header.tests !== lines.length - 1) throw new InventoryError(`the inventory digest is incomplete (${lines.length - 1} of ${String(header.tests)} tests)`)
  const tests: InventoryTest[] = []
  let previous = ''
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    const first = line.indexOf('\t')
    const second = line.indexOf('\t', first + 1)
    const shared = Number(line.slice(0, first))
    const mask = parseInt(line.slice(first + 1, second), 36)
    if (first < 0 || second < 0 || !Number.isInteger(shared) || shared < 0 || shared > previous.length || !Number.isInteger(mask)) {
      throw new InventoryError(`the inventory digest is damaged at test ${i}`)
    }
    const id = previous.slice(0, shared) + unescapeLine(line.slice(second + 1))
    tests.push({ id, backends: backends.filter((_, b) => (mask & (1 << b)) !== 0) })
    previous = id
  }
  return { backends, tests }
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
