// Picks the storage backend for the test suite from the environment, as real projects do:
//
//   STORAGE_BACKEND=sqlite   (default)  a fresh in-memory SQLite database per test
//   STORAGE_BACKEND=postgres            DATABASE_URL=postgres://user:pass@host:port/db,
//                                       a fresh schema per test, dropped afterwards
//
// STORAGE_BACKEND=postgres without DATABASE_URL:
//   - in CI (CI=true, as every CI service sets it) or with REQUIRE_DATABASE_URL=1: a hard
//     error -- the test file fails to load and vitest exits 1. This is "fail closed": a typo
//     in the workflow's env block or a renamed secret cannot turn the job green.
//   - outside CI: the PostgreSQL tests are skipped, so `npx vitest run` works on a laptop
//     without a database.
//   - STORAGE_SKIP_WITHOUT_DATABASE_URL=1: skip even in CI. This is the DANGEROUS mode many
//     real projects have (vitest exits 0, the job is green, nothing ran on PostgreSQL); it is
//     kept so that scripts/e2e-example.sh can prove the dual-backend-coverage gate catches it.
//   - STORAGE_FALLBACK_TO_SQLITE=1: silently use a fresh in-memory SQLite store instead, even
//     in CI. Another DANGEROUS mode many real projects' storage factories have ("no URL? use
//     SQLite"): every test runs and PASSES, vitest exits 0, and the JUnit report looks exactly
//     like a complete PostgreSQL run -- only the canary test's output ("SQLite 3.x" instead of
//     "PostgreSQL 15.x") tells. scripts/e2e-example.sh uses it to prove that the gate's
//     `evidence:` (dual-backend.yml) catches it. It wins over STORAGE_SKIP_WITHOUT_DATABASE_URL;
//     REQUIRE_DATABASE_URL=1 wins over both (hard error).
import { randomBytes } from 'node:crypto'
import { PgStore } from '../src/pg-store.js'
import { SqliteStore } from '../src/sqlite-store.js'
import type { Store } from '../src/store.js'

export type BackendName = 'sqlite' | 'postgres'

const raw = (process.env.STORAGE_BACKEND ?? 'sqlite').trim().toLowerCase()
if (raw !== 'sqlite' && raw !== 'postgres') {
  throw new Error(`STORAGE_BACKEND must be "sqlite" or "postgres", got ${JSON.stringify(raw)}`)
}
export const backend: BackendName = raw

const truthy = (value: string | undefined): boolean => /^(1|true|yes|on)$/i.test(value?.trim() ?? '')

const databaseUrl = process.env.DATABASE_URL?.trim() || undefined
const inCi = truthy(process.env.CI)
const allowSkip = truthy(process.env.STORAGE_SKIP_WITHOUT_DATABASE_URL)
const allowFallback = truthy(process.env.STORAGE_FALLBACK_TO_SQLITE)
const requireUrl = truthy(process.env.REQUIRE_DATABASE_URL) || (inCi && !allowSkip && !allowFallback)

if (backend === 'postgres' && !databaseUrl && requireUrl) {
  throw new Error(
    `STORAGE_BACKEND=postgres but DATABASE_URL is not set (${inCi ? 'CI=true' : 'REQUIRE_DATABASE_URL=1'}): ` +
      'refusing to skip the PostgreSQL tests. Set DATABASE_URL in the job, or STORAGE_SKIP_WITHOUT_DATABASE_URL=1 to skip (not recommended).'
  )
}

/**
 * True when STORAGE_BACKEND=postgres runs on SQLite instead (STORAGE_FALLBACK_TO_SQLITE=1, no
 * DATABASE_URL). Deliberately silent, like the real factories it imitates: no warning, no skip.
 */
const fallsBackToSqlite = backend === 'postgres' && !databaseUrl && allowFallback

/** True when the selected backend cannot run here, so its tests are skipped. */
export const unavailable = backend === 'postgres' && !databaseUrl && !fallsBackToSqlite
if (unavailable) console.warn('Skipping PostgreSQL storage tests: DATABASE_URL is not set')

export interface TestStore {
  store: Store
  dispose(): Promise<void>
}

/** A store on fresh, empty, migrated state. */
export async function openTestStore(): Promise<TestStore> {
  if (backend === 'sqlite' || fallsBackToSqlite) {
    const store = new SqliteStore(':memory:')
    await store.migrate()
    return { store, dispose: () => store.close() }
  }
  if (!databaseUrl) throw new Error('DATABASE_URL is not set')
  const schema = `test_${process.pid}_${randomBytes(6).toString('hex')}`
  const store = await PgStore.connect(databaseUrl, { schema })
  await store.migrate()
  return { store, dispose: () => store.destroy() }
}
