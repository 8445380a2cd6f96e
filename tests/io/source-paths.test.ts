// Test file paths written relative to the runner's folder are resolved to repository paths.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Gap, Verdict } from '../../src/core/model.js'
import { resolveSourcePaths } from '../../src/io/source-paths.js'

let workspace: string | undefined
afterEach(async () => {
  if (workspace !== undefined) await rm(workspace, { recursive: true, force: true })
  workspace = undefined
})

async function workspaceWith(files: string[]): Promise<string> {
  workspace = await mkdtemp(path.join(tmpdir(), 'dbc-paths-'))
  for (const file of files) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true })
    await writeFile(path.join(workspace, file), '// test\n')
  }
  return workspace
}

function verdictWith(files: (string | undefined)[]): Verdict {
  const gaps: Gap[] = files.map((file, i) => ({
    test: `t${i}`,
    backend: 'postgres',
    kind: 'failed',
    reason: 'failed on postgres',
    others: {},
    ...(file === undefined ? {} : { file, line: 3 })
  }))
  return { conclusion: 'failure', title: '', backends: [], tests: files.length, gaps, exemptions: [], flaky: [], crossLeg: [], unassigned: 0, errors: [], drift: [] }
}

describe('resolveSourcePaths', () => {
  it('finds a runner-relative path under the one subfolder that holds it', async () => {
    const root = await workspaceWith(['examples/storage/src/pg-store.ts', 'examples/storage/test/store.test.ts', 'src/other.ts'])
    const verdict = verdictWith(['src/pg-store.ts', 'test/store.test.ts', undefined])
    await resolveSourcePaths(verdict, root)
    expect(verdict.gaps.map((g) => g.file)).toEqual(['examples/storage/src/pg-store.ts', 'examples/storage/test/store.test.ts', undefined])
    expect(verdict.gaps[0]!.line).toBe(3)
  })

  it('leaves paths that exist, are ambiguous, absolute, outside, or only in node_modules', async () => {
    const root = await workspaceWith([
      'src/store.ts',
      'a/lib/db.ts',
      'b/lib/db.ts',
      'node_modules/pkg/src/thing.ts',
      'examples/x/src/store.ts'
    ])
    const verdict = verdictWith(['src/store.ts', 'lib/db.ts', '/abs/src/store.ts', '../src/store.ts', 'src/thing.ts', 'nowhere/x.ts'])
    await resolveSourcePaths(verdict, root)
    expect(verdict.gaps.map((g) => g.file)).toEqual(['src/store.ts', 'lib/db.ts', '/abs/src/store.ts', '../src/store.ts', 'src/thing.ts', 'nowhere/x.ts'])
  })

  it('matches whole path segments only', async () => {
    const root = await workspaceWith(['pkg/mysrc/store.ts'])
    const verdict = verdictWith(['src/store.ts'])
    await resolveSourcePaths(verdict, root)
    expect(verdict.gaps[0]!.file).toBe('src/store.ts')
  })
})
