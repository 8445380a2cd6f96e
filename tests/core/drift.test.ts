// Storage tests that vanish (issue #10): a test held by an earlier inventory (the base branch's
// check run, a --baseline verdict, the committed inventory file) that no backend reports now is a
// `vanished` gap, unless a `removed:` entry acknowledges it; `drift: warn` makes it a notice.
import { describe, expect, it } from 'vitest'
import { decodeDigest, type TestInventory } from '../../src/core/inventory.js'
import type { DriftSource } from '../../src/core/model.js'
import { renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { configFor, engineFor, evaluateReports, gapList, junit, type ReportSpec } from '../helpers/core.js'

const ALL = ['test_insert', 'test_update', 'test_delete', 'test_upsert', 'test_json']
const reportsOf = (names: string[], postgresNames = names): ReportSpec[] => [
  { backends: ['sqlite'], xml: junit(names.map((n) => [n])) },
  { backends: ['postgres'], xml: junit(postgresNames.map((n) => [n])) }
]

/** The inventory a run over `names` would publish (the base branch's run). */
function baseInventory(names: string[], document: Record<string, unknown> = {}, secrets: string[] = []): TestInventory {
  return decodeDigest(engineFor(configFor(document), reportsOf(names), secrets).digest())
}

const base = (names: string[] = ALL): DriftSource => ({ label: 'the base abc1234', inventory: baseInventory(names) })

describe('vanished tests', () => {
  it('two tests deleted from every backend: two vanished gaps, the verdict fails', () => {
    const v = evaluateReports(configFor({}), reportsOf(['test_insert', 'test_update', 'test_json']), [], [base()])
    expect(gapList(v)).toEqual(['vanished sqlite+postgres tests.storage › test_delete', 'vanished sqlite+postgres tests.storage › test_upsert'])
    expect(v.conclusion).toBe('failure')
    expect(v.title).toBe('2 gaps: 2 tests vanished from every backend')
    expect(v.gaps[0]?.reason).toBe(
      'reported on sqlite and postgres at the base abc1234, reported by no backend now (deleted, renamed, filtered out or ignored); if it was removed on purpose, add it to `removed:` in the config with a reason'
    )
    expect(v.drift).toEqual([
      {
        label: 'the base abc1234',
        compared: true,
        baseTests: 5,
        vanished: ['tests.storage › test_delete', 'tests.storage › test_upsert'],
        acknowledged: [],
        leftScope: 0,
        added: 0
      }
    ])
    expect(v.tests).toBe(3)
  })

  it('a test gone from one backend only is a missing gap there, not vanished', () => {
    const v = evaluateReports(configFor({}), reportsOf(ALL, ALL.filter((n) => n !== 'test_json')), [], [base()])
    expect(gapList(v)).toEqual(['missing postgres tests.storage › test_json'])
  })

  it('unchanged and grown suites pass; new tests are counted', () => {
    const v = evaluateReports(configFor({}), reportsOf([...ALL, 'test_new']), [], [base()])
    expect(v.conclusion).toBe('success')
    expect(v.drift[0]).toMatchObject({ compared: true, vanished: [], added: 1 })
  })

  it('a renamed test is named as the likely rename', () => {
    const v = evaluateReports(configFor({}), reportsOf([...ALL.filter((n) => n !== 'test_json'), 'test_json_column']), [], [base()])
    expect(gapList(v)).toEqual(['vanished sqlite+postgres tests.storage › test_json'])
    const moved = evaluateReports(
      configFor({}),
      [
        { backends: ['sqlite'], xml: junit([...ALL.filter((n) => n !== 'test_json').map((n): [string] => [n])]) + '' },
        { backends: ['sqlite'], xml: junit([['test_json']], 'tests.storage.documents') },
        { backends: ['postgres'], xml: junit([...ALL.filter((n) => n !== 'test_json').map((n): [string] => [n])]) },
        { backends: ['postgres'], xml: junit([['test_json']], 'tests.storage.documents') }
      ],
      [],
      [base()]
    )
    expect(moved.gaps[0]?.reason).toContain('; renamed to "tests.storage.documents › test_json"?')
  })

  it('acknowledged removals pass and are listed with their reason', () => {
    const config = configFor({ removed: [{ test: ['tests.storage › test_delete', '*test_upsert'], reason: 'merged into test_update (#812)' }] })
    const v = evaluateReports(config, reportsOf(['test_insert', 'test_update', 'test_json']), [], [base()])
    expect(v.conclusion).toBe('success')
    expect(v.drift[0]?.acknowledged).toEqual([
      { test: 'tests.storage › test_delete', reason: 'merged into test_update (#812)' },
      { test: 'tests.storage › test_upsert', reason: 'merged into test_update (#812)' }
    ])
    const summary = renderMarkdown(v, { maxBytes: 65_535 })
    expect(summary).toContain('### Removed on purpose')
    expect(summary).toContain('| <code>tests.storage › test_delete</code> | merged into test\\_update (#\u200b812) |')
    expect(summary).toContain('> Compared with the base abc1234: 5 tests there, 0 vanished, 2 removed on purpose, 0 new.')
  })

  it('drift: warn lists vanished tests as a notice and passes; drift: off does not compare', () => {
    const warn = evaluateReports(configFor({ drift: 'warn' }), reportsOf(['test_insert']), [], [base()])
    expect(warn.conclusion).toBe('success')
    expect(warn.drift[0]?.vanished).toHaveLength(4)
    expect(renderText(warn, { colour: false })).toContain('vanished (drift: warn): tests.storage › test_delete')
    expect(renderMarkdown(warn, { maxBytes: 65_535 })).toContain('### Vanished since the earlier run (drift: warn)')
    const off = evaluateReports(configFor({ drift: 'off' }), reportsOf(['test_insert']), [], [base()])
    expect(off.conclusion).toBe('success')
    expect(off.drift[0]).toMatchObject({ compared: false, reason: 'drift: off in the config' })
  })

  it('a test the current scope leaves out is counted, not vanished (the scope change is in the diff)', () => {
    const v = evaluateReports(configFor({ scope: { exclude: ['*test_json'] } }), reportsOf(ALL.filter((n) => n !== 'test_json')), [], [base()])
    expect(v.conclusion).toBe('success')
    expect(v.drift[0]).toMatchObject({ leftScope: 1, vanished: [] })
  })

  it('no earlier inventory is never a failure by itself, and the summary says why', () => {
    const v = evaluateReports(configFor({}), reportsOf(ALL), [], [{ label: 'the base abc1234', notCompared: 'its check run holds no inventory (an older version of the gate?)' }])
    expect(v.conclusion).toBe('success')
    expect(renderMarkdown(v, { maxBytes: 65_535 })).toContain('> Not compared with the base abc1234: its check run holds no inventory (an older version of the gate?).')
    expect(renderText(v, { colour: false })).toContain('Not compared with the base abc1234: its check run holds no inventory')
  })

  it('the inventory file lists ids that must exist on some backend', () => {
    const source: DriftSource = { label: 'the inventory .github/storage-tests.txt', inventory: { backends: [], tests: ALL.map((n) => ({ id: `tests.storage › ${n}`, backends: [] })) } }
    const v = evaluateReports(configFor({}), reportsOf(ALL.slice(1)), [], [source])
    expect(gapList(v)).toEqual(['vanished sqlite+postgres tests.storage › test_insert'])
    expect(v.gaps[0]?.reason).toMatch(/^listed in the inventory \.github\/storage-tests\.txt, reported by no backend now/)
  })

  it('the verdict does not depend on the order of the earlier inventory', () => {
    const inventory = baseInventory(ALL)
    const reversed = { ...inventory, tests: [...inventory.tests].reverse() }
    const a = evaluateReports(configFor({}), reportsOf(['test_json']), [], [{ label: 'b', inventory }])
    const b = evaluateReports(configFor({}), reportsOf(['test_json']), [], [{ label: 'b', inventory: reversed }])
    expect(gapList(a)).toEqual(gapList(b))
  })
})

describe('the inventory a run publishes', () => {
  it('holds each in-scope id with the backends that reported it, sorted', () => {
    const inventory = engineFor(configFor({ scope: { exclude: ['*test_json'] } }), reportsOf(ALL, ['test_insert', 'test_json'])).inventory()
    expect(inventory.backends).toEqual(['sqlite', 'postgres'])
    expect(inventory.tests).toEqual([
      { id: 'tests.storage › test_delete', backends: ['sqlite'] },
      { id: 'tests.storage › test_insert', backends: ['sqlite', 'postgres'] },
      { id: 'tests.storage › test_update', backends: ['sqlite'] },
      { id: 'tests.storage › test_upsert', backends: ['sqlite'] }
    ])
  })

  it('ids are redacted (a pytest id holding a DSN), and the masked ids still match the next run', () => {
    const dsn = 'postgres://app:Sup3rS3cret@db/app'
    const names = ['test_insert', `test_connect[${dsn}]`]
    const inventory = baseInventory(names, {}, ['Sup3rS3cret'])
    expect(JSON.stringify(inventory)).not.toContain('Sup3rS3cret')
    expect(inventory.tests.map((t) => t.id)).toContain('tests.storage › test_connect[postgres://app:***@db/app]')
    // The next run's password differs (CI generates one): the masked id is the same test.
    const next = evaluateReports(configFor({}), reportsOf(['test_insert', 'test_connect[postgres://app:0therPassw0rd@db/app]']), ['0therPassw0rd'], [
      { label: 'b', inventory }
    ])
    expect(next.conclusion).toBe('success')
    expect(next.drift[0]).toMatchObject({ vanished: [], added: 0 })
    const gone = evaluateReports(configFor({}), reportsOf(['test_insert']), ['Sup3rS3cret'], [{ label: 'b', inventory }])
    expect(gapList(gone)).toEqual(['vanished sqlite+postgres tests.storage › test_connect[postgres://app:***@db/app]'])
  })
})
