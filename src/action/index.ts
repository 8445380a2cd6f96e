// The action entry point (bundled to dist/index.js). run() turns every problem into a failure
// verdict; this last guard only catches a crash in publishing itself, and still fails the step.
import * as core from '@actions/core'
import { run } from './main.js'

try {
  await run()
} catch (error) {
  core.setFailed(`dual-backend-coverage: internal error: ${error instanceof Error ? error.message : String(error)}`)
}
