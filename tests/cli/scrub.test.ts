// `dual-backend-coverage scrub`: report files rewritten in place with the gate's redaction.
import { execFileSync } from 'node:child_process'
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runScrub } from '../../src/cli/scrub.js'
import { streamReport } from '../../src/io/reports.js'

const PASSWORD = 'Zq9vLm2Xk7pW'
const TOKEN = 'tok-4f9a8b7c6d5e'

let root: string
let workspace: string
let outside: string
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'dbc-scrub-'))
  workspace = path.join(root, 'ws')
  outside = path.join(root, 'outside')
  await mkdir(path.join(workspace, 'reports', 'sqlite'), { recursive: true })
  await mkdir(path.join(workspace, 'reports', 'postgres'), { recursive: true })
  await mkdir(outside)
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

const CLEAN = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="sqlite" tests="2">\n  <testcase classname="t" name="insert"/>\n  <testcase classname="t" name="update"><system-out>ok &amp; done</system-out></testcase>\n</testsuite>\n'
/** Three values in two testcases: a message attribute and a CDATA body in one, a name in the other. */
const SECRETS = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<testsuite name="postgres" tests="3">',
  `  <testcase classname="t" name="connect[postgres://app:${PASSWORD}@db/app]"/>`,
  `  <testcase classname="t" name="search"><failure message="postgres://app:${PASSWORD}@db/app refused"><![CDATA[token=${TOKEN}\n]]></failure></testcase>`,
  '  <testcase classname="t" name="clean"/>',
  '</testsuite>',
  ''
].join('\n')

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runScrub(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: workspace, env })
  return { code, stdout, stderr }
}

async function put(relative: string, content: string | Buffer): Promise<string> {
  const file = path.join(workspace, relative)
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, content)
  return file
}

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).filter((name) => name.endsWith('.scrub'))
}

