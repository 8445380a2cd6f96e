// The scrub sub-action (scrub/action.yml) run the way the runner runs a composite step: its
// `run` script under `bash --noprofile --norc -eo pipefail`, the inputs in its `env:` as the
// runner expands them, GITHUB_ACTION_PATH set to the sub-action's folder, the job's DATABASE_URL
// in the environment. It runs the bundled CLI (dist/cli.js).
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const ACTION_DIR = path.join(ROOT, 'scrub')

interface Step { shell: string; run: string; env: Record<string, string> }
const action = yaml.load(readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { required?: boolean; default?: string }>
  runs: { using: string; steps: Step[] }
}

/** The runner's `${{ inputs.x }}` substitution into the step's env, with the action's defaults. */
function runStep(workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const step = action.runs.steps[0] as Step
  const values = Object.fromEntries(Object.entries(action.inputs).map(([name, spec]) => [name, inputs[name] ?? spec.default ?? '']))
  const stepEnv = Object.fromEntries(
    Object.entries(step.env).map(([key, template]) => [key, template.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => values[name] ?? '')])
  )
  const script = path.join(workspace, '..', `step-${Math.random().toString(36).slice(2)}.sh`)
  writeFileSync(script, step.run)
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    cwd: workspace,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_ACTION_PATH: ACTION_DIR, GITHUB_WORKSPACE: workspace, ...stepEnv, ...env }
  })
}

const PASSWORD = "p@ss w'rd\"$(x)`;&<>"
const url = `postgres://app:${encodeURIComponent(PASSWORD)}@db:5432/app`
const report = (text: string) =>
  `<?xml version="1.0"?>\n<testsuite name="s" tests="1"><testcase classname="c" name="t"><failure message="could not connect">${text}</failure></testcase></testsuite>\n`
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function workspace(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'dbc-scrub-action-')), 'ws')
  mkdirSync(path.join(dir, 'reports/shard 1'), { recursive: true })
  return dir
}

describe('scrub/action.yml', () => {
  it('is a composite action whose required input is paths', () => {
    expect(action.runs.using).toBe('composite')
    expect(action.inputs.paths?.required).toBe(true)
  })

  it('masks the job\u2019s DATABASE_URL password and a redact-env value in every listed report, leaving the rest byte-identical', () => {
    const ws = workspace()
    const first = report(`connect ${escapeXml(url)} failed`)
    const second = report(`token=${'x'.repeat(3)} api key ${escapeXml('k3y-Value!')} end`)
    writeFileSync(path.join(ws, 'reports/shard 1/a.xml'), first)
    writeFileSync(path.join(ws, 'reports/b.xml'), second)
    writeFileSync(path.join(ws, 'reports/clean.xml'), report('nothing here'))
    const result = runStep(ws, { paths: 'reports/**/*.xml\n# a comment line\n\n', 'redact-env': '  API_KEY  \n' }, { DATABASE_URL: url, API_KEY: 'k3y-Value!' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const a = readFileSync(path.join(ws, 'reports/shard 1/a.xml'), 'utf8')
    expect(a).not.toContain(encodeURIComponent(PASSWORD))
    // DATABASE_URL is a redact-env value: the whole URL is masked.
    expect(a).toBe(first.replace(escapeXml(url), '***'))
    expect(readFileSync(path.join(ws, 'reports/b.xml'), 'utf8')).not.toContain('k3y-Value!')
    expect(readFileSync(path.join(ws, 'reports/clean.xml'), 'utf8')).toBe(report('nothing here'))
    expect(result.stdout).toMatch(/scrubbed reports\/shard 1\/a\.xml/)
    expect(result.stdout).toMatch(/clean: reports\/clean\.xml/)
    expect(result.stdout).not.toContain('k3y-Value!')
  })

  it('fails the step (exit 2) when a pattern matches no report, so a missing report is not silent', () => {
    const ws = workspace()
    const result = runStep(ws, { paths: 'reports/*.xml' }, { DATABASE_URL: url })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('reports/*.xml')
  })

  it('honours working-directory and config', () => {
    const ws = workspace()
    mkdirSync(path.join(ws, 'app/reports'), { recursive: true })
    writeFileSync(path.join(ws, 'app/gate.yml'), 'backends: {sqlite: r/*.xml, postgres: r/*.xml}\nredact-env: [SHARD_TOKEN]\n')
    writeFileSync(path.join(ws, 'app/reports/x.xml'), report('shard tok-123456'))
    const result = runStep(ws, { paths: 'reports/x.xml', 'working-directory': 'app', config: 'gate.yml' }, { SHARD_TOKEN: 'tok-123456' })
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(readFileSync(path.join(ws, 'app/reports/x.xml'), 'utf8')).not.toContain('tok-123456')
  })

  it('an input holding shell syntax is a file pattern, never code', () => {
    const ws = workspace()
    const result = runStep(ws, { paths: '$(touch pwned); `touch pwned2`' })
    expect(result.status).toBe(2)
    expect(() => readFileSync(path.join(ws, 'pwned'))).toThrow()
    expect(() => readFileSync(path.join(ws, 'pwned2'))).toThrow()
  })
})
