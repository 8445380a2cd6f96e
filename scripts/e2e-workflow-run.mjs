#!/usr/bin/env node
// e2e-workflow-run.mjs -- the fork pull request recipe, end to end, against a tiny local stand-in
// for the three GitHub endpoints it uses. Called by scripts/e2e-example.sh (step 6):
//
//   node scripts/e2e-workflow-run.mjs REPORTS_DIR OUT_DIR [SECRET]
//
// REPORTS_DIR holds ok/sqlite, ok/postgres and inject/postgres junit.xml from the e2e suites.
// Nothing is configured by hand: the artifact names come from the upload steps of the `sqlite`
// and `postgres` jobs in .github/workflows/ci.yml, the check name from
// .github/workflows/dual-backend-report.yml, and the config from .github/dual-backend.yml, so
// this proves that the two workflows and the config agree. Each artifact is zipped as
// actions/upload-artifact@v4 stores a single folder (its files at the zip's root).
//
// The bundled action (dist/index.js) then runs as the workflow_run job would, with a workflow_run
// event of a fork pull request, and must: list the run's artifacts, download only the two
// mapped ones (following the 302 to the blob without sending the token), and post ONE check run
// with the right name on workflow_run.head_sha, success for the good reports and failure (one
// `failed` gap, the upsert test) for the injected bug, with the password nowhere in what it sent.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { clearTimeout, setTimeout } from 'node:timers'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import yazl from 'yazl'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [reportsArg, outArg, secret = ''] = process.argv.slice(2)
if (!reportsArg || !outArg) {
  console.error('usage: node scripts/e2e-workflow-run.mjs REPORTS_DIR OUT_DIR [SECRET]')
  process.exit(2)
}
const reportsDir = path.resolve(reportsArg)
const outDir = path.resolve(outArg)
let fails = 0
const pass = (m) => console.log(`PASS  ${m}`)
const fail = (m) => {
  console.log(`FAIL  ${m}`)
  fails++
}

// --- what the workflows and the config say ------------------------------------------------
const ci = yaml.load(readFileSync(path.join(ROOT, '.github/workflows/ci.yml'), 'utf8'))
const report = yaml.load(readFileSync(path.join(ROOT, '.github/workflows/dual-backend-report.yml'), 'utf8'))
const uploadName = (job) => {
  const step = (ci.jobs?.[job]?.steps ?? []).find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/upload-artifact@'))
  return step?.with?.name
}
const artifactOf = { sqlite: uploadName('sqlite'), postgres: uploadName('postgres') }
const reportJob = Object.values(report.jobs ?? {})[0] ?? {}
const gateStep = (reportJob.steps ?? []).find((s) => s.uses === './' || /dual-backend-coverage/.test(String(s.uses)))
const checkName = gateStep?.with?.['check-name'] ?? 'dual-backend coverage'
const triggeredBy = report.on?.workflow_run?.workflows ?? []
if (!artifactOf.sqlite || !artifactOf.postgres) fail(`ci.yml: no upload-artifact name in the sqlite/postgres jobs (${JSON.stringify(artifactOf)})`)
if (!triggeredBy.includes(ci.name)) fail(`dual-backend-report.yml runs on workflow_run of ${JSON.stringify(triggeredBy)}, but ci.yml is named "${ci.name}"`)
else pass(`dual-backend-report.yml runs after "${ci.name}"; artifacts ${artifactOf.sqlite}, ${artifactOf.postgres}; check "${checkName}"`)

// --- a stand-in for the GitHub API ----------------------------------------------------------
const TOKEN = `ghs_${'e2eTokenNotARealOne0123456789abcdef'.slice(0, 36)}`
function zipOf(files) {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile()
    for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name)
    const chunks = []
    zip.outputStream.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject)
    zip.end()
  })
}

