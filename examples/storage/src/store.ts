// The storage contract shared by every backend. Application code (and the one
// test suite in test/store.test.ts) only ever sees this interface.

export type Attrs = Record<string, unknown>

export interface Item {
  id: number
  sku: string
  name: string
  qty: number
  attrs: Attrs
}

export type NewItem = Omit<Item, 'id' | 'attrs'> & { attrs?: Attrs }
export type ItemPatch = Partial<Pick<Item, 'name' | 'qty' | 'attrs'>>

/** Opaque keyset cursor: the (name, id) of the last row of the previous page. */
export interface Cursor {
  name: string
  id: number
}

export interface Page {
  items: Item[]
  /** Present when there may be more rows after this page. */
  next?: Cursor
}

export interface Store {
  /** Creates the schema. Idempotent. */
  migrate(): Promise<void>
  insert(item: NewItem): Promise<Item>
  get(id: number): Promise<Item | undefined>
  /** Returns the updated row, or undefined when no row has this id. */
  update(id: number, patch: ItemPatch): Promise<Item | undefined>
  /** Returns true when a row was deleted. */
  delete(id: number): Promise<boolean>
  /** Inserts by sku, or updates name/qty/attrs of the existing row with that sku (keeping its id). */
  upsert(item: NewItem): Promise<Item>
  /** Stable keyset pagination ordered by (name, id), byte-wise (C collation) on every backend. */
  list(opts: { limit: number; after?: Cursor }): Promise<Page>
  /** Case-insensitive substring search on name; `%` and `_` in the term are literal. */
  search(term: string): Promise<Item[]>
  /** Items whose JSON attribute `key` equals the string `value`, ordered by id. */
  findByAttr(key: string, value: string): Promise<Item[]>
  /** Sets one top-level JSON attribute in place, leaving the others untouched. */
  setAttr(id: number, key: string, value: unknown): Promise<Item | undefined>
  /** Runs fn in a transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>
  count(): Promise<number>
  /**
   * The database server this store talks to, as the server itself reports it: PostgreSQL's
   * `SELECT version()` ("PostgreSQL 15.8 on x86_64-pc-linux-gnu, ..."), or `SQLite 3.x.y` from
   * `sqlite_version()`. The suite's canary test prints it, so each JUnit report proves which
   * server it ran on (`evidence:` in dual-backend.yml).
   */
  serverVersion(): Promise<string>
  close(): Promise<void>
}

/** The same logical error on every backend: a second row with an existing sku. */
export class DuplicateKeyError extends Error {
  constructor(readonly sku: string, options?: { cause?: unknown }) {
    super(`duplicate sku: ${sku}`, options)
    this.name = 'DuplicateKeyError'
  }
}

/** Escapes LIKE/ILIKE wildcards so the user's term is matched literally (ESCAPE '\'). */
export function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** Only plain identifiers are accepted as JSON keys: they end up inside a JSON path. */
export function checkAttrKey(key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`invalid attribute key: ${JSON.stringify(key)}`)
  return key
}

/**
 * Demo switch: EXAMPLE_INJECT_SQLITE_ONLY=1 makes the PostgreSQL store's upsert use a
 * SQLite-only statement, the classic bug that a SQLite-only CI job never sees.
 */
export function injectSqliteOnly(): boolean {
  return /^(1|true|yes)$/i.test(process.env.EXAMPLE_INJECT_SQLITE_ONLY ?? '')
}
