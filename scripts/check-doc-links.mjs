#!/usr/bin/env node
// check-doc-links.mjs -- every relative link of README.md and docs/*.md resolves: `](#x)` to a
// heading of the same file, `](docs/x.md#y)` / `](x.md#y)` to an existing file and a heading in
// it, `](examples/...)` to an existing file or folder. Links to http(s) and mailto are not
// fetched. Headings become anchors the way GitHub makes them (lower case, punctuation dropped,
// spaces to hyphens, -1, -2 for repeats). Links inside code blocks and `inline code` are ignored.
//
//   node scripts/check-doc-links.mjs [MARKDOWN...]     (default: README.md and docs/*.md)
//
// Prints every broken link as FAIL file:line and a summary; exit 0 when all resolve, 1 otherwise.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]

/** Lines outside fenced code blocks, with their line numbers. */
function proseLines(text) {
  const out = []
  let fence = null
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line)
    if (fence === null && m) fence = m[1]
    else if (fence !== null && m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = null
    else if (fence === null) out.push({ line, number: i + 1 })
  })
  return out
}

/** GitHub's heading anchor (github-slugger): lower case, drop what is not a letter, digit, space, `-` or `_`. */
function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
}

const anchorCache = new Map()
function anchorsOf(file) {
  if (anchorCache.has(file)) return anchorCache.get(file)
  const seen = new Map()
  const anchors = new Set()
  for (const { line } of proseLines(readFileSync(file, 'utf8'))) {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = slug(m[2])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    anchors.add(n === 0 ? base : `${base}-${n}`)
  }
  // Explicit anchors: <a name="x"> / <a id="x">
  for (const m of readFileSync(file, 'utf8').matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1])
  anchorCache.set(file, anchors)
  return anchors
}

let links = 0
let broken = 0
for (const rel of files) {
  const file = path.resolve(root, rel)
  for (const { line, number } of proseLines(readFileSync(file, 'utf8'))) {
    const prose = line.replace(/(`+)[\s\S]*?\1/g, '') // inline code is not a link
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]
      if (/^(https?:|mailto:)/i.test(target)) continue
      links++
      const [pathPart, anchor] = target.split('#', 2)
      const dest = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart))
      let problem = null
      if (!existsSync(dest)) problem = `${path.relative(root, dest)} does not exist`
      else if (anchor !== undefined) {
        if (statSync(dest).isDirectory() || !dest.endsWith('.md')) problem = `#${anchor} on a file that is not Markdown`
        else if (!anchorsOf(dest).has(decodeURIComponent(anchor).toLowerCase())) problem = `no heading with anchor #${anchor} in ${path.relative(root, dest)}`
      }
      if (problem) {
        broken++
        console.log(`FAIL  ${rel}:${number}: (${target}): ${problem}`)
      }
    }
  }
}
console.log(`doc links: ${links} relative links in ${files.length} file(s), ${broken ? `${broken} broken` : 'all resolve'}`)
process.exit(broken ? 1 : 0)
