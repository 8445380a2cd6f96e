// Property-based safety checks (fast-check, bounded runs so the file stays well under 30 s):
// random JUnit trees through the real reader and engine never crash and never give `success`
// when a test failed, errored, skipped or is missing on some backend (the expected conclusion is
// computed here, independently, from the generated model); the Markdown always fits the limit
// and stays valid; random bytes and truncated reports never give success.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildConfig, type Config } from '../../src/core/config.js'
import { CoverageEngine } from '../../src/core/engine.js'
import { firstInvalidUtf8, ReportDecoder } from '../../src/core/junit/decoder.js'
import { JUnitStreamParser, ReportParseError } from '../../src/core/junit/parser.js'
import type { Gap, GapKind, Verdict } from '../../src/core/model.js'
import { GAP_KINDS } from '../../src/core/model.js'
import { createRedactor } from '../../src/core/redact.js'
import { renderMarkdown } from '../../src/render/markdown.js'
import { markdownProblems } from './markdown-checks.js'

const BACKEND_NAMES = ['sqlite', 'postgres', 'mysql', 'mariadb']
/** DBC_PROPERTY_SCALE=20 for a long local hunt; CI runs the bounded default. */
const SCALE = Math.max(1, Number(process.env.DBC_PROPERTY_SCALE ?? 1))
const runs = (n: number) => ({ numRuns: Math.round(n * SCALE) })
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/** Words that stress names: unicode, markup, backend words, XML specials. */
const WORD = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.string({ unit: 'binary', maxLength: 6 }).map((s) => s.replace(LONE_SURROGATE, '')),
  fc.constantFrom('sqlite', 'postgres', '[postgres]', 'on mysql', '<b>x</b>', 'a|b', '@user', '#12', '`x`', '[x](http://e)', '😀', '名前', '&amp;', ']]>', '--', '"q"', "'s'", 'Skipping', '\\', '*')
)

type Run = 'passed' | 'failed' | 'errored' | 'skipped' | 'marker-skip'
interface TestModel {
  suites: string[]
  classname: string
  name: string
  /** Per backend: the runs, in shard order (empty: missing). */
  runs: Run[][]
}
interface Model {
  backends: string[]
  flaky: 'warn' | 'fail'
  tests: TestModel[]
  /** Per backend: how many shard files its runs are spread over. */
  shards: number[]
}

const RUN: fc.Arbitrary<Run> = fc.constantFrom('passed', 'passed', 'passed', 'failed', 'errored', 'skipped', 'marker-skip')

const MODEL: fc.Arbitrary<Model> = fc.integer({ min: 2, max: 4 }).chain((count) =>
  fc.record({
    backends: fc.constant(BACKEND_NAMES.slice(0, count)),
    flaky: fc.constantFrom('warn' as const, 'fail' as const),
    tests: fc.array(
      fc.record({
        suites: fc.array(WORD, { maxLength: 3 }),
        classname: WORD,
        name: WORD,
        // Mostly one passing run per backend, so that success is common enough to be tested.
        runs: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant<Run[]>(['passed']) }, { weight: 4, arbitrary: fc.array(RUN, { maxLength: 2 }) }), {
          minLength: count,
          maxLength: count
        })
      }),
      { minLength: 1, maxLength: 12 }
    ),
    shards: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count, maxLength: count })
  })
)

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function testcaseXml(test: TestModel, index: number, run: Run): string {
  // A unique, leading token keeps ids distinct whatever the random words are.
  const open = `<testcase classname="${attr(test.classname)}" name="${attr(`t${index}_ ${test.name}`)}" time="0.01">`
  const result =
    run === 'failed'
      ? `<failure message="${attr(test.name)}">${attr(test.classname)}</failure>`
      : run === 'errored'
        ? '<error message="boom"/>'
        : run === 'skipped'
          ? '<skipped/>'
          : run === 'marker-skip'
            ? '<system-out>Skipping: no database here</system-out>'
            : ''
  return `${test.suites.map((s) => `<testsuite name="${attr(s)}">`).join('')}${open}${result}</testcase>${'</testsuite>'.repeat(test.suites.length)}`
}

