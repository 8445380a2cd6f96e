// Expected tests from the collector (issue #10): the runner's own collected list, read from the
// workspace with `expected:`, names every collected test that no report holds. Real fixtures:
// mocha-junit-reporter leaves pending tests out of its report, libtest leaves ignored ones out;
// on postgres those suites skip json_column that way, so comparing the backends alone cannot see
// it once sqlite drops it too.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildConfig } from '../../src/core/config.js'
import { evaluateWorkspace } from '../../src/io/gate.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const root = mkdtempSync(path.join(tmpdir(), 'dbc-expected-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0

/** A workspace with both backends' reports of one dialect and the collector's lists. */
function workspaceWith(dialect: string, collector: string, lists: Record<string, string>): string {
  const ws = path.join(root, String(n++))
  for (const backend of ['sqlite', 'postgres']) {
    mkdirSync(path.join(ws, 'reports', backend), { recursive: true })
    mkdirSync(path.join(ws, 'collected', backend), { recursive: true })
    copyFileSync(path.join(ROOT, 'tests/fixtures/dialects', dialect, `${backend}.xml`), path.join(ws, 'reports', backend, 'junit.xml'))
  }
  for (const [backend, file] of Object.entries(lists)) copyFileSync(path.join(ROOT, 'tests/fixtures/collectors', collector, file), path.join(ws, 'collected', backend, file))
  return ws
}

const backends = { sqlite: 'reports/sqlite/*.xml', postgres: 'reports/postgres/*.xml' }

describe('expected: collected test lists', () => {
  it('mocha: the pending test the postgres report leaves out is named (collected but never reported)', async () => {
    const ws = workspaceWith('mocha', 'mocha', { sqlite: 'sqlite.json', postgres: 'postgres.json' })
    const config = buildConfig({ backends, expected: { sqlite: 'collected/sqlite/*', postgres: 'collected/postgres/*' } }, 'test')
    const withLists = await evaluateWorkspace({ config, workspace: ws, env: {} })
    const without = await evaluateWorkspace({ config: buildConfig({ backends }, 'test'), workspace: ws, env: {} })
    // Pairing already sees json_column on sqlite only: the lists add no duplicate for it.
    const kinds = (v: typeof withLists) => v.gaps.map((g) => `${g.kind} ${g.backend} ${g.test}`).sort()
    expect(kinds(withLists)).toEqual(kinds(without))
    expect(withLists.errors).toEqual([])
  })

  it('a test dropped from both reports is found only through the collected lists', async () => {
    const ws = workspaceWith('mocha', 'mocha', { sqlite: 'postgres.json', postgres: 'postgres.json' })
    // Both backends' reports now come from the postgres run, which left json_column out.
    copyFileSync(path.join(ws, 'reports/postgres/junit.xml'), path.join(ws, 'reports/sqlite/junit.xml'))
    const config = buildConfig({ backends, expected: 'collected/postgres/*.json' }, 'test')
    const v = await evaluateWorkspace({ config, workspace: ws, env: {} })
    const collected = v.gaps.filter((g) => g.reason.startsWith('collected'))
    expect(collected.map((g) => `${g.kind} ${g.backend} ${g.test}`).sort()).toEqual(['missing postgres storage json_column', 'missing sqlite storage json_column'])
    expect(collected.find((g) => g.backend === 'postgres')?.reason).toBe(
      'collected (collected/postgres/postgres.json) but never reported on postgres: no report names it (a pending, ignored or assertion-free test the reporter leaves out, or a filter?)'
    )
    const without = await evaluateWorkspace({ config: buildConfig({ backends }, 'test'), workspace: ws, env: {} })
    expect(without.gaps.some((g) => g.test.includes('json_column'))).toBe(false)
  })

  it('cargo test -- --list: an #[ignore]d test libtest leaves out of both reports', async () => {
    const ws = workspaceWith('rust-libtest', 'cargo', { postgres: 'postgres.txt' })
    copyFileSync(path.join(ws, 'reports/postgres/junit.xml'), path.join(ws, 'reports/sqlite/junit.xml'))
    const config = buildConfig({ backends, expected: 'collected/postgres/*.txt' }, 'test')
    const v = await evaluateWorkspace({ config, workspace: ws, env: {} })
    expect(v.gaps.filter((g) => g.reason.startsWith('collected')).map((g) => `${g.backend} ${g.test}`)).toEqual(['postgres json_column: test', 'sqlite json_column: test'])
  })

  it('every collected test reported: no gap from the lists', async () => {
    const ws = workspaceWith('pytest', 'pytest', { sqlite: 'sqlite.txt', postgres: 'postgres.txt' })
    const config = buildConfig({ backends, expected: { sqlite: 'collected/sqlite/*', postgres: 'collected/postgres/*' } }, 'test')
    const v = await evaluateWorkspace({ config, workspace: ws, env: {} })
    expect(v.gaps.filter((g) => g.reason.startsWith('collected'))).toEqual([])
    expect(v.errors).toEqual([])
  })

  it('a glob that matches no list, an empty list or an unknown format fails the gate', async () => {
    const ws = workspaceWith('pytest', 'pytest', {})
    const config = buildConfig({ backends, expected: 'collected/*/*.txt' }, 'test')
    const none = await evaluateWorkspace({ config, workspace: ws, env: {} })
    expect(none.conclusion).toBe('failure')
    expect(none.errors.map((e) => e.message)).toContain('expected: no collected test list matched collected/*/*.txt for sqlite')
    writeFileSync(path.join(ws, 'collected/sqlite/list.txt'), '\n')
    writeFileSync(path.join(ws, 'collected/postgres/list.txt'), 'this is not a collector list\n')
    const bad = await evaluateWorkspace({ config, workspace: ws, env: {} })
    expect(bad.conclusion).toBe('failure')
    expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/expected: collected\/sqlite\/list\.txt: no tests in the collected list/)
    expect(bad.errors.map((e) => e.message).join('\n')).toMatch(/expected: collected\/postgres\/list\.txt: /)
  })
})
