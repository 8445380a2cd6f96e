// A coloured skip line as the bytes of a real report carry it, through the file reader, the
// decoder and the parser (issue #9): the raw ESC byte, the character reference &#27; (not allowed
// in XML 1.0, read as U+FFFD) and pytest's literal #x1B all leave "Skipping postgres" visible,
// also when the 64 KiB read boundary cuts the colour code, and after megabytes of output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildConfig } from '../../src/core/config.js'
import { evaluateWorkspace } from '../../src/io/gate.js'

const root = mkdtempSync(path.join(tmpdir(), 'dbc-colour-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const config = buildConfig({ backends: { sqlite: 'reports/sqlite/*.xml', postgres: 'reports/postgres/*.xml' } }, 'coloured-markers')

async function verdictFor(name: string, postgresOutput: Buffer | string) {
  const workspace = path.join(root, name)
  for (const backend of ['sqlite', 'postgres']) mkdirSync(path.join(workspace, 'reports', backend), { recursive: true })
  writeFileSync(path.join(workspace, 'reports/sqlite/junit.xml'), '<testsuite name="s"><testcase classname="c" name="upsert"/></testsuite>')
  const head = Buffer.from('<testsuite name="s"><testcase classname="c" name="upsert"><system-out>')
  const tail = Buffer.from('</system-out></testcase></testsuite>')
  writeFileSync(path.join(workspace, 'reports/postgres/junit.xml'), Buffer.concat([head, Buffer.from(postgresOutput), tail]))
  return evaluateWorkspace({ config, workspace, env: {} })
}

const FORMS: Record<string, string> = {
  'raw ESC byte': '\u001b[33mSkipping postgres: DATABASE_URL is not set\u001b[0m',
  '&#27; reference': '&#27;[33mSkipping postgres: DATABASE_URL is not set&#27;[0m',
  "pytest's #x1B": '#x1B[33mSkipping postgres: DATABASE_URL is not set#x1B[0m',
  'ESC dropped (vitest)': '[33mSkipping postgres: DATABASE_URL is not set[39m'
}

describe('coloured skip lines read from files', () => {
  for (const [form, line] of Object.entries(FORMS)) {
    it(form, async () => {
      const v = await verdictFor(form.replace(/\W+/g, '-'), `collected 1 item\n${line}\n`)
      expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['skipped postgres'])
      expect(v.gaps[0]?.message).toBe('Skipping postgres: DATABASE_URL is not set')
    })

    it(`${form}, cut by the 64 KiB read boundary, after 3 MB of output`, async () => {
      const before = 'x'.repeat(63).concat('\n').repeat(48 * 1024)
      // Put the colour code across the boundary of the 64 KiB chunk the reader takes.
      const offset = 'x'.repeat(65_536 - ((Buffer.byteLength('<testsuite name="s"><testcase classname="c" name="upsert"><system-out>') + before.length) % 65_536) - 2)
      const v = await verdictFor(`${form.replace(/\W+/g, '-')}-long`, `${before}${offset}\n${line}\n`)
      expect(v.gaps.map((g) => `${g.kind} ${g.backend}`)).toEqual(['skipped postgres'])
    })
  }
})
