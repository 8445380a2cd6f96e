// The worked adoption of docs/adoption.md, on the real pytest run of tests/fixtures/adoption
// (47 storage tests, 25 PostgreSQL-only, 4 SQLite-only, 3 parametrized by backend, 2 MySQL-only;
// regenerate with tests/fixtures/adoption/regenerate.sh): first run → init → refused → reviewed.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'
import { TODAY } from '../helpers/core.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const BACKENDS = ['--backend', 'sqlite=reports/sqlite/*.xml', '--backend', 'postgres=reports/postgres/*.xml']

let repo: string
beforeEach(async () => {
  repo = await mkdtemp(path.join(tmpdir(), 'dbc-adopt-'))
  await cp(path.join(ROOT, 'tests/fixtures/adoption/reports'), path.join(repo, 'reports'), { recursive: true })
  await mkdir(path.join(repo, '.github'))
})
afterEach(async () => {
  await rm(repo, { recursive: true, force: true })
})

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTty: false, cwd: repo, env: { GITHUB_WORKSPACE: repo }, now: TODAY })
  return { code, stdout, stderr }
}

const CONFIG = '.github/dual-backend.yml'
const REASONS: Record<string, string> = {
  'run only on sqlite?': 'SQLite PRAGMAs, rowid and flexible typing',
  'run on no configured backend?': 'MySQL dialect tests; no MySQL job yet',
  'these 19 tests run only on postgres?': 'JSONB, arrays, advisory locks, full-text search',
  'these 6 tests run only on postgres?': 'LISTEN/NOTIFY has no SQLite counterpart'
}

/** What the reviewer does: writes each reason, and deletes the one exemption that hides a broken job. */
function review(draft: string): string {
  const kept = draft.replace(/ {2}# 1 test\(s\) by id, only on sqlite:\n {2}# {3}test_notes › test_read_replica_sees_commit\n {2}- test: "test_notes › test_read_replica_sees_commit"\n {4}backends: \[sqlite\]\n {4}reason: "[^"]*"\n?/, '')
  expect(kept).not.toBe(draft)
  return kept.replace(/"TODO: why ([^"]*)"/g, (_, question: string) => {
    const key = Object.keys(REASONS).find((k) => question.endsWith(k))
    expect(key, question).toBeDefined()
    return JSON.stringify(REASONS[key as string])
  })
}

describe('adopting the gate on the adoption fixture', () => {
  it('first run: 41 gaps, every one explained', async () => {
    const first = await cli([...BACKENDS, '--format', 'json'])
    expect(first.code).toBe(1)
    const verdict = JSON.parse(first.stdout) as { conclusion: string; gaps: Array<{ kind: string; backend: string }> }
    expect(verdict.conclusion).toBe('failure')
    const count = (kind: string, backend: string) => verdict.gaps.filter((g) => g.kind === kind && g.backend === backend).length
    expect(verdict.gaps).toHaveLength(41)
    // The terminal shows a pytest skip once, with its file:line, and the failure's assertion.
    const text = (await cli(BACKENDS)).stdout
    expect(text).toContain('      | test_migrations.py:35: requires mysql\n')
    expect(text).not.toContain('      | requires mysql\n')
    expect(text).toContain("      | E         At index 0 diff: 'quarterly budget' != 'Quarterly Report'")
    expect([count('failed', 'postgres'), count('missing', 'postgres'), count('missing', 'sqlite'), count('skipped', 'postgres'), count('skipped', 'sqlite')]).toEqual([1, 3, 9, 7, 21])
  })

  it('init drafts 5 grouped exemptions and backend-in-name; refused until reviewed; reviewed, only the real problems are left', async () => {
    const init = await cli(['init', ...BACKENDS])
    expect(init.code).toBe(0)
    expect(init.stderr).toContain('47 tests: 14 ran on every backend, 32 one-sided in 5 draft exemption(s), 1 failing (not exempted); backend-in-name')
    const draft = await readFile(path.join(repo, CONFIG), 'utf8')
    expect(draft).toContain('backend-in-name: "\\\\[(?<backend>sqlite|postgres)\\\\]"')
    expect(draft.match(/^ {2}- (skip-reason|test): .*$/gm)).toEqual([
      '  - skip-reason: "^SQLite-only"',
      '  - skip-reason: "^requires mysql"',
      '  - skip-reason: "^requires postgresql"',
      '  - test: "pg.test_listen_notify › *"',
      '  - test: "test_notes › test_read_replica_sees_commit"'
    ])
    expect(draft).toContain('backends: none')
    // The failing test is named in a comment, never exempted.
    expect(draft).toMatch(/^# {3}test_notes › test_search_ignores_case$/m)
    expect(draft.replace(/^\s*#.*$/gm, '')).not.toContain('test_search_ignores_case')

    const refused = await cli([])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/exemptions\[0\]\.reason: still the draft placeholder from init/)

    await writeFile(path.join(repo, CONFIG), review(draft))
    const reviewed = await cli(['--format', 'json'])
    expect(reviewed.code).toBe(1)
    const verdict = JSON.parse(reviewed.stdout) as { errors: unknown[]; gaps: Array<{ test: string; kind: string; backend: string; reason: string; message?: string }>; exemptions: Array<{ state: string; count?: number }> }
    expect(verdict.errors).toEqual([])
    expect(verdict.gaps.map((g) => [g.test, g.kind, g.backend])).toEqual(
      expect.arrayContaining([
        ['test_notes › test_search_ignores_case', 'failed', 'postgres'],
        ['test_notes › test_read_replica_sees_commit', 'skipped', 'postgres']
      ])
    )
    expect(verdict.gaps).toHaveLength(2)
    expect(verdict.gaps.find((g) => g.kind === 'skipped')?.message).toContain('set DATABASE_URL_REPLICA to run the replica tests')
    expect(verdict.exemptions.map((e) => e.state)).toEqual(['used', 'used', 'used', 'used'])

    const text = await cli([])
    expect(text.stdout.split('\n')[0]).toBe('FAIL  2 gaps: 1 test failed on postgres, 1 test skipped on postgres')
    expect(text.stdout).toContain('exemption used: tests whose skip matches /^requires postgresql/ run on postgres (JSONB, arrays, advisory locks, full-text search): 19 test(s)')
    expect(text.stdout).toContain('exemption used: tests whose skip matches /^requires mysql/ run on no configured backend (MySQL dialect tests; no MySQL job yet): 2 test(s)')
    expect(text.stdout).toContain('exemption used: pg.test_listen_notify › * runs on postgres (LISTEN/NOTIFY has no SQLite counterpart): 6 test(s)')
  })
})
