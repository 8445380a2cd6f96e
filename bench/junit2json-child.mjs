// junit2json (xml2js underneath) on the same files, one after the other, as its README shows:
// read the whole file, parse() it into a tree. Usage: node bench/junit2json-child.mjs FILE...
import { readFile } from 'node:fs/promises'
import { parse } from 'junit2json'

function count(node) {
  let n = 0
  for (const suite of node.testsuite ?? []) n += count(suite)
  n += node.testcase?.length ?? 0
  return n
}

let testcases = 0
for (const file of process.argv.slice(2)) {
  let xml = await readFile(file, 'utf8')
  const tree = await parse(xml)
  xml = undefined
  testcases += count(tree)
}
process.stdout.write(JSON.stringify({ testcases }) + '\n')
