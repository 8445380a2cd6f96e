// The hand-written source-location scan (src/core/text-scan.ts): the same first match as the
// regular expression it replaced, in linear time, and the test's own frame before a library's.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { eachLine, FirstMatchingLine, sourceLocations, testFrame } from '../../src/core/text-scan.js'

// The rule as a regular expression (quadratic on long runs of path characters: tests only).
const REFERENCE =
  /(?:^|[\s("'@])((?:[A-Za-z]:)?[\w.@+\-/\\]*[\w-]\.(?:py|js|mjs|cjs|ts|tsx|mts|jsx|go|rs|php|java|kt|scala|rb|cs|ex|exs|cpp|cc|cxx|c|h|hpp)):(\d+)/m

describe('sourceLocations', () => {
  it('finds paths in tracebacks of each runner', () => {
    const text = [
      'File "/work/app/tests/test_store.py", line 3',
      '    at Object.<anonymous> (/work/app/src/store.test.ts:41:7)',
      'storage_test.go:49: could not query',
      'C:\\work\\app\\Tests\\StoreTest.cs:12',
      '/work/main/suites/cpp/storage_gtest.cpp:21',
      'at /repo/tests/StorageTest.php:28'
    ].join('\n')
    expect([...sourceLocations(text)].map((l) => `${l.path}:${l.line}`)).toEqual([
      '/work/app/src/store.test.ts:41',
      'storage_test.go:49',
      'C:\\work\\app\\Tests\\StoreTest.cs:12',
      '/work/main/suites/cpp/storage_gtest.cpp:21',
      '/repo/tests/StorageTest.php:28'
    ])
  })

  it('gives the same first location as the reference expression on generated text', () => {
    const piece = fc.constantFrom('a', 'Z', '9', '_', '-', '.', '@', '+', '/', '\\', ':', ' ', '\n', '(', '"', "'", '<', 'py', '.py', '.ts', '.c', ':1', ':42', 'C:', 'x.go', 'tests/')
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('')
        const match = REFERENCE.exec(text)
        const first = sourceLocations(text).next().value
        expect(first === undefined ? undefined : `${first.path}:${first.line}`).toBe(match === null ? undefined : `${match[1]}:${match[2]}`)
      }),
      { numRuns: 3000 }
    )
  })
})

describe('testFrame', () => {
  it("links the test's own frame, not the library frame named first (peewee)", () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  /usr/lib/python3/dist-packages/peewee.py:3860: in execute_sql',
      '  venv/lib/python3.11/site-packages/peewee.py:3860: in execute_sql',
      '  app/models.py:40: in save',
      '  tests/json_field.py:129: in test_json_roundtrip'
    ].join('\n')
    expect(testFrame(traceback)).toEqual({ path: 'tests/json_field.py', line: 129 })
  })

  it('falls back to the first frame that is not a library one', () => {
    expect(testFrame('node_modules/pg/lib/client.js:10\nsrc/store.ts:5\nsrc/other.ts:9')).toEqual({ path: 'src/store.ts', line: 5 })
    expect(testFrame('node_modules/pg/lib/client.js:10')).toBeUndefined()
  })

  it('recognises test files by name and by directory', () => {
    for (const path of ['pkg/store_test.go', 'src/store.test.ts', 'src/store.spec.js', 'test_store.py', 'src/__tests__/x.js', 'src/StoreTest.java']) {
      expect(testFrame(`lib/a.py:1\n${path}:7`)?.path).toBe(path)
    }
  })
})

describe('FirstMatchingLine', () => {
  // Oracle: split the whole text at once, the way eachLine does, and take the first accepted line.
  const firstLine = (texts: string[], accepts: (line: string) => boolean) => {
    for (const text of texts) for (const line of eachLine(text)) if (line.length > 0 && accepts(line)) return line
    return undefined
  }

  it('agrees with splitting the whole text, however the pieces are cut', () => {
    const piece = fc.constantFrom('a', 'b', 'M', '\n', '\r', '\r\n', 'MARK', 'MA', 'RK', '😀', ' ')
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 30 }), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(40), { maxLength: 8 }), (texts, cuts) => {
        const joined = texts.map((t) => t.join(''))
        const accepts = (line: string) => line.includes('MARK')
        const scan = new FirstMatchingLine(accepts)
        for (const text of joined) {
          let at = 0
          for (const cut of [...cuts, text.length]) {
            const end = Math.min(text.length, at + cut)
            scan.push(text.slice(at, end))
            at = end
          }
          scan.push(text.slice(at))
          scan.endText()
        }
        const expected = firstLine(joined, accepts)
        // The scan may hand back the line with a CR-LF seam joined differently, never a different line.
        expect(scan.found === undefined, JSON.stringify(joined)).toBe(expected === undefined)
        if (expected !== undefined) expect(scan.found).toBe(expected)
      }),
      { numRuns: 2_000 }
    )
  })

  it('matches a long line window by window, keeping no more than a window', () => {
    let longest = 0
    const accepts = (line: string) => {
      longest = Math.max(longest, line.length)
      return line.includes('needle')
    }
    const scan = new FirstMatchingLine(accepts, 1_000, 100)
    for (let i = 0; i < 1_000; i++) scan.push('h'.repeat(997))
    scan.push('nee')
    scan.push('dle')
    scan.endText()
    expect(scan.found?.endsWith('needle')).toBe(true)
    expect(longest).toBeLessThanOrEqual(1_000 + 997)
  })

  it('never starts a window on the low half of a surrogate pair', () => {
    const seen: string[] = []
    const scan = new FirstMatchingLine((line) => (seen.push(line), false), 10, 3)
    scan.push('😀'.repeat(20))
    scan.endText()
    for (const line of seen) expect(line.charCodeAt(0) >= 0xdc00 && line.charCodeAt(0) <= 0xdfff).toBe(false)
  })
})
