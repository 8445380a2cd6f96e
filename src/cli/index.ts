// The CLI entry point (bundled to dist/cli.js).
import { once } from 'node:events'
import { runCli } from './cli.js'

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stdoutDrained: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : Promise.resolve()),
  stderr: (text) => process.stderr.write(text),
  isTty: process.stdout.isTTY === true,
  cwd: process.cwd(),
  env: process.env
})
process.exitCode = code
