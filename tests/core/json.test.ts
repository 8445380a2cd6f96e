// The streamed JSON verdict is the same text as the one-string rendering, whatever the gaps hold.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Gap, Verdict } from '../../src/core/model.js'
import { renderJson, renderJsonPieces } from '../../src/render/json.js'
import { gapOf, verdictOf } from '../helpers/verdicts.js'


const verdict = (gaps: Gap[]): Verdict => verdictOf({ gaps, conclusion: gaps.length === 0 ? 'success' : 'failure' })
const gap = (test: string, extra: Partial<Gap> = {}): Gap => gapOf(test, { kind: 'failed', reason: 'failed on postgres', ...extra })

describe('renderJsonPieces', () => {
  it('joins to exactly renderJson, for no gap, one gap and many', () => {
    const cases = [
      verdict([]),
      verdict([gap('a › b')]),
      verdict([gap('x ##[error]y', { message: 'line 1\n##[warning]line 2', file: 'f.py', line: 3 }), gap('🐘 "quoted" \\ back'), gap('c', { kind: 'missing' })])
    ]
    for (const v of cases) {
      const pieces = [...renderJsonPieces(v)]
      expect(pieces.join('')).toBe(renderJson(v))
      expect(JSON.parse(pieces.join('')).gaps).toHaveLength(v.gaps.length)
      // One piece per gap plus the head and the tail: never the whole document at once.
      if (v.gaps.length > 1) expect(pieces.length).toBe(v.gaps.length + 2)
    }
  })

  it('never leaves a "##[" workflow command in the text', () => {
    const text = [...renderJsonPieces(verdict([gap('##[error]a'), gap('b', { message: '##[set-output name=x]' })]))].join('')
    expect(text).not.toContain('##[')
    expect(JSON.parse(text).gaps[0].test).toBe('##[error]a')
  })

  it('writes each gap as JSON.stringify would, whatever its fields hold', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('##[error]x', '#', '##', '[', '\u2028', '\ud800', '"\\'))
    const others = fc.dictionary(fc.oneof(text, fc.constantFrom('1', '0', '__proto__', 'sqlite')), fc.constantFrom('passed', 'missing', 'exempt'), { maxKeys: 3 })
    const line = fc.oneof(fc.integer(), fc.double(), fc.constant(-0))
    const gapArb = fc.record(
      { test: text, backend: text, kind: fc.constantFrom('failed', 'missing', 'skipped'), reason: text, message: text, file: text, line, others },
      { requiredKeys: ['test', 'backend', 'kind', 'reason', 'others'] }
    )
    fc.assert(
      fc.property(fc.array(gapArb, { minLength: 2, maxLength: 4 }), (gaps) => {
        const v = verdict(gaps as Gap[])
        expect([...renderJsonPieces(v)].join('')).toBe(renderJson(v))
      }),
      { numRuns: 2_000 }
    )
  })
})
