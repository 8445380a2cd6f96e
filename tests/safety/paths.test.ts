// Report globs and matches that lead outside the workspace are refused out loud: a usage error
// (exit 2, nothing read) for absolute and ".." globs, an unreadable-report error naming the file
// (exit 2, failure) for symbolic links that resolve outside it. Nothing outside is ever read.
import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { backends, cli, cliChild, PASSING_REPORT, readOnlyInside, removeWorkspace, verdictOf, workspace } from './helpers.js'

const made: string[] = []
afterEach(async () => {
  for (const dir of made.splice(0)) await removeWorkspace(dir)
})

/** A workspace with passing reports for both backends, plus an "outside" folder next to it. */
async function setup(): Promise<{ ws: string; outside: string }> {
  const parent = await workspace()
  made.push(parent)
  const ws = path.join(parent, 'ws')
  const outside = path.join(parent, 'outside')
  await mkdir(path.join(ws, 'reports', 'sqlite'), { recursive: true })
  await mkdir(path.join(ws, 'reports', 'postgres'), { recursive: true })
  await mkdir(path.join(outside, 'dir'), { recursive: true })
  await writeFile(path.join(ws, 'reports', 'sqlite', 'junit.xml'), PASSING_REPORT)
  await writeFile(path.join(ws, 'reports', 'postgres', 'junit.xml'), PASSING_REPORT)
  // Outside: a report with a failing test and a canary, so reading it would show.
  const outsideReport = '<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="OUTSIDE_CANARY"><failure message="OUTSIDE_CANARY"/></testcase></testsuite>\n'
  await writeFile(path.join(outside, 'report.xml'), outsideReport)
  await writeFile(path.join(outside, 'dir', 'report.xml'), outsideReport)
  return { ws, outside }
}

describe('globs that leave the workspace are a usage error (exit 2, nothing read)', () => {
  it.each([
    ['../outside/report.xml', 'leaves the workspace with ".."'],
    ['reports/../../outside/report.xml', 'leaves the workspace with ".."'],
    ['./../outside/*.xml', 'leaves the workspace with ".."'],
    ['..\\outside\\report.xml', 'leaves the workspace with ".."'],
    ['{..,reports}/outside/report.xml', 'leaves the workspace with ".."'],
    ['reports/{sqlite,..}/*.xml', 'leaves the workspace with ".."'],
    ['@(..)/outside/report.xml', 'leaves the workspace with ".."'],
    ['/etc/passwd', 'is absolute'],
    ['//etc/passwd', 'is absolute'],
    ['C:/reports/*.xml', 'is absolute'],
    ['c:\\reports\\*.xml', 'is absolute']
  ])('%s', async (glob, reason) => {
    const { ws } = await setup()
    const run = await cli(ws, backends(glob, 'reports/postgres/*.xml'))
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toBe(
      `dual-backend-coverage: report glob "${glob}" ${reason}${reason.startsWith('is absolute') ? ': use a path relative to the workspace' : ': reports must be inside it'}\n`
    )
  })

  it('a glob with ".." in a file name (not a segment) is allowed', async () => {
    const { ws } = await setup()
    await writeFile(path.join(ws, 'reports', 'sqlite', 'a..b.xml'), PASSING_REPORT)
    const run = await cli(ws, backends('reports/sqlite/a..b.xml', 'reports/postgres/*.xml'))
    expect(run.code).toBe(0)
    expect(verdictOf(run).backends.map((b) => b.files)).toEqual([1, 1])
  })
})

