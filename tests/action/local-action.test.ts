// `npm run local-action` (issue #13): the action run from source by GitHub's @github/local-action
// with the committed .env.example, as a maintainer runs it. It reads the shipped example reports
// with `publish: none`, so it needs no network: the verdict and the outputs must be the real ones.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')

describe('npm run local-action', () => {
  it('runs src/action/main.ts on the example reports and sets the real outputs', () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME }
    const r = spawnSync('npm', ['run', '--silent', 'local-action'], { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 })
    const out = r.stdout + r.stderr
    expect(r.status, out).toBe(0)
    expect(out).toContain('::set-output name=conclusion::failure')
    expect(out).toContain('::set-output name=gaps::4')
    expect(out).toContain('::error::4 gaps: 1 test failed on postgres, 1 test errored on postgres, 2 tests skipped on postgres')
    // The planted password of the example report never reaches the log.
    expect(out).not.toContain('s3cr3t-planted')
  })
})
