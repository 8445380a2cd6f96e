// `dual-backend-coverage doctor`: runDoctor over a temporary repository's workflow directory —
// the output formats, the exit codes and the usage errors.
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runDoctor } from '../../src/cli/doctor.js'
import { diagnoseWorkflows, MAX_WORKFLOW_CHARS } from '../../src/core/workflow-doctor.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FIXTURES = path.join(ROOT, 'tests/fixtures/workflows')

let workspace: string
beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'dbc-doctor-'))
})
afterEach(async () => {
  await rm(workspace, { recursive: true, force: true })
})

async function addWorkflow(fixture: string, as = path.basename(fixture), directory = '.github/workflows'): Promise<void> {
  await mkdir(path.join(workspace, directory), { recursive: true })
  await copyFile(path.join(FIXTURES, fixture), path.join(workspace, directory, as))
}

async function doctor(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runDoctor(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: workspace })
  return { code, stdout, stderr }
}

describe('doctor', () => {
  it('clean workflows: exit 0 and one line that says so', async () => {
    await addWorkflow('readme/ci.yml')
    await addWorkflow('readme/fork-report.yml', 'dual-backend-report.yaml')
    const { code, stdout, stderr } = await doctor()
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'doctor: no problems found in 2 workflow files in .github/workflows.\n', stderr: '' })
  })

  it('text: file:line: severity: message, then the fix, then a summary; exit 1 on an error', async () => {
    await addWorkflow('rules/gate-without-always.yml', 'ci.yml')
    await addWorkflow('rules/continue-on-error.yml', 'tests.yml')
    const { code, stdout, stderr } = await doctor()
    expect(code).toBe(1)
    expect(stderr).toBe('')
    expect(stdout).toBe(
      [
        '.github/workflows/ci.yml:38: error: The gate job "gate" has no `if: always()`, so when a backend job fails the gate is skipped, and a skipped job counts as passing for a required check (and the verdict is never posted). [gate-without-always]',
        '    fix: Add `if: always()` to job "gate".',
        '.github/workflows/tests.yml:38: warning: A test step of backend job "postgres" has `continue-on-error: true`, so failing tests no longer fail the job. [continue-on-error]',
        '    fix: Remove `continue-on-error` from the test step; to upload the report anyway, give the upload step `if: always()`.',
        '',
        'doctor: 1 error, 1 warning in 2 workflow files in .github/workflows.',
        ''
      ].join('\n')
    )
  })

  it('warnings alone: exit 0', async () => {
    await addWorkflow('rules/continue-on-error.yml')
    const { code, stdout } = await doctor()
    expect(code).toBe(0)
    expect(stdout).toContain(': warning: ')
    expect(stdout).toContain('doctor: 0 errors, 1 warning in 1 workflow file in .github/workflows.')
  })

  it('json: the findings array, the same as diagnoseWorkflows', async () => {
    for (const name of ['rules/echo-secret.yml', 'rules/yaml-syntax.yml', 'shapes/anchors.yml']) await addWorkflow(name)
    const { code, stdout } = await doctor('--format', 'json')
    expect(code).toBe(1)
    const findings = JSON.parse(stdout) as unknown
    const expected = diagnoseWorkflows(
      ['anchors.yml', 'echo-secret.yml', 'yaml-syntax.yml'].map((name) => ({
        path: `.github/workflows/${name}`,
        text: readFileSync(path.join(workspace, '.github/workflows', name), 'utf8')
      }))
    )
    expect(findings).toEqual(expected)
    expect(expected.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([
      '.github/workflows/anchors.yml:13 service-health-check',
      '.github/workflows/anchors.yml:13 service-health-check',
      // The shared (anchored) upload step has no scrub before it, in each job.
      '.github/workflows/anchors.yml:24 upload-unscrubbed',
      '.github/workflows/anchors.yml:24 upload-unscrubbed',
      '.github/workflows/echo-secret.yml:40 echo-secret',
      '.github/workflows/yaml-syntax.yml:9 yaml'
    ])
  })

  it('json with no findings is an empty array', async () => {
    await addWorkflow('shapes/needs-string.yml')
    expect(await doctor('--format', 'json')).toEqual({ code: 0, stdout: '[]\n', stderr: '' })
  })

  it('--workflows DIR; only top-level *.yml and *.yaml files are read; a leading `doctor` is ignored', async () => {
    await addWorkflow('rules/gate-missing-needs.yml', 'ci.yaml', 'ci/flows')
    await addWorkflow('rules/yaml-syntax.yml', 'notes.txt', 'ci/flows')
    await addWorkflow('rules/yaml-syntax.yml', 'broken.yml', 'ci/flows/nested')
    await mkdir(path.join(workspace, 'ci/flows/dir.yml'))
    const { code, stdout } = await doctor('doctor', '--workflows', 'ci/flows')
    expect(code).toBe(1)
    expect(stdout.split('\n').filter((l) => /^\S+:\d+: /.test(l))).toEqual([expect.stringMatching(/^ci\/flows\/ci\.yaml:42: error: .*\[gate-missing-needs\]$/)])
    expect(stdout).toContain('in 1 workflow file in ci/flows.')
  })

  it('a symbolic link to a workflow file is read', async () => {
    await addWorkflow('rules/gate-without-always.yml', 'real.yml', 'elsewhere')
    await mkdir(path.join(workspace, '.github/workflows'), { recursive: true })
    await symlink(path.join(workspace, 'elsewhere/real.yml'), path.join(workspace, '.github/workflows/ci.yml'))
    const { code, stdout } = await doctor()
    expect(code).toBe(1)
    expect(stdout).toMatch(/^\.github\/workflows\/ci\.yml:38: error: /)
  })

  it('a file over 1 MiB is a too-large finding, not read whole', async () => {
    await mkdir(path.join(workspace, '.github/workflows'), { recursive: true })
    await writeFile(path.join(workspace, '.github/workflows/huge.yml'), `# ${'x'.repeat(MAX_WORKFLOW_CHARS)}\n`)
    await addWorkflow('shapes/needs-string.yml')
    const { code, stdout } = await doctor('--format', 'json')
    expect(code).toBe(1)
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ file: '.github/workflows/huge.yml', line: 1, rule: 'too-large', severity: 'error' })])
  })

  it('--gate-action ./ checks the gate of the action\'s own repository', async () => {
    await mkdir(path.join(workspace, '.github/workflows'), { recursive: true })
    const ci = readFileSync(path.join(FIXTURES, 'repo/ci.yml'), 'utf8').replace(/^ {4}if: always\(\)\n/m, '')
    await writeFile(path.join(workspace, '.github/workflows/ci.yml'), ci)
    expect((await doctor()).code).toBe(0)
    const { code, stdout } = await doctor('--gate-action', './')
    expect(code).toBe(1)
    expect(stdout).toContain('[gate-without-always]')
  })

  it('this repository\'s own workflows pass', async () => {
    let stdout = ''
    const code = await runDoctor(['--gate-action', './'], { stdout: (t) => (stdout += t), stderr: () => undefined, cwd: ROOT })
    expect(stdout).toMatch(/^doctor: no problems found in \d+ workflow files? in \.github\/workflows\.\n$/)
    expect(code).toBe(0)
  })

  it('--help: usage on stdout, exit 0', async () => {
    const { code, stdout } = await doctor('--help')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^Usage: dual-backend-coverage doctor \[--workflows DIR\] \[--format text\|json\]/)
  })

  it.each([
    [['--format', 'markdown'], '--format must be text or json'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], 'Unexpected argument'],
    [['--workflows'], "Option '--workflows <value>' argument missing"],
    [['--workflows', ''], '--workflows needs a directory']
  ])('usage error %j: exit 2', async (argv, message) => {
    await addWorkflow('shapes/needs-string.yml')
    const { code, stdout, stderr } = await doctor(...argv)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain(message)
    expect(stderr).toContain('Usage: dual-backend-coverage doctor')
  })

  it('no workflow directory, or nothing in it: exit 2', async () => {
    let result = await doctor()
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('dual-backend-coverage doctor: no workflow directory .github/workflows (no such directory); run it from the repository root or pass --workflows DIR\n')
    await writeFile(path.join(workspace, 'file'), 'x')
    result = await doctor('--workflows', 'file')
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('(not a directory)')
    await mkdir(path.join(workspace, '.github/workflows'), { recursive: true })
    await writeFile(path.join(workspace, '.github/workflows/README.md'), '# none')
    result = await doctor()
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'dual-backend-coverage doctor: no workflow files (*.yml, *.yaml) in .github/workflows\n' })
  })
})
