// The cross-backend rules, one test each: every test fails if its rule breaks.
import { describe, expect, it } from 'vitest'
import { CoverageEngine } from '../../src/core/engine.js'
import { configFor, evaluateReports, gapList, junit } from '../helpers/core.js'

const both = ['insert', 'update', 'delete']
const passing = (names: string[]) => junit(names.map((n) => [n] as [string]))

describe('cross-backend rules', () => {
  it('all tests passed on both backends: success with the count in the title', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: passing(both) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.gaps).toEqual([])
    expect(v.tests).toBe(3)
    expect(v.title).toBe('3 storage tests passed on sqlite and postgres')
    expect(v.backends.map((b) => [b.name, b.files, b.tests, b.passed])).toEqual([
      ['sqlite', 1, 3, 3],
      ['postgres', 1, 3, 3]
    ])
  })

  it('missing: a test that ran on sqlite only is a gap on postgres, with the other status', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing([...both, 'new_storage_test']) },
      { backends: ['postgres'], xml: passing(both) }
    ])
    expect(v.conclusion).toBe('failure')
    expect(gapList(v)).toEqual(['missing postgres tests.storage › new_storage_test'])
    expect(v.gaps[0]?.others).toEqual({ sqlite: 'passed' })
    expect(v.gaps[0]?.reason).toBe('never ran on postgres (passed on sqlite)')
  })

  it('skipped by element: a <skipped> test is a gap with its message', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'skip'], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['skipped postgres tests.storage › update'])
    expect(v.gaps[0]?.message).toBe('DATABASE_URL not set')
  })

  it('skipped by status attribute (disabled, ignored) counts as skipped', () => {
    const xml = `<testsuite name="s"><testcase classname="c" name="a" status="disabled"/><testcase classname="c" name="b" status="ignored"/></testsuite>`
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: `<testsuite name="s"><testcase classname="c" name="a"/><testcase classname="c" name="b"/></testsuite>` },
      { backends: ['postgres'], xml }
    ])
    expect(gapList(v)).toEqual(['skipped postgres s › c › a', 'skipped postgres s › c › b'])
  })

  it('skipped by marker: a "pass" whose output says it skipped itself is a skipped gap', () => {
    const out = '<system-out>connecting...\nSkipping postgres storage conformance: POSTGRES_TEST_URL not set\n</system-out>'
    const v = evaluateReports(configFor({ 'skip-markers': ['^Skipping\\b'] }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'pass', out], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['skipped postgres tests.storage › update'])
    expect(v.gaps[0]?.message).toBe('Skipping postgres storage conformance: POSTGRES_TEST_URL not set')
    expect(v.gaps[0]?.reason).toContain('its output says it skipped itself')
  })

  it('skip markers match at line starts only: a passing test that mentions skipping elsewhere stays passed', () => {
    const out = '<system-out>not Skipping anything here</system-out>'
    const v = evaluateReports(configFor({ 'skip-markers': ['^Skipping\\b'] }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'pass', out], ['delete']]) }
    ])
    expect(v.conclusion).toBe('success')
  })

  it('failed and errored are gaps of their own kinds, failures first', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert', 'error'], ['update', 'fail'], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['failed postgres tests.storage › update', 'errored postgres tests.storage › insert'])
    expect(v.title).toBe('2 gaps: 1 test failed on postgres, 1 test errored on postgres')
  })

  it('flaky (failed, then passed in the same report) passes under warn and is listed', () => {
    const v = evaluateReports(configFor({ flaky: 'warn' }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'fail'], ['update'], ['delete']]) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.flaky).toEqual([{ test: 'tests.storage › update', backend: 'postgres', message: 'assertion failed\ntrace' }])
    expect(v.backends[1]?.flaky).toBe(1)
  })

  it('flaky under the fail policy is a gap', () => {
    const v = evaluateReports(configFor({ flaky: 'fail' }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'fail'], ['update'], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['flaky postgres tests.storage › update'])
  })

  it('Surefire flakyFailure inside a passing testcase is flaky', () => {
    const flakyCase = '<flakyFailure message="timeout" type="java.net.SocketTimeoutException"><stackTrace>at x</stackTrace></flakyFailure>'
    const v = evaluateReports(configFor({ flaky: 'fail' }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update', 'pass', flakyCase], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['flaky postgres tests.storage › update'])
    expect(v.gaps[0]?.message).toContain('timeout')
  })

  it('a re-run that failed last is a failure, not flaky', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: junit([['insert'], ['update'], ['update', 'fail'], ['delete']]) }
    ])
    expect(gapList(v)).toEqual(['failed postgres tests.storage › update'])
  })

  it('shards merge: tests spread over several files of one backend count once', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: passing(['insert']) },
      { backends: ['postgres'], xml: passing(['update', 'delete']) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.backends[1]).toMatchObject({ files: 2, tests: 3 })
  })

  it('cross-leg copy: a postgres-named test in the sqlite report counts for neither backend', () => {
    const config = configFor({ 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]' })
    const v = evaluateReports(config, [
      // The sqlite job ran the whole suite: its postgres cases returned early and "passed".
      { backends: ['sqlite'], xml: passing(['insert[sqlite]', 'insert[postgres]']) },
      { backends: ['postgres'], xml: passing([]) }
    ])
    expect(v.crossLeg).toEqual([{ test: 'tests.storage › insert', namedBackend: 'postgres', foundIn: 'sqlite' }])
    // The copy did not stand in for the real postgres run: postgres has no tests at all.
    expect(gapList(v)).toEqual(['empty postgres *'])
    expect(v.backends[0]?.tests).toBe(1)
  })

  it('backend in name pairs test_x[sqlite] with test_x[postgres] across per-backend reports', () => {
    const config = configFor({ 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]' })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing(['insert[sqlite]', 'update[sqlite]']) },
      { backends: ['postgres'], xml: junit([['insert[postgres]'], ['update[postgres]', 'fail']]) }
    ])
    expect(gapList(v)).toEqual(['failed postgres tests.storage › update'])
    expect(v.tests).toBe(2)
  })

  it('false pair: a name that merely contains a backend word is not stripped or paired', () => {
    const config = configFor({ 'backend-in-name': ['^(?<backend>sqlite|postgres)_', '_(?<backend>sqlite|postgres)$'] })
    const v = evaluateReports(config, [
      {
        backends: ['sqlite'],
        xml: passing(['sqlite_storage_conformance', 'migrations_replay_safe_sqlite', 'no_sqlite_tripwire_refuses_network'])
      },
      {
        backends: ['postgres'],
        xml: passing(['postgres_storage_conformance', 'migrations_replay_safe_postgres', 'no_sqlite_tripwire_refuses_network'])
      }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.tests).toBe(3)
    expect(v.crossLeg).toEqual([])
  })

  it('false pair, the other way: an unanchored pattern would pair the tripwire, an anchored one does not', () => {
    const reports = [
      { backends: ['sqlite'], xml: passing(['no_sqlite_tripwire']) },
      { backends: ['postgres'], xml: passing(['other']) }
    ]
    const loose = evaluateReports(configFor({ 'backend-in-name': '(?<backend>sqlite|postgres)' }), reports)
    // The loose pattern reads "no_sqlite_tripwire" as the sqlite leg of "no_tripwire" (the cut's
    // doubled "_" is cleaned).
    expect(loose.gaps.map((g) => g.test)).toContain('tests.storage › no_tripwire')
    const anchored = evaluateReports(configFor({ 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]' }), reports)
    expect(gapList(anchored)).toEqual(['missing postgres tests.storage › no_sqlite_tripwire', 'missing sqlite tests.storage › other'])
  })

  it('aliases map pg, PostgreSQL and POSTGRES to one backend', () => {
    const config = configFor({ 'backend-in-name': '\\[(?<backend>\\w+)\\]', aliases: { postgres: ['pg', 'postgresql'] } })
    const v = evaluateReports(config, [
      { path: 'all.xml', backends: ['sqlite', 'postgres'], xml: passing(['a[sqlite]', 'a[pg]', 'b[SQLite]', 'b[POSTGRES]', 'c[sqlite]', 'c[PostgreSQL]']) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.tests).toBe(3)
  })

  it('one-report layout: a single file serves both backends, the name decides; unnamed tests are not counted', () => {
    const config = configFor({ 'backend-in-name': '\\[(?<backend>sqlite|postgres)\\]' })
    const v = evaluateReports(config, [
      {
        path: 'junit.xml',
        backends: ['sqlite', 'postgres'],
        xml: junit([['insert[sqlite]'], ['insert[postgres]'], ['json[sqlite]'], ['json[postgres]', 'skip'], ['pragma[sqlite]'], ['helper_test']])
      }
    ])
    expect(gapList(v)).toEqual(['missing postgres tests.storage › pragma', 'skipped postgres tests.storage › json'])
    expect(v.unassigned).toBe(1)
    expect(v.backends.map((b) => b.files)).toEqual([1, 1])
  })

  it('backend named in a describe block (suite path) is found and removed from the id', () => {
    const config = configFor({ 'backend-in-name': '^(?<backend>sqlite|postgres): ' })
    const suite = (backend: string, status = '') =>
      `<testsuites><testsuite name="${backend}: users"><testcase classname="test" name="inserts">${status}</testcase></testsuite></testsuites>`
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: suite('sqlite') },
      { backends: ['postgres'], xml: suite('postgres', '<failure message="x"/>') }
    ])
    expect(gapList(v)).toEqual(['failed postgres users › inserts'])
  })

  it('three backends: a test must run on all of them', () => {
    const config = configFor({}, ['sqlite', 'postgres', 'postgres-16'])
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: passing(both) },
      { backends: ['postgres-16'], xml: junit([['insert'], ['update', 'fail']]) }
    ])
    expect(gapList(v)).toEqual(['failed postgres-16 tests.storage › update', 'missing postgres-16 tests.storage › delete'])
    expect(v.gaps[1]?.others).toEqual({ sqlite: 'passed', postgres: 'passed' })
    expect(v.title).toBe('2 gaps: 1 test failed on postgres-16, 1 test missing on postgres-16')
  })

  it('no-report: a backend whose globs matched nothing is one gap, not one per test', () => {
    const v = evaluateReports(configFor({}), [{ backends: ['sqlite'], xml: passing(both) }])
    expect(gapList(v)).toEqual(['no-report postgres *'])
    expect(v.gaps[0]?.reason).toBe('no report file matched reports/postgres/**/*.xml')
  })

  it('no-report names the job result when the workflow passed it', () => {
    const engine = new CoverageEngine(configFor({}), { redact: (t) => t, now: new Date() })
    engine.setJobResult('postgres', 'cancelled')
    expect(engine.verdict().gaps.find((g) => g.backend === 'postgres')?.reason).toContain(`its job's result is "cancelled"`)
  })

  it('empty: report files with zero testcases (or an empty <testsuites/>) is a gap', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: '<testsuites/>' }
    ])
    expect(gapList(v)).toEqual(['empty postgres *'])
  })

  it('too-few: fewer tests than min-tests is a gap', () => {
    const v = evaluateReports(configFor({ 'min-tests': 3 }), [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: passing(['insert', 'update']) }
    ])
    expect(gapList(v)).toEqual(['too-few postgres *', 'missing postgres tests.storage › delete'])
    expect(v.gaps[0]?.reason).toBe('2 test(s) in scope, fewer than min-tests 3')
  })

  it('exemption (valid): a SQLite-only test missing on postgres is excused and reported as used', () => {
    const config = configFor({
      exemptions: [{ test: '*pragma*', backends: ['sqlite'], reason: 'SQLite-only PRAGMA behaviour', until: '2027-06-30' }]
    })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing([...both, 'pragma_foreign_keys']) },
      { backends: ['postgres'], xml: passing(both) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.exemptions).toEqual([
      {
        test: '*pragma*',
        backends: ['sqlite'],
        reason: 'SQLite-only PRAGMA behaviour',
        until: '2027-06-30',
        state: 'used',
        excused: ['tests.storage › pragma_foreign_keys']
      }
    ])
  })

  it('exemption does not excuse a failure on a backend it was not meant to run on', () => {
    const config = configFor({ exemptions: [{ test: '*pragma*', backends: ['sqlite'], reason: 'SQLite only' }] })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing(['pragma']) },
      { backends: ['postgres'], xml: junit([['pragma', 'fail']]) }
    ])
    expect(gapList(v)).toEqual(['failed postgres tests.storage › pragma'])
  })

  it('exemption (expired): past until it stops excusing and says so', () => {
    const config = configFor({ exemptions: [{ test: '*pragma*', backends: ['sqlite'], reason: 'SQLite only', until: '2026-01-31' }] })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing([...both, 'pragma']) },
      { backends: ['postgres'], xml: passing(both) }
    ])
    expect(gapList(v)).toEqual(['missing postgres tests.storage › pragma'])
    expect(v.gaps[0]?.reason).toContain('its exemption expired on 2026-01-31')
    expect(v.exemptions[0]?.state).toBe('expired')
  })

  it('exemption (stale): one that matched no test is reported as stale, without failing the gate', () => {
    const config = configFor({ exemptions: [{ test: '*removed_test*', backends: ['sqlite'], reason: 'old' }] })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing(both) },
      { backends: ['postgres'], xml: passing(both) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.exemptions[0]?.state).toBe('stale')
  })

  it('scope: only included tests count; excluded ones never make a gap', () => {
    const config = configFor({ scope: { include: ['tests.storage*'], exclude: ['*slow*'] } })
    const v = evaluateReports(config, [
      { backends: ['sqlite'], xml: passing(['insert', 'slow_migration']) + junit([['ui_only']], 'tests.web') },
      { backends: ['postgres'], xml: passing(['insert']) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.tests).toBe(1)
  })

  it('an unreadable report makes the verdict a failure, with file, line and column', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: passing(both) },
      { path: 'reports/postgres/junit.xml', backends: ['postgres'], xml: '<testsuites>\n<testsuite name="x">\n<testcase name="a"' }
    ])
    expect(v.conclusion).toBe('failure')
    expect(v.errors).toHaveLength(1)
    expect(v.errors[0]).toMatchObject({ file: 'reports/postgres/junit.xml', line: 3 })
    expect(v.title).toMatch(/^1 unreadable report/)
  })
})

