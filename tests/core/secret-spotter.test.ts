// Secrets in the uploaded reports (issue #11): the spotter finds what redaction would mask anywhere
// in a report file as it streams past, counts the places and testcases, names the configured
// variables (never the value), and gives the same answer however the text is cut into pieces.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRedactor, expandSecrets } from '../../src/core/redact.js'
import { SecretSpotter, type SpottedSecrets } from '../../src/core/secret-spotter.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const PASSWORD = 'pA&ss<w0rd"x'
const DATABASE_URL = `postgresql://ci:${encodeURIComponent(PASSWORD)}@localhost:5432/app`
const secrets = [{ name: 'DATABASE_URL', forms: expandSecrets([DATABASE_URL]) }]
const redact = createRedactor([DATABASE_URL])
const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function spot(text: string, cuts: number[] = []): SpottedSecrets {
  const spotter = new SecretSpotter(redact, secrets, ['postgres', 'sqlite'])
  let at = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    spotter.push(text.slice(at, Math.max(at, cut)))
    at = Math.max(at, cut)
  }
  spotter.push(text.slice(at))
  return spotter.end()
}

const filler = (n: number) => Array.from({ length: n }, (_, i) => `<testcase classname="tests.storage" name="test_${i}" time="0.01"/>`).join('\n')
const REPORT = `<testsuites><testsuite name="pytest">
<properties><property name="dsn" value="${xml(DATABASE_URL)}"/></properties>
${filler(200)}
<testcase classname="tests.storage" name="test_connect"><failure message="could not connect: password was ${xml(PASSWORD)}">${xml(`connect("${DATABASE_URL}")`)}</failure></testcase>
${filler(300)}
<testcase classname="tests.storage" name="test_env"><system-out>env: PGPASSWORD=${xml(PASSWORD)}</system-out></testcase>
${filler(100)}
<testcase classname="tests.storage" name="test_other_db"><system-out>mysql://root:T0pS3cret@db:3306/x</system-out></testcase>
</testsuite></testsuites>`

describe('SecretSpotter', () => {
  it('counts places and testcases, names DATABASE_URL, and notes shape-only credentials', () => {
    expect(spot(REPORT)).toEqual({ values: 5, testcases: 3, names: ['DATABASE_URL'], byShape: true })
  })

  it('gives the same answer however the text is cut (property)', () => {
    const whole = spot(REPORT)
    // Cuts anywhere, and cuts next to the planted values (the hard places).
    const near = [88, 13331, 13394, 33227, 39849].flatMap((at) => [at - 1, at, at + 1, at + 3, at - 2048, at + 2048])
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: REPORT.length }), fc.constantFrom(...near.filter((n) => n >= 0 && n <= REPORT.length))), { maxLength: 12 }), (cuts) => {
        expect(spot(REPORT, cuts)).toEqual(whole)
      }),
      { numRuns: Math.round(300 * Math.max(1, Number(process.env.DBC_PROPERTY_SCALE ?? 1))) }
    )
  })

  it('the real dialect fixtures: the DSN the suites print on postgres is found in each, nothing else is', () => {
    // The tiny suites' planted postgres failure prints postgres://app:s3cr3t-planted@db.internal/app.
    const dialects = path.join(ROOT, 'tests/fixtures/dialects')
    let withSecret = 0
    for (const dialect of readdirSync(dialects)) {
      if (dialect === 'suites' || dialect.endsWith('.md')) continue
      for (const file of readdirSync(path.join(dialects, dialect)).filter((f) => f.endsWith('.xml'))) {
        const text = readFileSync(path.join(dialects, dialect, file), 'utf8')
        const found = spot(text)
        if (text.includes('s3cr3t-planted')) {
          withSecret += 1
          expect(found.values, `${dialect}/${file}`).toBeGreaterThan(0)
          expect(found.testcases, `${dialect}/${file}`).toBeGreaterThan(0)
          expect(found.byShape).toBe(true)
        } else {
          expect(found, `${dialect}/${file}`).toMatchObject({ values: 0, testcases: 0 })
        }
      }
    }
    expect(withSecret).toBeGreaterThanOrEqual(15)
  })

  it('a password equal to a backend name is not a trigger on its own', () => {
    const spotter = new SecretSpotter(createRedactor(['postgres'], { publicWords: ['postgres'] }), [{ name: 'PGPASSWORD', forms: ['postgres'] }], ['postgres'])
    spotter.push(`<testsuite name="postgres">${filler(50)}</testsuite>`)
    expect(spotter.end().values).toBe(0)
  })

  it('stays linear on 2 MB of trigger words', () => {
    const text = 'password '.repeat(250_000) + '://'.repeat(100_000)
    const started = performance.now()
    spot(text, [65_536, 131_072, 1_000_000])
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})
