// The workflow doctor: each rule on its fixture (exactly one finding, on the exact line), the
// repository's own workflows and the README's workflow snippets (no findings), YAML shapes that
// move lines (CRLF, anchors, merge keys, flow style, comments), and bad or huge input.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CHECK_NAME, DOCTOR_RULES, type DoctorFinding, diagnoseWorkflows as diagnoseAll, MAX_WORKFLOW_CHARS } from '../../src/core/workflow-doctor.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const FIXTURES = 'tests/fixtures/workflows'

/**
 * The rule fixtures and inline cases below were written before `upload-unscrubbed` and each
 * tests one other rule; their backend jobs upload unscrubbed reports on purpose (fewer lines to
 * move). That rule is tested on its own below, and the workflows users copy (this repository's,
 * examples/workflows, the README and docs) are checked with every rule (diagnoseAll).
 */
const diagnoseWorkflows: typeof diagnoseAll = (files, options) => diagnoseAll(files, options).filter((f) => f.rule !== 'upload-unscrubbed')

function fixture(name: string): { path: string; text: string } {
  const file = `${FIXTURES}/${name}`
  return { path: file, text: readFileSync(path.join(ROOT, file), 'utf8') }
}

function diagnose(text: string, options = {}): DoctorFinding[] {
  return diagnoseWorkflows([{ path: 'wf.yml', text }], options)
}

/** 1-based line of the first line containing needle (after the nth match when given). */
function lineOf(text: string, needle: string, nth = 1): number {
  const lines = text.split(/\r\n|\r|\n/)
  let seen = 0
  for (let i = 0; i < lines.length; i += 1) {
    if ((lines[i] as string).includes(needle) && ++seen === nth) return i + 1
  }
  throw new Error(`"${needle}" not in the text`)
}

const brief = (findings: DoctorFinding[]) => findings.map((f) => `${f.file}:${f.line} ${f.rule}`)

// A correct two-backend workflow: the base of the inline cases below.
const GOOD = `name: CI
on: [pull_request]
jobs:
  sqlite:
    runs-on: ubuntu-latest
    env:
      STORAGE_BACKEND: sqlite
    steps:
      - uses: actions/checkout@v4
      - run: pytest --junitxml=reports/junit.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: junit-sqlite
          path: reports/
  postgres:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
        options: --health-cmd pg_isready
    env:
      STORAGE_BACKEND: postgres
      DATABASE_URL: postgres://app:pw@localhost:5432/app
    steps:
      - uses: actions/checkout@v4
      - run: pytest --junitxml=reports/junit.xml
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: junit-postgres
          path: reports/
  gate:
    needs: [sqlite, postgres]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        continue-on-error: true
        with: { pattern: junit-*, path: reports }
      - uses: OWNER/dual-backend-coverage@v1
        with:
          needs: \${{ toJSON(needs) }}
`

describe('the repository and the README', () => {
  it('the default check name is the action\'s', () => {
    const action = readFileSync(path.join(ROOT, 'action.yml'), 'utf8')
    expect(action).toMatch(new RegExp(`check-name:[\\s\\S]*?default: ${DEFAULT_CHECK_NAME}\\n`))
  })

  it.each(['repo/ci.yml', 'repo/dual-backend-report.yml'])('%s (this repository\'s workflow, the gate is `uses: ./`) has no findings', (name) => {
    expect(diagnoseAll([fixture(name)], { gateAction: './' })).toEqual([])
    // Without the option `./` and `./scrub` are somebody's own actions: only the scrub hint remains.
    expect(diagnoseAll([fixture(name)]).filter((f) => f.rule !== 'upload-unscrubbed')).toEqual([])
  })

  it('the repository\'s workflows together have no findings (check names are compared across files)', () => {
    expect(diagnoseAll([fixture('repo/ci.yml'), fixture('repo/dual-backend-report.yml')], { gateAction: './' })).toEqual([])
  })

  it('the fixture copies are the repository\'s current workflows', () => {
    for (const name of ['ci.yml', 'dual-backend-report.yml']) {
      expect(fixture(`repo/${name}`).text).toBe(readFileSync(path.join(ROOT, '.github/workflows', name), 'utf8'))
    }
  })

  it.each(readdirSync(path.join(ROOT, 'examples/workflows')).filter((f) => f.endsWith('.yml')))('examples/workflows/%s (what users copy) has no findings, every rule', (name) => {
    const file = `examples/workflows/${name}`
    expect(diagnoseAll([{ path: file, text: readFileSync(path.join(ROOT, file), 'utf8') }])).toEqual([])
  })

  it.each(['readme/ci.yml', 'readme/fork-report.yml', 'readme/runners.yml'])('%s (earlier README snippets) has no findings', (name) => {
    expect(diagnoseWorkflows([fixture(name)])).toEqual([])
  })

  it('recognises the gate in the README snippets and the repository (a broken copy is caught)', () => {
    const readme = fixture('readme/ci.yml').text.replace(/^ {4}if: always\(\).*$/m, '')
    expect(brief(diagnose(readme))).toEqual([`wf.yml:${lineOf(readme, '  gate:')} gate-without-always`])
    const repo = fixture('repo/ci.yml').text.replace('    needs: [sqlite, postgres]\n', '    needs: [sqlite]\n')
    expect(brief(diagnose(repo, { gateAction: './' }))).toEqual([`wf.yml:${lineOf(repo, 'needs: [sqlite]')} gate-missing-needs`])
    // Without the option, `uses: ./` is somebody's own action: only the non-gate rules apply.
    expect(diagnose(repo)).toEqual([])
  })
})

