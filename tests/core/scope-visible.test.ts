// Scope is visible (issue #12): every test `scope` takes out is counted per backend, the JSON lists
// them, and the text and the summary show the count and the first ones, so a too-wide pattern
// (`*_mysql*` also dropping two passing tests) is noticed.
import { describe, expect, it } from 'vitest'
import { renderJson } from '../../src/render/json.js'
import { renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { configFor, evaluateReports, junit } from '../helpers/core.js'

const names = ['test_insert', 'test_upsert_mysql', 'test_mysql_pool_sizing', 'test_select']

describe('scope is visible', () => {
  it('counts and lists what scope.exclude left out, per backend', () => {
    const v = evaluateReports(configFor({ scope: { exclude: ['*mysql*'] } }), [
      { backends: ['sqlite'], xml: junit(names.map((n) => [n])) },
      { backends: ['postgres'], xml: junit(names.map((n) => [n])) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.backends.map((b) => [b.name, b.tests, b.outOfScope])).toEqual([
      ['sqlite', 2, 2],
      ['postgres', 2, 2]
    ])
    expect(JSON.parse(renderJson(v)).outOfScope).toEqual([
      { test: 'tests.storage › test_mysql_pool_sizing', backend: 'sqlite' },
      { test: 'tests.storage › test_upsert_mysql', backend: 'sqlite' },
      { test: 'tests.storage › test_mysql_pool_sizing', backend: 'postgres' },
      { test: 'tests.storage › test_upsert_mysql', backend: 'postgres' }
    ])
    expect(renderText(v, { colour: false })).toContain('sqlite: 2 testcase(s) left out by scope, e.g. tests.storage › test_mysql_pool_sizing; tests.storage › test_upsert_mysql')
    expect(renderMarkdown(v, { maxBytes: 65_535 })).toContain('> sqlite: 2 testcase(s) left out by `scope`, e.g. <code>')
  })

  it('nothing left out: no line, no field', () => {
    const v = evaluateReports(configFor({}), [
      { backends: ['sqlite'], xml: junit([['test_a']]) },
      { backends: ['postgres'], xml: junit([['test_a']]) }
    ])
    expect(v.backends.every((b) => b.outOfScope === undefined)).toBe(true)
    expect(JSON.parse(renderJson(v)).outOfScope).toBeUndefined()
    expect(renderText(v, { colour: false })).not.toContain('left out by scope')
  })
})
