// The parsing floor: the same bytes, the same chunk size, saxes with opentag/closetag handlers
// only, counting <testcase> elements. Nothing else happens, so the CLI cannot be faster than this.
// Usage: node bench/saxes-floor.mjs FILE... → prints {"testcases": N}
import { createReadStream } from 'node:fs'
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
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) sax.write(decoder.decode(chunk, { stream: true }))
  sax.write(decoder.decode())
  sax.close()
  if (depth !== 0) throw new Error(`${file}: unbalanced`)
}
process.stdout.write(JSON.stringify({ testcases }) + '\n')