describe('each rule on its fixture: exactly one finding, on the exact line', () => {
  it.each<[string, string, number, 'error' | 'warning']>([
    ['rules/service-health-check.yml', 'service-health-check', 23, 'error'],
    ['rules/upload-without-always.yml', 'upload-without-always', 47, 'error'],
    ['rules/gate-without-always.yml', 'gate-without-always', 38, 'error'],
    ['rules/gate-missing-needs.yml', 'gate-missing-needs', 42, 'error'],
    ['rules/continue-on-error.yml', 'continue-on-error', 38, 'warning'],
    ['rules/check-name-equals-job.yml', 'check-name-equals-job', 41, 'error'],
    ['rules/echo-secret.yml', 'echo-secret', 40, 'error'],
    ['rules/yaml-syntax.yml', 'yaml', 9, 'error']
  ])('%s: %s on line %i', (name, rule, line, severity) => {
    const findings = diagnoseWorkflows([fixture(name)])
    expect(findings).toHaveLength(1)
    const [finding] = findings as [DoctorFinding]
    expect(finding).toMatchObject({ file: `${FIXTURES}/${name}`, rule, line, severity })
    expect(finding.message.length).toBeGreaterThan(20)
    expect(finding.fix.length).toBeGreaterThan(10)
    // The message is one sentence.
    expect(finding.message.replace(/\d\.\d|e\.g\.|\.\w/g, '').match(/\.(\s|$)/g)).toHaveLength(1)
  })

  it('the rule ids are stable (each has a fixture above, too-large its own test)', () => {
    const covered = new Set(['upload-unscrubbed', 'service-health-check', 'upload-without-always', 'gate-without-always', 'gate-missing-needs', 'continue-on-error', 'check-name-equals-job', 'echo-secret', 'yaml', 'too-large'])
    expect(new Set(DOCTOR_RULES)).toEqual(covered)
  })

  it('the messages name the job and the fix is concrete', () => {
    const [missing] = diagnoseWorkflows([fixture('rules/gate-missing-needs.yml')])
    expect(missing?.message).toContain('"test-postgres"')
    expect(missing?.fix).toBe('Set `needs: [sqlite, test-postgres]` on job "gate".')
    const [always] = diagnoseWorkflows([fixture('rules/gate-without-always.yml')])
    expect(always?.fix).toBe('Add `if: always()` to job "gate".')
    const [health] = diagnoseWorkflows([fixture('rules/service-health-check.yml')])
    expect(health?.message).toContain('"db" (docker.io/library/postgres:16-alpine)')
    expect(health?.fix).toContain('--health-cmd pg_isready')
    const [yamlError] = diagnoseWorkflows([fixture('rules/yaml-syntax.yml')])
    expect(yamlError?.message).toContain('bad indentation of a mapping entry')
    expect(yamlError?.column).toBe(6)
  })
})

