// Runners write test file paths relative to the folder they ran in: vitest run inside
// examples/storage reports `src/pg-store.ts`. Links and annotations need paths from the
// repository root, so a relative path that names no file in the workspace is looked up by its
// suffix among the workspace's files, and replaced when exactly one file ends with it.
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { escapePath, glob } from 'tinyglobby'
import type { Verdict } from '../core/model.js'

/** Distinct paths looked up at most: a verdict with a million gaps still costs one bounded pass. */
const MAX_LOOKUPS = 1_000

export async function resolveSourcePaths(verdict: Verdict, workspace: string): Promise<void> {
  const checked = new Set<string>()
  for (const gap of verdict.gaps) {
    const file = gap.file
    if (file === undefined || checked.has(file) || !isPlainRelative(file)) continue
    if (checked.size >= MAX_LOOKUPS) break
    checked.add(file)
  }
  // The lookups run side by side (one at a time, 1,000 of them took 0.1 s); the order stays.
  const lookups = [...checked]
  const found = await Promise.all(lookups.map((file) => isFile(path.join(workspace, file))))
  const unresolved = new Set(lookups.filter((_, i) => !found[i]))
  if (unresolved.size === 0) return

  const patterns = [...new Set([...unresolved].map((file) => `**/${escapePath(path.posix.basename(file))}`))]
  const candidates = await glob(patterns, {
    cwd: workspace,
    ignore: ['**/node_modules/**', '**/.git/**'],
    onlyFiles: true,
    followSymbolicLinks: false,
    expandDirectories: false
  })
  const resolved = new Map<string, string>()
  for (const file of unresolved) {
    const matches = candidates.filter((candidate) => candidate.endsWith(`/${file}`))
    if (matches.length === 1) resolved.set(file, matches[0] as string)
  }
  for (const gap of verdict.gaps) {
    const replacement = gap.file === undefined ? undefined : resolved.get(gap.file)
    if (replacement !== undefined) gap.file = replacement
  }
}

function isPlainRelative(file: string): boolean {
  return !path.isAbsolute(file) && !/^[A-Za-z]:/.test(file) && !/^[a-z][a-z0-9+.-]*:/i.test(file) && !file.split('/').includes('..')
}

async function isFile(candidate: string): Promise<boolean> {
  return (await stat(candidate).catch(() => undefined))?.isFile() ?? false
}
