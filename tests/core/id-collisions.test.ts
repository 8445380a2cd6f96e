// The same id twice on one backend (issue #9): a runner's own rerun (a failed testcase repeated in
// the same suite element of the same file, or Surefire's flakyFailure) is flaky; anything else is
// an id collision, where the worst result counts, whatever the order of files and testcases.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Verdict } from '../../src/core/model.js'
import { configFor, evaluateReports, gapList, junit, type ReportSpec } from '../helpers/core.js'

const sqlite = (): ReportSpec => ({ path: 'reports/sqlite.xml', backends: ['sqlite'], xml: junit([['insert'], ['update']]) })

describe('id collisions', () => {
  it('shard-1 fails, shard-2 passes: failed in either file order, and the gap names both files', () => {
    const one: ReportSpec = { path: 'reports/pg/shard-1.xml', backends: ['postgres'], xml: junit([['insert', 'fail'], ['update']]) }
    const two: ReportSpec = { path: 'reports/pg/shard-2.xml', backends: ['postgres'], xml: junit([['insert']]) }
    for (const order of [
      [one, two],
      [two, one]
    ]) {
      const v = evaluateReports(configFor({ flaky: 'warn' }), [sqlite(), ...order])
      expect(v.conclusion).toBe('failure')
      expect(gapList(v)).toEqual(['failed postgres tests.storage › insert'])
      expect(v.gaps[0]?.reason).toContain('2 testcases share this id on postgres (reports/pg/shard-1.xml, reports/pg/shard-2.xml)')
      expect(v.gaps[0]?.message).toContain('assertion failed')
      expect(v.flaky).toEqual([])
    }
  })

  it('two node:test files with the same describe/it (no file attribute) hide no failure', () => {
    const suite = (status: 'pass' | 'fail') =>
      `<testsuites><testsuite name="repository"><testcase name="inserts a row" classname="repository">${status === 'fail' ? '<failure message="x"/>' : ''}</testcase></testsuite></testsuites>`
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: suite('pass') },
      { path: 'reports/pg.xml', backends: ['postgres'], xml: suite('fail') + '\n' },
      { path: 'reports/pg-2.xml', backends: ['postgres'], xml: suite('pass') }
    ])
    expect(v.conclusion).toBe('failure')
  })

  it('a second testsuite element in the same file is not a rerun either', () => {
    const xml = `<testsuites><testsuite name="a"><testcase classname="c" name="t"><failure/></testcase></testsuite><testsuite name="a"><testcase classname="c" name="t"/></testsuite></testsuites>`
    const v = evaluateReports(configFor({ flaky: 'warn' }), [
      { backends: ['sqlite'], xml: `<testsuite name="a"><testcase classname="c" name="t"/></testsuite>` },
      { backends: ['postgres'], xml }
    ])
    expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['failed postgres'])
    expect(v.gaps[0]?.reason).toContain('2 testcases share this id')
  })

  it('fail then pass inside one suite element (gotestsum --rerun-fails) stays flaky', () => {
    const v = evaluateReports(configFor({ flaky: 'warn' }), [sqlite(), { backends: ['postgres'], xml: junit([['insert', 'fail'], ['insert'], ['update']]) }])
    expect(v.conclusion).toBe('success')
    expect(v.flaky.map((f) => f.test)).toEqual(['tests.storage › insert'])
  })

  it('skip and pass of one id in two shards: skipped (the worst result)', () => {
    const v = evaluateReports(configFor({}), [
      sqlite(),
      { backends: ['postgres'], xml: junit([['insert', 'skip'], ['update']]) },
      { backends: ['postgres'], xml: junit([['insert']]) }
    ])
    expect(gapList(v)).toEqual(['skipped postgres tests.storage › insert'])
  })

  it('errored and failed copies: errored, in any order', () => {
    const a: ReportSpec = { backends: ['postgres'], xml: junit([['insert', 'fail'], ['update']]) }
    const b: ReportSpec = { backends: ['postgres'], xml: junit([['insert', 'error']]) }
    expect(gapList(evaluateReports(configFor({}), [sqlite(), a, b]))).toEqual(['errored postgres tests.storage › insert'])
    expect(gapList(evaluateReports(configFor({}), [sqlite(), b, a]))).toEqual(['errored postgres tests.storage › insert'])
  })
})

