// `--version` and `-V` print the package's version (issue #13).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'
import { VERSION } from '../../src/cli/version.js'

const ROOT = path.resolve(import.meta.dirname, '../..')

describe('--version', () => {
  it('is package.json\u2019s version', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version)
  })

  it.each(['--version', '-V'])('%s prints it and exits 0; --help lists both -h and -V', async (flag) => {
    let out = ''
    const io = { stdout: (t: string) => (out += t), stderr: () => undefined, isTty: false, cwd: ROOT, env: {} }
    expect(await runCli([flag], io)).toBe(0)
    expect(out).toBe(`dual-backend-coverage ${VERSION}\n`)
    out = ''
    await runCli(['--help'], io)
    expect(out).toContain('-h, --help')
    expect(out).toContain('-V, --version')
  })
})
