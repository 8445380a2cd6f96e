// The doctor's checks as notices in the gate's own run (issue #11): a workflow in the checkout
// whose gate job lacks `if: always()` gets a notice at its line; the verdict is unchanged.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { pullRequestEvent } from '../helpers/events.js'
import { passing, reports, runGate, startEmulator } from './support.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const fixture = (name: string) => readFileSync(path.join(ROOT, 'tests/fixtures/workflows', name), 'utf8')

describe('doctor notices in the action', () => {
  it('a gate without if: always() is a notice at its line; the check stays green', async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pullRequestEvent(),
      files: { ...reports(passing(), passing()), '.github/workflows/ci.yml': fixture('rules/gate-without-always.yml') }
    })
    expect(result.exitCode).toBe(0)
    const notices = result.stdout.split('\n').filter((line) => line.startsWith('::notice') && line.includes('dual-backend-coverage doctor'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatch(/^::notice .*title=dual-backend-coverage doctor%3A gate-without-always/)
    expect(notices[0]).toMatch(/file=\.github\/workflows\/ci\.yml/)
    expect(notices[0]).toMatch(/line=\d+/)
    expect(notices[0]).toContain('Fix: ')
  })

  it('a clean workflow and a checkout without workflows give no notice', async () => {
    const emulator = await startEmulator()
    const clean = await runGate({ emulator, event: pullRequestEvent(), files: { ...reports(passing(), passing()), '.github/workflows/fork.yml': fixture('readme/fork-report.yml') } })
    expect(clean.stdout).not.toContain('dual-backend-coverage doctor')
    const none = await runGate({ emulator, event: pullRequestEvent(), files: reports(passing(), passing()) })
    expect(none.stdout).not.toContain('dual-backend-coverage doctor')
  })
})