describe('shapes', () => {
  it('CRLF line ends: the same line as with LF', () => {
    const crlf = fixture('shapes/crlf.yml')
    expect(crlf.text).toContain('\r\n')
    expect(crlf.text.replace(/\r\n/g, '\n').split('\n').slice(1)).toEqual(fixture('rules/gate-without-always.yml').text.split('\n').slice(1))
    expect(brief(diagnoseWorkflows([crlf]))).toEqual([`${FIXTURES}/shapes/crlf.yml:38 gate-without-always`])
    // Every rule keeps its line through CRLF.
    for (const name of ['rules/upload-without-always.yml', 'rules/echo-secret.yml', 'rules/check-name-equals-job.yml', 'rules/yaml-syntax.yml']) {
      const lf = fixture(name)
      expect(diagnoseWorkflows([{ ...lf, text: lf.text.replace(/\n/g, '\r\n') }]).map((f) => f.line)).toEqual(diagnoseWorkflows([lf]).map((f) => f.line))
    }
  })

  it('anchors and aliases: a shared service is reported for each job, on the anchored lines', () => {
    const findings = diagnoseWorkflows([fixture('shapes/anchors.yml')])
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['service-health-check', 13],
      ['service-health-check', 13]
    ])
    expect(findings[0]?.message).toContain('job "postgres-14"')
    expect(findings[1]?.message).toContain('job "postgres-16"')
  })

  it('a matrix backend job (backend words in the matrix) that the gate does not need', () => {
    const findings = diagnoseWorkflows([fixture('shapes/matrix.yml')])
    expect(brief(findings)).toEqual([`${FIXTURES}/shapes/matrix.yml:43 gate-missing-needs`])
    expect(findings[0]?.fix).toBe('Set `needs: [lint, tests]` on job "gate".')
  })

  it('`needs` as a string and as a list', () => {
    expect(diagnoseWorkflows([fixture('shapes/needs-string.yml')])).toEqual([])
    const asList = fixture('shapes/needs-string.yml').text.replace('needs: tests', 'needs: [tests]')
    expect(diagnose(asList)).toEqual([])
    const asBlockList = fixture('shapes/needs-string.yml').text.replace('needs: tests', 'needs:\n      - tests')
    expect(diagnose(asBlockList)).toEqual([])
    // The string form of the gate-missing-needs fixture names the missing job.
    expect(diagnoseWorkflows([fixture('rules/gate-missing-needs.yml')])[0]?.message).toContain('"test-postgres"')
  })

  it('a workflow without a gate job: only the backend-job rules', () => {
    expect(brief(diagnoseWorkflows([fixture('shapes/no-gate.yml')]))).toEqual([`${FIXTURES}/shapes/no-gate.yml:15 upload-without-always`])
    const noGate = GOOD.replace(/ {2}gate:[\s\S]*$/, '').replace('        options: --health-cmd pg_isready\n', '')
    expect(brief(diagnose(noGate))).toEqual([`wf.yml:${lineOf(noGate, '      postgres:')} service-health-check`])
  })

  it('merge keys: a merged key is reported on the line where it is written', () => {
    const text = `name: CI
on: [pull_request]
jobs:
  postgres:
    runs-on: ubuntu-latest
    steps:
      - run: npm test
      - &upload
        uses: actions/upload-artifact@v4
        if: success()
        with: { name: junit-postgres, path: reports/ }
  sqlite:
    runs-on: ubuntu-latest
    steps:
      - run: npm test
      - <<: *upload
        with: { name: junit-sqlite, path: reports/ }
`
    expect(diagnose(text).map((f) => [f.rule, f.line, f.message.match(/job "(\w+)"/)?.[1]])).toEqual([
      ['upload-without-always', 10, 'postgres'],
      ['upload-without-always', 10, 'sqlite']
    ])
  })

  it('flow style, comments and blank lines before keys, quoted keys', () => {
    const text = `name: CI
on: [pull_request]
jobs:

  # the backend
  "postgres":
    runs-on: ubuntu-latest
    steps: [{ run: npm test }, { uses: actions/upload-artifact@v4, with: { name: junit-postgres } }]
  gate: { needs: [postgres], runs-on: ubuntu-latest, steps: [{ uses: OWNER/dual-backend-coverage@v1 }] }
`
    expect(diagnose(text).map((f) => [f.rule, f.line, f.column])).toEqual([
      ['upload-without-always', 8, 34],
      ['gate-without-always', 9, 3]
    ])
  })

  it('findings are sorted by file and line, across files', () => {
    const findings = diagnoseWorkflows([fixture('shapes/no-gate.yml'), fixture('rules/yaml-syntax.yml'), fixture('rules/echo-secret.yml')])
    expect(brief(findings)).toEqual([
      `${FIXTURES}/rules/echo-secret.yml:40 echo-secret`,
      `${FIXTURES}/rules/yaml-syntax.yml:9 yaml`,
      `${FIXTURES}/shapes/no-gate.yml:15 upload-without-always`
    ])
  })
})

