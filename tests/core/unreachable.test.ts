// Recognising "the database was not reachable or not ready" (src/core/unreachable.ts) on the real
// texts real clients printed (tests/fixtures/unreachable/, made by scripts/collect-unreachable.sh),
// and not on ordinary failures.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { JUnitStreamParser, type ParsedTestcase } from '../../src/core/junit/parser.js'
import { UNREACHABLE_FIX, unreachableCause, type UnreachableCause } from '../../src/core/unreachable.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'unreachable')

// Longest first: "node-pg" must not be read as client "node" + situation "pg-...".
const CLIENTS = ['node-mysql2', 'node-pg', 'go-libpq', 'go-pgx', 'psycopg2', 'psycopg', 'pymysql', 'mariadb', 'psql', 'jdbc']

/**
 * What each situation the script produces must be recognised as. A set where timing decides what
 * the client heard: after a SIGKILL, Go's database/sql retries on a new connection, which may
 * meet the postmaster's crash restart ("in recovery mode"); after an immediate shutdown the
 * script restarts the server at once.
 */
const EXPECTED: Record<string, readonly UnreachableCause[]> = {
  'connection-refused': ['connection refused'],
  'no-socket': ['connection refused'],
  'reset-by-peer': ['connection reset'],
  'closed-by-peer': ['connection reset'],
  timeout: ['timeout'],
  'starting-up': ['database starting up'],
  'not-accepting-connections': ['database starting up'],
  'after-backend-crash': ['database starting up'],
  'shutting-down': ['database shutting down'],
  'authentication-failed': ['authentication failed'],
  'no-password': ['authentication failed'],
  'unknown-user': ['authentication failed'],
  'database-access-denied': ['authentication failed'],
  'no-hba-entry': ['no pg_hba.conf entry'],
  'hba-reject': ['no pg_hba.conf entry'],
  'database-does-not-exist': ['database does not exist'],
  'too-many-clients': ['too many clients'],
  'reserved-connection-slots': ['too many clients'],
  'terminated-by-administrator': ['connection reset'],
  'backend-killed': ['connection reset', 'database starting up'],
  'crash-of-another-backend': ['connection reset', 'database starting up'],
  'immediate-shutdown': ['connection reset', 'database shutting down', 'database starting up', 'connection refused'],
  'unknown-host': ['unknown host'],
  'dns-unavailable': ['unknown host']
}

/**
 * Real texts deliberately left unrecognised, with the reason. pgx reports a backend that vanished
 * mid-query as Go's bare io.ErrUnexpectedEOF, the same text as any truncated read (a JSON body, a
 * file): calling it "could not reach the database" would misfile ordinary failures.
 */
const UNRECOGNISED: Record<string, string> = {
  'unexpected EOF': 'pgx: io.ErrUnexpectedEOF, indistinguishable from any truncated read',
  EOF: 'lib/pq: io.EOF, indistinguishable from any read at the end of a stream'
}

interface Captured {
  file: string
  client: string
  situation: string
  text: string
}

function captured(): Captured[] {
  return readdirSync(join(FIXTURES, 'messages'))
    .filter((file) => file.endsWith('.txt'))
    .sort()
    .map((file) => {
      const client = CLIENTS.find((c) => file.startsWith(`${c}-`))
      if (client === undefined) throw new Error(`${file}: unknown client (add it to CLIENTS)`)
      const situation = file.slice(client.length + 1, -'.txt'.length)
      return { file, client, situation, text: readFileSync(join(FIXTURES, 'messages', file), 'utf8') }
    })
}

function junitCases(path: string): ParsedTestcase[] {
  const cases: ParsedTestcase[] = []
  const parser = new JUnitStreamParser(path, (testcase) => cases.push(testcase))
  parser.write(readFileSync(path, 'utf8'))
  parser.end()
  return cases
}

