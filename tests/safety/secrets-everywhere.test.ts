// Nothing secret leaves (issue #9): a password drawn from all of printable ASCII is planted in
// every place a report holds text (test and class names, suite names, file attributes, failure,
// error and skip messages and bodies, system-out and system-err, properties) and must be absent
// from every output: the JSON verdict, the terminal text, the job summary, the check run's title,
// summary and text, and its annotations. Outputs are read as a person reads them: HTML entities,
// Markdown backslash escapes and zero-width spaces are undone before looking, so an escaped
// password ("p&amp;ss", "p\_ss") counts as a leak.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { buildAnnotations, checkOutput } from '../../src/action/publish.js'
import { buildConfig } from '../../src/core/config.js'
import { evaluateWorkspace } from '../../src/io/gate.js'
import { renderJson } from '../../src/render/json.js'
import { JOB_SUMMARY_LIMIT, renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'
import { asRead } from '../helpers/as-read.js'

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))
// 8–32 characters with at least four different ones: "        " or "aaaaaaaa" would match the
// layout of any output and prove nothing.
const password = fc
  .array(printable, { minLength: 8, maxLength: 32 })
  .map((chars) => chars.join(''))
  .filter((pw) => pw.trim().length > 0 && new Set(pw).size >= 4)

/** How the CI gives the password to the gate (all are default redact-env variables). */
type Source = 'DATABASE_URL encoded' | 'DATABASE_URL as typed' | 'PGPASSWORD'
const source = fc.constantFrom<Source>('DATABASE_URL encoded', 'DATABASE_URL as typed', 'PGPASSWORD')

function envFor(pw: string, from: Source): NodeJS.ProcessEnv {
  if (from === 'PGPASSWORD') return { PGPASSWORD: pw }
  const written = from === 'DATABASE_URL encoded' ? encodeURIComponent(pw) : pw
  return { DATABASE_URL: `postgresql://ci:${written}@localhost:5432/storage` }
}

const xmlAttr = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The postgres report: the password in every text a testcase or suite can carry. */
function postgresReport(pw: string): string {
  const a = xmlAttr(pw)
  const t = xmlText(pw)
  const url = `postgresql://ci:${encodeURIComponent(pw)}@db.internal:5432/app`
  return `<?xml version="1.0"?>
<testsuites name="run ${a}">
<testsuite name="storage ${a}" tests="9">
  <properties><property name="db_password" value="${a}"/><property name="dsn" value="${xmlAttr(url)}"/></properties>
  <testcase classname="tests.storage" name="test_connect[${a}]" file="tests/storage/test_connect.py" line="3"><failure message="login ${a} refused">connect("${xmlText(url)}")
E   the password was ${t}
E   AssertionError</failure></testcase>
  <testcase classname="tests.storage.${a}" name="test_in_class" file="tests/storage/test_class.py"/>
  <testcase classname="tests.storage" name="test_file_attr" file="tests/${a}/test_file.py"><error message="pool: ${a}" type="OperationalError">${t}</error></testcase>
  <testcase classname="tests.storage" name="test_skip_message"><skipped message="no server for ${a}">${t}</skipped></testcase>
  <testcase classname="tests.storage" name="test_marker"><system-out>starting
Skipping postgres: login ${t} refused</system-out><system-err>${t}</system-err></testcase>
  <testcase classname="tests.storage" name="test_output_fail"><failure message="boom"/><system-out>${t}</system-out><system-err>${xmlText(url)}</system-err></testcase>
  <testcase classname="tests.storage" name="test_common"><properties><property name="pw" value="${a}"/></properties></testcase>
</testsuite>
</testsuites>
`
}

const SQLITE_REPORT = `<?xml version="1.0"?>
<testsuite name="storage" tests="6">
  <testcase classname="tests.storage" name="test_common"/>
  <testcase classname="tests.storage" name="test_file_attr" file="tests/storage/test_file.py"/>
  <testcase classname="tests.storage" name="test_skip_message"/>
  <testcase classname="tests.storage" name="test_marker"/>
  <testcase classname="tests.storage" name="test_output_fail"/>
  <testcase classname="tests.storage" name="test_in_class"/>
</testsuite>
`

const config = buildConfig(
  { backends: { sqlite: 'reports/sqlite/*.xml', postgres: 'reports/postgres/*.xml' }, 'skip-markers': ['^Skipping postgres\\b'] },
  'secrets-everywhere'
)

