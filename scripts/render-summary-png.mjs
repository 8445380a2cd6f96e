#!/usr/bin/env node
// render-summary-png.mjs -- a real picture of the job summary of failing gate runs.
//
//   node scripts/render-summary-png.mjs [--out docs/summary-failure.png] [--html FILE]
//                                       [--run] [SUMMARY.md[=CAPTION]]...
//
// Takes the Markdown the bundled action wrote to GITHUB_STEP_SUMMARY (by default the two
// failure runs of scripts/e2e-example.sh: (a) the postgres job that skipped every test,
// (b) a SQLite-only statement failing on PostgreSQL), renders it with `marked` (GFM, raw
// HTML kept as GitHub keeps <code>, <br>, <a>, <details>, <pre>) into a page styled like
// GitHub's run summary, and screenshots it with headless Chromium (Debian's `chromium`).
// The page is first loaded with --dump-dom to measure its height, then shot at exactly
// that size, so the PNG is cropped to the content.
//
//   --run   run `bash scripts/e2e-example.sh` first (needs dist/ and PostgreSQL binaries);
//           done automatically when the default summaries are missing.
//   --html  also keep the generated HTML.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { marked } from 'marked'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WIDTH = 1100
const SCALE = 1.25

const DEFAULTS = [
  ['.tmp/e2e/gate/skip/step_summary', 'Run (a): the postgres job had no DATABASE_URL and its tests skipped (vitest exited 0, the job was green)'],
  ['.tmp/e2e/gate/inject/step_summary', 'Run (b): a SQLite-only statement (INSERT OR REPLACE) reached PostgreSQL; its error carried the connection URL']
]

function parseArgs(argv) {
  const opts = { out: 'docs/summary-failure.png', html: undefined, run: false, inputs: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--out') opts.out = argv[++i]
    else if (a === '--html') opts.html = argv[++i]
    else if (a === '--run') opts.run = true
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 18).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'))
      process.exit(0)
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`)
    else {
      const k = a.indexOf('=')
      opts.inputs.push(k > 0 ? [a.slice(0, k), a.slice(k + 1)] : [a, path.basename(path.dirname(a))])
    }
  }
  if (opts.out === undefined) throw new Error('--out needs a file')
  return opts
}

function findChromium() {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim()
  }
  throw new Error('no Chromium: apt-get install -y chromium (Debian), then run again')
}

function chromium(bin, args, timeoutMs = 60_000) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'render-summary-chromium-'))
  try {
    const r = spawnSync(
      bin,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--hide-scrollbars',
        '--mute-audio',
        `--user-data-dir=${profile}`,
        ...args
      ],
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }
    )
    if (r.error) throw r.error
    if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${(r.stderr || '').split('\n').slice(-5).join('\n')}`)
    return r.stdout
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

// GitHub-like styles: the run page's summary card around a `markdown-body`.
const CSS = `
*{box-sizing:border-box}
html,body{margin:0;background:#f6f8fa}
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans","Liberation Sans",Helvetica,Arial,sans-serif,"Noto Color Emoji";color:#1f2328;font-size:14px;line-height:1.5;padding:16px 24px 20px}
.page-title{font-size:13px;color:#59636e;margin:0 0 12px}
.page-title b{color:#1f2328}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:6px;margin:0 0 16px}
.card:last-child{margin-bottom:0}
.card-head{padding:10px 16px;border-bottom:1px solid #d1d9e0;background:#f6f8fa;border-radius:6px 6px 0 0;font-weight:600;font-size:14px;display:flex;gap:8px;align-items:baseline}
.card-head .scenario{font-weight:400;color:#59636e;font-size:13px}
.markdown-body{padding:16px 24px 8px;word-wrap:break-word}
.markdown-body>*:first-child{margin-top:0!important}
.markdown-body h2{font-size:1.5em;font-weight:600;padding-bottom:.3em;border-bottom:1px solid #d1d9e0b3;margin:24px 0 16px;line-height:1.25}
.markdown-body h3{font-size:1.25em;font-weight:600;margin:24px 0 16px;line-height:1.25}
.markdown-body p,.markdown-body table,.markdown-body details,.markdown-body pre,.markdown-body blockquote{margin:0 0 16px}
.markdown-body a{color:#0969da;text-decoration:none}
.markdown-body code{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:85%;padding:.2em .4em;background:#818b981f;border-radius:6px}
.markdown-body pre{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace;font-size:85%;line-height:1.45;background:#f6f8fa;border-radius:6px;padding:16px;overflow:auto;white-space:pre-wrap}
.markdown-body table{border-spacing:0;border-collapse:collapse;display:block;width:max-content;max-width:100%;overflow:auto}
.markdown-body table th{font-weight:600}
.markdown-body table th,.markdown-body table td{padding:6px 13px;border:1px solid #d1d9e0}
.markdown-body table tr{background:#fff;border-top:1px solid #d1d9e0b3}
.markdown-body table tr:nth-child(2n){background:#f6f8fa}
.markdown-body details summary{cursor:pointer;display:list-item}
.markdown-body details[open] summary{margin-bottom:8px}
.markdown-body blockquote{padding:0 1em;color:#59636e;border-left:.25em solid #d1d9e0}
.note{font-size:12px;color:#59636e;margin:10px 2px 0}
`

