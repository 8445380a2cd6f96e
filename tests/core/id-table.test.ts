// The engine's id table against the obvious model (a Map from id string to index): the same index
// for the same id however it is split into parts or hinted, a new dense index for a new id, and the
// exact string back, for ids with separators, any Unicode, lone surrogates and growth past blocks.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { IdTable } from '../../src/core/id-table.js'

const SEP = ' › '
const piece = fc.oneof(
  fc.constantFrom('tests/storage/test_rows.py', 'Store > crud', 'test_x[postgres]', '', ' ', '›', SEP, '名前', '🐘'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }) // lone surrogates included
)
const id = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(SEP))

/** Interns `text` split at `cut`, with a hint that may be right, wrong or absent. */
function internSplit(table: IdTable, text: string, cut: number, hint: number): number {
  const at = Math.min(cut, text.length)
  return table.intern(text.slice(0, at), text.slice(at), hint)
}

describe('IdTable', () => {
  it('agrees with a Map model for any ids, splits and hints', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.nat(80), fc.integer({ min: -1, max: 60 })), { maxLength: 120 }), (steps) => {
        const table = new IdTable()
        const model = new Map<string, number>()
        for (const [text, cut, hint] of steps) {
          const expected = model.get(text) ?? model.size
          if (!model.has(text)) model.set(text, expected)
          expect(internSplit(table, text, cut, hint)).toBe(expected)
        }
        expect(table.size).toBe(model.size)
        for (const [text, index] of model) expect(table.idAt(index)).toBe(text)
      }),
      { numRuns: 300 }
    )
  })

  it('keeps 200,000 ids exact across block and hash-table growth, in two passes like two backends', () => {
    const table = new IdTable()
    const make = (i: number) => `tests/storage/test_${i % 997}.py${SEP}Class${i % 13}${SEP}test_case_${i}[${'ü'.repeat(i % 7)}]`
    const N = 200_000
    for (let i = 0; i < N; i++) {
      const text = make(i)
      const at = text.lastIndexOf(SEP) + SEP.length
      expect(table.intern(text.slice(0, at), text.slice(at))).toBe(i)
    }
    // The second backend lists the same tests in the same order: the hint is right.
    for (let i = 0; i < N; i++) expect(table.intern(make(i), '', i)).toBe(i)
    expect(table.size).toBe(N)
    for (const i of [0, 1, 4095, 4096, 65_535, 131_072, N - 1]) expect(table.idAt(i)).toBe(make(i))
  })

  it('keeps an id longer than a block (over 4 MB of UTF-8) exact', () => {
    const table = new IdTable()
    const long = `a${SEP}${'名'.repeat(1_500_000)}`
    expect(table.intern(long)).toBe(0)
    expect(table.intern('a', `${SEP}${'名'.repeat(1_500_000)}`)).toBe(0)
    expect(table.intern('short')).toBe(1)
    expect(table.idAt(0)).toBe(long)
  })
})
