import Database from 'better-sqlite3'
import { checkAttrKey, DuplicateKeyError, likePattern } from './store.js'
import type { Cursor, Item, ItemPatch, NewItem, Page, Store } from './store.js'

interface Row {
  id: number
  sku: string
  name: string
  qty: number
  attrs: string
}

const toItem = (r: Row): Item => ({ id: r.id, sku: r.sku, name: r.name, qty: r.qty, attrs: JSON.parse(r.attrs) as Item['attrs'] })

const COLUMNS = 'id, sku, name, qty, attrs'

export class SqliteStore implements Store {
  private readonly db: Database.Database
  private inTransaction = false

  /** `filename` defaults to a private in-memory database: a fresh, empty state. */
  constructor(filename = ':memory:') {
    this.db = new Database(filename)
    this.db.pragma('foreign_keys = ON')
  }

  async migrate(): Promise<void> {
    // SQLite: JSON is TEXT checked by json_valid(); ids come from AUTOINCREMENT.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS items (
        id    INTEGER PRIMARY KEY AUTOINCREMENT,
        sku   TEXT NOT NULL UNIQUE,
        name  TEXT NOT NULL,
        qty   INTEGER NOT NULL DEFAULT 0 CHECK (qty >= 0),
        attrs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attrs))
      )`)
  }

  private run<T>(fn: () => T, sku?: string): T {
    try {
      return fn()
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' && sku !== undefined) throw new DuplicateKeyError(sku, { cause: err })
      throw err
    }
  }

  async insert(item: NewItem): Promise<Item> {
    const row = this.run(
      () =>
        this.db
          .prepare(`INSERT INTO items (sku, name, qty, attrs) VALUES (?, ?, ?, ?) RETURNING ${COLUMNS}`)
          .get(item.sku, item.name, item.qty, JSON.stringify(item.attrs ?? {})) as Row,
      item.sku
    )
    return toItem(row)
  }

  async get(id: number): Promise<Item | undefined> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM items WHERE id = ?`).get(id) as Row | undefined
    return row && toItem(row)
  }

  async update(id: number, patch: ItemPatch): Promise<Item | undefined> {
    const row = this.db
      .prepare(
        `UPDATE items SET name = coalesce(?, name), qty = coalesce(?, qty), attrs = coalesce(?, attrs)
         WHERE id = ? RETURNING ${COLUMNS}`
      )
      .get(patch.name ?? null, patch.qty ?? null, patch.attrs ? JSON.stringify(patch.attrs) : null, id) as Row | undefined
    return row && toItem(row)
  }

  async delete(id: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM items WHERE id = ?').run(id).changes > 0
  }

  async upsert(item: NewItem): Promise<Item> {
    const row = this.db
      .prepare(
        `INSERT INTO items (sku, name, qty, attrs) VALUES (?, ?, ?, ?)
         ON CONFLICT (sku) DO UPDATE SET name = excluded.name, qty = excluded.qty, attrs = excluded.attrs
         RETURNING ${COLUMNS}`
      )
      .get(item.sku, item.name, item.qty, JSON.stringify(item.attrs ?? {})) as Row
    return toItem(row)
  }

  async list({ limit, after }: { limit: number; after?: Cursor }): Promise<Page> {
    // BINARY collation = byte order of UTF-8, the same order as PostgreSQL's "C" collation.
    const rows = (
      after
        ? this.db
            .prepare(`SELECT ${COLUMNS} FROM items WHERE (name, id) > (?, ?) ORDER BY name, id LIMIT ?`)
            .all(after.name, after.id, limit)
        : this.db.prepare(`SELECT ${COLUMNS} FROM items ORDER BY name, id LIMIT ?`).all(limit)
    ) as Row[]
    const items = rows.map(toItem)
    const last = items.at(-1)
    return items.length === limit && last ? { items, next: { name: last.name, id: last.id } } : { items }
  }

  async search(term: string): Promise<Item[]> {
    // SQLite's LIKE is case-insensitive (for ASCII) by default.
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM items WHERE name LIKE ? ESCAPE '\\' ORDER BY name, id`)
      .all(likePattern(term)) as Row[]
    return rows.map(toItem)
  }

  async findByAttr(key: string, value: string): Promise<Item[]> {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM items WHERE json_extract(attrs, ?) = ? ORDER BY id`)
      .all(`$.${checkAttrKey(key)}`, value) as Row[]
    return rows.map(toItem)
  }

  async setAttr(id: number, key: string, value: unknown): Promise<Item | undefined> {
    const row = this.db
      .prepare(`UPDATE items SET attrs = json_set(attrs, ?, json(?)) WHERE id = ? RETURNING ${COLUMNS}`)
      .get(`$.${checkAttrKey(key)}`, JSON.stringify(value), id) as Row | undefined
    return row && toItem(row)
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // better-sqlite3's db.transaction() is synchronous only; the Store API is async, so
    // drive BEGIN/COMMIT/ROLLBACK by hand on this single connection.
    if (this.inTransaction) throw new Error('nested transactions are not supported')
    this.inTransaction = true
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const result = await fn(this)
      this.db.exec('COMMIT')
      return result
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw err
    } finally {
      this.inTransaction = false
    }
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n
  }

  async serverVersion(): Promise<string> {
    return `SQLite ${(this.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
