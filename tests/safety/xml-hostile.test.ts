// Hostile XML, each through the real CLI (dist/cli.js in a child process, time and peak RSS
// measured): entities and DTDs are refused before anything is expanded or fetched, nesting is
// bounded, truncated and mis-encoded files are errors naming file, line and column, and every
// refusal ends in exit 2 with a failure verdict. Reads are confined to the workspace by Node's
// permission model, so an attempt to open a file outside would fail loudly, not pass unseen.
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  backends,
  cliChild,
  gapsOf,
  logMeasure,
  PASSING_REPORT,
  readOnlyInside,
  removeWorkspace,
  verdictOf,
  workspace,
  type ChildRun
} from './helpers.js'

const SQLITE = 'reports/sqlite/report.xml'
/** Bounds for small hostile files (measured: 0.2-0.4 s, 50-60 MB). */
const SMALL_SECONDS = 10
const SMALL_MB = 160

let parent = ''
let canaryFile = ''
const CANARY = 'CANARY-OUTSIDE-THE-WORKSPACE-7f3a'
let passwdFirstLine = ''

beforeAll(async () => {
  parent = await workspace({ 'outside/secret.txt': `${CANARY}\n` })
  canaryFile = path.join(parent, 'outside', 'secret.txt')
  passwdFirstLine = (await readFile('/etc/passwd', 'utf8').catch(() => 'root:x:0:0')).split('\n')[0] as string
})
afterAll(async () => {
  await removeWorkspace(parent)
})

let counter = 0
/** Runs the CLI on a workspace whose sqlite report is `sqlite` and whose postgres report passes. */
async function run(sqlite: string | Buffer, postgres: string | Buffer = PASSING_REPORT): Promise<ChildRun> {
  const ws = path.join(parent, `ws${counter++}`)
  await writeFileDeep(path.join(ws, SQLITE), sqlite)
  await writeFileDeep(path.join(ws, 'reports/postgres/report.xml'), postgres)
  const result = await cliChild(ws, backends('reports/sqlite/*.xml', 'reports/postgres/*.xml'), {}, readOnlyInside(ws))
  logMeasure(`xml-hostile #${counter}`, result)
  expect(result.seconds, 'wall time').toBeLessThan(SMALL_SECONDS)
  expect(result.peakMb, 'peak RSS').toBeLessThan(SMALL_MB)
  // Nothing from outside the workspace, and no sign that a read outside was even attempted.
  expect(result.stdout + result.stderr).not.toContain(CANARY)
  expect(result.stdout + result.stderr).not.toContain(passwdFirstLine)
  expect(result.stdout + result.stderr).not.toMatch(/ERR_ACCESS_DENIED|internal error/)
  return result
}

async function writeFileDeep(file: string, content: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, content)
}

/** Exit 2, failure, exactly one error at file:line:column, sqlite left with no test. */
function expectRefused(result: ChildRun, line: number, column: number, reason: string): void {
  const message = `${SQLITE}:${line}:${column}: ${reason}`
  expect(result.code).toBe(2)
  expect(result.stderr).toBe(`dual-backend-coverage: ${message}\n`)
  const verdict = verdictOf(result)
  expect(verdict.conclusion).toBe('failure')
  expect(verdict.errors).toEqual([{ file: SQLITE, line, column, message }])
  expect(gapsOf(verdict)).toEqual(['empty sqlite *'])
}

const DOCTYPE = 'a DOCTYPE is not allowed in a JUnit report (entities and DTDs are refused, never expanded)'

