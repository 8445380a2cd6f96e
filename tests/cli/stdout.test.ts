// A huge report goes to stdout in bounded batches, each one waited for before the next is made:
// a pipe takes writes asynchronously, and without waiting the whole report queued in memory.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'

let workspace: string | undefined
afterEach(async () => {
  if (workspace !== undefined) await rm(workspace, { recursive: true, force: true })
})

describe('CLI output to stdout', () => {
  it.each(['json', 'text'])('writes a %s report of 30,000 gaps in batches of about 1 MB, draining between them', async (format) => {
    workspace = await mkdtemp(path.join(tmpdir(), 'dbc-stdout-'))
    const cases = Array.from({ length: 30_000 }, (_, i) => `<testcase classname="storage.rows" name="test_row_${i}"/>`).join('\n')
    await mkdir(path.join(workspace, 'r'), { recursive: true })
    await writeFile(path.join(workspace, 'r/sqlite.xml'), `<testsuite name="s">${cases}</testsuite>`)
    await writeFile(path.join(workspace, 'r/postgres.xml'), '<testsuite name="s"><testcase classname="c" name="other"/></testsuite>')

    const events: string[] = []
    const writes: number[] = []
    let pending = 0
    let text = ''
    const code = await runCli(['--backend', 'sqlite=r/sqlite.xml', '--backend', 'postgres=r/postgres.xml', '--format', format], {
      stdout: (chunk) => {
        // Never a second batch while the first has not drained.
        expect(pending).toBe(0)
        pending += 1
        writes.push(chunk.length)
        events.push('write')
        text += chunk
      },
      stdoutDrained: async () => {
        events.push('drained')
        await new Promise((resolve) => setTimeout(resolve, 1))
        pending = 0
      },
      stderr: () => undefined,
      isTty: false,
      cwd: workspace,
      env: {}
    })
    pending = 0
    expect(code).toBe(1)
    expect(writes.length).toBeGreaterThan(2)
    expect(Math.max(...writes)).toBeLessThan(1.2 * 2 ** 20)
    // Every write but the last is followed by a wait for the drain.
    expect(events.slice(0, -1).every((event, i) => event === 'drained' || events[i + 1] === 'drained')).toBe(true)
    if (format === 'json') expect(JSON.parse(text).gaps).toHaveLength(30_001)
    else expect(text).toContain('test_row_29999')
  })
})