async function scenario(name, postgresReport, expect) {
  const dir = path.join(outDir, name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const RUN_ID = 4242
  const HEAD = 'feedfacefeedfacefeedfacefeedfacefeedface'
  const artifacts = [
    { id: 11, name: artifactOf.sqlite, zip: await zipOf({ 'junit.xml': readFileSync(path.join(reportsDir, 'ok/sqlite/junit.xml')) }) },
    { id: 12, name: artifactOf.postgres, zip: await zipOf({ 'junit.xml': readFileSync(postgresReport) }) },
    // CI's e2e job uploads this on failure: the gate must leave it alone.
    { id: 13, name: 'e2e-output', zip: await zipOf({ 'x.txt': 'not a report' }) }
  ]
  const requests = []
  const checkRuns = []
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url, 'http://x')
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : ''
      requests.push({ method: req.method, path: url.pathname, auth: req.headers.authorization ?? '', body })
      const json = (status, data) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(data))
      }
      let m
      if (req.method === 'GET' && (m = /^\/repos\/example\/storage\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname))) {
        const list = Number(m[1]) === RUN_ID ? artifacts : []
        return json(200, {
          total_count: list.length,
          artifacts: list.map((a) => ({ id: a.id, name: a.name, size_in_bytes: a.zip.length, expired: false, created_at: '2026-12-02T06:00:00Z', workflow_run: { id: RUN_ID, head_sha: HEAD } }))
        })
      }
      if (req.method === 'GET' && (m = /^\/repos\/example\/storage\/actions\/artifacts\/(\d+)\/zip$/.exec(url.pathname))) {
        res.writeHead(302, { location: `http://127.0.0.1:${server.address().port}/blob/${m[1]}?sig=short-lived` })
        return res.end()
      }
      if (req.method === 'GET' && (m = /^\/blob\/(\d+)$/.exec(url.pathname))) {
        const a = artifacts.find((x) => x.id === Number(m[1]))
        if (!a) return json(404, { message: 'Not Found' })
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': a.zip.length })
        return res.end(a.zip)
      }
      if (req.method === 'POST' && url.pathname === '/repos/example/storage/check-runs') {
        const run = { id: 900 + checkRuns.length, ...JSON.parse(body) }
        checkRuns.push(run)
        return json(201, { id: run.id, html_url: `https://github.com/example/storage/runs/${run.id}` })
      }
      if (req.method === 'PATCH' && (m = /^\/repos\/example\/storage\/check-runs\/(\d+)$/.exec(url.pathname))) {
        const run = checkRuns.find((r) => r.id === Number(m[1]))
        if (!run) return json(404, { message: 'Not Found' })
        Object.assign(run, JSON.parse(body))
        return json(200, { id: run.id, html_url: `https://github.com/example/storage/runs/${run.id}` })
      }
      json(404, { message: `Not Found (e2e stand-in): ${req.method} ${url.pathname}` })
    })
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const port = server.address().port

  // The workspace of the workflow_run job: the default branch's checkout (only the config matters).
  const ws = path.join(dir, 'workspace')
  mkdirSync(path.join(ws, '.github'), { recursive: true })
  copyFileSync(path.join(ROOT, '.github/dual-backend.yml'), path.join(ws, '.github/dual-backend.yml'))
  const temp = mkdtempSync(path.join(os.tmpdir(), 'e2e-workflow-run-'))
  const event = {
    action: 'completed',
    workflow_run: {
      id: RUN_ID,
      name: ci.name,
      event: 'pull_request',
      status: 'completed',
      conclusion: expect === 'success' ? 'success' : 'failure',
      head_sha: HEAD,
      head_branch: 'contributor-patch',
      pull_requests: [],
      head_repository: { full_name: 'contributor/storage', fork: true },
      repository: { full_name: 'example/storage' }
    },
    repository: { full_name: 'example/storage', name: 'storage', owner: { login: 'example' } },
    sender: { login: 'contributor' }
  }
  writeFileSync(path.join(dir, 'event.json'), JSON.stringify(event))
  writeFileSync(path.join(dir, 'github_output'), '')
  writeFileSync(path.join(dir, 'step_summary'), '')
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? '/root',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_EVENT_NAME: 'workflow_run',
    GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
    GITHUB_SHA: '0000000000000000000000000000000000000001', // the default branch head: NOT where the check goes
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'example/storage',
    GITHUB_REPOSITORY_OWNER: 'example',
    GITHUB_WORKSPACE: ws,
    GITHUB_RUN_ID: '5151',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'gate',
    GITHUB_WORKFLOW: report.name ?? 'dual-backend report',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: `http://127.0.0.1:${port}`,
    GITHUB_OUTPUT: path.join(dir, 'github_output'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'step_summary'),
    RUNNER_TEMP: temp,
    'INPUT_CHECK-NAME': checkName,
    INPUT_TOKEN: TOKEN,
    INPUT_PUBLISH: 'check-run',
    'INPUT_MAX-ANNOTATIONS': '50',
    DUAL_BACKEND_COVERAGE_RETRY_BASE_MS: '10'
  }
  const result = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/index.js')], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
  server.close()
  writeFileSync(path.join(dir, 'action.stdout'), result.stdout)
  writeFileSync(path.join(dir, 'action.stderr'), result.stderr)
  writeFileSync(path.join(dir, 'requests.json'), JSON.stringify({ requests, checkRuns }, null, 2))
  const label = `workflow_run[${name}]`

  const wantExit = expect === 'success' ? 0 : 1
  if (result.code === wantExit) pass(`${label}: action exit ${result.code} as expected`)
  else fail(`${label}: action exit ${result.code}, expected ${wantExit}\n${result.stdout.split('\n').slice(-12).join('\n')}`)

  const downloads = requests.filter((r) => r.method === 'GET' && /\/actions\/artifacts\/\d+\/zip$/.test(r.path)).map((r) => Number(r.path.split('/').at(-2))).sort()
  if (JSON.stringify(downloads) === JSON.stringify([11, 12])) pass(`${label}: downloaded exactly ${artifactOf.sqlite} and ${artifactOf.postgres} (not e2e-output)`)
  else fail(`${label}: downloaded artifact ids ${JSON.stringify(downloads)}, expected [11,12]`)
  const blobAuth = requests.filter((r) => r.path.startsWith('/blob/') && r.auth !== '')
  if (blobAuth.length === 0) pass(`${label}: the token was not sent to the blob URL`)
  else fail(`${label}: the token was sent to the blob URL`)

  if (checkRuns.length !== 1) {
    fail(`${label}: ${checkRuns.length} check runs posted, expected 1`)
  } else {
    const run = checkRuns[0]
    const ok = run.name === checkName && run.head_sha === HEAD && run.status === 'completed' && run.conclusion === expect
    if (ok) pass(`${label}: one check run "${run.name}" on the fork PR head ${HEAD.slice(0, 7)}, conclusion ${run.conclusion}: ${run.output?.title}`)
    else fail(`${label}: check run name="${run.name}" head_sha=${run.head_sha} status=${run.status} conclusion=${run.conclusion}`)
    if (expect === 'failure') {
      const text = `${run.output?.summary ?? ''}\n${run.output?.text ?? ''}`
      const annotations = run.output?.annotations ?? []
      if (/inserts a new sku, then updates it in place on conflict/.test(text) && annotations.length >= 1) {
        pass(`${label}: the check names the failing upsert test (${annotations.length} annotation(s))`)
      } else fail(`${label}: the check does not name the upsert test, or has no annotation`)
    }
  }
  const sent = JSON.stringify(requests) + result.stdout + result.stderr + readFileSync(path.join(dir, 'step_summary'), 'utf8')
  const leaks = []
  if (secret && sent.replace(/^::add-mask::.*$/gm, '').includes(secret)) leaks.push('the PostgreSQL password')
  // The token may travel only in Authorization headers to the API.
  const tokenOutsideAuth = JSON.stringify(requests.map((r) => ({ ...r, auth: '' }))) + result.stdout.replace(/^::add-mask::.*$/gm, '') + result.stderr
  if (tokenOutsideAuth.includes(TOKEN)) leaks.push('the token')
  if (leaks.length === 0) pass(`${label}: neither the password nor the token appears in what the action sent or printed`)
  else fail(`${label}: ${leaks.join(' and ')} leaked (see ${dir})`)
  rmSync(temp, { recursive: true, force: true })
}

await scenario('ok', path.join(reportsDir, 'ok/postgres/junit.xml'), 'success')
await scenario('inject', path.join(reportsDir, 'inject/postgres/junit.xml'), 'failure')
process.exit(fails > 0 ? 1 : 0)
