// `dual-backend-coverage init` on every dialect fixture: the draft loads with the real config
// loader once its TODO reasons are filled, and the gate then reports only the real failures.
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'
import { parseConfigText } from '../../src/core/config.js'
import { loadConfig } from '../../src/io/config-file.js'
import { evaluateWorkspace } from '../../src/io/gate.js'
import { TODAY } from '../helpers/core.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FIXTURES = 'tests/fixtures/dialects'
const DIALECTS: Array<[string, string, string]> = [
  ...['pytest', 'pytest-xunit1', 'jest', 'vitest', 'mocha', 'node-test', 'gotestsum', 'rust-libtest', 'nextest', 'phpunit', 'googletest', 'catch2', 'ctest'].map(
    (d): [string, string, string] => [d, `${FIXTURES}/${d}/sqlite.xml`, `${FIXTURES}/${d}/postgres.xml`]
  ),
  ['surefire', `${FIXTURES}/surefire/sqlite/*.xml`, `${FIXTURES}/surefire/postgres/*.xml`],
  ['pytest-param', `${FIXTURES}/pytest-param/combined.xml`, `${FIXTURES}/pytest-param/combined.xml`]
]

let out: string
beforeEach(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'dbc-init-'))
})
afterEach(async () => {
  await rm(out, { recursive: true, force: true })
})

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), isTty: false, cwd: ROOT, env: { GITHUB_WORKSPACE: '/work/main' }, now: TODAY })
  return { code, stdout, stderr }
}

const fill = (text: string) => text.replace(/"TODO: [^"]*"/g, '"filled in by the maintainer"')

describe.each(DIALECTS)('init on %s', (dialect, sqlite, postgres) => {
  it('drafts a config that is refused until reviewed, then leaves only the failures', async () => {
    const file = path.join(out, 'dual-backend.yml')
    const result = await cli(['init', '--backend', `sqlite=${sqlite}`, '--backend', `postgres=${postgres}`, '--output', file])
    expect(result.stderr).toMatch(/one-sided in \d+ draft exemption/)
    expect(result.code).toBe(0)
    const draft = await readFile(file, 'utf8')
    if (dialect === 'pytest-param') expect(draft).toContain('backend-in-name')
    else expect(draft).not.toContain('backend-in-name')
    if (/TODO/.test(draft.replace(/^#.*$/gm, ''))) expect(() => parseConfigText(draft)).toThrow(/still the draft placeholder from init/)
    await writeFile(file, fill(draft))
    const config = loadConfig({ path: file, cwd: ROOT })
    const verdict = await evaluateWorkspace({ config: { ...config, minTests: 0 }, workspace: ROOT, env: { GITHUB_WORKSPACE: '/work/main' }, now: TODAY })
    expect(verdict.errors).toEqual([])
    // What is left: the failing tests only (never exempted), failed or errored on postgres. A
    // failing test's gap on the other backend stays too (vitest: a hook failure reported as its
    // own testcase on postgres is missing on sqlite): it is the same failing test.
    const failing = new Set(verdict.gaps.filter((g) => g.kind === 'failed' || g.kind === 'errored').map((g) => g.test))
    expect(failing.size).toBeGreaterThan(0)
    expect(verdict.gaps.filter((g) => !failing.has(g.test))).toEqual([])
    expect(verdict.gaps.filter((g) => g.kind === 'failed' || g.kind === 'errored').every((g) => g.backend === 'postgres')).toBe(true)
    // Every test that was one-sided is excused by a draft exemption that excuses something.
    expect(verdict.exemptions.every((e) => e.state === 'used')).toBe(true)
  })
})

describe('init options', () => {
  it('refuses to overwrite without --force and prints with --output -', async () => {
    const file = path.join(out, 'x.yml')
    await writeFile(file, 'keep')
    const args = ['init', '--backend', `sqlite=${FIXTURES}/pytest/sqlite.xml`, '--backend', `postgres=${FIXTURES}/pytest/postgres.xml`]
    const refused = await cli([...args, '--output', file])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/already exists; not overwritten/)
    expect(await readFile(file, 'utf8')).toBe('keep')
    expect((await cli([...args, '--output', file, '--force'])).code).toBe(0)
    const printed = await cli([...args, '--output', '-'])
    expect(printed.code).toBe(0)
    expect(printed.stdout).toBe(await readFile(file, 'utf8'))
    expect(printed.stdout).toMatch(/^backends:/m)
  })

  it('makes the default .github folder of a new repository, but not a folder the user named', async () => {
    await cp(path.join(ROOT, FIXTURES, 'pytest'), path.join(out, 'reports'), { recursive: true })
    const inRepo = async (argv: string[]) => {
      let stderr = ''
      const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (stderr += t), isTty: false, cwd: out, env: {}, now: TODAY })
      return { code, stderr }
    }
    const args = ['init', '--backend', 'sqlite=reports/sqlite.xml', '--backend', 'postgres=reports/postgres.xml']
    const named = await inRepo([...args, '--output', 'config/gate.yml'])
    expect(named.code).toBe(2)
    expect(named.stderr).toMatch(/the folder config does not exist/)
    const made = await inRepo(args)
    expect(made.code).toBe(0)
    expect(made.stderr).toMatch(/wrote \.github\/dual-backend\.yml/)
    expect((await stat(path.join(out, '.github/dual-backend.yml'))).isFile()).toBe(true)
  })

  it('needs two backends', async () => {
    const result = await cli(['init', '--backend', `sqlite=${FIXTURES}/pytest/sqlite.xml`, '--output', '-'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/at least two backends/)
  })
})
