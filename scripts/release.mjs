#!/usr/bin/env node
// release.mjs -- what the release workflow asks before it publishes a tag, in one place:
//
//   node scripts/release.mjs check vX.Y.Z   the tag is package.json's version, src/cli/version.ts
//                                           agrees, CHANGELOG.md has a dated, non-empty section
//                                           for it, and action.yml runs dist/index.js on node24
//   node scripts/release.mjs notes vX.Y.Z   prints that CHANGELOG section (the release notes)
//   node scripts/release.mjs majors vX.Y.Z  prints the tags that move to it: vX and vX.Y
//
// Exit 0 when it holds, 1 with every reason when it does not, 2 on usage errors.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = process.env.RELEASE_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/

const [command, tag] = process.argv.slice(2)
if (!['check', 'notes', 'majors'].includes(command ?? '') || tag === undefined) {
  console.error('usage: node scripts/release.mjs check|notes|majors vX.Y.Z')
  process.exit(2)
}
const match = TAG.exec(tag)
if (match === null) {
  console.error(`release: "${tag}" is not a release tag (vMAJOR.MINOR.PATCH, no pre-release suffix)`)
  process.exit(1)
}
const version = tag.slice(1)
const read = (file) => readFileSync(path.join(ROOT, file), 'utf8')

/** The `## [X.Y.Z] - YYYY-MM-DD` section of CHANGELOG.md, up to the next `## ` heading or link list. */
function changelogSection(text) {
  const lines = text.split('\n')
  const start = lines.findIndex((line) => line.startsWith(`## [${version}]`))
  if (start < 0) return undefined
  let end = lines.findIndex((line, i) => i > start && (line.startsWith('## ') || /^\[[^\]]+\]:\s/.test(line)))
  if (end < 0) end = lines.length
  return { heading: lines[start], body: lines.slice(start + 1, end).join('\n').trim() }
}

if (command === 'majors') {
  console.log(`v${match[1]}\nv${match[1]}.${match[2]}`)
  process.exit(0)
}

const section = changelogSection(read('CHANGELOG.md'))
if (command === 'notes') {
  if (section === undefined) {
    console.error(`release: CHANGELOG.md has no section "## [${version}]"`)
    process.exit(1)
  }
  console.log(section.body)
  process.exit(0)
}

const problems = []
const pkg = JSON.parse(read('package.json'))
if (pkg.version !== version) problems.push(`package.json version is ${pkg.version}, the tag says ${version}`)
const cliVersion = /VERSION = '([^']+)'/.exec(read('src/cli/version.ts'))?.[1]
if (cliVersion !== version) problems.push(`src/cli/version.ts says ${cliVersion}, the tag says ${version}`)
if (section === undefined) problems.push(`CHANGELOG.md has no section "## [${version}] - YYYY-MM-DD"`)
else {
  if (!/^## \[[^\]]+\] - \d{4}-\d{2}-\d{2}\s*$/.test(section.heading)) problems.push(`CHANGELOG.md: "${section.heading}" has no release date (## [${version}] - YYYY-MM-DD)`)
  if (!/^- /m.test(section.body)) problems.push(`CHANGELOG.md: the ${version} section lists no change`)
}
const action = read('action.yml')
if (!/^\s+using:\s*['"]?node24['"]?\s*$/m.test(action)) problems.push('action.yml: runs.using is not node24')
if (!/^\s+main:\s*['"]?dist\/index\.js['"]?\s*$/m.test(action)) problems.push('action.yml: runs.main is not dist/index.js')
if (problems.length > 0) {
  console.error(`release ${tag}: not releasable:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  process.exit(1)
}
console.log(`release ${tag}: package.json, src/cli/version.ts, CHANGELOG.md and action.yml agree`)