describe('gap order', () => {
  it('is kind, then backend, then test id in collator order (the order one stable localeCompare sort gives)', () => {
    const names = ['b', 'B', 'a', 'é', 'e', 'E', 'z_1', 'z-1', 'Z1', 'test[2]', 'test[10]', 'ünï', 'u', '名前', 'Ωmega', 'a b', 'ab', '_x']
    const statuses = ['pass', 'fail', 'error', 'skip'] as const
    const sqlite = names.map((name, i) => [name, statuses[i % 4]] as [string, (typeof statuses)[number]])
    const postgres = names.filter((_, i) => i % 5 !== 0).map((name, i) => [name, statuses[(i * 3) % 4]] as [string, (typeof statuses)[number]])
    const v = evaluateReports(configFor({}, ['sqlite', 'postgres', 'Postgres']), [
      { backends: ['sqlite'], xml: junit(sqlite) },
      { backends: ['postgres'], xml: junit(postgres) },
      { backends: ['Postgres'], xml: junit(postgres.slice(3)) }
    ])
    const kinds = ['no-report', 'empty', 'too-few', 'failed', 'errored', 'missing', 'skipped', 'flaky']
    const expected = [...v.gaps].sort(
      (a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.backend.localeCompare(b.backend) || a.test.localeCompare(b.test)
    )
    expect(v.gaps.length).toBeGreaterThan(20)
    expect(v.gaps.map((g) => `${g.kind} ${g.backend} ${g.test}`)).toEqual(expected.map((g) => `${g.kind} ${g.backend} ${g.test}`))
  })
})
