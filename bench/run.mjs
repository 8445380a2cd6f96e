// npm run bench [-- --sizes 10k,100k,1m] [--repeat N] [--j2j-timeout SECONDS]
//
// Generates realistic JUnit reports for two backends (bench/generate.mjs, cached in bench/out/),
// then measures side by side, each as a child process with its wall time and peak RSS:
//   cli       node dist/cli.js --backend sqlite=... --backend postgres=... --format json --output /dev/null
//   saxes     the parsing floor: the same bytes through saxes with opentag/closetag only
//   junit2json  the same files parsed by junit2json (xml2js)
// Prints the table with ratios and the targets, writes bench/out/results.json, and exits 1 when a
// target is missed. Times are medians of --repeat runs (junit2json runs once at 1M: ~25 s a file).
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { BACKENDS, ensureReports } from './generate.mjs'
import { runHostile } from './hostile.mjs'
import { RSS_SOURCE, runNode } from './measure.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const OUT = path.join(HERE, 'out')
const CLI = path.join(ROOT, 'dist', 'cli.js')

const TARGETS = {
  /** CLI wall time at most this multiple of the bare saxes pass. */
  floorRatio: 1.3,
  /** CLI at least this many times faster than junit2json. */
  junit2jsonSpeedup: 3,
  /** Peak RSS of the CLI at 2 x 1M testcases, in MB. */
  rssMB: 512,
  /** Hostile reports (bench/hostile.mjs): wall time per MB of report text, and peak RSS. */
  hostileSecondsPerMB: 0.25,
  hostileRssMB: 256
}
/** Below this many testcases per backend, process start-up dominates: ratios are shown, not judged. */
const JUDGE_FROM = 100_000

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10k,100k,1m' },
    repeat: { type: 'string', default: '3' },
    'j2j-timeout': { type: 'string', default: '180' },
    'hostile-mb': { type: 'string', default: '16' },
    help: { type: 'boolean', short: 'h' }
  }
})
if (values.help) {
  process.stdout.write('usage: npm run bench -- [--sizes 10k,100k,1m|none] [--repeat N] [--j2j-timeout SECONDS] [--hostile-mb MB|0]\n')
  process.exit(0)
}
const repeat = Math.max(1, Number.parseInt(values.repeat, 10) || 1)
const j2jTimeoutMs = Number(values['j2j-timeout']) * 1000
const hostileMB = Number(values['hostile-mb'])
const sizes = (values.sizes === 'none' ? [] : values.sizes.split(',')).map((label) => ({ label: label.trim().toLowerCase(), tests: parseSize(label) }))

function parseSize(text) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([km]?)\s*$/i.exec(text)
  if (match === null) {
    process.stderr.write(`bench: --sizes: "${text}" is not a size like 10k, 100k or 1m\n`)
    process.exit(2)
  }
  const unit = { '': 1, k: 1_000, m: 1_000_000 }[match[2].toLowerCase()]
  return Math.round(Number(match[1]) * unit)
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function measure(label, nodeArgs, { cwd, runs, timeoutMs, okCodes, expectCount, keepStdout }) {
  const samples = []
  for (let i = 0; i < runs; i++) {
    globalThis.gc?.()
    const result = await runNode(nodeArgs, { cwd, timeoutMs, okCodes })
    if (!result.ok) {
      process.stderr.write(`  ${label}: ${result.failure}${result.failure.startsWith('exit') ? `\n${result.stderr.trim().slice(-2000)}` : ''}\n`)
      return { failure: result.failure, runs: samples.length + 1, ms: undefined, rssMB: undefined }
    }
    if (expectCount !== undefined) {
      const count = JSON.parse(result.stdout.trim().split('\n').pop()).testcases
      if (count !== expectCount) throw new Error(`${label}: counted ${count} testcases, expected ${expectCount}`)
    }
    samples.push(result)
    process.stderr.write(
      `  ${label} run ${i + 1}/${runs}: ${(result.ms / 1000).toFixed(2)} s, CPU ${result.cpuMs === undefined ? '?' : (result.cpuMs / 1000).toFixed(2)} s, ${result.rssMB?.toFixed(0) ?? '?'} MB\n`
    )
  }
  return {
    runs,
    ms: median(samples.map((s) => s.ms)),
    msAll: samples.map((s) => Math.round(s.ms)),
    cpuMs: median(samples.map((s) => s.cpuMs ?? Number.NaN)),
    rssMB: median(samples.map((s) => s.rssMB ?? Number.NaN)),
    stdout: keepStdout ? samples.at(-1)?.stdout : undefined
  }
}

if (!existsSync(CLI)) {
  process.stderr.write('bench: dist/cli.js is missing: run `npm run build` first\n')
  process.exit(2)
}
mkdirSync(OUT, { recursive: true })
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  rssSource: RSS_SOURCE,
  loadBefore: load()
}
process.stderr.write(`bench: ${machine.cores} cores (${machine.cpu}), node ${machine.node}, load ${machine.loadBefore}, RSS via ${RSS_SOURCE}, repeat ${repeat}\n`)

