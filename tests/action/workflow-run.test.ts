// The fork pull request recipe: a workflow_run job downloads the triggering run's JUnit artifacts
// (attacker-controlled zips) and posts the check on the pull request head.
import { randomBytes } from 'node:crypto'
import { existsSync, lstatSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fakeSha, workflowRunEvent } from '../helpers/events.js'
import { rawZip, zipFiles } from '../helpers/github-emulator.js'
import { apiRequests, BASE_TESTS, commitLine, errorMessages, junit, passing, readJson, runGate, startEmulator } from './support.js'

const cleanup: string[] = []
afterEach(async () => {
  for (const dir of cleanup.splice(0)) await rm(dir, { recursive: true, force: true })
})

const RUN_ID = 9_876_543_210
const HEAD = fakeSha('fork-pr-head')
const ARTIFACT_CONFIG = "artifacts:\n  sqlite: 'junit-sqlite*'\n  postgres: 'junit-postgres*'\n"
const ARTIFACT_LIST = /^\/repos\/octo-org\/storage\/actions\/runs\/9876543210\/artifacts$/
const ARTIFACT_ZIP = /^\/repos\/octo-org\/storage\/actions\/artifacts\/\d+\/zip$/

const forkRun = () => workflowRunEvent({ forkRepo: 'contributor/storage', headSha: HEAD, runId: RUN_ID })
const failingPostgres = () => BASE_TESTS.map((name) => (name === 'update_row' ? { name, status: 'failed' as const, message: 'expected 1 row, got 0' } : { name }))

/** Every file and link under a folder, relative to it (directories not listed). */
function walk(root: string, base = root): string[] {
  const out: string[] = []
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name)
    if (entry.isDirectory()) out.push(...walk(full, base))
    else out.push(path.relative(base, full))
  }
  return out.sort()
}

/** The test's temp tree: workspace, runner temp (where artifacts land) and file-command files. */
const runTree = (workspace: string) => path.dirname(workspace)