describe('service-health-check', () => {
  const withService = (service: string, extraStep = '') =>
    GOOD.replace('      postgres:\n        image: postgres:16\n        options: --health-cmd pg_isready\n', service).replace('      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres', `${extraStep}      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres`)

  it.each([
    'postgres',
    'postgres:16-alpine',
    'docker.io/library/postgres:16',
    'ghcr.io/acme/postgres:16@sha256:0123456789abcdef',
    'postgis/postgis:16-3.4',
    'bitnami/postgresql:16',
    'mysql:8.4',
    'mysql/mysql-server:8.0',
    'mariadb:11'
  ])('%s without --health-cmd', (image) => {
    const text = withService(`      db:\n        image: ${image}\n        options: --tmpfs /data\n`)
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, '      db:')} service-health-check`])
    const expected = /mariadb/.test(image) ? 'healthcheck.sh' : /mysql/.test(image) ? 'mysqladmin ping' : 'pg_isready'
    expect(findings[0]?.fix).toContain(expected)
  })

  it.each(['redis:7', 'mongo:7', 'my-postgres-proxy:1', 'nginx'])('%s is not a database of the gate', (image) => {
    expect(diagnose(withService(`      db:\n        image: ${image}\n`))).toEqual([])
  })

  it('a health check in any form passes', () => {
    expect(diagnose(withService('      db:\n        image: mysql:8\n        options: >-\n          --health-cmd="mysqladmin ping"\n          --health-interval=5s\n'))).toEqual([])
  })

  it('an explicit wait step in the job makes it a warning', () => {
    const text = withService('      db:\n        image: postgres:16\n', "      - run: timeout 60 bash -c 'until pg_isready -h localhost; do sleep 1; done'\n")
    expect(diagnose(text).map((f) => [f.rule, f.severity])).toEqual([['service-health-check', 'warning']])
  })

  it('any job, not only the backend jobs', () => {
    const text = `on: push\njobs:\n  migrate:\n    runs-on: ubuntu-latest\n    services:\n      pg:\n        image: postgres\n    steps:\n      - run: ./migrate\n`
    expect(brief(diagnose(text))).toEqual(['wf.yml:6 service-health-check'])
  })
})

describe('upload-without-always', () => {
  const withIf = (condition: string | undefined) =>
    GOOD.replace('        if: always()\n        with:\n          name: junit-postgres', `${condition === undefined ? '' : `        if: ${condition}\n`}        with:\n          name: junit-postgres`)

  it.each(['always()', '${{ always() }}', '"!cancelled()"', '${{ !cancelled() }}', 'success() || failure()', "always() && github.event_name != 'schedule'"])('`if: %s` passes', (condition) => {
    expect(diagnose(withIf(condition))).toEqual([])
  })

  it.each(['success()', 'failure()', "github.event_name == 'push'", 'true'])('`if: %s` is reported on the if: line', (condition) => {
    const text = withIf(condition)
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, `if: ${condition}`)} upload-without-always`])
    expect(findings[0]?.fix).toContain('if: always()')
  })

  it('no if: is reported on the uses: line', () => {
    const text = withIf(undefined)
    expect(brief(diagnose(text))).toEqual([`wf.yml:${lineOf(text, 'uses: actions/upload-artifact@v4', 2)} upload-without-always`])
  })

  it('only report uploads of backend jobs', () => {
    const text = `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n      - uses: actions/upload-artifact@v4\n        with: { name: junit, path: reports/ }\n  postgres:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n      - uses: actions/upload-artifact@v4\n        with: { name: dist, path: dist/ }\n      - uses: actions/upload-artifact/merge@v4\n        with: { name: junit-all }\n`
    expect(diagnose(text)).toEqual([])
  })

  it('a job the gate needs is a backend job even without backend words', () => {
    const text = GOOD.replace('needs: [sqlite, postgres]', 'needs: [sqlite, postgres, unit]') + `  unit:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n      - uses: actions/upload-artifact@v4\n        with: { name: junit-unit, path: reports/ }\n`
    expect(brief(diagnose(text))).toEqual([`wf.yml:${lineOf(text, 'uses: actions/upload-artifact@v4', 3)} upload-without-always`])
  })
})

