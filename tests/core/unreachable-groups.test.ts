// "The backend was not reachable" (issue #11): failures whose messages show the database could not
// be reached are grouped per backend and cause in the title and the summary, with the fix; they
// stay failures. Real reports: tests/fixtures/unreachable (scripts/collect-unreachable.sh).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { configFor, evaluateReports } from '../helpers/core.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const NAMES = ['test_insert_order', 'test_list_orders', 'test_order_totals_by_day', 'test_total_rounding', 'test_sku_parsing']
const passing = `<testsuite name="pytest">${NAMES.map((n) => `<testcase classname="test_orders_pg" name="${n}"/>`).join('')}</testsuite>`
const verdictFor = (runner: string, situation: string) =>
  evaluateReports(configFor({}), [
    { backends: ['sqlite'], xml: passing },
    { backends: ['postgres'], xml: readFileSync(path.join(ROOT, 'tests/fixtures/unreachable', runner, `${situation}.xml`), 'utf8') }
  ])

describe('unreachable databases, grouped', () => {
  it.each([
    ['connection-refused', 'connection refused'],
    ['starting-up', 'database starting up'],
    ['too-many-clients', 'too many clients'],
    ['authentication-failed', 'authentication failed'],
    ['no-hba-entry', 'no pg_hba.conf entry']
  ])('pytest + psycopg2, %s: one finding in the title, the failures stay', (situation, cause) => {
    const v = verdictFor('pytest', situation)
    expect(v.conclusion).toBe('failure')
    // test_total_rounding fails on its own (an ordinary assertion): it is not counted.
    const failures = v.gaps.filter((g) => (g.kind === 'failed' || g.kind === 'errored') && !g.test.endsWith('test_total_rounding'))
    expect(failures.length).toBeGreaterThan(0)
    expect(v.gaps.some((g) => g.kind === 'failed' && g.test.endsWith('test_total_rounding'))).toBe(true)
    expect(v.unreachable).toEqual([expect.objectContaining({ backend: 'postgres', cause, tests: failures.length })])
    expect(v.title).toContain(`postgres: ${failures.length} tests could not reach the database (${cause})`)
    expect(renderText(v, { colour: false })).toContain(`could not reach the database (${cause}). Fix: `)
    expect(renderMarkdown(v, { maxBytes: 65_535 })).toContain('> 🔌 postgres: ')
  })

  it('ordinary failures are not grouped', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>' },
      { backends: ['postgres'], xml: '<testsuite name="s"><testcase classname="c" name="t"><failure message="relation &quot;items&quot; does not exist"/></testcase></testsuite>' }
    ])
    expect(v.unreachable).toBeUndefined()
    expect(v.title).toBe('1 gap: 1 test failed on postgres')
  })
})