describe('workflow_run from a fork (pull_requests: [])', () => {
  it('lists (two pages), takes the newest artifact per name, follows the 302 without the token, posts on workflow_run.head_sha', async () => {
    const emulator = await startEmulator()
    const t0 = Date.parse('2024-05-01T12:00:00Z')
    // Attempt 1 failed on postgres; attempt 2 re-uploaded the same name and passed: the newest wins.
    await emulator.addArtifact({ name: 'junit-postgres-16', runId: RUN_ID, createdAt: new Date(t0), files: { 'junit.xml': junit(failingPostgres()) } })
    await emulator.addArtifact({ name: 'junit-postgres-16', runId: RUN_ID, createdAt: new Date(t0 + 60_000), files: { 'junit.xml': junit(passing()) } })
    // Oldest of all, so it sorts onto the second page of the listing.
    await emulator.addArtifact({ name: 'junit-sqlite-3.45', runId: RUN_ID, createdAt: new Date(t0 - 60_000), files: { 'nested/dir/junit.xml': junit(passing()) } })
    for (let i = 0; i < 105; i++) {
      await emulator.addArtifact({ name: `coverage-html-${i}`, runId: RUN_ID, createdAt: new Date(t0 + i * 1000), files: { 'index.html': '<html></html>' } })
    }
    // Another run's artifact with a matching name: never listed for this run.
    await emulator.addArtifact({ name: 'junit-sqlite-other', runId: 1, files: { 'junit.xml': junit(failingPostgres()) } })

    const event = forkRun()
    const result = await runGate({ emulator, event, files: { '.github/dual-backend.yml': ARTIFACT_CONFIG } })

    expect(result.stderr).toBe('')
    expect(emulator.violations).toEqual([])
    expect(result.exitCode).toBe(0)
    const lists = apiRequests(emulator, 'GET', ARTIFACT_LIST)
    expect(lists.map((r) => [r.query.per_page, r.query.page ?? '1', r.status])).toEqual([
      ['100', '1', 200],
      ['100', '2', 200]
    ])
    // Only the two mapped artifacts are downloaded: the newest postgres one and the sqlite one.
    const newestPostgres = emulator.artifacts.filter((a) => a.name === 'junit-postgres-16')[1]!
    const sqlite = emulator.artifacts.find((a) => a.name === 'junit-sqlite-3.45')!
    const downloads = apiRequests(emulator, 'GET', ARTIFACT_ZIP)
    expect(downloads.map((r) => [r.path, r.status]).sort()).toEqual(
      [newestPostgres.id, sqlite.id].map((id) => [`/repos/octo-org/storage/actions/artifacts/${id}/zip`, 302]).sort()
    )
    expect(emulator.blobDownloads.map((d) => [d.artifactId, d.status, d.authorizationSent]).sort()).toEqual(
      [newestPostgres.id, sqlite.id].map((id) => [id, 200, false]).sort()
    )

    expect(emulator.checkRuns).toHaveLength(1)
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'success', externalId: '1234567890-1' })
    expect(HEAD).not.toBe(event.sha)
    expect(commitLine(result)).toBe(`Commit: ${HEAD} (workflow_run: the head commit of the run that produced the reports)`)
    const info = result.log.filter((l) => l.command === 'info').map((l) => l.message)
    expect(info).toContain('sqlite: artifacts junit-sqlite-3.45')
    expect(info).toContain('postgres: artifacts junit-postgres-16')
    expect(result.outputs).toMatchObject({ conclusion: 'success', tests: String(BASE_TESTS.length), gaps: '0' })
    expect(readJson(result).backends.map((b) => [b.name, b.tests])).toEqual([
      ['sqlite', BASE_TESTS.length],
      ['postgres', BASE_TESTS.length]
    ])
  })

  it('maps artifacts by the config patterns, and names the pattern when a backend has no artifact', async () => {
    const emulator = await startEmulator()
    await emulator.addArtifact({ name: 'reports-lite', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    // Contains "postgres" but the config says postgres artifacts are named pg-*: not used.
    await emulator.addArtifact({ name: 'junit-postgres', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    const config = "artifacts:\n  sqlite: 'reports-lite*'\n  postgres: ['pg-*', '/^postgres-\\d+$/']\n"
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': config } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'GET', ARTIFACT_ZIP)).toHaveLength(1)
    const json = readJson(result)
    expect(json.gaps).toEqual([
      expect.objectContaining({ kind: 'no-report', backend: 'postgres', reason: `no artifact of run ${RUN_ID} matched pg-*, /^postgres-\\d+$/` })
    ])
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(emulator.checkRuns[0]!.output.summary).toContain(`no artifact of run ${RUN_ID} matched pg-\\*`)
    expect(result.log.map((l) => l.message)).toContain('postgres: no artifact matched pg-*, /^postgres-\\d+$/')
  })

  it('an artifacts key naming an unknown backend fails with the key in the message', async () => {
    const emulator = await startEmulator()
    const config = "artifacts:\n  sqlite: 'junit-sqlite*'\n  mysql: 'junit-mysql*'\n"
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': config } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    // Nothing downloaded: the config is checked before any artifact is touched.
    expect(apiRequests(emulator, 'GET', ARTIFACT_LIST)).toEqual([])
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(emulator.checkRuns[0]!.output.title).toBe('Could not evaluate: .github/dual-backend.yml: artifacts.mysql: names a backend that is not under backends')
  })
})

describe('hostile artifacts', () => {
  it.each([
    { title: 'a ../ entry', entry: '../evil.xml' },
    { title: 'a deep ../ entry', entry: 'a/../../../../evil.xml' },
    { title: 'an absolute path', entry: 'ABSOLUTE' },
    { title: 'a backslash path', entry: '..\\..\\evil.xml' },
    { title: 'a symbolic link', entry: 'link.xml', link: true }
  ])('zip-slip: $title is refused, the artifact is dropped whole, nothing lands outside', async ({ entry, link }) => {
    const outside = await mkdtemp(path.join(tmpdir(), 'dbc-outside-'))
    cleanup.push(outside)
    const name = entry === 'ABSOLUTE' ? path.join(outside, 'abs-evil.xml') : entry
    const emulator = await startEmulator()
    await emulator.addArtifact({
      name: 'junit-sqlite',
      runId: RUN_ID,
      zip: rawZip([
        { name: 'good.xml', data: junit(passing()) },
        link ? { name, data: '/etc/passwd', unixMode: 0o120777 } : { name, data: junit(passing(['evil'])) },
        { name: 'after.xml', data: junit(passing()) }
      ])
    })
    await emulator.addArtifact({ name: 'junit-postgres', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': ARTIFACT_CONFIG } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    // yauzl reads backslashes as folder separators, so the message shows "../../evil.xml".
    const shown = name.replace(/\\/g, '/')
    const expected = link
      ? `artifact "junit-sqlite": refused: entry "${name}" is a symbolic link; nothing from it was used`
      : `artifact "junit-sqlite": refused: entry "${shown}" would be written outside the extraction folder (zip-slip); nothing from it was used`
    const json = readJson(result)
    expect(json.errors.map((e) => e.message)).toEqual([expected])
    // Dropped whole: sqlite has no report at all, not the 5 tests of good.xml.
    expect(json.gaps).toEqual([expect.objectContaining({ kind: 'no-report', backend: 'sqlite', reason: `no report file (*.xml) in artifact junit-sqlite of run ${RUN_ID}` })])
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    for (const summary of [emulator.checkRuns[0]!.output.summary ?? '', result.summary]) {
      expect(summary).toContain(link ? 'is a symbolic link' : 'would be written outside the extraction folder (zip-slip)')
    }
    expect(errorMessages(result)).toContain(expected)

    // The filesystem: nothing outside the extraction folders, no link anywhere, and the only
    // report files are the postgres artifact's.
    const tree = walk(runTree(result.workspace))
    expect(tree.filter((f) => /evil/.test(f))).toEqual([])
    expect(tree.filter((f) => lstatSync(path.join(runTree(result.workspace), f)).isSymbolicLink())).toEqual([])
    expect(tree.filter((f) => f.endsWith('.xml'))).toEqual([expect.stringMatching(/^runner-temp\/dual-backend-artifacts-[^/]+\/postgres\/junit-postgres\/junit\.xml$/)])
    expect(readdirSync(outside)).toEqual([])
    expect(existsSync(path.join(tmpdir(), 'evil.xml'))).toBe(false)
  })

  interface LimitCase {
    title: string
    env: Record<string, string>
    files: Record<string, string | Buffer>
    message: RegExp
    downloaded: boolean
  }
  it.each<LimitCase>([
    {
      title: 'the listed size is over the zip limit: refused before download',
      env: { DUAL_BACKEND_COVERAGE_ARTIFACT_ZIP_BYTES: '2000' },
      // Random bytes do not compress: the zip is over 4000 bytes.
      files: { 'junit.xml': junit(passing()), 'noise.bin': randomBytes(4000) },
      message: /^artifact "junit-sqlite": refused: it is \d+ bytes, over the 2000-byte limit for one artifact; nothing from it was used$/,
      downloaded: false
    },
    {
      title: 'a zip bomb: unpacks past the limit',
      env: { DUAL_BACKEND_COVERAGE_ARTIFACT_UNPACKED_BYTES: String(1024 * 1024) },
      files: { 'junit.xml': junit(passing()), 'zeros.xml': Buffer.alloc(4 * 1024 * 1024) },
      message: /^artifact "junit-sqlite": refused: it unpacks to more than 1048576 bytes; nothing from it was used$/,
      downloaded: true
    },
    {
      title: 'too many entries',
      env: { DUAL_BACKEND_COVERAGE_ARTIFACT_ENTRIES: '10' },
      files: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`r${i}.xml`, junit(passing())])),
      message: /^artifact "junit-sqlite": refused: more than 10 entries; nothing from it was used$/,
      downloaded: true
    }
  ])('size limits: $title', async ({ env, files, message, downloaded }) => {
    const emulator = await startEmulator()
    const zip = await zipFiles(files)
    const bomb = await emulator.addArtifact({ name: 'junit-sqlite', runId: RUN_ID, zip })
    await emulator.addArtifact({ name: 'junit-postgres', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': ARTIFACT_CONFIG }, env })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    const json = readJson(result)
    expect(json.errors.map((e) => e.message)).toEqual([expect.stringMatching(message)])
    expect(json.gaps.map((g) => [g.kind, g.backend])).toEqual([['no-report', 'sqlite']])
    expect(emulator.blobDownloads.some((d) => d.artifactId === bomb.id)).toBe(downloaded)
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    // Nothing of the refused artifact stays on disk.
    expect(walk(runTree(result.workspace)).filter((f) => f.includes('/sqlite/'))).toEqual([])
  })

  it('the artifact API failing after retries is a failure verdict naming the API and the attempts', async () => {
    const emulator = await startEmulator({ profile: 'server-error', failures: 4, serverErrorStatuses: [503] })
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': ARTIFACT_CONFIG } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(apiRequests(emulator, 'GET', ARTIFACT_LIST).map((r) => r.status)).toEqual([503, 503, 503, 503])
    // The outage ended: the failure verdict itself is posted.
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    expect(emulator.checkRuns[0]!.output.title).toBe(
      `Could not evaluate: GitHub API error while reading the triggering run's artifacts: 503 "Service Unavailable" after 4 attempts`
    )
  })
})

describe('permissions of the workflow_run job', () => {
  it('without `actions: read` the artifacts cannot be listed: a failure check run that names the permission', async () => {
    const emulator = await startEmulator({ missingPermissions: ['actions'] })
    await emulator.addArtifact({ name: 'junit-sqlite', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': ARTIFACT_CONFIG } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    // Not retried: a missing permission does not come back by waiting.
    expect(apiRequests(emulator, 'GET', ARTIFACT_LIST).map((r) => r.status)).toEqual([403])
    expect(emulator.checkRuns).toHaveLength(1)
    expect(emulator.checkRuns[0]).toMatchObject({ headSha: HEAD, conclusion: 'failure' })
    const title = emulator.checkRuns[0]!.output.title ?? ''
    expect(title).toMatch(/^Could not evaluate: GitHub answered 403 "Resource not accessible by integration" while reading the triggering run's artifacts: the token lacks the `actions: read` permission\./)
    expect(errorMessages(result)).toContain(title)
    expect(result.outputs.conclusion).toBe('failure')
  })

  it('without `checks: write` the verdict cannot be posted: the step fails naming the permission', async () => {
    const emulator = await startEmulator({ missingPermissions: ['checks'] })
    await emulator.addArtifact({ name: 'junit-sqlite', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    await emulator.addArtifact({ name: 'junit-postgres', runId: RUN_ID, files: { 'junit.xml': junit(passing()) } })
    const result = await runGate({ emulator, event: forkRun(), files: { '.github/dual-backend.yml': ARTIFACT_CONFIG } })

    expect(result.exitCode).toBe(1)
    expect(emulator.violations).toEqual([])
    expect(emulator.checkRuns).toEqual([])
    expect(errorMessages(result)).toEqual([expect.stringContaining('The token lacks the `checks: write` permission')])
    // The verdict (green) is still in the summary and the outputs.
    expect(result.outputs.conclusion).toBe('success')
    expect(result.summary).toContain('## ✅ dual-backend coverage:')
  })
})
