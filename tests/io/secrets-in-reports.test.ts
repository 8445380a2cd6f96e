// Secrets in the uploaded reports (issue #11): the verdict says which backend's report files hold
// what redaction masks, in how many testcases, naming the variable and never the value;
// `secrets-in-reports: fail` makes it a gap, `off` does not look.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildConfig } from '../../src/core/config.js'
import { evaluateWorkspace } from '../../src/io/gate.js'
import { renderJson } from '../../src/render/json.js'
import { renderMarkdown } from '../../src/render/markdown.js'
import { renderText } from '../../src/render/text.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const root = mkdtempSync(path.join(tmpdir(), 'dbc-exposed-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const PASSWORD = 'Kq7-vL2!pX'
const DATABASE_URL = `postgresql://ci:${encodeURIComponent(PASSWORD)}@localhost:5432/app`
let n = 0

function workspace(postgresXml: string): string {
  const ws = path.join(root, String(n++))
  for (const b of ['sqlite', 'postgres']) mkdirSync(path.join(ws, 'reports', b), { recursive: true })
  writeFileSync(path.join(ws, 'reports/sqlite/junit.xml'), '<testsuite name="s"><testcase classname="c" name="a"/><testcase classname="c" name="b"/></testsuite>')
  writeFileSync(path.join(ws, 'reports/postgres/junit.xml'), postgresXml)
  return ws
}

const LEAKY = `<testsuite name="s"><testcase classname="c" name="a"><system-out>connecting with password ${PASSWORD}</system-out></testcase><testcase classname="c" name="b"><system-out>url=${DATABASE_URL.replace(/&/g, '&amp;')}</system-out></testcase></testsuite>`
const config = (policy?: string) =>
  buildConfig({ backends: { sqlite: 'reports/sqlite/*.xml', postgres: 'reports/postgres/*.xml' }, ...(policy === undefined ? {} : { 'secrets-in-reports': policy }) }, 'test')

describe('secrets in the uploaded reports', () => {
  it('warn (default): the verdict stays green and says which report exposes what, without the value', async () => {
    const v = await evaluateWorkspace({ config: config(), workspace: workspace(LEAKY), env: { DATABASE_URL } })
    expect(v.conclusion).toBe('success')
    expect(v.backends[1]?.secretsInReports).toEqual({ files: 1, values: 2, testcases: 2, names: ['DATABASE_URL'], byShape: false })
    expect(v.backends[0]?.secretsInReports).toBeUndefined()
    const sentence =
      'the postgres report contains the DATABASE_URL value in 2 testcases: the uploaded artifact exposes it; run `dual-backend-coverage scrub` on the reports before uploading them'
    expect(renderText(v, { colour: false })).toContain(`warning: ${sentence}`)
    expect(renderMarkdown(v, { maxBytes: 65_535 })).toContain('> ⚠️ the postgres report contains the DATABASE\\_URL value in 2 testcases')
    for (const output of [renderJson(v), renderText(v, { colour: false }), renderMarkdown(v, { maxBytes: 65_535 })]) {
      expect(output).not.toContain(PASSWORD)
      expect(output).not.toContain(encodeURIComponent(PASSWORD))
    }
  })

  it('fail: an exposed gap on the backend', async () => {
    const v = await evaluateWorkspace({ config: config('fail'), workspace: workspace(LEAKY), env: { DATABASE_URL } })
    expect(v.conclusion).toBe('failure')
    expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['exposed postgres'])
    expect(v.title).toBe('1 gap: secrets in the reports for postgres')
  })

  it('off: not looked for', async () => {
    const v = await evaluateWorkspace({ config: config('off'), workspace: workspace(LEAKY), env: { DATABASE_URL } })
    expect(v.backends[1]?.secretsInReports).toBeUndefined()
  })

  it('a credential known by its shape only (no variable set in the gate job) is still found', async () => {
    const ws = workspace('<testsuite name="s"><testcase classname="c" name="a"/><testcase classname="c" name="b"/></testsuite>')
    copyFileSync(path.join(ROOT, 'tests/fixtures/dialects/pytest/postgres.xml'), path.join(ws, 'reports/postgres/junit.xml'))
    const v = await evaluateWorkspace({ config: config(), workspace: ws, env: {} })
    expect(v.backends[1]?.secretsInReports).toMatchObject({ files: 1, names: [], byShape: true })
    expect(renderText(v, { colour: false })).toContain('contains credentials (a URL password, a password= value or a token) in 1 testcase')
  })
})