describe('gate-without-always and gate-missing-needs', () => {
  it.each(['${{ always() }}', '"!cancelled()"', '${{ !cancelled() }}', "always() && github.event_name == 'pull_request'"])('`if: %s` passes', (condition) => {
    expect(diagnose(GOOD.replace('    if: always()\n    runs-on', `    if: ${condition}\n    runs-on`))).toEqual([])
  })

  it('a condition without always() is reported on its line, with a fix that keeps it', () => {
    const text = GOOD.replace('    if: always()\n    runs-on', "    if: github.event_name == 'pull_request'\n    runs-on")
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, "if: github.event_name == 'pull_request'")} gate-without-always`])
    expect(findings[0]?.fix).toBe("Make it `if: always() && (github.event_name == 'pull_request')` on job \"gate\".")
  })

  it('a workflow_run gate (no needs, no backend jobs in its workflow) needs neither', () => {
    expect(diagnoseWorkflows([fixture('readme/fork-report.yml')])).toEqual([])
  })

  it('no needs at all: both rules, on the job line', () => {
    const text = GOOD.replace('    needs: [sqlite, postgres]\n    if: always()\n', '')
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, '  gate:')} gate-without-always`, `wf.yml:${lineOf(text, '  gate:')} gate-missing-needs`])
    expect(findings.find((f) => f.rule === 'gate-missing-needs')?.message).toContain('backend jobs "sqlite", "postgres"')
    expect(findings.find((f) => f.rule === 'gate-missing-needs')?.fix).toBe('Set `needs: [sqlite, postgres]` on job "gate".')
  })

  it('jobs that are not backend jobs need not be needed; jobs after the gate are not backend jobs', () => {
    const text = `${GOOD}  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n  notify-postgres:\n    needs: gate\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n        env: { STORAGE_BACKEND: postgres }\n`
    expect(diagnose(text)).toEqual([])
  })

  it('with a download step, the backend jobs are those uploading what the gate downloads', () => {
    const extra = `  e2e:
    name: end to end on a real PostgreSQL
    runs-on: ubuntu-latest
    steps:
      - run: npm run test:e2e
      - uses: actions/upload-artifact@v4
        if: always()
        with: { name: e2e-output, path: .tmp/e2e/ }
  integration:
    runs-on: ubuntu-latest
    steps:
      - run: make integration
      - uses: actions/upload-artifact@v4
        if: always()
        with: { name: junit-mysql, path: out/ }
`
    const text = GOOD + extra
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, 'needs: [sqlite, postgres]')} gate-missing-needs`])
    expect(findings[0]?.message).toContain('backend job "integration"')
    // A download of every artifact: any report upload counts (e2e-output is no report).
    const all = text.replace('        with: { pattern: junit-*, path: reports }\n', '        with: { path: reports }\n')
    expect(diagnose(all)[0]?.message).toContain('backend job "integration"')
    // A download by name, with an expression on either side.
    const named = text.replace('with: { pattern: junit-*, path: reports }', 'with: { name: "junit-${{ matrix.db }}" }').replace('name: junit-mysql', 'name: other')
    expect(diagnose(named)).toEqual([])
  })

  it('a custom gate action (options.gateAction)', () => {
    const text = GOOD.replace('OWNER/dual-backend-coverage@v1', './.github/actions/gate').replace('    if: always()\n    runs-on', '    runs-on')
    expect(diagnose(text)).toEqual([])
    expect(brief(diagnose(text, { gateAction: './.github/actions/gate' }))).toEqual([`wf.yml:${lineOf(text, '  gate:')} gate-without-always`])
    expect(diagnose(text, { gateAction: './' })).toEqual([])
    expect(brief(diagnose(text.replace('./.github/actions/gate', 'acme/coverage-gate@v2'), { gateAction: 'acme/coverage-gate' }))).toHaveLength(1)
  })
})

describe('continue-on-error', () => {
  it('on a backend job', () => {
    const text = GOOD.replace('  postgres:\n    runs-on: ubuntu-latest\n', '  postgres:\n    runs-on: ubuntu-latest\n    continue-on-error: true\n')
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, 'continue-on-error: true')} continue-on-error`])
    expect(findings[0]?.severity).toBe('warning')
  })

  it('an expression, false, a non-test step or the gate\'s download step: no finding', () => {
    const expression = GOOD.replace('  postgres:\n    runs-on: ubuntu-latest\n', '  postgres:\n    runs-on: ubuntu-latest\n    continue-on-error: ${{ matrix.experimental }}\n')
    expect(diagnose(expression)).toEqual([])
    const nonTest = GOOD.replace('      - uses: actions/checkout@v4\n      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres', '      - uses: actions/checkout@v4\n      - run: ./scripts/warm-cache.sh\n        continue-on-error: true\n      - run: pytest --junitxml=reports/junit.xml\n        continue-on-error: false\n      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres')
    expect(diagnose(nonTest)).toEqual([])
  })
})