describe('entities and DTDs: refused, never expanded, never fetched', () => {
  it('control: under the same permission flags, a read outside the workspace fails loudly', () => {
    const ws = path.join(parent, 'control')
    const probe = spawnSync(process.execPath, [...readOnlyInside(ws), '-e', `require('fs').readFileSync(${JSON.stringify(canaryFile)})`], { encoding: 'utf8' })
    expect(probe.status).not.toBe(0)
    expect(probe.stderr).toContain('ERR_ACCESS_DENIED')
  })

  it('billion laughs (10 levels of internal entities, 10^9 "lol"s if expanded)', async () => {
    const levels = ['<!ENTITY lol0 "lol">']
    for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`)
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n${levels.join('\n')}\n]>\n<testsuite name="s"><testcase classname="c" name="&lol9;"/></testsuite>\n`
    const result = await run(xml)
    expectRefused(result, 13, 3, DOCTYPE)
    expect(result.stdout).not.toContain('lollol')
  })

  it('external entity (SYSTEM file:///etc/passwd and a file next to the workspace)', async () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY c SYSTEM "file://${canaryFile}">]>\n<testsuite name="s"><testcase classname="c" name="t1"><failure message="&e;">&c;</failure></testcase></testsuite>\n`
    const result = await run(xml)
    const column = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd"><!ENTITY c SYSTEM "file://${canaryFile}">]>`.length + 1
    expectRefused(result, 2, column, DOCTYPE)
  })

  it('parameter entities (external %p; and an inline one)', async () => {
    const xml = `<!DOCTYPE x [<!ENTITY % p SYSTEM "file://${canaryFile}"> %p; <!ENTITY % q "<!ENTITY r 'x'>"> %q;]>\n<testsuite name="s"><testcase classname="c" name="t1"/></testsuite>`
    expectRefused(await run(xml), 1, xml.indexOf('\n') + 1, DOCTYPE)
  })

  it('a plain external DTD (no entity at all) is refused too, and not fetched', async () => {
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE testsuite SYSTEM "file://${canaryFile}">\n<testsuite name="s"><testcase classname="c" name="t1"/></testsuite>\n`
    expectRefused(await run(xml), 2, `<!DOCTYPE testsuite SYSTEM "file://${canaryFile}">`.length + 1, DOCTYPE)
  })

  it('an entity used without any DTD is an error, not an empty string', async () => {
    const xml = '<testsuite name="s">\n<testcase classname="c" name="t&xxe;1"/></testsuite>'
    expectRefused(await run(xml), 2, 37, 'undefined entity.')
  })

  it('XInclude and stylesheet instructions are inert: nothing is included, the verdict is correct', async () => {
    const xml = `<?xml version="1.0"?><?xml-stylesheet href="file://${canaryFile}"?>\n<testsuite name="s" xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://${canaryFile}" parse="text"/><testcase classname="c" name="t1"><system-out><xi:include href="/etc/passwd" parse="text"/></system-out></testcase></testsuite>\n`
    const result = await run(xml)
    expect(result.code).toBe(0)
    expect(verdictOf(result)).toMatchObject({ conclusion: 'success', tests: 1, errors: [], gaps: [] })
  })
})

