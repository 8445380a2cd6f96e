// The engine's id table: test id → dense index, for millions of ids.
//
// A Map<string, number> plus an array of the id strings costs about 250 bytes and two long-lived
// heap objects per id; at 1M ids that is most of the run's memory and garbage-collector time.
// Here the ids live as UTF-8 bytes in blocks of at most 4 MB, never copied as they grow (each id
// starts on a 4-byte boundary, so hashing and comparing go a word at a time), found through an
// open-addressing hash table of typed arrays: about 115 bytes per id and nothing for the
// collector to trace. The string of an id is rebuilt only when asked for (gaps and exemptions).
//
// An id is stored as its head (everything up to its last " › ", shared by the tests of a class:
// kept once, as a number) and the UTF-8 bytes of the rest, which is what makes ids short.
//
// UTF-8 maps well-formed strings one to one onto bytes, so equal bytes mean equal ids. A string
// with a lone surrogate (which UTF-8 cannot hold), or longer than a block, is kept in an ordinary
// Map instead.

const EMPTY = -1
const FNV_OFFSET = 0x811c9dc5 | 0
const FNV_PRIME = 0x01000193
/** The first block's size; each next one doubles, up to MAX_BLOCK. */
const FIRST_BLOCK = 1 << 16
const MAX_BLOCK = 1 << 22
/** starts[] holds block * BLOCK_SHIFT + byte offset. */
const BLOCK_SHIFT = 2 ** 32

type Utf8Write = (this: Buffer, text: string, offset: number) => number
/** Buffer#utf8Write skips write()'s argument parsing (a measurable cost per id); write() where absent. */
const utf8Write: Utf8Write =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write ??
  function (this: Buffer, text: string, offset: number) {
    return this.write(text, offset, 'utf8')
  }

/** The separator of id parts (identity.ts's ID_SEPARATOR). */
const SEPARATOR = ' › '

/** A copy of `text` that shares no memory with it (see flatCopy in engine.ts). */
function flatCopy(text: string): string {
  return text.length === 0 ? text : (' ' + text).slice(1)
}

