import pg from 'pg'
import { checkAttrKey, DuplicateKeyError, injectSqliteOnly, likePattern } from './store.js'
import type { Cursor, Item, ItemPatch, NewItem, Page, Store } from './store.js'

interface Row {
  id: number
  sku: string
  name: string
  qty: number
  attrs: Item['attrs']
}

const toItem = (r: Row): Item => ({ id: r.id, sku: r.sku, name: r.name, qty: r.qty, attrs: r.attrs })

const COLUMNS = 'id, sku, name, qty, attrs'

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

export class PgStore implements Store {
  private inTransaction = false

  private constructor(
    private readonly client: pg.Client,
    private readonly url: string,
    readonly schema: string | undefined
  ) {}

  /**
   * Opens one connection. With `schema`, creates that schema and puts it first on the
   * search_path, so several test runs can share one database without seeing each other.
   */
  static async connect(url: string, opts: { schema?: string } = {}): Promise<PgStore> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
    await client.connect()
    const store = new PgStore(client, url, opts.schema)
    if (opts.schema) {
      await store.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(opts.schema)}`)
      await store.query(`SET search_path TO ${quoteIdent(opts.schema)}`)
    }
    return store
  }

  /**
   * Every statement goes through here. Like many real data layers, failures are re-thrown
   * with the connection string for context -- which is why the gate must redact
   * DATABASE_URL and friends from anything it publishes.
   */
  private async query<R extends pg.QueryResultRow = Row>(sql: string, params: unknown[] = [], sku?: string): Promise<R[]> {
    try {
      return (await this.client.query<R>(sql, params)).rows
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e.code === '23505' && sku !== undefined) throw new DuplicateKeyError(sku, { cause: err })
      const oneLine = sql.replace(/\s+/g, ' ').trim()
      throw new Error(`connection to ${this.url} failed query "${oneLine}": ${e.message}`, { cause: err })
    }
  }

  async migrate(): Promise<void> {
    // PostgreSQL: JSON is jsonb; ids are an identity column; names sort byte-wise ("C")
    // so that pagination order is the same as SQLite's BINARY collation.
    await this.query(`
      CREATE TABLE IF NOT EXISTS items (
        id    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        sku   text NOT NULL UNIQUE,
        name  text COLLATE "C" NOT NULL,
        qty   integer NOT NULL DEFAULT 0 CHECK (qty >= 0),
        attrs jsonb NOT NULL DEFAULT '{}'::jsonb
      )`)
  }

  async insert(item: NewItem): Promise<Item> {
    const rows = await this.query(
      `INSERT INTO items (sku, name, qty, attrs) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [item.sku, item.name, item.qty, JSON.stringify(item.attrs ?? {})],
      item.sku
    )
    return toItem(rows[0]!)
  }

  async get(id: number): Promise<Item | undefined> {
    const [row] = await this.query(`SELECT ${COLUMNS} FROM items WHERE id = $1`, [id])
    return row && toItem(row)
  }

  async update(id: number, patch: ItemPatch): Promise<Item | undefined> {
    const [row] = await this.query(
      `UPDATE items SET name = coalesce($1, name), qty = coalesce($2, qty), attrs = coalesce($3::jsonb, attrs)
       WHERE id = $4 RETURNING ${COLUMNS}`,
      [patch.name ?? null, patch.qty ?? null, patch.attrs ? JSON.stringify(patch.attrs) : null, id]
    )
    return row && toItem(row)
  }

  async delete(id: number): Promise<boolean> {
    const rows = await this.query('DELETE FROM items WHERE id = $1 RETURNING id', [id])
    return rows.length > 0
  }

  async upsert(item: NewItem): Promise<Item> {
    const params = [item.sku, item.name, item.qty, JSON.stringify(item.attrs ?? {})]
    const sql = injectSqliteOnly()
      ? // SQLite-only syntax, as if copied from the SQLite store: a syntax error on PostgreSQL.
        `INSERT OR REPLACE INTO items (sku, name, qty, attrs) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`
      : `INSERT INTO items (sku, name, qty, attrs) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, qty = EXCLUDED.qty, attrs = EXCLUDED.attrs
         RETURNING ${COLUMNS}`
    const rows = await this.query(sql, params)
    return toItem(rows[0]!)
  }

  async list({ limit, after }: { limit: number; after?: Cursor }): Promise<Page> {
    const rows = after
      ? await this.query(`SELECT ${COLUMNS} FROM items WHERE (name, id) > ($1, $2) ORDER BY name, id LIMIT $3`, [
          after.name,
          after.id,
          limit
        ])
      : await this.query(`SELECT ${COLUMNS} FROM items ORDER BY name, id LIMIT $1`, [limit])
    const items = rows.map(toItem)
    const last = items.at(-1)
    return items.length === limit && last ? { items, next: { name: last.name, id: last.id } } : { items }
  }

  async search(term: string): Promise<Item[]> {
    // PostgreSQL's LIKE is case-sensitive: ILIKE is the case-insensitive one.
    const rows = await this.query(`SELECT ${COLUMNS} FROM items WHERE name ILIKE $1 ESCAPE '\\' ORDER BY name, id`, [
      likePattern(term)
    ])
    return rows.map(toItem)
  }

  async findByAttr(key: string, value: string): Promise<Item[]> {
    const rows = await this.query(`SELECT ${COLUMNS} FROM items WHERE attrs ->> $1 = $2 ORDER BY id`, [
      checkAttrKey(key),
      value
    ])
    return rows.map(toItem)
  }

  async setAttr(id: number, key: string, value: unknown): Promise<Item | undefined> {
    const [row] = await this.query(
      `UPDATE items SET attrs = jsonb_set(attrs, ARRAY[$1::text], $2::jsonb) WHERE id = $3 RETURNING ${COLUMNS}`,
      [checkAttrKey(key), JSON.stringify(value), id]
    )
    return row && toItem(row)
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) throw new Error('nested transactions are not supported')
    this.inTransaction = true
    await this.query('BEGIN')
    try {
      const result = await fn(this)
      await this.query('COMMIT')
      return result
    } catch (err) {
      await this.query('ROLLBACK')
      throw err
    } finally {
      this.inTransaction = false
    }
  }

  async count(): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT count(*)::integer AS n FROM items')
    return row!.n
  }

  async serverVersion(): Promise<string> {
    const [row] = await this.query<{ v: string }>('SELECT version() AS v')
    return row!.v
  }

  /** Drops this store's private schema (if any), then closes the connection. */
  async destroy(): Promise<void> {
    try {
      if (this.schema) await this.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.schema)} CASCADE`)
    } finally {
      await this.close()
    }
  }

  async close(): Promise<void> {
    await this.client.end()
  }
}
