// docs/end-to-end.md shows what `npm start` prints on the shipped example reports. The block is
// copied from a real run; this test reruns it, so the page cannot drift from the tool (it had:
// ids from before the #12 id cleaning stayed on the page for two stops).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { runCli } from '../../src/cli/cli.js'

const ROOT = path.resolve(import.meta.dirname, '../..')

it('the npm start output in docs/end-to-end.md is what the CLI prints', async () => {
  const page = readFileSync(path.join(ROOT, 'docs/end-to-end.md'), 'utf8')
  const block = /```text\n(FAIL {2}[\s\S]*?)```/.exec(page)?.[1]
  expect(block).toBeDefined()
  let stdout = ''
  let stderr = ''
  const code = await runCli(['--config', 'examples/reports/dual-backend.yml'], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTty: false,
    cwd: ROOT,
    env: {}
  })
  // npm start echoes the exit code after the CLI's own output (package.json's start script).
  const printed = `${stdout}${stderr}(exit code ${code}: 1 means the gate found gaps, which this example has on purpose)\n`
  expect(printed).toBe(block)
})
