// scripts/release.mjs, the release workflow's gate (issue #13): a tag is released only when
// package.json, src/cli/version.ts, CHANGELOG.md and action.yml agree with it.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import yaml from 'js-yaml'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const SCRIPT = path.join(ROOT, 'scripts/release.mjs')
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string

function release(args: string[], root = ROOT) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, RELEASE_ROOT: root } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** A copy of the four files the check reads, edited by `edit`. */
function project(edit: (files: Record<string, string>) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dbc-release-'))
  const files: Record<string, string> = {}
  for (const file of ['package.json', 'src/cli/version.ts', 'CHANGELOG.md', 'action.yml']) files[file] = readFileSync(path.join(ROOT, file), 'utf8')
  edit(files)
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true })
    writeFileSync(path.join(dir, file), text)
  }
  return dir
}

describe('scripts/release.mjs', () => {
  it('this commit is releasable as its own version', () => {
    const r = release(['check', `v${version}`])
    expect(r.err).toBe('')
    expect(r.code).toBe(0)
  })

  it.each(['1.0.0', 'v1.0', 'v1.0.0-rc.1', 'v01.0.0', 'v1.0.0 '])('%j is not a release tag', (tag) => {
    expect(release(['check', tag]).code).toBe(1)
  })

  it('another version is refused with every reason', () => {
    const r = release(['check', 'v9.8.7'])
    expect(r.code).toBe(1)
    expect(r.err).toContain('package.json version is')
    expect(r.err).toContain('src/cli/version.ts says')
    expect(r.err).toContain('CHANGELOG.md has no section "## [9.8.7]')
  })

  it('an undated or empty CHANGELOG section, or an action not on node24, is refused', () => {
    const undated = project((f) => (f['CHANGELOG.md'] = (f['CHANGELOG.md'] as string).replace(`## [${version}] - `, `## [${version}] `)))
    expect(release(['check', `v${version}`], undated).err).toContain('has no release date')
    const empty = project((f) => (f['CHANGELOG.md'] = `# Changelog\n\n## [${version}] - 2026-12-07\n\n## [0.1.0] - 2026-01-01\n- old\n`))
    expect(release(['check', `v${version}`], empty).err).toContain('lists no change')
    const node20 = project((f) => (f['action.yml'] = (f['action.yml'] as string).replace('using: node24', 'using: node20')))
    expect(release(['check', `v${version}`], node20).err).toContain('runs.using is not node24')
  })

  it('notes print exactly the version\u2019s section, without the link list', () => {
    const dir = project((f) => {
      f['CHANGELOG.md'] = `# Changelog\n\n## [Unreleased]\n- next\n\n## [${version}] - 2026-12-07\n\n### Added\n- the gate\n\n## [0.9.0] - 2026-01-01\n- old\n\n[${version}]: https://example.invalid\n`
    })
    const r = release(['notes', `v${version}`], dir)
    expect(r.code).toBe(0)
    expect(r.out).toBe('### Added\n- the gate\n')
  })

  it('majors are vX and vX.Y', () => {
    expect(release(['majors', 'v2.13.4']).out).toBe('v2\nv2.13\n')
  })
})

describe('.github/workflows/release.yml', () => {
  const workflow = yaml.load(readFileSync(path.join(ROOT, '.github/workflows/release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } }
    permissions: Record<string, string>
    jobs: Record<string, { needs?: string; permissions?: Record<string, string>; steps: { run?: string; uses?: string }[] }>
  }
  const runs = (job: string) => (workflow.jobs[job]?.steps ?? []).map((s) => s.run ?? '').join('\n')

  it('runs on vX.Y.Z tags only, read-only by default', () => {
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+'])
    expect(workflow.permissions).toEqual({ contents: 'read' })
  })

  it('verifies before it publishes: version check, fresh dist, tests, tarball', () => {
    const verify = runs('verify')
    for (const step of ['node scripts/release.mjs check', 'npm run build', 'git diff --exit-code', 'npm test', 'scripts/check-package.sh', 'scripts/e2e-example.sh']) {
      expect(verify).toContain(step)
    }
    expect(workflow.jobs.release?.needs).toBe('verify')
    expect(workflow.jobs.release?.permissions).toEqual({ contents: 'write' })
  })

  it('creates a draft, attaches the asset, then publishes (immutable releases), and moves vX and vX.Y', () => {
    const publish = runs('release')
    const draft = publish.indexOf('gh release create "$TAG" --draft')
    const published = publish.indexOf('--draft=false')
    expect(draft).toBeGreaterThan(-1)
    expect(published).toBeGreaterThan(draft)
    expect(publish).toContain('release.mjs majors')
    expect(publish).toContain('force=true')
  })

  it('uses the Node 24 majors of the artifact and checkout actions', () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses ?? '')).filter(Boolean)
    for (const u of uses) expect(u).toMatch(/^actions\/(checkout@v6|setup-node@v6|upload-artifact@v6|download-artifact@v7)$/)
  })
})