describe('check-name-equals-job', () => {
  it('a check-name input equal to a job id: the check-name line', () => {
    const text = GOOD.replace("          needs: ${{ toJSON(needs) }}\n", "          needs: ${{ toJSON(needs) }}\n          check-name: postgres\n")
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, 'check-name: postgres')} check-name-equals-job`])
    expect(findings[0]?.message).toContain('the id of job "postgres"')
  })

  it('case and spaces do not tell two checks apart; expressions are not compared', () => {
    expect(brief(diagnose(GOOD.replace('  sqlite:\n    runs-on', '  sqlite:\n    name: " Dual-Backend Coverage"\n    runs-on')))).toHaveLength(1)
    expect(diagnose(GOOD.replace('  sqlite:\n    runs-on', '  sqlite:\n    name: dual-backend coverage (${{ matrix.x }})\n    runs-on'))).toEqual([])
    expect(diagnose(GOOD.replace("          needs: ${{ toJSON(needs) }}\n", "          needs: ${{ toJSON(needs) }}\n          check-name: ${{ inputs.name }}\n"))).toEqual([])
  })

  it('a job of another workflow with the check\'s name', () => {
    const other = `name: nightly\non: schedule\njobs:\n  nightly:\n    name: dual-backend coverage\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n`
    const findings = diagnoseWorkflows([{ path: 'ci.yml', text: GOOD }, { path: 'nightly.yml', text: other }])
    expect(brief(findings)).toEqual([`ci.yml:${lineOf(GOOD, 'uses: OWNER/dual-backend-coverage@v1')} check-name-equals-job`])
    expect(findings[0]?.message).toContain('job "nightly" in nightly.yml')
  })
})

describe('echo-secret', () => {
  const withRun = (script: string, env = '') =>
    GOOD.replace('      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres', `      - run: ${script}\n${env}      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n          name: junit-postgres`)

  it.each([
    'echo $DATABASE_URL',
    'echo "url=${DATABASE_URL}"',
    "printf '%s\\n' \"$PGPASSWORD\"",
    'printenv DATABASE_URL',
    'printenv POSTGRES_TEST_URL',
    'echo ${{ secrets.DB_PASSWORD }}',
    "echo ${{ secrets['DB_PASSWORD'] }}",
    'echo ${{ env.DATABASE_URL }}',
    'Write-Host $env:PGPASSWORD',
    'echo $DATABASE_URL | tee url.txt',
    'env',
    'env | sort',
    'printenv | grep -i pg',
    'npm ci && echo "$DATABASE_URL" && npm test'
  ])('`%s`', (script) => {
    const text = withRun(script)
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, `- run: ${script}`)} echo-secret`])
  })

  it.each([
    'echo "::add-mask::$DATABASE_URL"',
    'echo "DATABASE_URL=$DATABASE_URL" >> "$GITHUB_ENV"',
    'echo $DATABASE_URL > url.txt',
    'echo "$PGPASSWORD" | docker login --password-stdin',
    'psql "$DATABASE_URL" -c "select 1"',
    'echo hello # $DATABASE_URL',
    'echo DATABASE_URL is set',
    'env STORAGE_BACKEND=postgres npm test',
    'printenv HOME',
    'echo "$DATABASE_URL_SUFFIX"'
  ])('`%s` is no finding', (script) => {
    expect(diagnose(withRun(script))).toEqual([])
  })

  it('`env` alone only where a secret or a database URL is in scope', () => {
    const text = `on: push\njobs:\n  docs:\n    runs-on: ubuntu-latest\n    steps:\n      - run: env\n`
    expect(diagnose(text)).toEqual([])
    expect(brief(diagnose(text.replace('  docs:\n', '  docs:\n    env:\n      TOKEN: ${{ secrets.TOKEN }}\n')))).toEqual(['wf.yml:8 echo-secret'])
  })

  it('set -x with such a variable in use: the set -x line', () => {
    const text = withRun('|\n          set -euxo pipefail\n          npm ci\n          psql "$DATABASE_URL" -f schema.sql\n          psql "$DATABASE_URL" -f seed.sql')
    const findings = diagnose(text)
    expect(brief(findings)).toEqual([`wf.yml:${lineOf(text, 'set -euxo pipefail')} echo-secret`])
    expect(findings[0]?.fix).toContain('set +x')
    expect(diagnose(withRun('|\n          set -x\n          npm ci\n          set +x\n          psql "$DATABASE_URL" -f schema.sql'))).toEqual([])
    expect(diagnose(withRun('|\n          set -x\n          npm test'))).toEqual([])
  })

  it('shell: bash -x: the shell: line', () => {
    const text = withRun('psql "$DATABASE_URL" -f schema.sql', '        shell: bash -ex {0}\n')
    expect(brief(diagnose(text))).toEqual([`wf.yml:${lineOf(text, 'shell: bash -ex {0}')} echo-secret`])
  })

  it('the exact line inside block scalars (literal, folded, repeated lines)', () => {
    const literal = withRun('|\n          npm ci\n\n          echo "$DATABASE_URL"\n          npm test\n          echo "$DATABASE_URL"')
    expect(diagnose(literal).map((f) => f.line)).toEqual([lineOf(literal, 'echo "$DATABASE_URL"'), lineOf(literal, 'echo "$DATABASE_URL"', 2)])
    const folded = withRun('>-\n          npm ci &&\n          echo "$PGPASSWORD" &&\n          npm test')
    expect(diagnose(folded).map((f) => f.line)).toEqual([lineOf(folded, 'echo "$PGPASSWORD"')])
  })
})

