// Nothing secret leaves: a database password planted in report text and in the environment never
// reaches GitHub (any request body), the job summary, the outputs, the JSON verdict or the log.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { pullRequestEvent } from '../helpers/events.js'
import { asRead } from '../helpers/as-read.js'
import { allRequestText, BASE_TESTS, type Case, passing, readJson, reports, runGate, TOKEN, startEmulator } from './support.js'


/** In a variable listed under redact-env in the config. */
const PASSWORD = 'S3cretPassw0rd'
/** In DATABASE_URL, a default redact-env variable that the config's list leaves out. */
const DEFAULT_ENV_PASSWORD = 'An0therDbSecret'
const STORAGE_DSN = `postgres://app:${PASSWORD}@db/app`
const DATABASE_URL = `postgresql://ci:${DEFAULT_ENV_PASSWORD}@localhost:5432/storage`

/** A parametrized test whose id holds the DSN (pytest ids are built from the parameters). */
const PARAM_TEST = `test_connect[${STORAGE_DSN}]`

function postgresCases(): Case[] {
  return [...BASE_TESTS, PARAM_TEST].map((name): Case => {
    switch (name) {
      case 'update_row':
        // In the failure message (URL form) and the body (bare, and after "password was").
        return {
          name,
          status: 'failed',
          message: `could not connect to ${STORAGE_DSN}: password authentication failed`,
          body: `Traceback (most recent call last):\n  connect("${STORAGE_DSN}")\nthe password was ${PASSWORD} and the pool said ${DEFAULT_ENV_PASSWORD}\nAssertionError`
        }
      case 'json_column':
        // In system-out, on the line the skip marker turns into the gap's message.
        return { name, output: `connecting\nSkipping postgres storage conformance: login app/${PASSWORD} refused (${DEFAULT_ENV_PASSWORD})\n` }
      case 'connection_pool':
        // Bare, in an error message.
        return { name, status: 'errored', message: `pool exhausted for app with ${PASSWORD}`, body: `DATABASE_URL=${DATABASE_URL}` }
      case PARAM_TEST:
        return { name, status: 'failed', message: 'timeout' }
      default:
        return { name }
    }
  })
}

describe('secrets in reports and in the environment', () => {
  it('the passwords are absent from every request, the summary, GITHUB_OUTPUT, the JSON verdict and the log', async () => {
    const emulator = await startEmulator()
    const result = await runGate({
      emulator,
      event: pullRequestEvent(),
      files: { ...reports([...BASE_TESTS, PARAM_TEST].map((name) => ({ name })), postgresCases()), '.github/dual-backend.yml': 'redact-env: [STORAGE_DSN]\n' },
      env: { STORAGE_DSN, DATABASE_URL }
    })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toHaveLength(1)
    const run = emulator.checkRuns[0]!

    // The planted text did reach every output (so the checks below are not vacuous), masked.
    const json = readJson(result)
    const gap = (name: string) => json.gaps.find((g) => g.test.endsWith(name))
    // The configured value is masked whole (longest first), then its password wherever it stands alone.
    expect(gap('update_row')?.message).toContain('could not connect to ***: password authentication failed')
    expect(gap('update_row')?.message).toContain('the password was *** and the pool said ***')
    expect(gap('json_column')).toMatchObject({ kind: 'skipped', message: 'Skipping postgres storage conformance: login app/*** refused (***)' })
    expect(gap('connection_pool')?.message).toContain('pool exhausted for app with ***')
    expect(gap('test_connect[***]')).toMatchObject({ kind: 'failed', backend: 'postgres' })
    expect(run.annotations.map((a) => a.title)).toContain('failed on postgres: storage › tests.storage › test_connect[***]')
    // In <pre> the mask is written with entities (&#42; is "*").
    expect(run.output.text).toContain('could not connect to &#42;&#42;&#42;: password authentication failed')
    expect(run.annotations.map((a) => a.message).join('\n')).toContain('login app/*** refused')
    expect(result.summary).toContain('login app/&#42;&#42;&#42; refused')

    const jsonText = readFileSync(result.outputs.json!, 'utf8')
    const outputFile = readFileSync(result.env.GITHUB_OUTPUT!, 'utf8')
    const places: Record<string, string> = {
      'request bodies': allRequestText(emulator),
      'check run as stored': JSON.stringify(emulator.checkRuns),
      GITHUB_STEP_SUMMARY: result.summary,
      GITHUB_OUTPUT: outputFile,
      'JSON verdict': jsonText,
      stderr: result.stderr,
      // `::add-mask::` commands are consumed by the runner and never printed: they are how the
      // values stay masked in the rest of the job. Every other stdout line is checked.
      stdout: result.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
    }
    for (const secret of [PASSWORD, DEFAULT_ENV_PASSWORD, STORAGE_DSN, DATABASE_URL, TOKEN]) {
      for (const [where, text] of Object.entries(places)) expect(text.includes(secret), `${secret} in ${where}`).toBe(false)
    }
    // What the runner is asked to mask for the rest of the job: the values and the passwords inside them.
    const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::')).map((line) => line.slice('::add-mask::'.length))
    expect(masks).toEqual(expect.arrayContaining([TOKEN, STORAGE_DSN, PASSWORD, DATABASE_URL, DEFAULT_ENV_PASSWORD]))
  })

  it('a CI password equal to a backend name (postgres://postgres:postgres@..., PGPASSWORD=postgres) does not hide the backend', async () => {
    const emulator = await startEmulator()
    const dsn = 'postgres://postgres:postgres@localhost:5432/app_test'
    const failing = BASE_TESTS.map((name): Case =>
      name === 'update_row' ? { name, status: 'failed', message: `could not query ${dsn}: relation "postgres_items" does not exist` } : { name }
    )
    const result = await runGate({ emulator, event: pullRequestEvent(), files: reports(BASE_TESTS.map((name) => ({ name })), failing), env: { DATABASE_URL: dsn, PGPASSWORD: 'postgres' } })

    expect(result.exitCode).toBe(1)
    const run = emulator.checkRuns[0]!
    expect(run.output.title).toBe('1 gap: 1 test failed on postgres')
    const json = readJson(result)
    expect(json.gaps).toEqual([expect.objectContaining({ backend: 'postgres', reason: 'failed on postgres (passed on sqlite)' })])
    // Where it stands as a credential it is still masked: the URL rule, and the whole value.
    expect(json.gaps[0]!.message).toBe('could not query ***: relation "postgres_items" does not exist')
    expect(result.summary).toContain('## ❌ dual-backend coverage: 1 gap: 1 test failed on postgres')
    expect(result.summary).toMatch(/^\| <code>storage › tests\.storage › update_row<\/code> \| postgres \| ❌ failed \|/m)
    expect(allRequestText(emulator)).not.toContain(dsn)
    // The runner masks the whole value, not the word "postgres" (that would blank the log's verdict).
    const masks = result.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'))
    expect(new Set(masks)).toEqual(new Set([`::add-mask::${TOKEN}`, `::add-mask::${dsn}`]))
    expect(result.log.map((l) => l.message)).toContain('1 gap: 1 test failed on postgres')
  })
})

