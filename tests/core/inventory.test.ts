// The inventory digest and the committed inventory file (issue #10): every id round-trips, whatever
// characters it holds; a damaged, truncated, foreign or newer digest is refused with a reason;
// a digest that would inflate without bound is refused; 100k ids stay within GitHub's limits.
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareIds,
  DIGEST_PREFIX,
  DigestWriter,
  decodeDigest,
  encodeDigest,
  formatInventoryFile,
  InventoryError,
  parseInventoryFile,
  splitDigest,
  type TestInventory
} from '../../src/core/inventory.js'

const BACKENDS = ['sqlite', 'postgres', 'mysql']
const idText = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.constantFrom('a\nb', 'tab\there', 'back\\slash', '\\n literal', '#comment', '😀', 'x › y › z', ' lead', '\r', '\\')
)

function inventoryOf(entries: Array<[string, boolean[]]>): TestInventory {
  const unique = new Map<string, string[]>()
  for (const [id, on] of entries) unique.set(id, BACKENDS.filter((_, i) => on[i]))
  const tests = [...unique].map(([id, backends]) => ({ id, backends })).sort((a, b) => compareIds(a.id, b.id))
  return { backends: BACKENDS, tests }
}

describe('the digest', () => {
  it('round-trips every id and its backends (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(idText, fc.array(fc.boolean(), { minLength: 3, maxLength: 3 })), { maxLength: 60 }), (entries) => {
        const inventory = inventoryOf(entries)
        expect(decodeDigest(encodeDigest(inventory))).toEqual(inventory)
      }),
      { numRuns: 500 }
    )
  })

  it('ids given as head + tail (as the engine gives them) decode to head + tail, whatever the heads share (property)', () => {
    const part = fc.constantFrom('a', 'ab', 'a › ', 'a › b › ', 'a › c › ', 'x', '😀', '')
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 3 })), { maxLength: 40 }), (pairs) => {
        const writer = new DigestWriter(['a'])
        const ids = pairs.map(([head, tail]) => {
          writer.add(head.join(''), tail.join(''), 1)
          return head.join('') + tail.join('')
        })
        expect(decodeDigest(writer.finish()).tests.map((t) => t.id)).toEqual(ids)
      }),
      { numRuns: 1_000 }
    )
  })

  it('keeps surrogate pairs whole where ids share a prefix', () => {
    const inventory: TestInventory = { backends: ['a'], tests: ['x😀', 'x😁'].map((id) => ({ id, backends: ['a'] })) }
    expect(decodeDigest(encodeDigest(inventory))).toEqual(inventory)
  })

  it('is refused when damaged, truncated, foreign or newer', () => {
    const digest = encodeDigest(inventoryOf([['t1', [true, true, false]], ['t2', [true, false, false]]]))
    expect(() => decodeDigest('hello')).toThrow(/not a test inventory digest/)
    expect(() => decodeDigest('dbc-inventory/2:AAAA')).toThrow(/version 2 is newer/)
    expect(() => decodeDigest(digest.slice(0, -12))).toThrow(InventoryError)
    expect(() => decodeDigest(`${DIGEST_PREFIX}${Buffer.from('not gzip').toString('base64')}`)).toThrow(/damaged/)
    const body = (text: string) => `${DIGEST_PREFIX}${gzipSync(text).toString('base64')}`
    expect(() => decodeDigest(body('{"format":"x"}\n'))).toThrow(/unknown header/)
    const header = '{"format":"dual-backend-coverage inventory","version":1,"backends":["a"],"tests":2}'
    expect(() => decodeDigest(body(`${header}\n0\t1\tonly one\n`))).toThrow(/incomplete \(1 of 2 tests\)/)
    expect(() => decodeDigest(body(`${header}\n5\t1\tshared beyond the previous id\n0\t1\tx\n`))).toThrow(/damaged at test 1/)
  })

  it('refuses a digest that inflates past the bound (a zip bomb on the base commit)', () => {
    const header = '{"format":"dual-backend-coverage inventory","version":1,"backends":["a"],"tests":1}\n'
    // Thirty gzip members of 10 MiB each (gunzip reads them as one stream): 300 MiB inflated.
    const member = gzipSync(Buffer.alloc(10 * 2 ** 20, 0x61), { level: 1 })
    const bomb = Buffer.concat([gzipSync(Buffer.from(header)), ...Array.from({ length: 30 }, () => member)])
    expect(() => decodeDigest(DIGEST_PREFIX + bomb.toString('base64'))).toThrow(/damaged/)
  })

  it('100,000 ids: size, parts within 64 KB annotations, round trip', () => {
    const words = ['insert', 'update', 'delete', 'select', 'upsert', 'migrate', 'index', 'json', 'array', 'uuid']
    const ids = new Set<string>()
    for (let i = 0; ids.size < 100_000; i++) {
      const module = `test_${words[i % 10]}_${Math.floor(i / 300)}`
      ids.add(`tests/storage/${module}.py › tests.storage.${module} › Test${words[(i >> 3) % 10]} › test_${words[(i * 7) % 10]}_${i}[p${i % 13}]`)
    }
    const inventory: TestInventory = { backends: ['sqlite', 'postgres'], tests: [...ids].sort(compareIds).map((id) => ({ id, backends: ['sqlite', 'postgres'] })) }
    const digest = encodeDigest(inventory)
    const parts = splitDigest(digest, 60_000)
    // Measured: about 5.4 characters per id for pytest-like ids (100k ids: ~540 KB, 9 parts).
    expect(digest.length).toBeLessThan(1_000_000)
    expect(parts.length).toBeLessThanOrEqual(20)
    for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(60_000)
    expect(decodeDigest(parts.join(''))).toEqual(inventory)
  })
})

describe('the inventory file', () => {
  it('round-trips ids (one per line, sorted, escaped), with a header that says what it is', () => {
    // Ids are trimmed parts joined by " › " (src/core/identity.ts): never blank, no blank at either end.
    const trimmedId = idText.filter((id) => id.length > 0 && id.trim() === id)
    fc.assert(
      fc.property(fc.array(trimmedId, { minLength: 1, maxLength: 40 }), (ids) => {
        const text = formatInventoryFile(ids)
        expect(text.startsWith('# dual-backend-coverage inventory')).toBe(true)
        expect(parseInventoryFile(text, 'inv.txt')).toEqual([...new Set(ids)].sort(compareIds))
      }),
      { numRuns: 300 }
    )
  })

  it('an empty inventory is an error, not "nothing must exist"', () => {
    expect(() => parseInventoryFile('# only comments\n\n', '.github/storage-tests.txt')).toThrow(/\.github\/storage-tests\.txt: the inventory lists no test/)
  })

  it('reads CRLF line ends and a byte-order mark', () => {
    expect(parseInventoryFile('\ufeff# c\r\na › b\r\nc\r\n', 'f')).toEqual(['a › b', 'c'])
  })
})
