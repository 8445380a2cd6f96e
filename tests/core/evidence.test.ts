// Evidence that each backend really ran (issue #11): with `evidence:` in the config, a backend's
// reports must show its server (a suite property, or a line a canary test prints). A postgres job
// whose storage factory fell back to SQLite passes every test, on SQLite: without evidence that is
// a false green; with it, an `unproven` gap that names what the reports show instead.
import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../src/render/markdown.js'
import { configFor, evaluateReports, gapList } from '../helpers/core.js'

const EVIDENCE = { evidence: { sqlite: 'SQLite 3\\.\\d+', postgres: ['PostgreSQL 1[4-9]\\.\\d+'] } }
const suite = (inside: string, canary = '') =>
  `<testsuites><testsuite name="pytest">${inside}<testcase classname="tests.storage" name="test_insert"/><testcase classname="tests.storage" name="test_version">${canary}</testcase></testsuite></testsuites>`
const property = (value: string) => `<properties><property name="db_server" value="${value}"/></properties>`
const printed = (line: string) => `<system-out>connecting\n${line}\n</system-out>`

describe('evidence: the backend ran', () => {
  it('a suite property and a printed version prove each backend: success', () => {
    const v = evaluateReports(configFor(EVIDENCE), [
      { backends: ['sqlite'], xml: suite(property('SQLite 3.40.1')) },
      { backends: ['postgres'], xml: suite('', printed('server: PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu')) }
    ])
    expect(v.conclusion).toBe('success')
    expect(v.backends.map((b) => [b.name, b.evidence])).toEqual([
      ['sqlite', { found: 'db_server=SQLite 3.40.1', foreign: {} }],
      ['postgres', { found: 'server: PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu', foreign: {} }]
    ])
  })

  it('a postgres job that ran on SQLite: unproven, naming the SQLite version its reports show', () => {
    const v = evaluateReports(configFor(EVIDENCE), [
      { backends: ['sqlite'], xml: suite(property('SQLite 3.40.1')) },
      { backends: ['postgres'], xml: suite(property('SQLite 3.40.1')) }
    ])
    expect(gapList(v)).toEqual(['unproven postgres *'])
    expect(v.gaps[0]?.reason).toBe(
      'no postgres report shows evidence that postgres ran (evidence: /PostgreSQL 1[4-9]\\.\\d+/); they show sqlite instead ("db_server=SQLite 3.40.1"): the job may have run on another backend (a storage factory that falls back when DATABASE_URL is missing?)'
    )
    expect(v.title).toBe('1 gap: no evidence the backend ran for postgres')
    expect(renderMarkdown(v, { maxBytes: 65_535 })).toContain('🔍 unproven')
  })

  it('no evidence at all (the canary did not print): unproven; an old server version does not count', () => {
    const v = evaluateReports(configFor(EVIDENCE), [
      { backends: ['sqlite'], xml: suite(property('SQLite 3.40.1')) },
      { backends: ['postgres'], xml: suite('', printed('PostgreSQL 9.6.24')) }
    ])
    expect(gapList(v)).toEqual(['unproven postgres *'])
  })

  it('colour codes around the printed version are ignored; a secret next to it is redacted', () => {
    const v = evaluateReports(
      configFor(EVIDENCE),
      [
        { backends: ['sqlite'], xml: suite(property('SQLite 3.45.0')) },
        { backends: ['postgres'], xml: suite('', printed('[32mpostgres://app:Hunter2pw@db/app PostgreSQL 16.2[0m')) }
      ],
      ['Hunter2pw']
    )
    expect(v.conclusion).toBe('success')
    expect(v.backends[1]?.evidence?.found).toBe('postgres://app:***@db/app PostgreSQL 16.2')
  })

  it('backends without an evidence entry are not checked', () => {
    const v = evaluateReports(configFor({ evidence: { postgres: 'PostgreSQL' } }), [
      { backends: ['sqlite'], xml: suite('') },
      { backends: ['postgres'], xml: suite(property('PostgreSQL 15.8')) }
    ])
    expect(v.conclusion).toBe('success')
  })

  it('a bad evidence entry is a config error naming the key', () => {
    expect(() => configFor({ evidence: { postgres: '(' } })).toThrow(/evidence\.postgres: not a valid regular expression/)
    expect(() => configFor({ evidence: { mysql: 'MySQL' } })).toThrow(/evidence\.mysql: names a backend that is not under backends/)
    expect(() => configFor({ evidence: 'PostgreSQL' })).toThrow(/evidence: must map each backend/)
  })
})

describe('evidence in suite-level output (jest-junit includeConsoleOutput, Catch2)', () => {
  const EVIDENCE_CONFIG = { evidence: { sqlite: 'SQLite 3\\.', postgres: 'PostgreSQL 1[4-9]\\.' } }
  const suite = (version: string, extra = '') =>
    `<testsuites><testsuite name="storage"><testcase classname="s" name="t"/>${extra}<system-out><![CDATA[${'noise line\n'.repeat(20_000)}server: ${version}\n]]></system-out></testsuite></testsuites>`

  it('a version printed at suite level, after 200 KB of other output, proves the backend', () => {
    const v = evaluateReports(configFor(EVIDENCE_CONFIG), [
      { backends: ['sqlite'], xml: suite('SQLite 3.45.1') },
      { backends: ['postgres'], xml: suite('PostgreSQL 15.8 on x86_64') }
    ])
    expect(v.gaps).toEqual([])
    expect(v.backends.find((b) => b.name === 'postgres')?.evidence?.found).toContain('PostgreSQL 15.8')
  })

  it('suite-level output is evidence only: a "Skipping" line there marks no test skipped', () => {
    const skipping = suite('PostgreSQL 15.8').replace('server:', 'Skipping the slow group\nserver:')
    const v = evaluateReports(configFor(EVIDENCE_CONFIG), [
      { backends: ['sqlite'], xml: suite('SQLite 3.45.1') },
      { backends: ['postgres'], xml: skipping }
    ])
    expect(v.gaps).toEqual([])
  })

  it('SQLite\u2019s version at suite level of the postgres report is named as foreign', () => {
    const v = evaluateReports(configFor(EVIDENCE_CONFIG), [
      { backends: ['sqlite'], xml: suite('SQLite 3.45.1') },
      { backends: ['postgres'], xml: suite('SQLite 3.45.1') }
    ])
    expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['unproven postgres'])
    expect(v.gaps[0]?.reason).toContain('SQLite 3.45.1')
  })
})
