// Messages keep the line that matters (issue #12): a pytest failure body is the test's source,
// then `>` at the failing line, `E` lines and `file:line: Error`. The terminal showed its first
// lines and cut before the assertion; now the message keeps the first line, the `>` line, the
// `E` lines and the location (real pytest fixture).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderText } from '../../src/render/text.js'
import { CoverageEngine } from '../../src/core/engine.js'
import { JUnitStreamParser } from '../../src/core/junit/parser.js'
import { createRedactor } from '../../src/core/redact.js'
import { configFor, evaluateReports } from '../helpers/core.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const fixture = (name: string) => readFileSync(path.join(ROOT, 'tests/fixtures/dialects/pytest', name), 'utf8')

describe('pytest failure messages', () => {
  it('the terminal shows the assertion and the test file:line', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: fixture('sqlite.xml') },
      { backends: ['postgres'], xml: fixture('postgres.xml') }
    ])
    const failed = v.gaps.find((g) => g.kind === 'failed')
    expect(failed?.message?.split('\n')).toEqual([
      'AssertionError: could not query postgres://app:***@db.internal:5432/app: expected 2 rows, got 0',
      '>       assert rows == 2, f"could not query {SECRET_URL}: expected 2 rows, got {rows}"',
      'E       AssertionError: could not query postgres://app:***@db.internal:5432/app: expected 2 rows, got 0',
      'E       assert 0 == 2',
      'test_storage.py:35: AssertionError'
    ])
    const text = renderText(v, { colour: false })
    expect(text).toContain('      | E       assert 0 == 2')
    expect(text).toContain('      | test_storage.py:35: AssertionError')
  })

  it('other messages are left as they are', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>' },
      { backends: ['postgres'], xml: '<testsuite name="s"><testcase classname="c" name="t"><failure message="expected 1">line one\nEnd of story\n  at t (test/x.test.ts:3:5)</failure></testcase></testsuite>' }
    ])
    expect(v.gaps[0]?.message).toBe('expected 1\nline one\nEnd of story\n  at t (test/x.test.ts:3:5)')
  })
})

describe('checkout paths in messages', () => {
  const run = (pathRoots: string[], body: string) => {
    const engine = new CoverageEngine(configFor({}), { redact: createRedactor([]), now: new Date('2026-01-01'), pathRoots })
    const xml = {
      sqlite: '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>',
      postgres: `<testsuite name="s"><testcase classname="c" name="t"><skipped message="no db">${body}</skipped></testcase></testsuite>`
    }
    for (const [backend, text] of Object.entries(xml)) {
      const file = engine.openFile(`reports/${backend}.xml`, [backend])
      const parser = new JUnitStreamParser(`reports/${backend}.xml`, (tc) => engine.addTestcase(file, tc), engine.parserLimits)
      parser.write(text)
      parser.end()
    }
    return engine.verdict().gaps[0]?.message
  }

  it('the workspace prefix is dropped, POSIX and Windows forms, with or without a trailing separator', () => {
    expect(run(['/home/runner/work/app/app'], '/home/runner/work/app/app/tests/test_x.py:28: DATABASE_URL not set')).toBe(
      'no db\ntests/test_x.py:28: DATABASE_URL not set'
    )
    expect(run(['D:\\a\\app\\app\\'], 'D:\\a\\app\\app\\tests\\test_x.py:28: skipped')).toBe('no db\ntests\\test_x.py:28: skipped')
  })

  it('paths outside the workspace and a bare root are left alone', () => {
    expect(run(['/home/runner/work/app/app'], '/usr/lib/python3/site.py:3: x /home/runner/work/app/apple/y')).toBe(
      'no db\n/usr/lib/python3/site.py:3: x /home/runner/work/app/apple/y'
    )
    expect(run(['/'], '/etc/x: y')).toBe('no db\n/etc/x: y')
  })
})

describe('checkout paths: only where a path starts', () => {
  it('a file:// URL and a longer path that merely contains the root keep it', () => {
    const engine = new CoverageEngine(configFor({}), { redact: createRedactor([]), now: new Date('2026-01-01'), pathRoots: ['/w/app'] })
    const xml = (body: string) => `<testsuite name="s"><testcase classname="c" name="t">${body}</testcase></testsuite>`
    for (const [backend, body] of [['sqlite', ''], ['postgres', '<failure message="m">at file:///w/app/x.js:1 and /srv/w/app/y and (/w/app/z.js:2)</failure>']]) {
      const file = engine.openFile(`${backend}.xml`, [backend as string])
      const parser = new JUnitStreamParser(`${backend}.xml`, (tc) => engine.addTestcase(file, tc), engine.parserLimits)
      parser.write(xml(body as string))
      parser.end()
    }
    expect(engine.verdict().gaps[0]?.message).toBe('m\nat file:///w/app/x.js:1 and /srv/w/app/y and (z.js:2)')
  })
})
