// What a new user meets first (issue #13): no config, an empty config, --output into a missing
// folder or onto a folder, the one-line verdict after writing a file, and colour the way other
// tools decide it (FORCE_COLOR, NO_COLOR, TERM=dumb).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { runCli, wantsColour } from '../../src/cli/cli.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const EXAMPLE = ['--config', path.join(ROOT, 'examples/reports/dual-backend.yml')]

function cli(cwd: string, env: NodeJS.ProcessEnv = {}, isTty = false) {
  const out = { stdout: '', stderr: '' }
  const io = { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), isTty, cwd, env }
  return { out, run: (args: string[]) => runCli(args, io) }
}

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dbc-first-run-'))
})

describe('first run without a config', () => {
  it('says where it looked and what to do, exit 2, nothing on stdout', async () => {
    const { out, run } = cli(dir)
    expect(await run([])).toBe(2)
    expect(out.stdout).toBe('')
    expect(out.stderr).toContain(`looked for ${path.join(dir, '.github/dual-backend.yml')} and found none`)
    expect(out.stderr).toContain("--backend sqlite='reports/sqlite/*.xml' --backend postgres='reports/postgres/*.xml'")
    expect(out.stderr).toContain('dual-backend-coverage init')
    expect(out.stderr).toContain('--help')
    expect(out.stderr).not.toContain('internal error')
  })

  it.each(['', '\n\n', '# only a comment\n', '---\n'])('an empty config file (%j) names the file', async (text) => {
    mkdirSync(path.join(dir, '.github'))
    writeFileSync(path.join(dir, '.github/dual-backend.yml'), text)
    const { out, run } = cli(dir)
    expect(await run([])).toBe(2)
    expect(out.stderr).toContain('.github/dual-backend.yml: the config file is empty')
    expect(out.stderr).toContain('backends:')
  })

  it('an empty config file with --backend flags is fine: the flags give the backends', async () => {
    mkdirSync(path.join(dir, '.github'))
    writeFileSync(path.join(dir, '.github/dual-backend.yml'), '')
    const { out, run } = cli(ROOT)
    const code = await run(['--config', path.join(dir, '.github/dual-backend.yml'), '--backend', 'sqlite=examples/reports/sqlite/*.xml', '--backend', 'postgres=examples/reports/postgres/*.xml'])
    expect(code).toBe(1)
    expect(out.stdout).toContain('FAIL')
  })
})

describe('--output', () => {
  it('into a folder that does not exist: a clear error, exit 2, and no work done', async () => {
    const { out, run } = cli(dir)
    expect(await run([...EXAMPLE, '--output', 'out/report.txt'])).toBe(2)
    expect(out.stderr).toBe('dual-backend-coverage: --output out/report.txt: the folder out does not exist; create it first (mkdir -p out)\n')
  })

  it.each(['.', 'sub', 'sub/'])('onto a folder (%s): a clear error, exit 2', async (target) => {
    mkdirSync(path.join(dir, 'sub'))
    const { out, run } = cli(dir)
    expect(await run([...EXAMPLE, '--output', target])).toBe(2)
    expect(out.stderr).toMatch(/is a folder; give a file name/)
  })

  it('under a file: exit 2', async () => {
    writeFileSync(path.join(dir, 'plain'), '')
    const { out, run } = cli(dir)
    expect(await run([...EXAMPLE, '--output', 'plain/x.txt'])).toBe(2)
    expect(out.stderr).toContain('plain is a file, not a folder')
  })

  it.each(['text', 'json', 'markdown'])('after writing the %s report the verdict is one line on stderr', async (format) => {
    const { out, run } = cli(ROOT)
    const target = path.join(dir, 'verdict.out')
    expect(await run([...EXAMPLE, '--format', format, '--output', target])).toBe(1)
    expect(out.stdout).toBe('')
    expect(out.stderr).toBe(`FAIL  4 gaps: 1 test failed on postgres, 1 test errored on postgres, 2 tests skipped on postgres (${format} report written to ${target})\n`)
    expect(readFileSync(path.join(dir, 'verdict.out'), 'utf8').length).toBeGreaterThan(100)
  })

  it('inventory --output into a missing folder: exit 2, not an internal error', async () => {
    const { out, run } = cli(ROOT)
    expect(await run(['inventory', ...EXAMPLE, '--output', path.join(dir, 'missing/inventory.txt')])).toBe(2)
    expect(out.stderr).toContain('does not exist; create it first')
    expect(out.stderr).not.toContain('internal error')
  })
})

describe('colour', () => {
  const colour = (env: NodeJS.ProcessEnv, isTty: boolean) => wantsColour({ env, isTty })

  it('follows the terminal by default', () => {
    expect(colour({}, true)).toBe(true)
    expect(colour({}, false)).toBe(false)
  })

  it('NO_COLOR (non-empty) and TERM=dumb turn it off on a terminal; an empty NO_COLOR does not', () => {
    expect(colour({ NO_COLOR: '1' }, true)).toBe(false)
    expect(colour({ NO_COLOR: '' }, true)).toBe(true)
    expect(colour({ TERM: 'dumb' }, true)).toBe(false)
  })

  it('FORCE_COLOR wins both ways: on in a pipe and over NO_COLOR, off with 0 or false', () => {
    for (const value of ['1', '2', '3', 'true', '']) expect(colour({ FORCE_COLOR: value }, false)).toBe(true)
    expect(colour({ FORCE_COLOR: '1', NO_COLOR: '1', TERM: 'dumb' }, false)).toBe(true)
    for (const value of ['0', 'false', 'FALSE']) expect(colour({ FORCE_COLOR: value }, true)).toBe(false)
  })

  it('the text report carries colour codes exactly when wanted, and never into a file', async () => {
    const piped = cli(ROOT, { FORCE_COLOR: '1' })
    await piped.run(EXAMPLE)
    expect(piped.out.stdout).toContain('\u001b[')
    const dumb = cli(ROOT, { TERM: 'dumb' }, true)
    await dumb.run(EXAMPLE)
    expect(dumb.out.stdout).not.toContain('\u001b[')
    const file = cli(ROOT, { FORCE_COLOR: '1' }, true)
    await file.run([...EXAMPLE, '--output', path.join(dir, 'v.txt')])
    expect(readFileSync(path.join(dir, 'v.txt'), 'utf8')).not.toContain('\u001b[')
  })
})
