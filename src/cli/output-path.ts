// Checks on an --output path, before any work: what else it names is said plainly (exit 2).
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'

/** --output names a file the user can write; what else it names is said plainly (exit 2), before any work. */
export class OutputError extends Error {}

export function checkOutputPath(output: string, cwd: string): void {
  const file = path.resolve(cwd, output)
  if (output.endsWith('/') || output.endsWith(path.sep) || (existsSync(file) && statSync(file).isDirectory())) {
    throw new OutputError(`--output ${output}: is a folder; give a file name, e.g. --output ${path.join(output, 'dual-backend.txt')}`)
  }
  const folder = path.dirname(file)
  if (!existsSync(folder)) {
    const shown = path.dirname(output) === '.' ? folder : path.dirname(output)
    throw new OutputError(`--output ${output}: the folder ${shown} does not exist; create it first (mkdir -p ${shown})`)
  }
  if (!statSync(folder).isDirectory()) throw new OutputError(`--output ${output}: ${path.dirname(output)} is a file, not a folder`)
}