/** Each backend's shard files: a test's n-th run goes to shard (index + n) % shards. */
function reportsOf(model: Model): Array<{ path: string; backend: string; xml: string }> {
  const files: Array<{ path: string; backend: string; xml: string }> = []
  model.backends.forEach((backend, b) => {
    const shards = model.shards[b] as number
    const bodies: string[][] = Array.from({ length: shards }, () => [])
    model.tests.forEach((test, index) => {
      ;(test.runs[b] as Run[]).forEach((run, n) => bodies[(index + n) % shards]?.push(testcaseXml(test, index, run)))
    })
    bodies.forEach((body, shard) => {
      files.push({ path: `reports/${backend}/shard-${shard}.xml`, backend, xml: `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>${body.join('\n')}</testsuites>\n` })
    })
  })
  return files
}

/**
 * The expected conclusion, from the model alone. A test is fine on a backend when it passed
 * there and (with flaky: fail) never failed or errored. Success iff every test is fine on every
 * backend. Repeats in different files or suite elements are id collisions (the worst counts);
 * in one place a pass next to another result depends on the order of attempts, so only the
 * clear cases are decided (undefined: either is acceptable).
 */
function expectedConclusion(model: Model): 'success' | 'failure' | undefined {
  let undecided = false
  // A backend whose reports hold no test at all is a gap of its own (min-tests is 1).
  if (model.backends.some((_, b) => model.tests.every((test) => (test.runs[b] as Run[]).length === 0))) return 'failure'
  for (const test of model.tests) {
    // A test in no report at all is invisible to any tool: it cannot be a gap.
    if (test.runs.every((runs) => runs.length === 0)) continue
    for (const [b, runs] of test.runs.entries()) {
      const passed = runs.includes('passed')
      const failedOnce = runs.includes('failed') || runs.includes('errored')
      if (!passed) return 'failure'
      if (failedOnce && model.flaky === 'fail') return 'failure'
      if (runs.every((run) => run === 'passed')) continue
      // Runs in different files or suite elements are an id collision: the worst result counts.
      // In one place (one shard, no suite elements) they may be the runner's own reruns.
      const onePlace = model.shards[b] === 1 && test.suites.length === 0
      if (!onePlace) return 'failure'
      undecided = true
    }
  }
  return undecided ? undefined : 'success'
}

function configOf(model: Model): Config {
  return buildConfig({ backends: Object.fromEntries(model.backends.map((b) => [b, `reports/${b}/*.xml`])), flaky: model.flaky }, 'property')
}

/** Reader and engine, the way readReports drives them, with the bytes cut in chunks of `chunk`. */
function evaluate(config: Config, reports: Array<{ path: string; backend: string; xml: string | Uint8Array }>, chunk: number): Verdict {
  const engine = new CoverageEngine(config, { redact: createRedactor([]), now: new Date('2026-01-15T00:00:00Z') })
  for (const report of reports) {
    const handle = engine.openFile(report.path, [report.backend])
    const parser = new JUnitStreamParser(report.path, (testcase) => engine.addTestcase(handle, testcase), engine.parserLimits)
    const decoder = new ReportDecoder()
    const bytes = typeof report.xml === 'string' ? Buffer.from(report.xml) : report.xml
    try {
      try {
        for (let i = 0; i < bytes.length; i += chunk) parser.write(decoder.push(bytes.subarray(i, i + chunk)))
        parser.write(decoder.end())
      } catch (error) {
        if ((error as Error).name === 'InvalidEncodingError') throw parser.errorHere('invalid UTF-8')
        throw error
      }
      parser.end()
    } catch (error) {
      if (!(error instanceof ReportParseError)) throw error
      engine.fileError(handle, { file: report.path, message: error.message })
    }
  }
  return engine.verdict()
}

