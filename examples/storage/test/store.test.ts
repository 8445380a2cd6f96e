// ONE suite for every backend. The backend comes from STORAGE_BACKEND (see backend.ts);
// test names never mention it, so the reports of the SQLite job and the PostgreSQL job
// can be paired test by test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DuplicateKeyError } from '../src/store.js'
import type { Item, Store } from '../src/store.js'
import { openTestStore, unavailable } from './backend.js'
import type { TestStore } from './backend.js'

describe.skipIf(unavailable)('Store', () => {
  let t: TestStore
  let store: Store

  beforeEach(async () => {
    t = await openTestStore()
    store = t.store
  })

  afterEach(async () => {
    await t?.dispose()
  })

  const widget = { sku: 'W-1', name: 'Widget', qty: 3, attrs: { color: 'red' } }

  // The canary: prints the server's own version. vitest's JUnit reporter keeps a test's console
  // output in its <system-out>, so each report proves which server the job really ran on, and
  // the gate's `evidence:` (dual-backend.yml) requires "PostgreSQL 1x." in the postgres job's
  // reports. It asserts only that there is a version: a test cannot know that its job was
  // meant for another server (STORAGE_FALLBACK_TO_SQLITE=1 passes it) -- the gate can.
  it('reports the database server it ran on', async () => {
    const version = await store.serverVersion()
    console.log(`database server: ${version}`)
    expect(version).toMatch(/^(PostgreSQL|SQLite) \d+\.\d+/)
  })

  describe('crud', () => {
    it('inserts an item and reads it back', async () => {
      const created = await store.insert(widget)
      expect(created).toEqual({ id: expect.any(Number), ...widget })
      expect(await store.get(created.id)).toEqual(created)
    })

    it('returns undefined for an unknown id', async () => {
      expect(await store.get(424242)).toBeUndefined()
    })

    it('rejects a second item with the same sku', async () => {
      await store.insert(widget)
      await expect(store.insert({ ...widget, name: 'Other' })).rejects.toBeInstanceOf(DuplicateKeyError)
      expect(await store.count()).toBe(1)
    })

    it('updates only the given fields', async () => {
      const { id } = await store.insert(widget)
      const updated = await store.update(id, { qty: 10 })
      expect(updated).toEqual({ id, ...widget, qty: 10 })
      expect(await store.get(id)).toEqual(updated)
      expect(await store.update(id + 1000, { qty: 1 })).toBeUndefined()
    })

    it('deletes an item', async () => {
      const { id } = await store.insert(widget)
      expect(await store.delete(id)).toBe(true)
      expect(await store.get(id)).toBeUndefined()
      expect(await store.delete(id)).toBe(false)
    })
  })

  describe('upsert', () => {
    it('inserts a new sku, then updates it in place on conflict', async () => {
      const first = await store.upsert({ sku: 'U-1', name: 'Bolt', qty: 1 })
      const second = await store.upsert({ sku: 'U-1', name: 'Bolt M8', qty: 5, attrs: { size: 'M8' } })
      expect(second).toEqual({ id: first.id, sku: 'U-1', name: 'Bolt M8', qty: 5, attrs: { size: 'M8' } })
      expect(await store.count()).toBe(1)
    })
  })

  describe('pagination', () => {
    it('pages through every row exactly once in a stable order', async () => {
      // Duplicate names make the id tie-breaker matter; mixed case checks byte-wise order.
      const names = ['pear', 'Apple', 'apple', 'fig', 'pear', 'Banana', 'fig', 'kiwi', 'apple']
      for (const [i, name] of names.entries()) await store.insert({ sku: `P-${i}`, name, qty: i })
      const seen: Item[] = []
      let page = await store.list({ limit: 4 })
      seen.push(...page.items)
      while (page.next) {
        page = await store.list({ limit: 4, after: page.next })
        seen.push(...page.items)
      }
      expect(seen).toHaveLength(names.length)
      expect(new Set(seen.map((i) => i.id)).size).toBe(names.length)
      expect(seen.map((i) => i.name)).toEqual(['Apple', 'Banana', 'apple', 'apple', 'fig', 'fig', 'kiwi', 'pear', 'pear'])
      const pears = seen.filter((i) => i.name === 'pear').map((i) => i.id)
      expect(pears).toEqual([...pears].sort((a, b) => a - b))
    })
  })

  describe('transactions', () => {
    it('rolls back every write when the transaction fails', async () => {
      const { id } = await store.insert(widget)
      await expect(
        store.transaction(async (tx) => {
          await tx.insert({ sku: 'T-1', name: 'Gear', qty: 1 })
          await tx.update(id, { qty: 99 })
          await tx.insert({ sku: 'W-1', name: 'Duplicate', qty: 1 }) // violates UNIQUE(sku)
        })
      ).rejects.toBeInstanceOf(DuplicateKeyError)
      expect(await store.count()).toBe(1)
      expect((await store.get(id))?.qty).toBe(3)
    })

    it('commits when the transaction succeeds', async () => {
      const id = await store.transaction(async (tx) => {
        const a = await tx.insert({ sku: 'T-1', name: 'Gear', qty: 1 })
        await tx.insert({ sku: 'T-2', name: 'Chain', qty: 2 })
        return a.id
      })
      expect(await store.count()).toBe(2)
      expect((await store.get(id))?.name).toBe('Gear')
    })
  })

  describe('json attributes', () => {
    it('finds items by a JSON attribute', async () => {
      await store.insert({ sku: 'J-1', name: 'Red shirt', qty: 1, attrs: { color: 'red', size: 'M', tags: ['a'] } })
      await store.insert({ sku: 'J-2', name: 'Blue shirt', qty: 1, attrs: { color: 'blue', size: 'M' } })
      const hat = await store.insert({ sku: 'J-3', name: 'Red hat', qty: 1, attrs: { color: 'red', nested: { deep: true } } })
      expect((await store.findByAttr('color', 'red')).map((i) => i.sku)).toEqual(['J-1', 'J-3'])
      expect(await store.findByAttr('color', 'green')).toEqual([])
      expect((await store.get(hat.id))?.attrs).toEqual({ color: 'red', nested: { deep: true } })
    })

    it('sets one JSON attribute without touching the others', async () => {
      const { id } = await store.insert({ sku: 'J-1', name: 'Shirt', qty: 1, attrs: { color: 'red', size: 'M' } })
      await store.setAttr(id, 'size', 'L')
      const item = await store.setAttr(id, 'stock', { warehouse: 2, bins: [1, 2] })
      expect(item?.attrs).toEqual({ color: 'red', size: 'L', stock: { warehouse: 2, bins: [1, 2] } })
      expect(await store.setAttr(id + 1000, 'size', 'S')).toBeUndefined()
      await expect(store.setAttr(id, "x') OR 1=1 --", 1)).rejects.toThrow(/invalid attribute key/)
    })
  })

  describe('search', () => {
    it('matches names case-insensitively', async () => {
      for (const [i, name] of ['Widget', 'WIDGET box', 'gadget', 'small widget'].entries()) {
        await store.insert({ sku: `S-${i}`, name, qty: 1 })
      }
      expect((await store.search('wIdGeT')).map((i) => i.name)).toEqual(['WIDGET box', 'Widget', 'small widget'])
      expect(await store.search('sprocket')).toEqual([])
    })

    it('treats LIKE wildcards in the search term literally', async () => {
      for (const [i, name] of ['100% cotton', '100 percent', 'snake_case', 'snakeXcase'].entries()) {
        await store.insert({ sku: `L-${i}`, name, qty: 1 })
      }
      expect((await store.search('100%')).map((i) => i.name)).toEqual(['100% cotton'])
      expect((await store.search('E_C')).map((i) => i.name)).toEqual(['snake_case'])
    })
  })
})