describe('passwords made of every printable ASCII character, through the bundled action', () => {
  // The 95 printable characters spread over three passwords, each also holding letters and digits.
  const punctuation = [...Array(95).keys()].map((i) => String.fromCharCode(0x20 + i)).filter((c) => !/[A-Za-z0-9]/.test(c))
  const thirds = [0, 1, 2].map((k) => punctuation.filter((_, i) => i % 3 === k).join(''))
  const passwords = thirds.map((chars, k) => `Pw${k}${chars}xY${k}z`)

  it.each(passwords.map((pw) => [pw]))('%s', async (pw) => {
    const emulator = await startEmulator()
    const url = `postgresql://ci:${encodeURIComponent(pw)}@localhost:5432/storage`
    const postgres = BASE_TESTS.map((name): Case => {
      if (name === 'update_row') return { name, status: 'failed', message: `login ${pw} refused`, body: `connect("${url}")\npassword was ${pw}` }
      if (name === 'json_column') return { name, output: `Skipping postgres storage tests: ${pw}\n` }
      if (name === 'connection_pool') return { name: `${name}[${pw}]`, classname: `tests.storage.${pw}`, status: 'errored', message: pw, file: `tests/${pw}/t.py` }
      return { name }
    })
    const result = await runGate({ emulator, event: pullRequestEvent(), files: reports(passing(), postgres), env: { DATABASE_URL: url } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    const json = readJson(result)
    expect(json.gaps.map((g) => g.kind)).toEqual(expect.arrayContaining(['failed', 'errored', 'skipped', 'missing']))
    const bodies = emulator.requests.map((r) => (r.rawBody.length > 0 ? asRead(r.rawBody, 'json') : '')).join('\n')
    const places: Record<string, string> = {
      'request bodies': bodies,
      'request paths and queries': emulator.requests.map((r) => `${r.path} ${JSON.stringify(r.query)}`).join('\n'),
      GITHUB_STEP_SUMMARY: asRead(result.summary, 'markdown'),
      GITHUB_OUTPUT: readFileSync(result.env.GITHUB_OUTPUT!, 'utf8'),
      'JSON verdict': asRead(readFileSync(result.outputs.json!, 'utf8'), 'json'),
      stderr: result.stderr,
      stdout: result.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n')
    }
    for (const form of [pw, encodeURIComponent(pw)]) {
      for (const [where, text] of Object.entries(places)) expect(text.includes(form), `${form} in ${where}`).toBe(false)
    }
  })
})