describe('random JUnit trees through the reader, the engine and the renderer', () => {
  it('never crash, never a false green, the Markdown fits any limit and stays valid', () => {
    let successes = 0
    let failures = 0
    fc.assert(
      fc.property(MODEL, fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 600, max: 70_000 }), (model, chunk, maxBytes) => {
        const verdict = evaluate(configOf(model), reportsOf(model), chunk)
        expect(verdict.errors).toEqual([])
        const expected = expectedConclusion(model)
        if (expected !== undefined) expect(verdict.conclusion).toBe(expected)
        if (verdict.conclusion === 'success') {
          successes += 1
          expect(verdict.gaps).toEqual([])
        } else {
          failures += 1
          expect(verdict.gaps.length + verdict.errors.length).toBeGreaterThan(0)
        }
        // Every test that ran somewhere is counted once, whatever its name.
        expect(verdict.tests).toBe(model.tests.filter((t) => t.runs.some((r) => r.length > 0)).length)
        const markdown = renderMarkdown(verdict, { maxBytes, heading: 'gate', moreAt: 'the log' })
        expect(markdownProblems(markdown, maxBytes, { replacementAllowed: true })).toEqual([])
      }),
      runs(600)
    )
    // The generator reaches both outcomes, so neither branch is vacuous.
    expect(successes).toBeGreaterThan(10)
    expect(failures).toBeGreaterThan(10)
  })

  it('the same reports in UTF-16 LE/BE with a BOM or UTF-8 with a BOM, cut anywhere, give the same verdict', () => {
    const encode = (xml: string, encoding: 'utf-16le' | 'utf-16be' | 'utf-8-bom'): Uint8Array => {
      if (encoding === 'utf-8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml)])
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml.replace('encoding="UTF-8"', 'encoding="UTF-16"'), 'utf16le')])
      return encoding === 'utf-16le' ? le : Buffer.from(le).swap16()
    }
    fc.assert(
      fc.property(MODEL, fc.constantFrom('utf-16le' as const, 'utf-16be' as const, 'utf-8-bom' as const), fc.integer({ min: 1, max: 301 }), (model, encoding, chunk) => {
        const reports = reportsOf(model)
        const expected = evaluate(configOf(model), reports, 1 << 16)
        const encoded = evaluate(configOf(model), reports.map((r) => ({ ...r, xml: encode(r.xml, encoding) })), chunk)
        expect(encoded).toEqual(expected)
      }),
      runs(300)
    )
  })

  it('a BOM or a Latin-1 declaration cut across the first chunks still picks the encoding', () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="s"><testcase classname="c" name="caf\xe9"/></testsuite>', 'latin1')
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<testsuite name="s"><testcase classname="c" name="café"/></testsuite>', 'utf16le')])
    for (const bytes of [latin1, utf16, Buffer.from(utf16).swap16()]) {
      for (const chunk of [1, 2, 3, 5, 64, 1 << 16]) {
        const names: string[] = []
        const parser = new JUnitStreamParser('r.xml', (t) => names.push(t.name))
        const decoder = new ReportDecoder()
        for (let i = 0; i < bytes.length; i += chunk) parser.write(decoder.push(bytes.subarray(i, i + chunk)))
        parser.write(decoder.end())
        parser.end()
        expect(names, `chunk ${chunk}`).toEqual(['café'])
      }
    }
  })

  it('a truncated report is never a success (cut anywhere before the root closes)', () => {
    fc.assert(
      fc.property(MODEL, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 512 }), (model, where, chunk) => {
        const reports = reportsOf(model)
        const victim = reports[0] as { path: string; backend: string; xml: string }
        const bytes = Buffer.from(victim.xml)
        const rootEnd = victim.xml.lastIndexOf('>') // the root's closing ">" (then only a newline)
        const cut = Math.floor(where * Buffer.byteLength(victim.xml.slice(0, rootEnd)))
        const truncated = bytes.subarray(0, cut)
        const verdict = evaluate(configOf(model), [{ ...victim, xml: truncated }, ...reports.slice(1)], chunk)
        expect(verdict.conclusion).toBe('failure')
        expect(verdict.errors).toHaveLength(1)
        expect(verdict.errors[0]?.message).toMatch(/^reports\/sqlite\/shard-0\.xml:\d+:\d+: /)
      }),
      runs(600)
    )
  })

  it('random bytes as a report: an error or a verdict, never a crash, success only for a valid report of the same test', () => {
    const config = buildConfig({ backends: { sqlite: 'a', postgres: 'b' } }, 'property')
    const good = '<testsuite name="s"><testcase classname="c" name="t1"/></testsuite>'
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Near-XML: fragments of JUnit glued at random, far more likely to get deep into the reader.
      fc
        .array(fc.constantFrom('<testsuite', '<testcase', ' name="t1"', ' classname="c"', '>', '/>', '</testcase>', '</testsuite>', '<![CDATA[', ']]>', '<!--', '-->', '&amp;', '&#0;', '\ufeff', '<?xml version="1.0"?>', '<!DOCTYPE', '\u0000', '😀'), { maxLength: 30 })
        .map((parts) => new Uint8Array(Buffer.from(parts.join(''))))
    )
    fc.assert(
      fc.property(junk, fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const verdict = evaluate(config, [
          { path: 'a.xml', backend: 'sqlite', xml: bytes },
          { path: 'b.xml', backend: 'postgres', xml: good }
        ], chunk)
        // Only "<testsuite><testcase classname=c name=t1>" (possibly nested) could match; junk that
        // is exactly that is allowed to succeed, anything else must not.
        if (verdict.conclusion === 'success') {
          expect(verdict.errors).toEqual([])
          expect(verdict.tests).toBe(1)
        }
        for (const error of verdict.errors) expect(error.message).toMatch(/^a\.xml(:\d+:\d+)?: /)
      }),
      runs(1000)
    )
  })

  it('the decoder cleans a file cut into chunks exactly like the whole file (escape sequences, references)', () => {
    const piece = fc.constantFrom('\x1b', '[', ']', '3', '1', ';', 'm', 'A', '\x07', '\\', 'x', ' ', '0', '?', '😀', '\x00', 'é', '&', '#', 'B', '2', '7', 'X', '-')
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }).map((a) => `<t>${a.join('')}`), fc.integer({ min: 1, max: 40 }), (text, chunk) => {
        const bytes = Buffer.from(text)
        const whole = new ReportDecoder()
        const expected = whole.push(bytes) + whole.end()
        const chunked = new ReportDecoder()
        let actual = ''
        for (let i = 0; i < bytes.length; i += chunk) actual += chunked.push(bytes.subarray(i, i + chunk))
        expect(actual + chunked.end()).toBe(expected)
      }),
      runs(2000)
    )
  })

  it('invalid UTF-8 is located at the same byte whatever the chunks (a sequence may straddle two)', () => {
    const byteArb = fc.constantFrom(0x41, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xc0, 0xff, 0x28)
    fc.assert(
      fc.property(fc.array(byteArb, { maxLength: 60 }), fc.integer({ min: 1, max: 9 }), (body, chunk) => {
        const bytes = Buffer.concat([Buffer.from('<t>'), Buffer.from(body)])
        const expected = firstInvalidUtf8(bytes)
        const decoder = new ReportDecoder()
        let offset = bytes.length
        try {
          for (let i = 0; i < bytes.length; i += chunk) decoder.push(bytes.subarray(i, i + chunk))
          decoder.end()
        } catch (error) {
          expect((error as Error).name).toBe('InvalidEncodingError')
          offset = (error as { byteOffset: number }).byteOffset
        }
        expect(offset).toBe(expected)
      }),
      runs(2000)
    )
  })

  it('firstInvalidUtf8 agrees with a strict UTF-8 decoder on random bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true })
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s.replace(LONE_SURROGATE, '')))),
      fc.array(fc.constantFrom(0x41, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf), { maxLength: 12 }).map((a) => new Uint8Array(a))
    )
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        const offset = firstInvalidUtf8(bytes)
        let valid = true
        try {
          strict.decode(bytes)
        } catch {
          valid = false
        }
        expect(offset === bytes.length).toBe(valid)
        // Everything before the reported offset is valid UTF-8 on its own.
        expect(() => strict.decode(bytes.subarray(0, offset))).not.toThrow()
      }),
      runs(1000)
    )
  })
})