describe('unreachableCause on real client texts', () => {
  const messages = captured()

  it('has the captured texts of every client', () => {
    expect(new Set(messages.map((m) => m.client))).toEqual(new Set(CLIENTS))
    expect(messages.length).toBeGreaterThan(150)
  })

  for (const message of messages) {
    const ordinary = message.situation.startsWith('ordinary-')
    it(`${message.file} → ${ordinary ? 'not unreachable' : (EXPECTED[message.situation] ?? ['?']).join(' or ')}`, () => {
      const cause = unreachableCause(message.text)
      if (ordinary) {
        expect(cause).toBeUndefined()
        return
      }
      const expected = EXPECTED[message.situation]
      if (expected === undefined) throw new Error(`situation ${message.situation} has no expected cause (add it to EXPECTED)`)
      const reason = UNRECOGNISED[message.text.trim()]
      if (reason !== undefined) {
        expect(cause, reason).toBeUndefined()
        return
      }
      expect(expected).toContain(cause)
    })
  }

  it('leaves only the documented texts unrecognised', () => {
    const left = messages.filter((m) => !m.situation.startsWith('ordinary-') && unreachableCause(m.text) === undefined)
    for (const m of left) expect(Object.keys(UNRECOGNISED), m.file).toContain(m.text.trim())
  })

  it('recognises each situation from the first line alone where the client put the reason there', () => {
    // A report's failure message is often only the first line (the JUnit message attribute).
    for (const m of messages) {
      if (m.situation.startsWith('ordinary-') || m.client === 'jdbc' || m.client === 'mariadb') continue
      const first = m.text.split('\n')[0] ?? ''
      if (UNRECOGNISED[first.trim()] !== undefined) continue
      // psql prints the server's WARNING/FATAL first and libpq's own words after it.
      if (m.client === 'psql' && /^(WARNING|FATAL|server closed)/.test(first)) continue
      if (m.client === 'psycopg' && m.situation === 'closed-by-peer') continue
      expect(EXPECTED[m.situation], m.file).toContain(unreachableCause(first))
    }
  })
})

describe('unreachableCause on real JUnit reports', () => {
  // The no-database tests fail for ordinary reasons; the others fail with the situation's text.
  const NO_DATABASE = new Set(['test_total_rounding', 'total rounding'])

  for (const runner of ['pytest', 'node-test']) {
    const dir = join(FIXTURES, runner)
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.xml')).sort()) {
      const situation = file.slice(0, -'.xml'.length)
      it(`${runner}/${file}`, () => {
        const cases = junitCases(join(dir, file))
        const failed = cases.filter((c) => c.status === 'failed' || c.status === 'errored')
        expect(failed.length).toBe(4) // three database tests and the ordinary failure
        expect(cases.filter((c) => c.status === 'passed').map((c) => c.name)).toEqual([runner === 'pytest' ? 'test_sku_parsing' : 'sku parsing'])
        for (const testcase of failed) {
          const cause = unreachableCause(testcase.message ?? '')
          if (NO_DATABASE.has(testcase.name)) expect(cause, testcase.name).toBeUndefined()
          else expect(EXPECTED[situation], `${testcase.name}: ${testcase.message?.split('\n')[0]}`).toContain(cause)
        }
      })
    }
  }
})

describe('unreachableCause on hand-written texts (documentation, not captured here)', () => {
  // Forms no client on this machine could be made to print; each names its source.
  const HAND_WRITTEN: Array<[string, UnreachableCause, string]> = [
    ["ERROR 2005 (HY000): Unknown MySQL server host 'db' (-2)", 'unknown host', 'MySQL client error 2005, MySQL docs'],
    ['ERROR 2006 (HY000): MySQL server has gone away', 'connection reset', 'MySQL client error 2006, MySQL docs'],
    ["ERROR 2002 (HY000): Can't connect to local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)", 'connection refused', 'MySQL client error 2002, MySQL docs'],
    ['ERROR 1053 (08S01): Server shutdown in progress', 'database shutting down', 'MySQL server error 1053, MySQL docs'],
    ['psql: error: connection to server at "10.0.0.5", port 5432 failed: Connection timed out', 'timeout', 'libpq without connect_timeout: strerror(ETIMEDOUT)'],
    ['FATAL:  Peer authentication failed for user "app"', 'authentication failed', 'PostgreSQL auth.c, peer method'],
    ['FATAL:  too many connections for role "app"', 'too many clients', 'PostgreSQL rolconnlimit'],
    ['FATAL:  too many connections for database "app"', 'too many clients', 'PostgreSQL datconnlimit']
  ]
  for (const [text, cause, source] of HAND_WRITTEN) {
    it(`${source}: ${text}`, () => expect(unreachableCause(text)).toBe(cause))
  }
})

