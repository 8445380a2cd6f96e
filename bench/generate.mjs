// Realistic JUnit reports for the benchmark, streamed to disk (never held in memory).
//
// Both backends run the same tests (same ids); each backend's outcome is drawn from its own
// seeded generator: about 2% failures (a few of them errors), 3% skipped, captured output on
// some tests, XML entities, unicode and parametrized names, several suites and classes.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'

/** Bump when the generated content changes, so cached files are regenerated. */
export const GENERATOR_VERSION = 4

/** mulberry32: small, fast, deterministic. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const MODULES = ['users', 'orders', 'migrations', 'json_fields', 'transactions', 'locks', 'fulltext', 'dates', 'bulk', 'constraints']
const OPS = ['insert', 'update', 'delete', 'select', 'upsert', 'rollback', 'savepoint', 'order_by', 'group_by', 'like']
const CASE_KINDS = [
  (i) => `case-${i % 7}`,
  (i) => `&quot;a&amp;b&quot;-${i % 5}`,
  (i) => `ünïcødé-名前-${i % 3}`,
  (i) => `&lt;tag&gt;-${i % 4}`,
  (i) => `${String(i % 10).padStart(3, '0')}`,
  (i) => `None-${i % 2 === 0 ? 'True' : 'False'}`
]

/**
 * Writes one backend's report. Tests are grouped as pytest writes them: one <testsuite> per
 * module (about 1,000 tests each), classes inside it, `name[param]` test names.
 */
export function writeReport(file, { tests, backend, seed }) {
  const random = rng(seed)
  const fd = openSync(`${file}.tmp`, 'w')
  let buffer = ''
  const flush = (force) => {
    if (force || buffer.length > 1 << 20) {
      writeSync(fd, buffer)
      buffer = ''
    }
  }
  const perSuite = 1000
  const suites = Math.ceil(tests / perSuite)
  const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 }
  buffer += '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="storage">\n'
  for (let s = 0; s < suites; s++) {
    const module = `${MODULES[s % MODULES.length]}_${Math.floor(s / MODULES.length)}`
    const file = `tests/storage/test_${module}.py`
    const inSuite = Math.min(perSuite, tests - s * perSuite)
    buffer += `  <testsuite name="pytest" errors="0" failures="0" skipped="0" tests="${inSuite}" time="12.5" timestamp="2026-11-30T10:00:00.000000+00:00" hostname="runner-${backend}">\n`
    for (let t = 0; t < inSuite; t++) {
      const i = s * perSuite + t
      // Ten consecutive tests per class, as runners write them.
      const cls = `Test${OPS[Math.floor(t / 10) % OPS.length].replace(/(^|_)(\w)/g, (_m, _u, c) => c.toUpperCase())}${Math.floor(t / 100)}`
      const param = CASE_KINDS[i % CASE_KINDS.length](i)
      const name = `test_${OPS[(t * 7) % OPS.length]}_${t % 100}[${param}]`
      const roll = random()
      const time = (random() * 0.2).toFixed(3)
      const head = `    <testcase classname="tests.storage.test_${module}.${cls}" name="${name}" file="${file}" line="${10 + (t % 100) * 12}" time="${time}"`
      counts.tests++
      if (roll < 0.015) {
        counts.failures++
        buffer +=
          `${head}>\n      <failure message="AssertionError: assert ${i} == ${i + 1} &amp; rows differ on ${backend}">` +
          `${file}:${10 + (t % 100) * 12}: in ${name.replace(/\[.*$/, '')}\n    assert row[&quot;id&quot;] == expected\n` +
          `E   AssertionError: assert ${i} == ${i + 1}\nE    +  where ${i} = &lt;Row id=${i}&gt;</failure>\n` +
          `      <system-out>connecting to ${backend}://ci:***@localhost/test_${s}\nrows: ${t}</system-out>\n    </testcase>\n`
      } else if (roll < 0.02) {
        counts.errors++
        buffer +=
          `${head}>\n      <error message="failed on setup with &quot;OperationalError: could not connect&quot;">` +
          `conftest.py:42: in db\n    return connect(url)\nE   OperationalError: connection refused</error>\n    </testcase>\n`
      } else if (roll < 0.05) {
        counts.skipped++
        buffer += `${head}>\n      <skipped type="pytest.skip" message="needs ${backend === 'sqlite' ? 'postgres' : 'sqlite'} extension">${file}:${12 + t}: needs extension</skipped>\n    </testcase>\n`
      } else if (roll < 0.1) {
        buffer += `${head}>\n      <system-out>migrating schema v${i % 40} → v${(i % 40) + 1}\ninserted ${t} rows in ${time}s ✓</system-out>\n    </testcase>\n`
      } else {
        buffer += `${head}/>\n`
      }
      flush(false)
    }
    buffer += '  </testsuite>\n'
  }
  buffer += '</testsuites>\n'
  flush(true)
  closeSync(fd)
  renameSync(`${file}.tmp`, file)
  return counts
}

export const BACKENDS = ['sqlite', 'postgres']

/** Generates (or reuses) both backends' reports for one size. Returns the file paths. */
export function ensureReports(outDir, label, tests) {
  const dir = path.join(outDir, label)
  mkdirSync(dir, { recursive: true })
  const stampFile = path.join(dir, 'stamp.json')
  const stamp = JSON.stringify({ version: GENERATOR_VERSION, tests })
  const files = Object.fromEntries(BACKENDS.map((b) => [b, path.join(dir, `${b}.xml`)]))
  const fresh = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && BACKENDS.every((b) => existsSync(files[b]))
  if (!fresh) {
    BACKENDS.forEach((backend, i) => writeReport(files[backend], { tests, backend, seed: 1000 * (i + 1) + tests }))
    writeFileSync(stampFile, stamp)
  }
  return { dir, files, generated: !fresh }
}