describe('the verdict does not depend on the order of files or of suite elements', () => {
  type Status = 'pass' | 'fail' | 'error' | 'skip'
  const NAMES = ['insert', 'update', 'delete', 'insert[sqlite]', 'insert[postgres]', 'plain']
  const testcase = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom<Status>('pass', 'fail', 'error', 'skip'))
  // A file: its backends and its suite elements (each a list of testcases).
  const file = fc.record({
    backends: fc.constantFrom(['sqlite'], ['postgres'], ['sqlite', 'postgres']),
    suites: fc.array(fc.array(testcase, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 })
  })
  const xmlOf = (suites: Array<Array<[string, Status]>>, order: number[]) =>
    `<testsuites>${order
      .map((i) => junit(suites[i] as Array<[string, Status]>).replace(/^[\s\S]*?<testsuites>|<\/testsuites>\s*$/g, ''))
      .join('')}</testsuites>`
  const summary = (v: Verdict) => ({
    conclusion: v.conclusion,
    gaps: v.gaps.map((g) => `${g.kind} ${g.backend} ${g.test}`).sort(),
    flaky: v.flaky.map((f) => `${f.backend} ${f.test}`).sort()
  })

  it('permuting files and suite elements gives the same conclusion, gaps and flaky list', () => {
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 5 }), fc.integer(), (files, seed) => {
        const config = configFor({ 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]', flaky: 'warn' })
        const specs = (shuffle: boolean) => {
          const random = mulberry(seed)
          const list = files.map((f, i) => {
            const order = f.suites.map((_, j) => j)
            if (shuffle) order.sort(() => random() - 0.5)
            return { path: `reports/${i}.xml`, backends: [...f.backends], xml: xmlOf(f.suites, order) }
          })
          if (shuffle) list.sort(() => random() - 0.5)
          return list
        }
        expect(summary(evaluateReports(config, specs(true)))).toEqual(summary(evaluateReports(config, specs(false))))
      }),
      { numRuns: 400 }
    )
  })
})

