// Vanished tests without GitHub (issue #10): `--baseline` compares with an earlier run's JSON
// verdict, and the committed inventory file (`inventory:` in the config, written by
// `dual-backend-coverage inventory --write`) lists the storage tests that must exist.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'dbc-drift-'))
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

const ALL = ['test_insert', 'test_update', 'test_delete', 'test_upsert']

function writeReports(names: string[], postgres: string[] | null = names): void {
  for (const [backend, list] of [['sqlite', names], ['postgres', postgres]] as const) {
    mkdirSync(path.join(workspace, 'reports', backend), { recursive: true })
    const file = path.join(workspace, 'reports', backend, 'junit.xml')
    if (list === null) rmSync(file, { force: true })
    else writeFileSync(file, `<testsuite name="pytest">${list.map((n) => `<testcase classname="tests.storage" name="${n}"/>`).join('')}</testsuite>`)
  }
}

function writeConfig(extra = ''): void {
  mkdirSync(path.join(workspace, '.github'), { recursive: true })
  writeFileSync(path.join(workspace, '.github/dual-backend.yml'), `backends:\n  sqlite: reports/sqlite/*.xml\n  postgres: reports/postgres/*.xml\n${extra}`)
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTty: false,
    cwd: workspace,
    env: {},
    now: new Date('2026-12-01T00:00:00Z')
  })
  return { code, stdout, stderr }
}

describe('--baseline', () => {
  it('an earlier JSON verdict gives the same vanished gaps as the base check run', async () => {
    writeConfig()
    writeReports(ALL)
    expect((await cli('--format', 'json', '--output', 'base.json')).code).toBe(0)
    expect(JSON.parse(readFileSync(path.join(workspace, 'base.json'), 'utf8')).inventory).toMatch(/^dbc-inventory\/1:/)

    writeReports(['test_insert', 'test_update'])
    const run = await cli('--baseline', 'base.json')
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('FAIL  2 gaps: 2 tests vanished from every backend')
    expect(run.stdout).toContain('vanished (2)')
    expect(run.stdout).toContain('tests.storage › test_delete  [sqlite+postgres]')
    expect(run.stdout).toContain('Compared with the baseline base.json: 4 tests there, 2 vanished, 0 new.')

    const json = JSON.parse((await cli('--baseline', 'base.json', '--format', 'json')).stdout)
    expect(json.gaps.map((g: { kind: string; test: string }) => `${g.kind} ${g.test}`)).toEqual(['vanished tests.storage › test_delete', 'vanished tests.storage › test_upsert'])
    expect(json.drift[0]).toMatchObject({ label: 'the baseline base.json', compared: true, baseTests: 4, vanished: ['tests.storage › test_delete', 'tests.storage › test_upsert'] })
  })

  it('an acknowledged removal passes and is listed', async () => {
    writeConfig()
    writeReports(ALL)
    await cli('--format', 'json', '--output', 'base.json')
    writeConfig("removed:\n  - test: ['*test_delete', '*test_upsert']\n    reason: folded into test_update\n")
    writeReports(['test_insert', 'test_update'])
    const run = await cli('--baseline', 'base.json')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('removed on purpose: tests.storage › test_delete (folded into test_update)')
  })

  it('a missing, foreign or inventory-less baseline is an error (exit 2), never a silent pass', async () => {
    writeConfig()
    writeReports(ALL)
    expect(await cli('--baseline', 'nope.json')).toMatchObject({ code: 2, stderr: expect.stringContaining('--baseline nope.json: could not be read (ENOENT)') })
    writeFileSync(path.join(workspace, 'old.json'), JSON.stringify({ conclusion: 'success', gaps: [] }))
    expect(await cli('--baseline', 'old.json')).toMatchObject({ code: 2, stderr: expect.stringContaining('holds no test inventory') })
    writeFileSync(path.join(workspace, 'bad.json'), '{')
    expect(await cli('--baseline', 'bad.json')).toMatchObject({ code: 2, stderr: expect.stringContaining('not a JSON verdict') })
    writeFileSync(path.join(workspace, 'damaged.json'), JSON.stringify({ inventory: 'dbc-inventory/1:AAAA' }))
    expect(await cli('--baseline', 'damaged.json')).toMatchObject({ code: 2, stderr: expect.stringContaining('damaged') })
  })
})

describe('the committed inventory', () => {
  it('inventory --write writes the file; removing a test then fails until its line is removed', async () => {
    writeConfig('inventory: .github/storage-tests.txt\n')
    writeReports(ALL)
    const written = await cli('inventory', '--write')
    expect(written).toMatchObject({ code: 0, stderr: 'dual-backend-coverage inventory: wrote 4 test ids to .github/storage-tests.txt\n' })
    const file = path.join(workspace, '.github/storage-tests.txt')
    const text = readFileSync(file, 'utf8')
    expect(text.split('\n').filter((l) => !l.startsWith('#') && l.length > 0)).toEqual([
      'tests.storage › test_delete',
      'tests.storage › test_insert',
      'tests.storage › test_update',
      'tests.storage › test_upsert'
    ])
    expect((await cli()).code).toBe(0)

    writeReports(['test_insert', 'test_update', 'test_upsert'])
    const run = await cli()
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('tests.storage › test_delete  [sqlite+postgres]')
    expect(run.stdout).toContain('listed in the inventory .github/storage-tests.txt, reported by no backend now')

    // The removal, made visible in the diff of the inventory file.
    writeFileSync(file, text.replace('tests.storage › test_delete\n', ''))
    expect((await cli()).code).toBe(0)
  })

  it('inventory prints to stdout without --write, and refuses to write from a run with a backend missing', async () => {
    writeConfig('inventory: .github/storage-tests.txt\n')
    writeReports(ALL)
    const printed = await cli('inventory')
    expect(printed.code).toBe(0)
    expect(printed.stdout).toContain('\ntests.storage › test_update\n')
    writeReports(ALL, null)
    const refused = await cli('inventory', '--write')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('not written')
    expect(refused.stderr).toContain('postgres: no report file matched reports/postgres/*.xml')
  })

  it('a configured inventory file that is missing or empty fails the gate and says how to write it', async () => {
    writeConfig('inventory: .github/storage-tests.txt\n')
    writeReports(ALL)
    const missing = await cli()
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('inventory: .github/storage-tests.txt could not be read (ENOENT) (write it with `dual-backend-coverage inventory --write`)')
    writeFileSync(path.join(workspace, '.github/storage-tests.txt'), '# nothing\n')
    expect((await cli()).stderr).toContain('the inventory lists no test')
  })

  it('--write without an inventory path, and options of the other command, are usage errors', async () => {
    writeConfig()
    writeReports(ALL)
    expect((await cli('inventory', '--write')).stderr).toContain('--write needs `inventory: PATH` in the config (or --output FILE)')
    expect((await cli('--write')).stderr).toContain('--write belongs to the inventory command')
    expect((await cli('inventory', '--baseline', 'x.json')).stderr).toContain('--baseline is not an option of the inventory command')
  })
})
