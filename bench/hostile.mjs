// Hostile reports: one postgres testcase whose failure body and output are megabytes of the text
// that once made a scan backtrack or hold everything in memory (runs of "@", path characters,
// ".py", colons, "C:", colour codes in every form, URL and key=value prefixes with no end), and
// a skip marker at the very end of a long output. Each case runs the CLI once and prints its
// time, throughput and peak RSS; the verdict must still be right (exit 1: the failure or skip).
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** name: [what the run is made of, where it goes] */
const CASES = {
  'runs of @': ['@', 'failure'],
  'path characters, no colon': ['a/b.c-d_e+f@', 'failure'],
  '.py without a line': ['x.py', 'failure'],
  'colons and digits': ['1:', 'failure'],
  'x.py: without digits': ['x.py:', 'failure'],
  'drive letters C:': ['C:', 'failure'],
  'colour codes, ESC replaced (U+FFFD)': ['\ufffd[33', 'failure'],
  "colour codes, pytest's #x1B": ['#x1B[1;', 'output'],
  'colour codes, dropped ESC': ['[33m[0', 'output'],
  'URL prefixes with no @': ['postgres://u:', 'failure'],
  'password= with no end': ['password=', 'failure'],
  'one long line, then the marker': ['y', 'marker-line'],
  'short lines, marker at the end': ['log line without a marker\n', 'marker-lines']
}

const xmlText = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function body(unit, megabytes) {
  return unit.repeat(Math.ceil((megabytes * 2 ** 20) / Buffer.byteLength(unit)))
}

/** Writes the two reports of one case into dir/reports/{sqlite,postgres}/junit.xml. */
function writeCase(dir, unit, place, megabytes) {
  for (const backend of ['sqlite', 'postgres']) mkdirSync(path.join(dir, 'reports', backend), { recursive: true })
  writeFileSync(path.join(dir, 'reports/sqlite/junit.xml'), '<testsuite name="s"><testcase classname="tests.storage" name="test_hostile"/></testsuite>\n')
  const text = xmlText(body(unit, megabytes))
  const inner =
    place === 'failure'
      ? `<failure message="hostile">${text}</failure><system-out>${text}</system-out>`
      : place === 'output'
        ? `<failure message="hostile"/><system-out>${text}</system-out>`
        : `<system-out>${text}\nSkipping postgres: DATABASE_URL is not set</system-out>`
  writeFileSync(path.join(dir, 'reports/postgres/junit.xml'), `<testsuite name="s"><testcase classname="tests.storage" name="test_hostile">${inner}</testcase></testsuite>\n`)
}

/**
 * Runs every case through the CLI. Returns rows { name, bytes, ms, rssMB, verdict } and prints a table.
 * `measure` is run.mjs's child-process measurement; the CLI must exit 1 with the expected gap.
 */
export async function runHostile({ outDir, cli, megabytes, measure }) {
  const rows = []
  for (const [name, [unit, place]] of Object.entries(CASES)) {
    const dir = path.join(outDir, 'hostile', name.replace(/[^a-z0-9]+/gi, '-').toLowerCase())
    writeCase(dir, unit, place, megabytes)
    const args = [cli, '--backend', 'sqlite=reports/sqlite/*.xml', '--backend', 'postgres=reports/postgres/*.xml', '--format', 'json']
    const result = await measure(`hostile: ${name}`, args, { cwd: dir, runs: 1, timeoutMs: 120_000, okCodes: [1], keepStdout: true })
    let verdict = result.failure ?? 'n/a'
    if (result.stdout !== undefined) {
      const gaps = JSON.parse(result.stdout).gaps.map((gap) => `${gap.kind} ${gap.backend}`)
      verdict = gaps.join(', ')
    }
    const expected = place.startsWith('marker') ? 'skipped postgres' : 'failed postgres'
    rows.push({ name, megabytes, textMB: place.startsWith('marker') ? megabytes : 2 * megabytes, ms: result.ms, rssMB: result.rssMB, verdict, met: verdict === expected && result.ms !== undefined })
  }
  return rows
}