const rows = []
for (const { label, tests } of sizes) {
  const started = Date.now()
  const { dir, files, generated } = ensureReports(OUT, label, tests)
  const bytes = BACKENDS.reduce((sum, b) => sum + statSync(files[b]).size, 0)
  process.stderr.write(`${label}: 2 x ${tests} testcases, ${(bytes / 2 ** 20).toFixed(0)} MB${generated ? ` (generated in ${((Date.now() - started) / 1000).toFixed(1)} s)` : ' (cached)'}\n`)
  const reportFiles = BACKENDS.map((b) => files[b])
  const expectCount = 2 * tests
  const big = tests >= 1_000_000
  const cliTimeout = Math.max(60_000, tests / 1000 * 200)
  const cli = await measure('cli', [CLI, ...BACKENDS.flatMap((b) => ['--backend', `${b}=${path.basename(files[b])}`]), '--format', 'json', '--output', '/dev/null'], {
    cwd: dir,
    runs: repeat,
    timeoutMs: cliTimeout,
    // 1: the gate found gaps (the generated failures and skips): a normal outcome here.
    okCodes: [0, 1]
  })
  const saxes = await measure('saxes', [path.join(HERE, 'saxes-floor.mjs'), ...reportFiles], { cwd: dir, runs: repeat, timeoutMs: cliTimeout, expectCount })
  const j2j = await measure('junit2json', [path.join(HERE, 'junit2json-child.mjs'), ...reportFiles], {
    cwd: dir,
    runs: big ? 1 : repeat,
    timeoutMs: j2jTimeoutMs,
    expectCount
  })
  rows.push({ label, tests, bytes, cli, saxes, junit2json: j2j, load: load() })
}

// Hostile text: each case must keep its verdict, at a bounded time per MB and bounded memory.
const hostile = hostileMB > 0 ? await runHostile({ outDir: OUT, cli: CLI, megabytes: hostileMB, measure }) : []

// Targets: time ratios judged from JUDGE_FROM testcases up (start-up dominates below), RSS at 1M.
const checks = []
for (const row of rows) {
  const judged = row.tests >= JUDGE_FROM
  const floorRatio = row.cli.ms !== undefined && row.saxes.ms !== undefined ? row.cli.ms / row.saxes.ms : undefined
  const speedup = row.cli.ms !== undefined && row.junit2json.ms !== undefined ? row.junit2json.ms / row.cli.ms : undefined
  row.floorRatio = floorRatio
  row.junit2jsonSpeedup = speedup
  if (judged) {
    checks.push({
      size: row.label,
      target: `CLI <= ${TARGETS.floorRatio}x bare saxes`,
      value: floorRatio === undefined ? 'n/a' : `${floorRatio.toFixed(2)}x`,
      met: floorRatio !== undefined && floorRatio <= TARGETS.floorRatio
    })
    const j2jFailure = row.junit2json.failure
    // A junit2json timeout gives a lower bound (timeout / CLI time); running out of memory while
    // the CLI finished counts as met; any other junit2json failure is a broken benchmark.
    const lowerBound = j2jFailure === 'timeout' && row.cli.ms !== undefined ? j2jTimeoutMs / row.cli.ms : undefined
    checks.push({
      size: row.label,
      target: `CLI >= ${TARGETS.junit2jsonSpeedup}x faster than junit2json`,
      value:
        j2jFailure !== undefined
          ? `junit2json ${j2jFailure}${lowerBound === undefined ? '' : ` (> ${lowerBound.toFixed(2)}x)`}`
          : speedup === undefined
            ? 'n/a'
            : `${speedup.toFixed(2)}x`,
      met:
        row.cli.ms !== undefined &&
        (j2jFailure === undefined
          ? speedup >= TARGETS.junit2jsonSpeedup
          : j2jFailure === 'OOM' || (lowerBound !== undefined && lowerBound >= TARGETS.junit2jsonSpeedup))
    })
  }
  if (row.tests >= 1_000_000) {
    checks.push({
      size: row.label,
      target: `CLI peak RSS <= ${TARGETS.rssMB} MB`,
      value: row.cli.rssMB === undefined || Number.isNaN(row.cli.rssMB) ? 'n/a' : `${row.cli.rssMB.toFixed(0)} MB`,
      met: row.cli.rssMB !== undefined && row.cli.rssMB <= TARGETS.rssMB
    })
  }
  if (row.cli.failure !== undefined) checks.push({ size: row.label, target: 'CLI completes', value: row.cli.failure, met: false })
}
for (const row of hostile) {
  const seconds = row.ms === undefined ? undefined : row.ms / 1000
  checks.push({ size: 'hostile', target: `${row.name}: verdict kept`, value: row.verdict, met: row.met })
  checks.push({
    size: 'hostile',
    target: `${row.name}: <= ${TARGETS.hostileSecondsPerMB} s per MB`,
    value: seconds === undefined ? 'n/a' : `${(seconds / row.textMB).toFixed(3)} s/MB`,
    met: seconds !== undefined && seconds / row.textMB <= TARGETS.hostileSecondsPerMB
  })
  checks.push({
    size: 'hostile',
    target: `${row.name}: peak RSS <= ${TARGETS.hostileRssMB} MB`,
    value: row.rssMB === undefined || Number.isNaN(row.rssMB) ? 'n/a' : `${row.rssMB.toFixed(0)} MB`,
    met: row.rssMB !== undefined && row.rssMB <= TARGETS.hostileRssMB
  })
}

