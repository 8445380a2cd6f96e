// The engine's id table: test id → dense index, for millions of ids.
//
// A Map<string, number> plus an array of the id strings costs about 250 bytes and two long-lived
// heap objects per id; at 1M ids that is most of the run's memory and garbage-collector time.
// Here the ids live as UTF-8 bytes in one growing buffer, found through an open-addressing hash
// table of typed arrays: about 110 bytes per id and nothing for the collector to trace.
// The string of an id is rebuilt only when asked for (gaps and exemptions need a few of them).
//
// UTF-8 maps well-formed strings one to one onto bytes, so equal bytes mean equal ids. A string
// with a lone surrogate (which UTF-8 cannot hold) is kept in an ordinary Map instead.

const EMPTY = -1
const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193

type Utf8Write = (this: Buffer, text: string, offset: number) => number
/** Buffer#utf8Write skips write()'s argument parsing (a measurable cost per id); write() where absent. */
const utf8Write: Utf8Write =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write ??
  function (this: Buffer, text: string, offset: number) {
    return this.write(text, offset, 'utf8')
  }

const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/\p{Surrogate}/u.test(text)

export class IdTable {
  /** UTF-8 bytes of every id, back to back. */
  private bytes = Buffer.allocUnsafe(1 << 16)
  private used = 0
  /** starts[i]..starts[i + 1] are id i's bytes. */
  private starts = new Uint32Array(1 << 12)
  private hashes = new Int32Array(1 << 12)
  /** Open addressing, linear probing, at most half full: id index or EMPTY. */
  private slots = new Int32Array(1 << 13).fill(EMPTY)
  private mask = (1 << 13) - 1
  private count = 0
  /** Scratch for the id being looked up; its ArrayBuffer is word-aligned for hashing. */
  private scratch = Buffer.from(new ArrayBuffer(1 << 12))
  private scratchWords = new Int32Array(this.scratch.buffer)
  /** Ids that are not well-formed UTF-16 (lone surrogates): rare, kept as strings. */
  private readonly oddIds = new Map<string, number>()
  private readonly oddStrings = new Map<number, string>()

  get size(): number {
    return this.count
  }

  /**
   * The index of `id`, adding it when it is new (new ids get the next index, 0, 1, 2, ...).
   * `expected` is the index it probably has (reports list tests in the same order on every
   * backend): checked first, it spares the hash for the second and later backends.
   */
  intern(id: string, expected = -1): number {
    if (!isWellFormed(id)) return this.internOdd(id)
    let scratch = this.scratch
    if (scratch.length < id.length * 3 + 4) this.growScratch(id.length * 3 + 4)
    scratch = this.scratch
    const length = utf8Write.call(scratch, id, 0)
    if (expected >= 0 && expected < this.count && this.equals(expected, length) && !this.oddStrings.has(expected)) return expected
    // Hash whole 32-bit words: pad the last one with zeros.
    scratch[length] = 0
    scratch[length + 1] = 0
    scratch[length + 2] = 0
    const words = this.scratchWords
    let hash = FNV_OFFSET ^ length
    for (let i = 0, n = (length + 3) >>> 2; i < n; i++) hash = Math.imul(hash ^ (words[i] as number), FNV_PRIME)
    hash ^= hash >>> 15
    const hashes = this.hashes
    let slot = hash & this.mask
    for (;;) {
      const index = this.slots[slot] as number
      if (index === EMPTY) break
      if (hashes[index] === hash && this.equals(index, length)) return index
      slot = (slot + 1) & this.mask
    }
    return this.add(hash, slot, length)
  }

  /** The id string of an index. */
  idAt(index: number): string {
    const odd = this.oddStrings.get(index)
    if (odd !== undefined) return odd
    return this.bytes.toString('utf8', this.starts[index] as number, this.starts[index + 1] as number)
  }

  private equals(index: number, length: number): boolean {
    const start = this.starts[index] as number
    if ((this.starts[index + 1] as number) - start !== length) return false
    const bytes = this.bytes
    const scratch = this.scratch
    for (let i = 0; i < length; i++) if (bytes[start + i] !== scratch[i]) return false
    return true
  }

  private add(hash: number, slot: number, length: number): number {
    const index = this.reserve()
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + length))
      this.bytes.copy(grown, 0, 0, this.used)
      this.bytes = grown
    }
    // A loop: ids are short, and Buffer#copy's set-up costs more than the copy.
    const bytes = this.bytes
    const scratch = this.scratch
    const used = this.used
    for (let i = 0; i < length; i++) bytes[used + i] = scratch[i] as number
    this.used = used + length
    this.starts[index + 1] = this.used
    this.hashes[index] = hash
    this.slots[slot] = index
    if (this.count * 2 > this.slots.length) this.rehash()
    return index
  }

  /** Takes the next index (with an empty byte range so far). */
  private reserve(): number {
    const index = this.count++
    if (index + 2 > this.starts.length) {
      const starts = new Uint32Array(this.starts.length * 2)
      starts.set(this.starts)
      this.starts = starts
      const hashes = new Int32Array(this.hashes.length * 2)
      hashes.set(this.hashes)
      this.hashes = hashes
    }
    this.starts[index + 1] = this.used
    return index
  }

  private internOdd(id: string): number {
    let index = this.oddIds.get(id)
    if (index === undefined) {
      index = this.reserve()
      // Never found through the hash table: its byte range stays empty and no slot points to it.
      this.hashes[index] = 0
      this.oddIds.set(id, index)
      this.oddStrings.set(index, id)
    }
    return index
  }

  private rehash(): void {
    const size = this.slots.length * 2
    const slots = new Int32Array(size).fill(EMPTY)
    const mask = size - 1
    const starts = this.starts
    for (let index = 0; index < this.count; index++) {
      if ((starts[index + 1] as number) === (starts[index] as number) && this.oddStrings.has(index)) continue
      let slot = (this.hashes[index] as number) & mask
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask
      slots[slot] = index
    }
    this.slots = slots
    this.mask = mask
  }

  private growScratch(bytes: number): void {
    let size = this.scratch.length
    while (size < bytes) size *= 2
    this.scratch = Buffer.from(new ArrayBuffer(size))
    this.scratchWords = new Int32Array(this.scratch.buffer)
  }
}