function page(sections) {
  const cards = sections
    .map(
      ({ caption, html }) => `<section class="card">
  <div class="card-head"><span>gate summary</span><span class="scenario">${escapeHtml(caption)}</span></div>
  <div class="markdown-body">${html}</div>
</section>`
    )
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>dual-backend coverage: job summary</title><style>${CSS}</style></head>
<body>
<p class="page-title"><b>dual-backend coverage</b> · job summary written by the action (GITHUB_STEP_SUMMARY), rendered as GitHub renders it · from <code>scripts/e2e-example.sh</code></p>
${cards}
<p class="note">The &lt;details&gt; block is shown expanded. *** is where the gate redacted the PostgreSQL connection URL (password included) that the failing test's error message carried.</p>
<script>document.addEventListener('DOMContentLoaded',()=>{document.body.setAttribute('data-height',String(Math.ceil(document.documentElement.getBoundingClientRect().height)))})</script>
</body></html>
`
}

function main() {
  const opts = parseArgs(process.argv.slice(2))
  process.chdir(ROOT)
  const inputs = opts.inputs.length > 0 ? opts.inputs : DEFAULTS
  if (opts.run || (opts.inputs.length === 0 && !inputs.every(([file]) => existsSync(file)))) {
    console.log('render-summary-png: running scripts/e2e-example.sh for fresh summaries')
    const r = spawnSync('bash', ['scripts/e2e-example.sh'], { stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`scripts/e2e-example.sh exited ${r.status}`)
  }
  const sections = inputs.map(([file, caption]) => {
    const markdown = readFileSync(file, 'utf8')
    if (markdown.trim().length === 0) throw new Error(`${file} is empty`)
    // GitHub collapses <details>; open them so the picture shows the (redacted) message.
    const html = marked.parse(markdown, { gfm: true, async: false }).replace(/<details>/g, '<details open>')
    return { caption, html }
  })
  const html = page(sections)
  const work = mkdtempSync(path.join(os.tmpdir(), 'render-summary-'))
  try {
    const htmlFile = path.join(work, 'summary.html')
    writeFileSync(htmlFile, html)
    if (opts.html) writeFileSync(opts.html, html)
    const bin = findChromium()
    const url = `file://${htmlFile}`
    // Pass 1: measure the content height at the final width.
    const dom = chromium(bin, ['--window-size=' + WIDTH + ',800', '--virtual-time-budget=3000', '--dump-dom', url])
    const m = /data-height="(\d+)"/.exec(dom)
    if (!m) throw new Error('could not measure the page height (no data-height in the dumped DOM)')
    const height = Number(m[1])
    // Pass 2: the screenshot, exactly as tall as the content.
    const out = path.resolve(opts.out)
    mkdirSync(path.dirname(out), { recursive: true })
    rmSync(out, { force: true })
    chromium(bin, [
      `--window-size=${WIDTH},${height}`,
      `--force-device-scale-factor=${SCALE}`,
      '--virtual-time-budget=3000',
      `--screenshot=${out}`,
      url
    ])
    if (!existsSync(out)) throw new Error(`chromium wrote no ${out}`)
    const png = readFileSync(out)
    const w = png.readUInt32BE(16)
    const h = png.readUInt32BE(20)
    console.log(`render-summary-png: wrote ${path.relative(ROOT, out)} (${w}x${h} px, ${Math.round(png.length / 1024)} KiB) from ${inputs.map(([f]) => f).join(', ')}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

try {
  main()
} catch (error) {
  console.error(`render-summary-png: ${error.message}`)
  process.exit(1)
}