describe('nesting, truncation', () => {
  it('10,000 nested <testsuite> elements: refused at the 65th', async () => {
    const open = '<testsuite name="s">'
    const xml = `<testsuites>${open.repeat(10_000)}<testcase classname="c" name="t1"/>${'</testsuite>'.repeat(10_000)}</testsuites>`
    expectRefused(await run(xml), 1, '<testsuites>'.length + open.length * 65 + 1, '<testsuite> elements are nested more than 64 levels deep')
  })

  it('10,000 nested elements inside a testcase: refused at the 257th level', async () => {
    const head = '<testsuite name="s"><testcase classname="c" name="t1">'
    const xml = `${head}${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</testcase></testsuite>`
    // Level 257 is the 255th <a>: the column is just past that tag's ">".
    expectRefused(await run(xml), 1, head.length + 3 * 255 + 1, 'elements are nested more than 256 levels deep')
  })

  it('at the limits exactly (64 nested suites, 256 nested elements) the report is read', async () => {
    const suites = `<testsuites>${'<testsuite name="s">'.repeat(63)}<testcase classname="c" name="t1"/>${'</testsuite>'.repeat(63)}</testsuites>`
    const elements = `<testsuite name="s"><testcase classname="c" name="t1"><system-out>${'<a>'.repeat(253)}${'</a>'.repeat(253)}</system-out></testcase></testsuite>`
    // 63 suites inside <testsuites> plus the passing report's one: ids are "s › c › t1" on both sides.
    for (const xml of [suites.replace('<testsuites>', '<testsuites><testsuite name="s">').replace('</testsuites>', '</testsuite></testsuites>'), elements]) {
      const result = await run(xml)
      expect(result.code).toBe(0)
      expect(verdictOf(result)).toMatchObject({ conclusion: 'success', tests: 1, errors: [] })
    }
  })

  it('300,000 attributes on one element (3.9 MB, more than a read chunk): refused, naming the file', async () => {
    const attributes = Array.from({ length: 300_000 }, (_, i) => `a${i}="x"`).join(' ')
    const xml = `<testsuite name="s">\n<testcase classname="c" name="t1" ${attributes}/></testsuite>`
    const result = await run(xml)
    expect(result.code).toBe(2)
    expect(verdictOf(result).errors).toHaveLength(1)
    expect(verdictOf(result).errors[0]?.message).toMatch(/^reports\/sqlite\/report\.xml:2:\d+: an element has more than 10000 attributes \(refused to keep memory bounded\)$/)
  })

  it.each([
    ['inside an element tag', '<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="t2', 1, 88],
    ['inside a closing tag', '<testsuite name="s"><testcase classname="c" name="t1"/></testsu', 1, 64],
    ['before the root closes', '<testsuite name="s">\n<testcase classname="c" name="t1"/>\n', 3, 1],
    ['inside a failure body', '<testsuite name="s"><testcase classname="c" name="t1"><failure message="x">trace', 1, 81]
  ])('a file truncated %s: exit 2, failure, file:line:column of the end', async (_where, xml, line, column) => {
    const result = await run(xml)
    expect(result.code).toBe(2)
    const verdict = verdictOf(result)
    expect(verdict.conclusion).toBe('failure')
    expect(verdict.errors).toHaveLength(1)
    expect(verdict.errors[0]).toMatchObject({ file: SQLITE, line, column })
    expect(verdict.errors[0]?.message).toMatch(new RegExp(`^${SQLITE}:${line}:${column}: (unclosed tag|unexpected end|.*end of|.*truncated)`, 'i'))
    expect(result.stderr).toBe(`dual-backend-coverage: ${verdict.errors[0]?.message}\n`)
  })

  it('an empty file: exit 2, "must contain a root element"', async () => {
    const result = await run('')
    expect(result.code).toBe(2)
    expect(verdictOf(result).errors).toEqual([{ file: SQLITE, line: 1, column: 1, message: `${SQLITE}:1:1: document must contain a root element.` }])
  })
})

