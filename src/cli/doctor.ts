// dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]
// Reads the workflow files (DIR/*.yml, DIR/*.yaml) and prints the pitfalls that make the gate
// lie or flake, each with file:line and the fix (src/core/workflow-doctor.ts).
// Exit 0: no findings, or warnings only. 1: at least one error finding. 2: usage error, or no
// workflow directory / no workflow file in it.
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type DoctorFinding, diagnoseWorkflows, MAX_WORKFLOW_CHARS, tooLargeFinding } from '../core/workflow-doctor.js'

export interface DoctorIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  cwd: string
}

const EXIT_CLEAN = 0
const EXIT_FINDINGS = 1
const EXIT_USAGE = 2
const DEFAULT_DIRECTORY = '.github/workflows'

const USAGE = `Usage: dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]

Checks the GitHub Actions workflows for what makes the dual-backend gate lie or flake: a gate
job without \`if: always()\` or without \`needs\` on every backend job, report uploads that a
failing test skips, database services without a health check, continue-on-error on tests, a
check name shared with a job, secrets printed to the log.
  --workflows DIR     the workflow directory (default ${DEFAULT_DIRECTORY}); its *.yml and *.yaml files are read
  --format FORMAT     text (default) or json (an array of findings)
  --gate-action USES  also treat steps with this \`uses:\` as the gate (e.g. ./ inside the action's own repository)
  -h, --help          show this help

Exit status: 0 no findings (or warnings only), 1 at least one error, 2 usage error or no workflow files.
`

/**
 * Runs the doctor. `argv` is what follows `doctor` on the command line (a leading `doctor` is
 * ignored, so the whole argument list may be passed too).
 */
export async function runDoctor(argv: string[], io: DoctorIo): Promise<number> {
  const args = argv[0] === 'doctor' ? argv.slice(1) : argv
  let values: { workflows?: string; format?: string; 'gate-action'?: string; help?: boolean }
  try {
    values = parseArgs({
      args,
      options: {
        workflows: { type: 'string' },
        format: { type: 'string' },
        'gate-action': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    io.stderr(`dual-backend-coverage doctor: ${(error as Error).message}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  if (values.help === true) {
    io.stdout(USAGE)
    return EXIT_CLEAN
  }
  const format = values.format ?? 'text'
  if (format !== 'text' && format !== 'json') {
    io.stderr(`dual-backend-coverage doctor: --format must be text or json (got "${format}")\n\n${USAGE}`)
    return EXIT_USAGE
  }
  const directoryArg = values.workflows ?? DEFAULT_DIRECTORY
  if (directoryArg.trim() === '') {
    io.stderr(`dual-backend-coverage doctor: --workflows needs a directory\n\n${USAGE}`)
    return EXIT_USAGE
  }
  const directory = path.resolve(io.cwd, directoryArg)

  let names: string[]
  try {
    const entries = await readdir(directory, { withFileTypes: true })
    names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)).map((e) => e.name)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (error as Error).message
    io.stderr(`dual-backend-coverage doctor: no workflow directory ${directoryArg} (${why}); run it from the repository root or pass --workflows DIR\n`)
    return EXIT_USAGE
  }
  names.sort()

  const files: Array<{ path: string; text: string }> = []
  const tooLarge: DoctorFinding[] = []
  for (const name of names) {
    const absolute = path.join(directory, name)
    const shown = displayPath(io.cwd, absolute)
    try {
      const info = await stat(absolute)
      if (!info.isFile()) continue
      if (info.size > MAX_WORKFLOW_CHARS) {
        tooLarge.push(tooLargeFinding(shown, info.size))
        continue
      }
      files.push({ path: shown, text: await readFile(absolute, 'utf8') })
    } catch (error) {
      io.stderr(`dual-backend-coverage doctor: cannot read ${shown}: ${(error as Error).message}\n`)
      return EXIT_USAGE
    }
  }
  const checked = files.length + tooLarge.length
  if (checked === 0) {
    io.stderr(`dual-backend-coverage doctor: no workflow files (*.yml, *.yaml) in ${directoryArg}\n`)
    return EXIT_USAGE
  }

  const gateAction = values['gate-action']
  const findings = [...tooLarge, ...diagnoseWorkflows(files, gateAction === undefined ? {} : { gateAction })].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line)
  )
  const errors = findings.filter((f) => f.severity === 'error').length
  const warnings = findings.length - errors

  if (format === 'json') {
    io.stdout(`${JSON.stringify(findings, null, 2)}\n`)
  } else {
    const out: string[] = []
    for (const f of findings) out.push(`${f.file}:${f.line}: ${f.severity}: ${f.message} [${f.rule}]\n    fix: ${f.fix}\n`)
    const where = `${checked} workflow file${checked === 1 ? '' : 's'} in ${directoryArg}`
    if (findings.length === 0) out.push(`doctor: no problems found in ${where}.\n`)
    else out.push(`\ndoctor: ${count(errors, 'error')}, ${count(warnings, 'warning')} in ${where}.\n`)
    io.stdout(out.join(''))
  }
  return errors > 0 ? EXIT_FINDINGS : EXIT_CLEAN
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The path as shown in findings: relative to the working directory, with `/`. */
function displayPath(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute)
  const shown = relative === '' || path.isAbsolute(relative) ? absolute : relative
  return shown.split(path.sep).join('/')
}
