// Why not junit2json: xml2js underneath turns numeric-looking attribute values into numbers,
// so a test named "007" becomes 7 and two different tests can end up with one identity.
// Usage: node bench/junit2json-names.mjs
import { parse } from 'junit2json'

const names = ['007', '7', '1e3', '0x10', '3.50', 'true', 'test_ok']
const xml = `<testsuite name="s">${names.map((n) => `<testcase classname="c" name="${n}"/>`).join('')}</testsuite>`
const report = await parse(xml)
for (const [i, testcase] of report.testcase.entries()) {
  const value = testcase.name
  process.stdout.write(`name="${names[i]}" -> ${JSON.stringify(value)} (${typeof value})${String(value) === names[i] ? '' : '  <- changed'}\n`)
}