describe('symbolic links: followed only when they stay inside, refused out loud otherwise', () => {
  const refusal = (file: string, why = 'it resolves outside the workspace (symbolic link)') =>
    `${file}: refused: ${why}; reports must be regular files inside the workspace`

  it('a link to a file outside, named directly: exit 2, an error naming the link, failure', async () => {
    const { ws, outside } = await setup()
    await symlink(path.join(outside, 'report.xml'), path.join(ws, 'reports', 'sqlite', 'link.xml'))
    const run = await cli(ws, backends('reports/sqlite/link.xml', 'reports/postgres/*.xml'))
    expect(run.code).toBe(2)
    const verdict = verdictOf(run)
    expect(verdict.conclusion).toBe('failure')
    expect(verdict.errors).toEqual([{ file: 'reports/sqlite/link.xml', message: refusal('reports/sqlite/link.xml') }])
    expect(run.stderr).toBe(`dual-backend-coverage: ${refusal('reports/sqlite/link.xml')}\n`)
    expect(run.stdout + run.stderr).not.toContain('OUTSIDE_CANARY')
  })

  it('a link to a file outside, matched by a wildcard next to a good report: refused, not silently dropped', async () => {
    const { ws, outside } = await setup()
    await symlink(path.join(outside, 'report.xml'), path.join(ws, 'reports', 'sqlite', 'zz-link.xml'))
    for (const glob of ['reports/sqlite/*.xml', 'reports/**/*.xml', '**/zz-*.xml']) {
      const run = await cli(ws, backends(glob, 'reports/postgres/*.xml'))
      expect(run.code, glob).toBe(2)
      const verdict = verdictOf(run)
      expect(verdict.conclusion).toBe('failure')
      expect(verdict.errors).toEqual([{ file: 'reports/sqlite/zz-link.xml', message: refusal('reports/sqlite/zz-link.xml') }])
      expect(run.stdout).not.toContain('OUTSIDE_CANARY')
    }
  })

  it('a link to a directory outside: a path through it is refused; ** never walks into it', async () => {
    const { ws, outside } = await setup()
    await symlink(path.join(outside, 'dir'), path.join(ws, 'reports', 'sqlite', 'linked'))
    const through = await cli(ws, backends('reports/sqlite/linked/*.xml', 'reports/postgres/*.xml'))
    expect(through.code).toBe(2)
    expect(verdictOf(through).errors).toEqual([{ file: 'reports/sqlite/linked/report.xml', message: refusal('reports/sqlite/linked/report.xml') }])
    const named = await cli(ws, backends('reports/sqlite/linked', 'reports/postgres/*.xml'))
    expect(named.code).toBe(2)
    expect(verdictOf(named).errors).toEqual([{ file: 'reports/sqlite/linked', message: refusal('reports/sqlite/linked') }])
    // A recursive glob does not follow the directory link: only the real report is read.
    const walked = await cli(ws, backends('reports/sqlite/**/*.xml', 'reports/postgres/*.xml'))
    expect(walked.code).toBe(0)
    expect(verdictOf(walked).backends.map((b) => b.files)).toEqual([1, 1])
    expect(walked.stdout).not.toContain('OUTSIDE_CANARY')
  })

  it('a link to /etc/passwd and a broken link: both refused by name; the file is never read', async () => {
    const { ws } = await setup()
    await symlink('/etc/passwd', path.join(ws, 'reports', 'sqlite', 'passwd.xml'))
    await symlink(path.join(ws, 'missing.xml'), path.join(ws, 'reports', 'sqlite', 'broken.xml'))
    // The permission model makes any read outside the workspace fail loudly instead of succeed.
    const run = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'), {}, readOnlyInside(ws))
    expect(run.code).toBe(2)
    expect(verdictOf(run).errors).toEqual([
      { file: 'reports/sqlite/broken.xml', message: refusal('reports/sqlite/broken.xml', 'it is a broken symbolic link') },
      { file: 'reports/sqlite/passwd.xml', message: refusal('reports/sqlite/passwd.xml') }
    ])
    expect(run.stdout + run.stderr).not.toMatch(/root:|ERR_ACCESS_DENIED/)
  })

  it('a link that stays inside the workspace is read like the file it points to', async () => {
    const { ws } = await setup()
    await mkdir(path.join(ws, 'real'))
    await writeFile(path.join(ws, 'real', 'pg.xml'), PASSING_REPORT)
    await symlink(path.join(ws, 'real', 'pg.xml'), path.join(ws, 'reports', 'postgres', 'link.xml'))
    const run = await cli(ws, backends('reports/sqlite/*.xml', 'reports/postgres/link.xml'))
    expect(run.code).toBe(0)
    expect(verdictOf(run)).toMatchObject({ conclusion: 'success', tests: 1, errors: [] })
  })

  it('a named pipe matched by a glob (directly or through a link) is never opened: no hang', { timeout: 15_000 }, async () => {
    const { ws } = await setup()
    execFileSync('mkfifo', [path.join(ws, 'reports', 'sqlite', 'pipe.xml')])
    await symlink(path.join(ws, 'reports', 'sqlite', 'pipe.xml'), path.join(ws, 'reports', 'sqlite', 'pipe-link.xml'))
    const run = await cli(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    expect(run.code).toBe(0)
    expect(verdictOf(run).backends.map((b) => b.files)).toEqual([1, 1])
  })
})

describe('many links', () => {
  it('20,000 links to a file outside: all refused by name, in bounded time', { timeout: 60_000 }, async () => {
    const { ws, outside } = await setup()
    const target = path.join(outside, 'report.xml')
    const dir = path.join(ws, 'reports', 'sqlite')
    for (let start = 0; start < 20_000; start += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => symlink(target, path.join(dir, `l${start + i}.xml`))))
    }
    const started = performance.now()
    const run = await cli(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'))
    const seconds = (performance.now() - started) / 1000
    if (process.env.DBC_SAFETY_VERBOSE !== undefined) console.log(`20,000 refused links: ${seconds.toFixed(2)} s`)
    // Measured: 0.8 s.
    expect(seconds).toBeLessThan(20)
    expect(run.code).toBe(2)
    const verdict = verdictOf(run)
    expect(verdict.errors).toHaveLength(20_000)
    expect(verdict.backends.map((b) => b.files)).toEqual([1, 1])
    expect(run.stdout).not.toContain('OUTSIDE_CANARY')
  })
})