const secs = (m) => (m.ms === undefined ? (m.failure ?? 'n/a') : `${(m.ms / 1000).toFixed(2)} s`)
const mb = (m) => (m.rssMB === undefined || Number.isNaN(m.rssMB) ? (m.failure ?? 'n/a') : `${m.rssMB.toFixed(0)} MB`)
const ratio = (r) => (r === undefined || Number.isNaN(r) ? 'n/a' : `${r.toFixed(2)}x`)
const cpu = (m) => (m.cpuMs === undefined || Number.isNaN(m.cpuMs) ? (m.failure ?? 'n/a') : `${(m.cpuMs / 1000).toFixed(2)} s`)
const table = [
  '| Testcases (per backend) | Report size (2 files) | CLI time | CLI peak RSS | bare saxes time | saxes peak RSS | junit2json time | junit2json peak RSS | CLI / saxes | junit2json / CLI |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.tests.toLocaleString('en-US')} | ${(r.bytes / 2 ** 20).toFixed(0)} MB | ${secs(r.cli)} | ${mb(r.cli)} | ${secs(r.saxes)} | ${mb(r.saxes)} | ${secs(r.junit2json)}${r.junit2json.runs === 1 && repeat > 1 ? ' ¹' : ''} | ${mb(r.junit2json)} | ${ratio(r.floorRatio)} | ${ratio(r.junit2jsonSpeedup)} |`
  )
]
const cpuRatio = (a, b) => (a.cpuMs === undefined || b.cpuMs === undefined ? undefined : a.cpuMs / b.cpuMs)
const cpuTable = [
  '| Testcases (per backend) | CLI CPU | bare saxes CPU | junit2json CPU | CLI / saxes (CPU) | junit2json / CLI (CPU) |',
  '|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.tests.toLocaleString('en-US')} | ${cpu(r.cli)} | ${cpu(r.saxes)} | ${cpu(r.junit2json)} | ${ratio(cpuRatio(r.cli, r.saxes))} | ${ratio(cpuRatio(r.junit2json, r.cli))} |`
  )
]
for (const row of rows) {
  row.cpuFloorRatio = cpuRatio(row.cli, row.saxes)
  row.cpuJunit2jsonSpeedup = cpuRatio(row.junit2json, row.cli)
}
const hostileTable = [
  '| Hostile case (one testcase) | Report text | CLI time | MB/s | CLI peak RSS | Gaps |',
  '|---|---:|---:|---:|---:|---|',
  ...hostile.map(
    (r) =>
      `| ${r.name} | ${r.textMB} MB | ${r.ms === undefined ? 'n/a' : `${(r.ms / 1000).toFixed(2)} s`} | ${r.ms === undefined ? 'n/a' : (r.textMB / (r.ms / 1000)).toFixed(0)} | ${r.rssMB === undefined || Number.isNaN(r.rssMB) ? 'n/a' : `${r.rssMB.toFixed(0)} MB`} | ${r.verdict} |`
  )
]
const targetLines = checks.map((c) => `${c.met ? 'PASS' : 'MISS'}  ${c.size.padEnd(5)} ${c.target.padEnd(40)} ${c.value}`)
const out = [
  `Machine: ${machine.cores} cores, ${machine.cpu}, ${machine.memoryGB} GB, node ${machine.node}; load average before ${machine.loadBefore}, after ${load()}`,
  `Times: median of ${repeat} run(s) of each child process, wall clock including node start-up; peak RSS via ${RSS_SOURCE}.`,
  '',
  ...table,
  ...(rows.some((r) => r.junit2json.runs === 1) && repeat > 1 ? ['', '¹ one run: junit2json at 1M testcases takes tens of seconds and GBs per file.'] : []),
  '',
  'CPU time (user + system; medians): other processes on the machine move it far less than wall time.',
  '',
  ...cpuTable,
  '',
  ...(hostile.length > 0 ? ['Hostile report text (bench/hostile.mjs; the failure body and the output each hold the run, or the output holds a skip marker at its very end):', '', ...hostileTable, ''] : []),
  `Targets (time ratios judged from ${JUDGE_FROM.toLocaleString('en-US')} testcases up; below that node start-up dominates):`,
  ...targetLines
]
process.stdout.write(out.join('\n') + '\n')

const results = { date: new Date().toISOString(), machine: { ...machine, loadAfter: load() }, repeat, targets: TARGETS, rows, hostile, checks }
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2) + '\n')
process.stderr.write(`results: ${path.relative(process.cwd(), path.join(OUT, 'results.json'))}\n`)
const missed = checks.filter((c) => !c.met)
if (missed.length > 0) {
  process.stderr.write(`bench: ${missed.length} target(s) missed\n`)
  process.exitCode = 1
}
