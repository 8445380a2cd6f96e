import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRedactor, createUnguardedRedactor, truncateSafely } from '../../src/core/redact.js'

describe('redaction', () => {
  const redact = createRedactor(['postgres://svc:Env-Only-Pa55@10.0.0.5/app', 'plain-token-value-123'])

  it.each([
    ['postgres://user:pass@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['postgresql://app:s3cr3t@db.internal/app?sslmode=require', 'postgresql://app:***@db.internal/app?sslmode=require'],
    ['mysql://root:hunter2@127.0.0.1/x', 'mysql://root:***@127.0.0.1/x'],
    ['redis://:onlypass@cache:6379', 'redis://:***@cache:6379'],
    ['https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r', 'https://***@github.com/o/r'],
    ['host=db port=5432 user=app password=s3cr3t dbname=x', 'host=db port=5432 user=app password=*** dbname=x'],
    ["host=db password='with spaces' dbname=x", 'host=db password=*** dbname=x'],
    // Over-masks to the blank: unquoted libpq allows ";" inside a value (password=ab;x=y).
    ['Server=db;User Id=app;Password=Pa55word;Database=x', 'Server=db;User Id=app;Password=***'],
    ['Server=db;Password=correct horse battery staple;Database=x', 'Server=db;Password=***;Database=x'],
    ['Server=db; Password=correct horse battery staple; Database=x', 'Server=db; Password=***; Database=x'],
    ['postgres://app:Xk9#pQ2vLm@db/x', 'postgres://app:***@db/x'],
    ['postgresql://u:q8?Zr7@h/db', 'postgresql://u:***@h/db'],
    ['postgres://u:a/b+c=@h/db', 'postgres://u:***@h/db'],
    ['postgres://u:p@ss%40x@h/db', 'postgres://u:***@h/db'],
    ['https://github.com/o/r@v1', 'https://github.com/o/r@v1'],
    ["host=db password='a \\' b' dbname=x", 'host=db password=*** dbname=x'],
    ['host=db password=Lq2,Vm8&Rt4 dbname=x', 'host=db password=*** dbname=x'],
    ['?user=a&password=x%26y&ssl=true', '?user=a&password=***&ssl=true'],
    ['jdbc:postgresql://db/x?user=app&password=s3cr3t&ssl=true', 'jdbc:postgresql://db/x?user=app&password=***&ssl=true'],
    ['PGPASSWORD=s3cr3t psql', 'PGPASSWORD=*** psql'],
    ['{"password": "s3cr3t"}', '{"password": ***}'],
    ['Authorization: Bearer abcdef0123456789', 'Authorization: Bearer ***']
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected)
  })

  it('masks configured environment values, and the password inside a configured URL', () => {
    expect(redact('connecting to postgres://svc:Env-Only-Pa55@10.0.0.5/app failed')).toBe('connecting to *** failed')
    expect(redact('auth failed for password Env-Only-Pa55')).toBe('auth failed for password ***')
    expect(redact('token plain-token-value-123 rejected')).toBe('token *** rejected')
  })

  it('masks a configured value split across lines by wrapping', () => {
    expect(redact('token plain-token-\n    value-123 rejected')).toBe('token *** rejected')
  })

  it('masks the password of a configured URL alone, in every form', () => {
    const r = createRedactor(['postgres://app:Xk9#p(Q)2.v*L@db/x', 'postgres://app:p%40ss%2Fw0rd@db/x'])
    expect(r('password=Xk9#p(Q)2.v*L')).toBe('password=***')
    expect(r('bare Xk9#p(Q)2.v*L here')).toBe('bare *** here')
    expect(r('got p@ss/w0rd and p%40ss%2Fw0rd')).toBe('got *** and ***')
    expect(r('wrapped Xk9#p(\n      Q)2.v*L end')).toBe('wrapped *** end')
  })

  it('ignores configured values too short to be secrets', () => {
    expect(createRedactor(['1', 'on'])('1 test on sqlite')).toBe('1 test on sqlite')
  })

  it('truncates without leaving half a secret: the cut goes back to a line break', () => {
    const text = `first line\n${'x'.repeat(50)}\npostgres://u:secret@h/db`
    const { text: cut, truncated } = truncateSafely(text, text.length - 5)
    expect(truncated).toBe(true)
    expect(cut).not.toContain('secr')
  })
})

describe('the guarded redactor (each rule runs only when its literal is present)', () => {
  const configured = ['postgres://svc:Env-Only-Pa55@10.0.0.5/app', 'plain-token-value-123']
  const guarded = createRedactor(configured, { publicWords: ['postgres', 'sqlite'] })
  const reference = createUnguardedRedactor(configured, { publicWords: ['postgres', 'sqlite'] })
  // Pieces of every rule, cut and glued at random: near misses as well as matches.
  const pieces = [
    'postgres://user:pass@host/db', 'redis://:p@ss@h', 'https://', '://', '@', ':', '=', ' ', '\n', '\t', '"', "'", ';', '&',
    'password', 'PassWord', 'passwd', 'PWD', 'secret', 'Token', 'api_key', 'API-KEY', 'apikey', 'Bearer', 'BASIC', 'basic',
    'bearer', 'abcdefgh0123', 'ghp_', 'gho_', 'gh', 'github_pat_', 'AKIA', 'AKIAABCDEFGHIJKLMNOP', 'xoxb-', 'xox', '-----BEGIN ',
    '-----BEGIN RSA PRIVATE KEY-----', 'MIIE', '-----END RSA PRIVATE KEY-----', 'Env-Only-Pa55', 'Env-Only-\n  Pa55',
    'plain-token-value-123', 'ı', 'ſ', 'K', 'test_x[case-1]', ' › ', 'tests/storage/test_bulk_0.py', 'A'.repeat(31), '0123456789'
  ]
  it('gives exactly the unguarded result on random mixes of rule fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), { maxLength: 14 }), (parts) => {
        const text = parts.join('')
        expect(guarded(text)).toBe(reference(text))
      }),
      { numRuns: 20_000 }
    )
  })

  it('gives exactly the unguarded result on every piece pair', () => {
    for (const a of pieces) for (const b of pieces) for (const text of [a + b, `${a} ${b}`, `${a}=${b}`]) expect(guarded(text)).toBe(reference(text))
  })
})

describe('a key at the end of a line', () => {
  const redact = createRedactor([])
  it('masks the first word of the next line (YAML, pretty-printed configs)', () => {
    expect(redact('db:\n  password:\n    hunter2secret\n  host: x')).toBe('db:\n  password:\n    ***\n  host: x')
    expect(redact('password:\r\nhunter2\r\nnext')).toBe('password:\r\n***\r\nnext')
    expect(redact('token =\n\t"quoted value"\nrest')).toBe('token =\n\t***\nrest')
  })
  it('leaves an empty next line and a key at the very end alone', () => {
    expect(redact('password:\n\nfoo')).toBe('password:\n\nfoo')
    expect(redact('password:')).toBe('password:')
  })
})