const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (text) => (text as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (text) => !/\p{Surrogate}/u.test(text)

export class IdTable {
  /** UTF-8 bytes of the ids, each padded with zeros to whole words; `blockWords` view the same memory. */
  private readonly blocks: Buffer[] = []
  private readonly blockWords: Int32Array[] = []
  /** Bytes in use in the last block (always a multiple of 4). */
  private used = 0
  /** Where each id's bytes are (block * BLOCK_SHIFT + offset), and its UTF-8 length. */
  private starts = new Float64Array(1 << 12)
  private lengths = new Uint32Array(1 << 12)
  private hashes = new Int32Array(1 << 12)
  /** Open addressing, linear probing, at most half full: id index or EMPTY. */
  private slots = new Int32Array(1 << 13).fill(EMPTY)
  private mask = (1 << 13) - 1
  private count = 0
  /** The id being looked up, zero-padded to whole words. */
  private scratch = Buffer.from(new ArrayBuffer(1 << 12))
  private scratchWords = new Int32Array(this.scratch.buffer)
  /** Ids that are not well-formed UTF-16 (lone surrogates) or longer than a block: rare, kept as strings. */
  private readonly oddIds = new Map<string, number>()
  private readonly oddStrings = new Map<number, string>()
  /** Heads of ids (all but their last part), numbered. */
  private readonly heads: string[] = []
  private readonly headIds = new Map<string, number>()
  private lastHead: string | undefined
  private lastHeadId = 0
  /** The last prefix found well-formed: callers pass the same prefix for a whole class. */
  private wellFormedPrefix: string | undefined

  get size(): number {
    return this.count
  }

  /**
   * The index of the id `prefix + rest`, adding it when it is new (new ids get the next index,
   * 0, 1, 2, ...). Taking the id in two parts spares building it: the parts are encoded one after
   * the other. `expected` is the index it probably has (reports list tests in the same order on
   * every backend): checked first, it spares the hash for the second and later backends.
   */
  intern(prefix: string, rest = '', expected = -1): number {
    if (prefix !== this.wellFormedPrefix) {
      if (isWellFormed(prefix)) this.wellFormedPrefix = prefix
    }
    if (prefix !== this.wellFormedPrefix || !isWellFormed(rest)) {
      // A surrogate pair split across the two parts is still a well-formed id.
      const id = prefix + rest
      if (!isWellFormed(id)) return this.internOdd(id)
      return this.intern(id, '', expected)
    }
    // Split the id at its last separator, wherever the caller's parts meet, so one id always
    // gives the same head and tail. The parts usually are that split already: a prefix ending in
    // the separator and a name without "›" (a separator overlapping the name would need one).
    let head = prefix
    let tail = rest
    if (!((head.length === 0 || head.endsWith(SEPARATOR)) && !tail.includes('›'))) {
      const id = head + tail
      const at = id.lastIndexOf(SEPARATOR)
      head = at < 0 ? '' : id.slice(0, at + SEPARATOR.length)
      tail = at < 0 ? id : id.slice(at + SEPARATOR.length)
    }
    const needed = tail.length * 3 + 8
    if (this.scratch.length < needed) this.growScratch(needed)
    const length = 4 + utf8Write.call(this.scratch, tail, 4)
    if (length + 4 > MAX_BLOCK) return this.internOdd(head + tail)
    this.scratchWords[0] = this.headId(head)
    return this.find(length, expected)
  }

  /**
   * The id of an index in two parts, head + tail: the head (all but the last part, with its
   * separator) is one string shared by every id of its class, so walking all ids this way
   * builds no string per id but the tail.
   */
  headAt(index: number): string {
    if (this.oddStrings.size > 0 && this.oddStrings.has(index)) return ''
    const start = this.starts[index] as number
    const block = Math.floor(start / BLOCK_SHIFT)
    return this.heads[(this.blockWords[block] as Int32Array)[(start - block * BLOCK_SHIFT) / 4] as number] as string
  }

  tailAt(index: number): string {
    if (this.oddStrings.size > 0) {
      const odd = this.oddStrings.get(index)
      if (odd !== undefined) return odd
    }
    const start = this.starts[index] as number
    const block = Math.floor(start / BLOCK_SHIFT)
    const offset = start - block * BLOCK_SHIFT
    return (this.blocks[block] as Buffer).toString('utf8', offset + 4, offset + (this.lengths[index] as number))
  }

  /** The id string of an index. */
  idAt(index: number): string {
    return this.headAt(index) + this.tailAt(index)
  }

  private headId(head: string): number {
    if (head === this.lastHead) return this.lastHeadId
    // Reports list classes in the same order on every backend: after the first, the next head
    // is usually the one numbered after the last (heads[] and headIds map one to one).
    const next = this.lastHeadId + 1
    let id: number | undefined
    if (next < this.heads.length && this.heads[next] === head) id = next
    else {
      // Mostly a new head here: copy it first, so the map hashes one string, not two.
      const copy = flatCopy(head)
      id = this.headIds.get(copy)
      if (id === undefined) {
        id = this.heads.length
        this.heads.push(copy)
        this.headIds.set(copy, id)
      }
    }
    this.lastHead = head
    this.lastHeadId = id
    return id
  }

  private find(length: number, expected: number): number {
    const scratch = this.scratch
    // Pad the last word with zeros: stored ids are padded the same way, so words compare whole.
    scratch[length] = 0
    scratch[length + 1] = 0
    scratch[length + 2] = 0
    const wordCount = (length + 3) >>> 2
    if (expected >= 0 && expected < this.count && this.equals(expected, length, wordCount)) {
      if (this.oddStrings.size === 0 || !this.oddStrings.has(expected)) return expected
    }
    const words = this.scratchWords
    let hash = FNV_OFFSET ^ length
    for (let i = 0; i < wordCount; i++) hash = Math.imul(hash ^ (words[i] as number), FNV_PRIME)
    hash ^= hash >>> 15
    const hashes = this.hashes
    let slot = hash & this.mask
    for (;;) {
      const index = this.slots[slot] as number
      if (index === EMPTY) break
      if (hashes[index] === hash && this.equals(index, length, wordCount)) return index
      slot = (slot + 1) & this.mask
    }
    return this.add(hash, slot, length, wordCount)
  }

  private equals(index: number, length: number, wordCount: number): boolean {
    if (this.lengths[index] !== length) return false
    const start = this.starts[index] as number
    const block = Math.floor(start / BLOCK_SHIFT)
    const first = (start - block * BLOCK_SHIFT) / 4
    const words = this.blockWords[block] as Int32Array
    const scratch = this.scratchWords
    for (let i = 0; i < wordCount; i++) if (words[first + i] !== scratch[i]) return false
    return true
  }

  private add(hash: number, slot: number, length: number, wordCount: number): number {
    const index = this.reserve()
    let block = this.blocks.length - 1
    if (block < 0 || this.used + wordCount * 4 > (this.blocks[block] as Buffer).length) {
      const size = Math.min(MAX_BLOCK, FIRST_BLOCK * 2 ** Math.min(this.blocks.length, 10))
      const bytes = Buffer.from(new ArrayBuffer(Math.max(size, wordCount * 4)))
      this.blocks.push(bytes)
      this.blockWords.push(new Int32Array(bytes.buffer))
      this.used = 0
      block += 1
    }
    const first = this.used / 4
    const words = this.blockWords[block] as Int32Array
    const scratch = this.scratchWords
    for (let i = 0; i < wordCount; i++) words[first + i] = scratch[i] as number
    this.starts[index] = block * BLOCK_SHIFT + this.used
    this.lengths[index] = length
    this.used += wordCount * 4
    this.hashes[index] = hash
    this.slots[slot] = index
    if (this.count * 2 > this.slots.length) this.rehash()
    return index
  }

  /** Takes the next index (with no bytes so far). */
  private reserve(): number {
    const index = this.count++
    if (index >= this.starts.length) {
      const starts = new Float64Array(this.starts.length * 2)
      starts.set(this.starts)
      this.starts = starts
      const lengths = new Uint32Array(this.lengths.length * 2)
      lengths.set(this.lengths)
      this.lengths = lengths
      const hashes = new Int32Array(this.hashes.length * 2)
      hashes.set(this.hashes)
      this.hashes = hashes
    }
    this.starts[index] = 0
    this.lengths[index] = 0
    return index
  }

  private internOdd(id: string): number {
    let index = this.oddIds.get(id)
    if (index === undefined) {
      index = this.reserve()
      // Never found through the hash table: no slot points to it.
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
    const odd = this.oddStrings
    for (let index = 0; index < this.count; index++) {
      if (odd.size > 0 && odd.has(index)) continue
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