describe('random verdicts through the renderer', () => {
  const TEXT = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(LONE_SURROGATE, '')),
    fc.array(fc.constantFrom('|', '\n', '\r\n', '<', '>', '&', '`', '[x](y)', '@a', '#1', '😀', '👩‍👩‍👧', '名', '\\', '*', '_', '~', '$', '</pre>', '<details>', 'a', ' '), { maxLength: 120 }).map((a) => a.join(''))
  )
  const GAP: fc.Arbitrary<Gap> = fc.record({
    test: TEXT,
    backend: fc.constantFrom(...BACKEND_NAMES),
    kind: fc.constantFrom<GapKind>(...GAP_KINDS),
    reason: TEXT,
    others: fc.dictionary(fc.constantFrom(...BACKEND_NAMES), fc.constantFrom('passed' as const, 'failed' as const, 'missing' as const)),
    message: fc.option(TEXT, { nil: undefined }),
    file: fc.option(TEXT, { nil: undefined }),
    line: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined })
  }).map((gap) => Object.fromEntries(Object.entries(gap).filter(([, v]) => v !== undefined)) as unknown as Gap)

  it('any gaps, errors and flaky tests at any limit: within the limit, tables intact, HTML balanced, no split pair', () => {
    fc.assert(
      fc.property(
        fc.array(GAP, { maxLength: 60 }),
        fc.array(fc.record({ file: TEXT, line: fc.integer({ min: 1, max: 99 }), message: TEXT }), { maxLength: 5 }),
        fc.array(fc.record({ test: TEXT, backend: fc.constantFrom(...BACKEND_NAMES), message: TEXT }), { maxLength: 5 }),
        fc.integer({ min: 500, max: 70_000 }),
        fc.boolean(),
        (gaps, errors, flaky, maxBytes, links) => {
          const verdict: Verdict = {
            conclusion: gaps.length + errors.length === 0 ? 'success' : 'failure',
            title: 'title',
            backends: BACKEND_NAMES.slice(0, 2).map((name) => ({ name, files: 1, tests: 1, passed: 1, failed: 0, errored: 0, skipped: 0, flaky: 0 })),
            tests: gaps.length,
            gaps,
            exemptions: [],
            flaky,
            crossLeg: [],
            unassigned: 0,
            errors,
            drift: []
          }
          const markdown = renderMarkdown(verdict, {
            maxBytes,
            heading: 'dual-backend | <coverage>',
            links: links ? { serverUrl: 'https://github.com', repository: 'o/r', sha: 'abc' } : undefined
          })
          expect(markdownProblems(markdown, maxBytes, { replacementAllowed: true })).toEqual([])
          expect(markdown).not.toMatch(/@[A-Za-z0-9]/)
        }
      ),
      runs(800)
    )
  })
})