describe('bad input never throws', () => {
  it.each([
    ['a duplicated key', 'on: push\non: pull_request\n', 2, 'duplicated mapping key'],
    ['an unknown tag', 'on: push\njobs: !custom {}\n', 2, 'unknown tag'],
    ['an unclosed flow sequence', 'on: [push\njobs: {}\n', 2, ''],
    ['two documents', 'on: push\n---\non: pull_request\n', 1, 'single document'],
    ['a tab indent', 'jobs:\n\tgate: {}\n', 2, '']
  ])('%s is a yaml finding', (_what, text, line, reason) => {
    const findings = diagnose(text)
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ rule: 'yaml', severity: 'error', line })
    expect(findings[0]?.message).toContain(reason)
  })

  it('a top level that is not a mapping is a yaml finding; an empty file is nothing', () => {
    expect(diagnose('- a\n- b\n').map((f) => f.rule)).toEqual(['yaml'])
    expect(diagnose('')).toEqual([])
    expect(diagnose('# only a comment\n')).toEqual([])
    expect(diagnose('jobs: 3\n')).toEqual([])
    expect(diagnose('jobs:\n  gate: 3\n  x:\n    steps: 4\n  y:\n    steps: [1, null, "x"]\n    needs: {a: 1}\n    services: [1]\n')).toEqual([])
  })

  it('a file over the size limit is one too-large finding, not parsed', () => {
    const huge = `# ${'x'.repeat(MAX_WORKFLOW_CHARS)}\non: [\n`
    const findings = diagnose(huge)
    expect(findings.map((f) => [f.rule, f.line, f.severity])).toEqual([['too-large', 1, 'error']])
  })

  it('random text and random documents', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(Array.isArray(diagnose(text))).toBe(true)
      }),
      { numRuns: 300 }
    )
    const yamlish = fc.array(fc.constantFrom('jobs:', '  gate:', '    needs: [a', '    needs: a', '    if: always()', '    steps:', '      - uses: x/dual-backend-coverage@v1', '      - run: echo $DATABASE_URL', '    services:', '      db: {image: postgres}', '  &a', '*a', '? k', ': v', '- ', '  - ', '"', "'", '{', '}', '|', '>', '\t', ''), { maxLength: 40 })
    fc.assert(
      fc.property(yamlish, (lines) => {
        for (const finding of diagnose(lines.join('\n'))) {
          expect(finding.line).toBeGreaterThanOrEqual(1)
          expect(finding.line).toBeLessThanOrEqual(lines.length + 1)
        }
      }),
      { numRuns: 500 }
    )
  })

  it('bounded: a large workflow and an alias bomb are quick', () => {
    const jobs = Array.from({ length: 1500 }, (_, i) => `  postgres-${i}:\n    runs-on: ubuntu-latest\n    services:\n      db: { image: postgres }\n    steps:\n      - run: npm test\n      - run: echo $DATABASE_URL\n      - uses: actions/upload-artifact@v4\n`).join('')
    const large = `on: push\njobs:\n${jobs}  gate:\n    steps:\n      - uses: OWNER/dual-backend-coverage@v1\n`
    expect(large.length).toBeLessThan(MAX_WORKFLOW_CHARS)
    let started = performance.now()
    const findings = diagnose(large)
    expect(performance.now() - started).toBeLessThan(5000)
    expect(findings.filter((f) => f.rule === 'service-health-check')).toHaveLength(1500)
    expect(findings.filter((f) => f.rule === 'gate-missing-needs')).toHaveLength(1)

    let bomb = 'a0: &a0 [postgres-not, x]\n'
    for (let i = 1; i < 40; i += 1) bomb += `a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]\n`
    const text = `${bomb}on: push\njobs:\n  t:\n    strategy:\n      matrix:\n        m: *a39\n    steps:\n      - run: npm test\n`
    started = performance.now()
    diagnose(text.replace('postgres-not', 'nothing'))
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('upload-unscrubbed: a backend job holding a database password uploads raw reports', () => {
  const scrubbed = (step: string) =>
    fixture('rules/upload-unscrubbed.yml').text.replace(
      '      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          name: junit-postgres',
      `      - run: pytest --junitxml=reports/junit.xml\n${step}      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          name: junit-postgres`
    )

  it('its fixture: exactly one warning, on the upload of the job that holds DATABASE_URL', () => {
    const findings = diagnoseAll([fixture('rules/upload-unscrubbed.yml')])
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ rule: 'upload-unscrubbed', line: 32, severity: 'warning' })
    expect(findings[0]?.message).toContain('"postgres"')
    expect(findings[0]?.fix).toContain('dual-backend-coverage/scrub@v1')
  })

  it.each([
    ['the sub-action', '      - uses: OWNER/dual-backend-coverage/scrub@v1\n        if: always()\n        with: { paths: reports/*.xml }\n'],
    ['the sub-action pinned by SHA', '      - uses: acme/dual-backend-coverage/scrub@0123456789abcdef0123456789abcdef01234567\n        with: { paths: reports/*.xml }\n'],
    ['the CLI with npx', "      - run: npx dual-backend-coverage scrub 'reports/**/*.xml'\n        if: always()\n"],
    ['the CLI pinned with npx', "      - run: npx --yes dual-backend-coverage@1 scrub reports/junit.xml\n"],
    ['the bundled CLI', '      - run: node dist/cli.js scrub reports/junit.xml\n']
  ])('scrubbed with %s: no finding', (_, step) => {
    expect(diagnoseAll([{ path: 'wf.yml', text: scrubbed(step) }])).toEqual([])
  })

  it('a scrub step after the upload does not count', () => {
    const text = fixture('rules/upload-unscrubbed.yml').text.replace(
      '          name: junit-postgres\n          path: reports/\n',
      '          name: junit-postgres\n          path: reports/\n      - uses: OWNER/dual-backend-coverage/scrub@v1\n        with: { paths: reports/*.xml }\n'
    )
    expect(brief(diagnoseAll([{ path: 'wf.yml', text }]))).toEqual(['wf.yml:32 upload-unscrubbed'])
  })

  it('the scrub sub-action is never taken for the gate', () => {
    const text = scrubbed('      - uses: OWNER/dual-backend-coverage/scrub@v1\n        with: { paths: reports/*.xml }\n')
    // Were it a gate, the postgres job would need `if: always()` and the backend jobs.
    expect(diagnoseAll([{ path: 'wf.yml', text }])).toEqual([])
    expect(diagnoseAll([{ path: 'wf.yml', text: text.replace('OWNER/dual-backend-coverage/scrub@v1', './scrub') }], { gateAction: './' })).toEqual([])
  })

  it('a secret from `secrets.` or a database service also counts; a job without one is left alone', () => {
    const viaSecret = fixture('rules/upload-unscrubbed.yml').text.replace('    steps:\n      - uses: actions/checkout@v6\n      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          name: junit-sqlite', '    env:\n      API_TOKEN: ${{ secrets.API_TOKEN }}\n    steps:\n      - uses: actions/checkout@v6\n      - run: pytest --junitxml=reports/junit.xml\n      - uses: actions/upload-artifact@v6\n        if: always()\n        with:\n          name: junit-sqlite')
    expect(diagnoseAll([{ path: 'wf.yml', text: viaSecret }]).map((f) => f.message.match(/job "(\w+)"/)?.[1])).toEqual(['sqlite', 'postgres'])
  })
})