const root = mkdtempSync(path.join(tmpdir(), 'dbc-secrets-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let runNumber = 0

/** Every output the CLI and the action produce for one workspace, by name. */
async function outputsFor(pw: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const workspace = path.join(root, String(runNumber++))
  mkdirSync(path.join(workspace, 'reports/sqlite'), { recursive: true })
  mkdirSync(path.join(workspace, 'reports/postgres'), { recursive: true })
  writeFileSync(path.join(workspace, 'reports/sqlite/junit.xml'), SQLITE_REPORT)
  writeFileSync(path.join(workspace, 'reports/postgres/junit.xml'), postgresReport(pw))
  const verdict = await evaluateWorkspace({ config, workspace, env, now: new Date('2026-12-01T00:00:00Z') })
  const links = { serverUrl: 'https://github.com', repository: 'o/r', sha: 'a'.repeat(40) }
  const check = checkOutput(verdict, links, 'dual-backend coverage')
  const outputs = {
    json: renderJson(verdict),
    text: renderText(verdict, { colour: false }),
    'job summary': renderMarkdown(verdict, { maxBytes: JOB_SUMMARY_LIMIT, heading: 'dual-backend coverage', links }),
    'check title': check.title,
    'check summary': check.summary,
    'check text': check.text ?? '',
    annotations: JSON.stringify(buildAnnotations(verdict, '.github/dual-backend.yml', 50))
  }
  rmSync(workspace, { recursive: true, force: true })
  return outputs
}

const readAs = (where: string, text: string) => asRead(text, where === 'json' || where === 'annotations' ? 'json' : 'markdown')

/** A placeholder no output holds by chance: the same run with it shows what the layout itself contains. */
const PLACEHOLDER = 'Qz7Xw3Vk9Rt'

/** A shared report (both backends in one file, names end in [sqlite] / [postgres]): ids are cut from names. */
const sharedConfig = buildConfig(
  { backends: { sqlite: 'reports/shared/*.xml', postgres: 'reports/shared/*.xml' }, 'backend-in-name': ['\\[(?<backend>sqlite|postgres)\\]$'] },
  'secrets-everywhere-shared'
)
// Passwords that hold the words and separators ids are built from.
const idPassword = fc
  .array(fc.oneof(printable, fc.constantFrom('postgres', 'sqlite', '[postgres]', '[sqlite]', ' › ', '::', ' - ', ' and ', '/', '.py')), { minLength: 3, maxLength: 12 })
  .map((parts) => parts.join(''))
  .filter((pw) => pw.trim().length >= 8 && new Set(pw).size >= 4)

async function sharedOutputsFor(pw: string): Promise<Record<string, string>> {
  const workspace = path.join(root, String(runNumber++))
  mkdirSync(path.join(workspace, 'reports/shared'), { recursive: true })
  const a = xmlAttr(pw)
  const cases = (backend: string, failing: boolean) =>
    `<testcase classname="tests.storage.${a}" name="test_upsert[${a}][${backend}]" file="tests/${a}/test_up.py">${failing ? `<failure message="${a}"/>` : ''}</testcase>` +
    `<testcase classname="tests.storage" name="test_only_${backend}[${a}][${backend}]"/>`
  writeFileSync(path.join(workspace, 'reports/shared/junit.xml'), `<testsuite name="${a} [postgres]">${cases('sqlite', false)}${cases('postgres', true)}</testsuite>`)
  const verdict = await evaluateWorkspace({ config: sharedConfig, workspace, env: { PGPASSWORD: pw }, now: new Date('2026-12-01T00:00:00Z') })
  rmSync(workspace, { recursive: true, force: true })
  const links = { serverUrl: 'https://github.com', repository: 'o/r', sha: 'a'.repeat(40) }
  const check = checkOutput(verdict, links, 'dual-backend coverage')
  return {
    json: renderJson(verdict),
    text: renderText(verdict, { colour: false }),
    'check summary': check.summary,
    'check text': check.text ?? '',
    annotations: JSON.stringify(buildAnnotations(verdict, '.github/dual-backend.yml', 50))
  }
}

describe('a printable password planted in every report text is absent from every output', () => {
  it('JSON, text, job summary, check run title, summary, text and annotations', async () => {
    const baseline = await outputsFor(PLACEHOLDER, envFor(PLACEHOLDER, 'PGPASSWORD'))
    // Not vacuous: the planted texts reach the outputs (masked).
    const baselineJson = JSON.parse(baseline.json!) as { gaps: Array<{ test: string; kind: string; message?: string }> }
    expect(baselineJson.gaps.map((g) => g.kind).sort()).toEqual(expect.arrayContaining(['errored', 'failed', 'missing', 'skipped']))
    expect(baseline['check text']).toContain('the password was &#42;&#42;&#42;')
    const baselineRead = Object.fromEntries(Object.entries(baseline).map(([where, text]) => [where, readAs(where, text)]))
    for (const [where, text] of Object.entries(baselineRead)) expect(text.includes(PLACEHOLDER), `placeholder in ${where}`).toBe(false)

    await fc.assert(
      fc.asyncProperty(password, source, async (pw, from) => {
        // A password that the outputs hold without it (a word of the layout) proves nothing.
        const forms = [pw, encodeURIComponent(pw)]
        fc.pre(Object.values(baselineRead).every((text) => forms.every((form) => !text.includes(form))))
        const outputs = await outputsFor(pw, envFor(pw, from))
        for (const [where, text] of Object.entries(outputs)) {
          const read = readAs(where, text)
          for (const form of forms) expect(read.includes(form), `${JSON.stringify(form)} (${from}) in ${where}: ${read.slice(Math.max(0, read.indexOf(form) - 80), read.indexOf(form) + 80)}`).toBe(false)
        }
      }),
      { numRuns: Math.round(300 * Math.max(1, Number(process.env.DBC_PROPERTY_SCALE ?? 1))) }
    )
  }, 120_000)
})

describe('a password made of backend words and id separators, in names of a shared report', () => {
  it('is masked before the id is cut from the name', async () => {
    const baseline = Object.entries(await sharedOutputsFor(PLACEHOLDER)).map(([where, text]) => readAs(where, text))
    expect(baseline.join('\n')).toContain('***')
    await fc.assert(
      fc.asyncProperty(idPassword, async (pw) => {
        fc.pre(baseline.every((text) => !text.includes(pw)))
        for (const [where, text] of Object.entries(await sharedOutputsFor(pw))) {
          const read = readAs(where, text)
          expect(read.includes(pw), `${JSON.stringify(pw)} in ${where}: ${read.slice(Math.max(0, read.indexOf(pw) - 80), read.indexOf(pw) + 80)}`).toBe(false)
        }
      }),
      { numRuns: Math.round(200 * Math.max(1, Number(process.env.DBC_PROPERTY_SCALE ?? 1))) }
    )
  }, 120_000)
})