describe('scrub', () => {
  it('scrubs every file a glob matches, leaves a clean one untouched, and prints one line per file', async () => {
    const clean = await put('reports/sqlite/junit.xml', CLEAN)
    const dirty = await put('reports/postgres/junit.xml', SECRETS)
    await chmod(dirty, 0o640)
    const old = new Date('2020-01-02T03:04:05Z')
    await utimes(clean, old, old)
    const before = await stat(clean)

    const result = await run(['scrub', 'reports/**/*.xml'])
    expect(result).toEqual({
      code: 0,
      stdout: 'scrubbed reports/postgres/junit.xml: 3 values masked in 2 testcases\nclean: reports/sqlite/junit.xml\n',
      stderr: ''
    })
    const scrubbed = await readFile(dirty, 'utf8')
    expect(scrubbed).toBe(SECRETS.split(PASSWORD).join('***').replace(TOKEN, '***'))
    expect((await stat(dirty)).mode & 0o777).toBe(0o640)
    const after = await stat(clean)
    expect(await readFile(clean, 'utf8')).toBe(CLEAN)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    expect(after.ino).toBe(before.ino)
    expect(await leftovers(workspace)).toEqual([])
    // The gate still reads it, and a second scrub finds nothing.
    expect(await streamReport(dirty, 'junit.xml', () => undefined)).toBe(3)
    expect(await run(['reports/postgres/junit.xml'])).toEqual({ code: 0, stdout: 'clean: reports/postgres/junit.xml\n', stderr: '' })
  })

  it('masks the values of the redact-env variables: the defaults, the config file, and --redact-env', async () => {
    const report = (value: string): string => `<testsuite name="s"><testcase classname="c" name="t"><system-out>value is ${value}.</system-out></testcase></testsuite>`
    await put('r/default.xml', report('pg-default-pass'))
    await put('r/config.xml', report('from-config-value'))
    await put('r/flag.xml', report('from-flag-value'))
    await put('.github/dual-backend.yml', 'backends:\n  sqlite: r/s.xml\n  postgres: r/p.xml\nredact-env: [CONFIG_SECRET]\n')
    const env = { PGPASSWORD: 'pg-default-pass', CONFIG_SECRET: 'from-config-value', FLAG_SECRET: 'from-flag-value' }
    const result = await run(['--redact-env', 'FLAG_SECRET', 'r/*.xml'], env)
    expect(result.code).toBe(0)
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'scrubbed r/config.xml: 1 value masked in 1 testcase',
      'scrubbed r/default.xml: 1 value masked in 1 testcase',
      'scrubbed r/flag.xml: 1 value masked in 1 testcase'
    ])
    for (const name of ['default', 'config', 'flag']) expect(await readFile(path.join(workspace, `r/${name}.xml`), 'utf8')).toBe(report('***'))
    // Without the flag the variable is not a secret.
    await put('r/flag.xml', report('from-flag-value'))
    expect((await run(['r/flag.xml'], env)).stdout).toBe('clean: r/flag.xml\n')
  })

  it('reads a config without backends (they come from the action input) and --config FILE', async () => {
    await put('ci/scrub.yml', 'redact-env: [MY_SECRET]\n')
    await put('r/a.xml', '<testsuite><testcase name="x"><system-out>value lalala here</system-out></testcase></testsuite>')
    const result = await run(['--config', 'ci/scrub.yml', 'r/a.xml'], { MY_SECRET: 'lalala' })
    expect(result).toMatchObject({ code: 0, stdout: 'scrubbed r/a.xml: 1 value masked in 1 testcase\n' })
    expect(await readFile(path.join(workspace, 'r/a.xml'), 'utf8')).toContain('value *** here')
    expect((await run(['--config', 'ci/missing.yml', 'r/a.xml'])).code).toBe(2)
  })

  it('refuses a UTF-16 file by name and leaves it unchanged, still scrubbing the others (exit 2)', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SECRETS, 'utf16le')])
    const file = await put('reports/postgres/utf16.xml', utf16)
    const other = await put('reports/postgres/junit.xml', SECRETS)
    const result = await run(['reports/postgres/*.xml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      'dual-backend-coverage scrub: reports/postgres/utf16.xml: is UTF-16LE: scrub writes reports back as UTF-8 only, so it is left unchanged (make the test runner write UTF-8)\n'
    )
    expect(result.stdout).toBe('scrubbed reports/postgres/junit.xml: 3 values masked in 2 testcases\n')
    expect(await readFile(file)).toEqual(utf16)
    expect(await readFile(other, 'utf8')).not.toContain(PASSWORD)
    expect(await leftovers(workspace)).toEqual([])
  })

  it('refuses invalid UTF-8 and leaves the file unchanged', async () => {
    const bytes = Buffer.concat([Buffer.from(SECRETS.slice(0, 200)), Buffer.from([0xff]), Buffer.from(SECRETS.slice(200))])
    const file = await put('r/bad.xml', bytes)
    const result = await run(['r/bad.xml'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('dual-backend-coverage scrub: r/bad.xml: invalid UTF-8 (byte offset 200); left unchanged\n')
    expect(await readFile(file)).toEqual(bytes)
    expect(await leftovers(workspace)).toEqual([])
  })

  it('keeps a UTF-8 byte-order mark', async () => {
    const file = await put('r/bom.xml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SECRETS)]))
    expect((await run(['r/bom.xml'])).code).toBe(0)
    const bytes = await readFile(file)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bytes.subarray(3).toString('utf8')).toBe(SECRETS.split(PASSWORD).join('***').replace(TOKEN, '***'))
  })

  it('refuses a symbolic link that leads outside the workspace and never touches its target', async () => {
    const target = path.join(outside, 'junit.xml')
    await writeFile(target, SECRETS)
    await symlink(target, path.join(workspace, 'reports/postgres/link.xml'))
    await symlink(path.join(outside, 'missing.xml'), path.join(workspace, 'reports/postgres/broken.xml'))
    await put('reports/sqlite/junit.xml', CLEAN)
    const result = await run(['reports/**/*.xml'])
    expect(result.code).toBe(2)
    expect(result.stderr.split('\n').filter(Boolean).sort()).toEqual([
      'dual-backend-coverage scrub: reports/postgres/broken.xml: refused: it is a broken symbolic link; reports must be regular files inside the workspace',
      'dual-backend-coverage scrub: reports/postgres/link.xml: refused: it resolves outside the workspace (symbolic link); reports must be regular files inside the workspace'
    ])
    expect(result.stdout).toBe('clean: reports/sqlite/junit.xml\n')
    expect(await readFile(target, 'utf8')).toBe(SECRETS)
    expect((await lstat(path.join(workspace, 'reports/postgres/link.xml'))).isSymbolicLink()).toBe(true)
  })

  it('scrubs the target of a link inside the workspace, once, and keeps the link', async () => {
    const real = await put('reports/postgres/junit.xml', SECRETS)
    await symlink('junit.xml', path.join(workspace, 'reports/postgres/alias.xml'))
    const result = await run(['reports/postgres/*.xml'])
    expect(result).toEqual({ code: 0, stdout: 'scrubbed reports/postgres/alias.xml: 3 values masked in 2 testcases\n', stderr: '' })
    expect(await readlink(path.join(workspace, 'reports/postgres/alias.xml'))).toBe('junit.xml')
    expect(await readFile(real, 'utf8')).not.toContain(PASSWORD)
  })

  it('exits 2 when a pattern matches nothing, or leaves the workspace, or no pattern is given', async () => {
    await put('reports/sqlite/junit.xml', CLEAN)
    const none = await run(['reports/sqlite/*.xml', 'reports/mysql/*.xml'])
    expect(none).toEqual({ code: 2, stdout: 'clean: reports/sqlite/junit.xml\n', stderr: 'dual-backend-coverage scrub: no file matched reports/mysql/*.xml\n' })
    for (const pattern of ['/etc/passwd', '../outside/*.xml', 'reports/{..,x}/*.xml']) {
      const result = await run(['reports/sqlite/*.xml', pattern])
      expect(result.code, pattern).toBe(2)
      expect(result.stdout, pattern).toBe('')
      expect(result.stderr, pattern).toMatch(/^dual-backend-coverage scrub: report glob .* (is absolute|leaves the workspace)/)
    }
    expect((await run([])).code).toBe(2)
    expect((await run(['--bogus', 'x.xml'])).code).toBe(2)
    expect(await run(['--help'])).toMatchObject({ code: 0, stderr: '' })
  })

  it('"!" patterns exclude; a named pipe or a folder is not scrubbed', async () => {
    await put('reports/postgres/junit.xml', SECRETS)
    await put('reports/postgres/keep.xml', SECRETS)
    const result = await run(['reports/**/*.xml', '!reports/postgres/keep.xml'])
    expect(result).toEqual({ code: 0, stdout: 'scrubbed reports/postgres/junit.xml: 3 values masked in 2 testcases\n', stderr: '' })
    expect(await readFile(path.join(workspace, 'reports/postgres/keep.xml'), 'utf8')).toBe(SECRETS)
    await mkdir(path.join(workspace, 'reports/folder.xml'))
    execFileSync('mkfifo', [path.join(workspace, 'reports/pipe.xml')])
    const special = await run(['reports/folder.xml', 'reports/pipe.xml'])
    expect(special.code).toBe(2)
    expect(special.stdout).toBe('')
    // Neither is a regular file: the glob leaves them out, and a name that matches nothing is an error.
    expect(special.stderr).toBe('dual-backend-coverage scrub: no file matched reports/folder.xml\ndual-backend-coverage scrub: no file matched reports/pipe.xml\n')
  })

  it('never prints a secret, not even one in a file name, and never a workflow command', async () => {
    await put(`r/password=${PASSWORD}.xml`, SECRETS)
    await put('r/x\n::error::forged.xml', CLEAN)
    const result = await run(['r/*.xml'])
    expect(result.code).toBe(0)
    expect(result.stdout + result.stderr).not.toContain(PASSWORD)
    expect(result.stdout).toContain('scrubbed r/password=***: 3 values masked in 2 testcases')
    expect(result.stdout).toContain('clean: r/x?::error::forged.xml\n')
    expect(result.stdout).not.toMatch(/^\s*::/m)
  })

  it('rewrites a large report with a long output in bounded time, no leftovers', async () => {
    const line = `connecting to postgres://app:${PASSWORD}@db/app ${'x'.repeat(100)}\n`
    const body = line.repeat(40_000) // about 5.5 MB in one system-out
    const original = `<testsuite><testcase name="big"><system-out>${body}</system-out></testcase><testcase name="t2"/></testsuite>`
    const file = await put('r/big.xml', original)
    const result = await run(['r/big.xml'])
    expect(result).toEqual({ code: 0, stdout: 'scrubbed r/big.xml: 1 value masked in 1 testcase\n', stderr: '' })
    expect(await readFile(file, 'utf8')).toBe(original.split(PASSWORD).join('***'))
    expect(await leftovers(workspace)).toEqual([])
  })
})