describe('unreachableCause on ordinary failures', () => {
  const ORDINARY = [
    'AssertionError: expected 1 to equal 2',
    'assert 3 == 4\n +  where 3 = count_rows()',
    "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n\n'9.99' !== '9.98'\n",
    'expected: <1> but was: <2>',
    'syntax error at or near "SELEC"',
    'ERROR:  syntax error at or near "FROM"\nLINE 1: SELECT FROM FROM t',
    'duplicate key value violates unique constraint "users_pkey"\nDETAIL:  Key (id)=(1) already exists.',
    'relation "users" does not exist',
    'ERROR: relation "public.orders" does not exist (SQLSTATE 42P01)',
    'column "emial" does not exist',
    'function lower(integer) does not exist',
    'schema "audit" does not exist',
    'type "citext" does not exist',
    'role "reporting" does not exist',
    'canceling statement due to statement timeout',
    'canceling statement due to lock timeout',
    'deadlock detected',
    'could not serialize access due to concurrent update',
    'null value in column "email" of relation "users" violates not-null constraint',
    'permission denied for table users',
    'division by zero',
    'Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called',
    'Error: Test timed out in 5000ms.',
    'context deadline exceeded',
    "Table 'app.no_such_table' doesn't exist",
    "Duplicate entry '1' for key 'PRIMARY'",
    'unexpected EOF',
    'EOF',
    'open /work/app/testdata/users.json: no such file or directory',
    'LOG:  database system is ready to accept connections',
    'expected "database \\"app\\" is ready" to contain "created"',
    'TypeError: Cannot read properties of undefined (reading \'rows\')'
  ]
  for (const text of ORDINARY) {
    it(JSON.stringify(text), () => expect(unreachableCause(text)).toBeUndefined())
  }
})

describe('unreachableCause details', () => {
  it('is case-insensitive', () => {
    expect(unreachableCause('CONNECT ECONNREFUSED 127.0.0.1:5432')).toBe('connection refused')
    expect(unreachableCause('Sorry, Too Many Clients Already')).toBe('too many clients')
  })

  it('tells a missing database from a missing relation, also with quotes inside the name', () => {
    expect(unreachableCause('database "app" does not exist')).toBe('database does not exist')
    expect(unreachableCause('FATAL:  database "we""ird" does not exist')).toBe('database does not exist')
    expect(unreachableCause('relation "database" does not exist')).toBeUndefined()
    expect(unreachableCause('database "' + 'x'.repeat(300) + '" does not exist')).toBeUndefined() // longer than any name
    expect(unreachableCause("Unknown database 'no_such_db'")).toBe('database does not exist')
  })

  it('files a DNS failure that ends in "connection refused" as an unknown host', () => {
    expect(unreachableCause('dial tcp: lookup db on 127.0.0.1:53: read udp 127.0.0.1:1->127.0.0.1:53: read: connection refused')).toBe('unknown host')
  })

  it('has one sentence of fix for every cause', () => {
    const causes: UnreachableCause[] = [
      'connection refused', 'timeout', 'unknown host', 'database starting up', 'database shutting down',
      'authentication failed', 'no pg_hba.conf entry', 'too many clients', 'connection reset', 'database does not exist'
    ]
    expect(Object.keys(UNREACHABLE_FIX).sort()).toEqual([...causes].sort())
    for (const cause of causes) {
      const fix = UNREACHABLE_FIX[cause]
      expect(fix.endsWith('.'), cause).toBe(true)
      expect(fix.slice(0, -1), cause).not.toMatch(/\.\s+[A-Z]/) // one sentence
    }
  })
})

describe('unreachableCause is linear', () => {
  // Runs of the letters and phrase heads the rules look for, 100k characters each.
  const N = 100_000
  const HOSTILE = [
    '"'.repeat(N),
    '" does not exist'.repeat(N / 16),
    ('database "' + '"'.repeat(40)).repeat(N / 50),
    ('database "' + 'x'.repeat(60) + '" does not exis').repeat(N / 85),
    'the database system is '.repeat(N / 23),
    "can't connect to mysql server on 'h' (11".repeat(N / 40),
    "can't connect to server on ".repeat(N / 27),
    'dial tcp '.repeat(N / 9),
    'dial tcp: looku'.repeat(N / 15),
    '.s.pgsql.'.repeat(N / 9),
    'connection '.repeat(N / 11),
    'terminating connection due to '.repeat(N / 30),
    'a'.repeat(N),
    'e'.repeat(N),
    'ECONNREFUSE'.repeat(N / 11),
    '\n'.repeat(N)
  ]
  for (const text of HOSTILE) {
    it(`${JSON.stringify(text.slice(0, 24))}… (${text.length} chars) in < 50 ms`, () => {
      unreachableCause(text) // warm up
      const start = performance.now()
      unreachableCause(text)
      expect(performance.now() - start).toBeLessThan(50)
    })
  }
})
