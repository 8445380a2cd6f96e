// The parsing floor: the same bytes, the same chunk size, saxes with opentag/closetag handlers
// only, counting <testcase> elements. Nothing else happens, so the CLI cannot be faster than this.
// Usage: node bench/saxes-floor.mjs FILE... → prints {"testcases": N}
import { closeSync, openSync, readSync } from 'node:fs'
import { TextDecoder } from 'node:util'
import { SaxesParser } from 'saxes'

const READ_CHUNK = 1 << 16 // same as src/io/reports.ts

let testcases = 0
for (const file of process.argv.slice(2)) {
  const sax = new SaxesParser({ xmlns: false, position: true })
  let depth = 0
  sax.on('opentag', (tag) => {
    depth++
    if (tag.name === 'testcase') testcases++
  })
  sax.on('closetag', () => {
    depth--
  })
  sax.on('error', (error) => {
    throw error
  })
  const decoder = new TextDecoder('utf-8', { fatal: true })
  // Read the way src/io/reports.ts reads: blocking 64 KiB reads into a fresh buffer.
  const fd = openSync(file, 'r')
  for (;;) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK)
    const read = readSync(fd, chunk, 0, READ_CHUNK, null)
    if (read === 0) break
    sax.write(decoder.decode(read === READ_CHUNK ? chunk : chunk.subarray(0, read), { stream: true }))
  }
  closeSync(fd)
  sax.write(decoder.decode())
  sax.close()
  if (depth !== 0) throw new Error(`${file}: unbalanced`)
}
process.stdout.write(JSON.stringify({ testcases }) + '\n')
