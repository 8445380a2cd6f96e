import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRedactor } from '../../src/core/redact.js'

// Passwords from the whole printable ASCII set, 4–40 characters, at least one non-blank.
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))
const password = fc.array(printable, { minLength: 4, maxLength: 40 }).map((chars) => chars.join('')).filter((pw) => pw.trim().length > 0)
const RUNS = { numRuns: 2_000 }
const MASK = '***'

/** The text, with the password written in it as `written`; asserts no form of it survives. */
function check(redact: (text: string) => string, prefix: string, written: string, suffix: string, forms: string[]): void {
  const ideal = prefix + MASK + suffix
  // A password that is part of the surrounding text itself (pw "host") proves nothing.
  fc.pre(forms.every((form) => !ideal.includes(form)))
  const out = redact(prefix + written + suffix)
  for (const form of forms) expect(out.includes(form), `${JSON.stringify(out)} shows ${JSON.stringify(form)}`).toBe(false)
}

describe('no printable password survives redaction, in any form it is written in', () => {
  const redact = createRedactor([])

  it('URL user:password@host (a blank percent-encoded, everything else as is)', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const written = pw.replace(/ /g, '%20')
        check(redact, 'connect postgres://app:', written, '@db.internal:5432/app failed', [written])
      }),
      RUNS
    )
  })

  it('URL with the password fully percent-encoded', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const written = encodeURIComponent(pw)
        check(redact, 'postgresql://app:', written, '@h/db?sslmode=require', [written, pw])
      }),
      RUNS
    )
  })

  it("libpq quoted value (\\' and \\\\ escaped)", () => {
    fc.assert(
      fc.property(password, (pw) => {
        const written = `'${pw.replace(/[\\']/g, '\\$&')}'`
        check(redact, 'host=db port=5432 password=', written, ' dbname=x', [written, pw])
      }),
      RUNS
    )
  })

  it('libpq unquoted value (representable: no blank, quote or backslash)', () => {
    fc.assert(
      fc.property(password.filter((pw) => !/[\s'\\]/.test(pw)), (pw) => {
        check(redact, 'host=db user=app password=', pw, ' dbname=x', [pw])
      }),
      RUNS
    )
  })

  it('ADO.NET / Npgsql Password=...; (a value with ";" or a quote is quoted, quotes doubled)', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const plain = !/[;'"]/.test(pw) && pw.trim() === pw
        const written = plain ? pw : `"${pw.replace(/"/g, '""')}"`
        check(redact, 'Server=db;User Id=app;Password=', written, ';Database=x', plain ? [pw] : [written, pw])
      }),
      RUNS
    )
  })

  it('JDBC query string (value percent-encoded)', () => {
    fc.assert(
      fc.property(password, (pw) => {
        const written = encodeURIComponent(pw)
        check(redact, 'jdbc:postgresql://db:5432/app?user=app&password=', written, '&ssl=true', [written, pw])
      }),
      RUNS
    )
  })
})

describe('a configured URL secret: the value, its password alone, and either wrapped over two lines', () => {
  it('the whole value, the bare password, password=<pw>, and the password split across a line', () => {
    fc.assert(
      fc.property(password.filter((pw) => pw.trim() === pw && !/\s/.test(pw)), fc.nat(), (pw, cut) => {
        const url = `postgres://svc:${pw}@10.0.0.5:5432/app`
        const redact = createRedactor([url])
        check(redact, 'DATABASE_URL=', url, ' set', [url, pw])
        check(redact, 'auth failed for ', pw, ' here', [pw])
        check(redact, 'opts: password=', pw, ' end', [pw])
        const encoded = encodeURIComponent(pw)
        check(redact, 'enc ', encoded, ' end', [encoded])
        if (pw.length >= 8) {
          const at = 4 + (cut % (pw.length - 7))
          const [head, tail] = [pw.slice(0, at), pw.slice(at)]
          check(redact, 'wrapped ', `${head}\n      ${tail}`, ' end', [head, tail].filter((half) => half.length >= 4))
          const wrappedUrl = `postgres://svc:${head}\n  ${tail}@10.0.0.5:5432/app`
          check(redact, 'url ', wrappedUrl, ' end', [head, tail].filter((half) => half.length >= 4))
        }
      }),
      RUNS
    )
  })
})

describe('every rule runs in linear time on adversarial input', () => {
  const n = 100_000
  const redact = createRedactor(['postgres://svc:a  b  c  d@h/db', 'aaaa aaaa', '\t\t\t\tx'])
  const inputs: Record<string, string> = {
    '@': '@'.repeat(n),
    ':': ':'.repeat(n),
    '=': '='.repeat(n),
    '//': '//'.repeat(n / 2),
    'a://': 'a://'.repeat(n / 4),
    'a://x@': 'a://x@'.repeat(n / 6),
    'password=': 'password='.repeat(n / 9),
    "password='": "password='".repeat(n / 10),
    'password="\\': 'password="\\'.repeat(n / 11),
    'password;': 'password=x;'.repeat(n / 11),
    'password:\\n': 'password:\n'.repeat(n / 10),
    'password:\\n + blanks': `password:\n${' '.repeat(n)}`,
    'passwordpassword': 'password'.repeat(n / 8),
    'token&': '&token=a'.repeat(n / 8),
    'a\\n  ': 'a\n  '.repeat(n / 4),
    'a\\n + blanks': `a\n${' '.repeat(n)}`,
    'aaaa': 'a'.repeat(n),
    '\\t\\n': '\t\n'.repeat(n / 2),
    'bearer': 'bearer '.repeat(n / 7),
    '-----BEGIN ': '-----BEGIN '.repeat(n / 11)
  }
  it.each(Object.keys(inputs))('%s × 100k chars in < 200 ms', (name) => {
    const text = inputs[name] as string
    const started = performance.now()
    redact(text)
    const elapsed = performance.now() - started
    console.log(`redact adversarial ${JSON.stringify(name)}: ${elapsed.toFixed(1)} ms`)
    expect(elapsed).toBeLessThan(200)
  })
})