function mulberry(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Two different tests can end up with one id: the backend cut from Go's `TestNotes/sqlite` leaves
// its parent's name, jest joins describe paths with spaces. The ids then pass on both backends
// while one of the tests ran on one backend only (the shapes below are gotestsum's and
// jest-junit's, written inline).
describe('tests that share an id', () => {
  const GO = { 'backend-in-name': ['(?<backend>sqlite|postgres)'] }
  const goReport = (backend: string, names: string[], path = `reports/${backend}/go.xml`): ReportSpec => ({
    path,
    backends: [backend],
    xml: `<testsuites><testsuite name="example.com/store" tests="${names.length}">${names
      .map((name) => `<testcase classname="example.com/store" name="${name}" time="0.00"></testcase>`)
      .join('')}</testsuite></testsuites>`
  })

  it('a Go parent test whose only subtest ran on sqlite: missing on postgres, not green', () => {
    const reports = [goReport('sqlite', ['TestNotes/sqlite', 'TestNotes']), goReport('postgres', ['TestNotes'])]
    for (const order of [reports, [...reports].reverse()]) {
      const v = evaluateReports(configFor(GO), order)
      expect(v.conclusion).toBe('failure')
      expect(gapList(v)).toEqual(['missing postgres example.com/store › TestNotes'])
      expect(v.gaps[0]?.reason).toBe(
        '2 differently named testcases share this id on sqlite (reports/sqlite/go.xml), 1 on postgres: one of those tests did not run on postgres'
      )
      expect(v.gaps[0]?.others).toEqual({ sqlite: 'passed' })
    }
  })

  it('the parent and its subtest on each backend: green', () => {
    const v = evaluateReports(configFor(GO), [goReport('sqlite', ['TestNotes/sqlite', 'TestNotes']), goReport('postgres', ['TestNotes/postgres', 'TestNotes'])])
    expect(gapList(v)).toEqual([])
    expect(v.conclusion).toBe('success')
  })

  it('repeats of one testcase are one test: go test -count=3 on postgres, a two-version matrix on sqlite', () => {
    const v = evaluateReports(configFor(GO), [
      goReport('sqlite', ['TestNotes/sqlite', 'TestNotes'], 'reports/sqlite/go1.22.xml'),
      goReport('sqlite', ['TestNotes/sqlite', 'TestNotes'], 'reports/sqlite/go1.23.xml'),
      goReport('postgres', ['TestNotes/postgres', 'TestNotes', 'TestNotes/postgres', 'TestNotes', 'TestNotes/postgres', 'TestNotes'])
    ])
    expect(gapList(v)).toEqual([])
    expect(v.conclusion).toBe('success')
  })

  it('jest describe paths that read alike: the one postgres lacks is missing there', () => {
    const jest = (backend: string, suites: Array<[string, string]>): ReportSpec => ({
      path: `reports/${backend}/junit.xml`,
      backends: [backend],
      xml: `<testsuites name="jest tests">${suites
        .map(([suite, name]) => `<testsuite name="${suite}" tests="1"><testcase classname="${name}" name="${name}" time="0.01"></testcase></testsuite>`)
        .join('')}</testsuites>`
    })
    const both: Array<[string, string]> = [
      ['notes', 'notes tag search'],
      ['notes tag', 'notes tag search']
    ]
    expect(evaluateReports(configFor({}), [jest('sqlite', both), jest('postgres', both)]).conclusion).toBe('success')
    const v = evaluateReports(configFor({}), [jest('sqlite', both), jest('postgres', [['notes', 'notes tag search']])])
    expect(gapList(v)).toEqual(['missing postgres notes tag search'])
  })

  it('a failure on the backend with fewer keeps its failed gap, with no second gap beside it', () => {
    const v = evaluateReports(configFor(GO), [
      goReport('sqlite', ['TestNotes/sqlite', 'TestNotes']),
      {
        path: 'reports/postgres/go.xml',
        backends: ['postgres'],
        xml: '<testsuite name="example.com/store"><testcase classname="example.com/store" name="TestNotes"><failure message="boom"/></testcase></testsuite>'
      }
    ])
    expect(gapList(v)).toEqual(['failed postgres example.com/store › TestNotes'])
  })

  it('an exemption that says the test runs on sqlite only excuses the shortfall', () => {
    const exempt = { ...GO, exemptions: [{ test: 'example.com/store › TestNotes', backends: ['sqlite'], reason: 'the sqlite subtest covers the file-lock path' }] }
    const v = evaluateReports(configFor(exempt), [goReport('sqlite', ['TestNotes/sqlite', 'TestNotes']), goReport('postgres', ['TestNotes'])])
    expect(gapList(v)).toEqual([])
    expect(v.conclusion).toBe('success')
    expect(v.exemptions.map((e) => [e.state, e.excused])).toEqual([['used', ['example.com/store › TestNotes']]])
  })

  it('whatever the order of testcases and files, the shortfall is found the same', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(['TestNotes/sqlite', 'TestNotes', 'TestNotes/sqlite'], { minLength: 3, maxLength: 3 }), fc.boolean(), (names, reversed) => {
        const reports = [goReport('sqlite', names), goReport('postgres', ['TestNotes'])]
        const v = evaluateReports(configFor(GO), reversed ? reports.reverse() : reports)
        expect(gapList(v)).toEqual(['missing postgres example.com/store › TestNotes'])
      }),
      { numRuns: 50 }
    )
  })
})