describe('backend words in names cannot stand in for another backend', () => {
  it('copies tagged for postgres inside the sqlite report never make postgres green', () => {
    const config = buildConfig(
      { backends: { sqlite: 'reports/sqlite/*.xml', postgres: 'reports/postgres/*.xml' }, 'backend-in-name': ['\\[(?<backend>sqlite|postgres|pg)\\]'], aliases: { postgres: ['pg'] } },
      'property'
    )
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).filter((s) => /^[A-Za-z0-9_]+$/.test(s)), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.constantFrom('postgres', 'pg'),
        (names, ranOnPostgres, spelling) => {
          const sqliteCases = names.flatMap((n) => [`<testcase classname="c" name="${n} [sqlite]"/>`, `<testcase classname="c" name="${n} [${spelling}]"/>`])
          const postgresCases = names.filter((_, i) => ranOnPostgres[i] === true).map((n) => `<testcase classname="c" name="${n} [postgres]"/>`)
          const verdict = evaluate(
            config,
            [
              { path: 'reports/sqlite/a.xml', backend: 'sqlite', xml: `<testsuite name="s">${sqliteCases.join('')}</testsuite>` },
              { path: 'reports/postgres/a.xml', backend: 'postgres', xml: `<testsuite name="s">${postgresCases.join('')}</testsuite>` }
            ],
            4096
          )
          const allRan = names.every((_, i) => ranOnPostgres[i] === true)
          expect(verdict.conclusion).toBe(allRan ? 'success' : 'failure')
          // The copies are reported as such, never counted.
          expect(verdict.crossLeg.map((c) => c.namedBackend)).toEqual(names.map(() => 'postgres'))
        }
      ),
      // The counterexample CI found (a name that is only a function word once the token is cut).
      { ...runs(300), examples: [[['c', 'IN', '0'], [false, false, false, false, false, false, false, false], 'postgres']] }
    )
  })
})
