// Picks the storage backend for the test suite from the environment, as real projects do:
//
//   STORAGE_BACKEND=sqlite   (default)  a fresh in-memory SQLite database per test
//   STORAGE_BACKEND=postgres            DATABASE_URL=postgres://user:pass@host:port/db,
//                                       a fresh schema per test, dropped afterwards
//
// Without DATABASE_URL the PostgreSQL tests are SKIPPED (the classic silent skip that the
// dual-backend-coverage gate exists to catch). Set REQUIRE_DATABASE_URL=1 (recommended in
// CI) to make a missing DATABASE_URL a hard error instead.
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

const databaseUrl = process.env.DATABASE_URL?.trim() || undefined
const requireUrl = /^(1|true|yes)$/i.test(process.env.REQUIRE_DATABASE_URL ?? '')

if (backend === 'postgres' && !databaseUrl && requireUrl) {
  throw new Error('STORAGE_BACKEND=postgres but DATABASE_URL is not set (REQUIRE_DATABASE_URL=1 forbids skipping)')
}

/** True when the selected backend cannot run here, so its tests are skipped. */
export const unavailable = backend === 'postgres' && !databaseUrl
if (unavailable) console.warn('Skipping PostgreSQL storage tests: DATABASE_URL is not set')

export interface TestStore {
  store: Store
  dispose(): Promise<void>
}

/** A store on fresh, empty, migrated state. */
export async function openTestStore(): Promise<TestStore> {
  if (backend === 'sqlite') {
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
