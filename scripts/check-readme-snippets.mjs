#!/usr/bin/env node
// check-readme-snippets.mjs -- extract the ```yaml blocks of README.md and docs/*.md so that
// scripts/validate-workflows.sh can validate them like real workflow files.
//
//   node scripts/check-readme-snippets.mjs OUTDIR [MARKDOWN...]   (default: README.md docs/*.md)
//
// Every block is YAML-parsed (a parse error is a FAIL). Then, by its shape:
//   workflow  has `on:` and `jobs:`                   -> OUTDIR/<file>-L<line>.yml as written
//   jobs      a mapping of jobs (runs-on/steps/needs)  -> wrapped in `on:` + `jobs:` (+ stub jobs it needs)
//   steps     a list of steps (uses/run)               -> wrapped in one job
//   on        an `on:` block                           -> wrapped with one trivial job
//   config    a gate config (has `backends:`)          -> OUTDIR/configs/<file>-L<line>.yml
//   fragment  anything else (a key or two of a job or a config): parsed only
// Prints one line per block; exits 1 when a block does not parse, 2 on usage errors.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import yaml from 'js-yaml'

const [outDir, ...args] = process.argv.slice(2)
if (!outDir) {
  console.error('usage: node scripts/check-readme-snippets.mjs OUTDIR [MARKDOWN...]')
  process.exit(2)
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const sources =
  args.length > 0
    ? args
    : ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
mkdirSync(path.join(outDir, 'configs'), { recursive: true })

/** The fenced ```yaml / ```yml blocks of a Markdown file, with the line of their first content line. */
function yamlBlocks(text) {
  const blocks = []
  const lines = text.split('\n')
  let open = null
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i])
    if (open === null) {
      if (fence) open = { indent: fence[1].length, marker: fence[2], lang: fence[3].toLowerCase(), line: i + 2, body: [] }
    } else if (fence && fence[2].startsWith(open.marker[0]) && fence[2].length >= open.marker.length && fence[3] === '') {
      if (open.lang === 'yaml' || open.lang === 'yml') blocks.push({ line: open.line, text: open.body.map((l) => l.slice(Math.min(open.indent, l.length - l.trimStart().length))).join('\n') })
      open = null
    } else {
      open.body.push(lines[i])
    }
  }
  return blocks
}

function dedent(text) {
  const lines = text.split('\n')
  const indents = lines.filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')).map((l) => l.length - l.trimStart().length)
  const cut = indents.length ? Math.min(...indents) : 0
  return lines.map((l) => (l.length - l.trimStart().length >= cut ? l.slice(cut) : l.trimStart())).join('\n')
}
const indent = (text, n) => text.split('\n').map((l) => (l.trim() === '' ? l : ' '.repeat(n) + l)).join('\n')
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const JOB_KEYS = ['runs-on', 'steps', 'needs', 'uses', 'services']

let failures = 0
let written = 0
const counts = {}
for (const source of sources) {
  const text = readFileSync(path.resolve(root, source), 'utf8')
  for (const block of yamlBlocks(text)) {
    const where = `${source}:${block.line}`
    const base = `${source.replace(/[/\\]/g, '_')}-L${block.line}`
    const body = dedent(block.text)
    let doc
    try {
      doc = yaml.load(body)
    } catch (error) {
      console.log(`FAIL  ${where}: not valid YAML: ${error.message.split('\n')[0]}`)
      failures++
      continue
    }
    let kind = 'fragment'
    let out = null
    const header = `# Extracted from ${where} by scripts/check-readme-snippets.mjs\n`
    if (isObject(doc) && 'on' in doc && 'jobs' in doc) {
      kind = 'workflow'
      out = header + block.text + '\n'
    } else if (isObject(doc) && Object.keys(doc).length > 0 && Object.values(doc).every((job) => isObject(job) && JOB_KEYS.some((k) => k in job))) {
      kind = 'jobs'
      // Jobs the fragment `needs` but does not define (the backend jobs of a gate job) become stubs.
      const needed = Object.values(doc).flatMap((job) => [].concat(job.needs ?? []))
      const stubs = [...new Set(needed)].filter((id) => typeof id === 'string' && !(id in doc)).map((id) => `  ${id}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n`)
      out = `${header}name: snippet\non: [pull_request]\njobs:\n${stubs.join('')}${indent(body, 2)}\n`
    } else if (Array.isArray(doc) && doc.length > 0 && doc.every((step) => isObject(step) && ('uses' in step || 'run' in step))) {
      kind = 'steps'
      out = `${header}name: snippet\non: [pull_request]\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n${indent(body, 6)}\n`
    } else if (isObject(doc) && Object.keys(doc).length === 1 && 'on' in doc) {
      kind = 'on'
      out = `${header}name: snippet\n${body}\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n`
    } else if (isObject(doc) && 'backends' in doc) {
      kind = 'config'
      writeFileSync(path.join(outDir, 'configs', `${base}.yml`), header + body + '\n')
    }
    counts[kind] = (counts[kind] ?? 0) + 1
    if (out !== null) {
      writeFileSync(path.join(outDir, `${base}-${kind}.yml`), out)
      written++
      console.log(`OK    ${where}: ${kind} -> ${base}-${kind}.yml`)
    } else {
      console.log(`OK    ${where}: ${kind} (${kind === 'config' ? `configs/${base}.yml` : 'YAML parsed'})`)
    }
  }
}
const summary = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')
console.log(`snippets: ${summary || 'none'}; ${written} written as workflow files to ${outDir}${failures ? `; ${failures} not valid YAML` : ''}`)
process.exit(failures ? 1 : 0)