describe('encodings', () => {
  const NAME = 'ünïcødé 😀 名前'
  const doc = (declared: string) =>
    `<?xml version="1.0" encoding="${declared}"?>\n<testsuite name="s"><testcase classname="c" name="${NAME}"/></testsuite>\n`
  const utf8Postgres = doc('UTF-8')

  it.each([
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('UTF-16'), 'utf16le')])],
    ['UTF-16 BE with a BOM', Buffer.from(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('UTF-16'), 'utf16le')])).swap16()],
    ['UTF-16 LE without a BOM (sniffed from "<?")', Buffer.from(doc('UTF-16'), 'utf16le')],
    ['UTF-8 with a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc('UTF-8'))])]
  ])('%s: decoded exactly (the id matches the UTF-8 report), success', async (_name, bytes) => {
    const result = await run(bytes, utf8Postgres)
    expect(result.code).toBe(0)
    expect(verdictOf(result)).toMatchObject({ conclusion: 'success', tests: 1, errors: [], gaps: [] })
  })

  it('a UTF-16 name that differs from the UTF-8 one by one character is a gap, not a match', async () => {
    const other = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('UTF-16').replace('😀', '😁'), 'utf16le')])
    const result = await run(other, utf8Postgres)
    expect(result.code).toBe(1)
    expect(gapsOf(verdictOf(result))).toEqual([`missing postgres s › c › ${NAME.replace('😀', '😁')}`, `missing sqlite s › c › ${NAME}`])
  })

  const bad = (bytes: number[], before = '<testsuite name="s">\n<testcase classname="c" name="t') =>
    Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from('"/></testsuite>')])
  const INVALID = (offset: number) => `invalid UTF-8 (byte offset ${offset}); reports must be UTF-8 or UTF-16 with a byte-order mark`

  it.each([
    ['a broken two-byte sequence', [0xc3, 0x28]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a byte that never appears in UTF-8', [0xff]]
  ])('invalid UTF-8 (%s): exit 2, error at the bad byte\'s line and column', async (_name, bytes) => {
    expectRefused(await run(bad(bytes)), 2, 32, INVALID(52))
  })

  it('invalid UTF-8 after 1 MB (many read chunks in): the offset, line and column are still exact', async () => {
    const filler = `<testsuite name="s">\n${'<!-- padding -->\n'.repeat(70_000)}<testcase classname="c" name="t`
    expectRefused(await run(bad([0xc3, 0x28], filler)), 70_002, 32, INVALID(Buffer.byteLength(filler)))
  })

  it('an escape reference (&#27;) or an OSC sequence across a read-chunk boundary reads like anywhere else', async () => {
    for (const cut of [1, 2, 3, 4, 10, 30]) {
      for (const inner of ['a&#27;[31mb', 'colour\x1b]8;;https://example.com/x\x07link\x1b]8;;\x07', 'x\x1b[1;31 qy']) {
        // The file is read in 64 KiB chunks: the name's sequence starts `cut` bytes before the first boundary.
        const head = '<testsuite name="s"><testcase classname="c" name="t1"><system-out>'
        const tail = '</system-out></testcase><testcase classname="c" name="n'
        const padding = 'p'.repeat(65_536 - cut - Buffer.byteLength(head) - Buffer.byteLength(tail))
        const sqlite = `${head}${padding}${tail}${inner}"/></testsuite>`
        const postgres = `<testsuite name="s"><testcase classname="c" name="t1"/><testcase classname="c" name="n${inner}"/></testsuite>`
        const result = await run(sqlite, postgres)
        expect(result.code, `${JSON.stringify(inner)} cut ${cut}: ${result.stdout.slice(0, 600)}`).toBe(0)
        expect(verdictOf(result)).toMatchObject({ conclusion: 'success', tests: 2, errors: [] })
      }
    }
  })

  it.each([
    ['a 2-byte sequence', [0xc3], [0x28]],
    ['a 3-byte sequence', [0xe2, 0x82], [0x28]],
    ['a 4-byte sequence', [0xf0, 0x9f], [0x98, 0x28]]
  ])('invalid UTF-8 in %s cut by the 64 KiB read boundary: the offset, line and column are still exact', async (_what, before, after) => {
    const line1 = '<testsuite name="s">\n'
    const head = `${line1}<testcase classname="c" name="`
    const at = 65_536 - before.length
    const bytes = Buffer.concat([Buffer.from(head), Buffer.from('a'.repeat(at - head.length)), Buffer.from(before), Buffer.from(after), Buffer.from('"/></testsuite>')])
    expectRefused(await run(bytes), 2, at - line1.length + 1, INVALID(at))
  })

  it('an unpaired surrogate in a UTF-16 report: exit 2, "invalid UTF-16LE", failure', async () => {
    const text = Buffer.from('<testsuite name="s"><testcase classname="c" name="t\u0000"/></testsuite>', 'utf16le')
    // Put a lone high surrogate (D800) where the U+0000 is.
    const at = text.indexOf(Buffer.from('t\u0000"', 'utf16le')) + 2
    text[at] = 0x00
    text[at + 1] = 0xd8
    const result = await run(Buffer.concat([Buffer.from([0xff, 0xfe]), text]))
    expect(result.code).toBe(2)
    expect(verdictOf(result).conclusion).toBe('failure')
    expect(verdictOf(result).errors[0]?.message).toMatch(/^reports\/sqlite\/report\.xml:1:\d+: invalid UTF-16LE \(byte offset \d+\); reports must be UTF-8 or UTF-16 with a byte-order mark$/)
  })

  it('a multi-byte character cut by the end of the file: exit 2, failure', async () => {
    const result = await run(Buffer.concat([Buffer.from('<testsuite name="s"><testcase classname="c" name="t1"/></testsuite>\n'), Buffer.from([0xf0, 0x9f, 0x98])]))
    expect(result.code).toBe(2)
    expect(verdictOf(result).conclusion).toBe('failure')
    expect(verdictOf(result).errors[0]?.message).toMatch(/^reports\/sqlite\/report\.xml:\d+:\d+: invalid UTF-8 \(byte offset \d+\)/)
  })
})
