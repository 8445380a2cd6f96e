import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { SaxesParser } from 'saxes'
import { describe, expect, it } from 'vitest'
import { JUnitStreamParser } from '../../src/core/junit/parser.js'
import { createRedactor } from '../../src/core/redact.js'
import { MAX_RUN_CHARS, ReportScrubber } from '../../src/core/scrub.js'

const DIALECTS = path.resolve(import.meta.dirname, '../fixtures/dialects')

/** Every real report: tests/fixtures/dialects/<dialect>/**.xml, not the runner suites that made them. */
function fixtures(): { name: string; text: string }[] {
  const found: { name: string; text: string }[] = []
  for (const dialect of readdirSync(DIALECTS, { withFileTypes: true })) {
    if (!dialect.isDirectory() || dialect.name === 'suites') continue
    for (const entry of readdirSync(path.join(DIALECTS, dialect.name), { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.xml')) found.push({ name: `${dialect.name}/${entry}`, text: readFileSync(path.join(DIALECTS, dialect.name, entry), 'utf8') })
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

const FIXTURES = fixtures()
const identity = (text: string): string => text

function scrub(pieces: readonly string[], redact: (text: string) => string): { text: string; masked: number; testcases: number } {
  const scrubber = new ReportScrubber(redact)
  let text = ''
  for (const piece of pieces) text += scrubber.push(piece)
  text += scrubber.end()
  return { text, masked: scrubber.masked, testcases: scrubber.testcases }
}

function cutAt(text: string, offsets: readonly number[]): string[] {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b)
  const pieces: string[] = []
  let from = 0
  for (const at of sorted) {
    pieces.push(text.slice(from, at))
    from = at
  }
  pieces.push(text.slice(from))
  return pieces
}

/** Every decoded text of a document, as an XML reader sees it: text, CDATA, comments, attribute values. */
function contents(xml: string): string[] {
  const out: string[] = []
  // Several documents in one file (libtest): read each on its own.
  for (const document of xml.split(/(?=<\?xml)/).map((d) => d.trimStart()).filter((d) => d.length > 0)) {
    const sax = new SaxesParser({ xmlns: false })
    sax.on('text', (text) => out.push(text))
    sax.on('cdata', (text) => out.push(text))
    sax.on('comment', (text) => out.push(text))
    sax.on('opentag', (tag) => out.push(...Object.values(tag.attributes as Record<string, string>)))
    sax.on('error', (error) => {
      throw error
    })
    sax.write(document).close()
  }
  return out
}

/** Parses with the gate's own reader (throws on anything not well-formed); returns the testcase count. */
function parse(xml: string): number {
  const parser = new JUnitStreamParser('scrubbed.xml', () => undefined)
  parser.write(xml)
  parser.end()
  return parser.testcases
}

describe('ReportScrubber: a redactor that masks nothing changes nothing', () => {
  it.each(FIXTURES.map((f) => [f.name, f.text] as const))('%s comes out byte-identical, whole and one character at a time', (_name, text) => {
    expect(scrub([text], identity).text).toBe(text)
    expect(scrub([...text], identity).text).toBe(text)
    expect(scrub([text], identity).masked).toBe(0)
  })

  it('the smallest fixture is byte-identical cut at every offset (also with the real redactor, which masks its planted secret)', () => {
    const small = [...FIXTURES].sort((a, b) => a.text.length - b.text.length)
    const plain = small[0] as { text: string }
    const secret = small.find((f) => f.text.includes('s3cr3t-planted')) as { text: string }
    const redact = createRedactor(['postgres://app:s3cr3t-planted@db.internal:5432/app'])
    const whole = scrub([secret.text], redact)
    expect(whole.masked).toBeGreaterThan(0)
    for (let at = 0; at <= plain.text.length; at++) expect(scrub(cutAt(plain.text, [at]), identity).text).toBe(plain.text)
    for (let at = 0; at <= secret.text.length; at++) {
      for (const second of [at + 1, at + 7]) {
        const cut = scrub(cutAt(secret.text, [at, Math.min(second, secret.text.length)]), redact)
        expect(cut).toEqual(whole)
      }
    }
  })

  it('every fixture is byte-identical cut at random offsets, and redacts the same however it is cut', () => {
    const redact = createRedactor(['postgres://app:s3cr3t-planted@db.internal:5432/app'])
    const wholes = FIXTURES.map((f) => scrub([f.text], redact))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: FIXTURES.length - 1 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (index, fractions) => {
        const text = (FIXTURES[index] as { text: string }).text
        const pieces = cutAt(
          text,
          fractions.map((f) => Math.floor(f * text.length))
        )
        expect(scrub(pieces, identity).text).toBe(text)
        expect(scrub(pieces, redact)).toEqual(wholes[index])
      }),
      { numRuns: 400 }
    )
  })

  it('masks the planted secret of every real fixture and keeps it well-formed', () => {
    const redact = createRedactor(['postgres://app:s3cr3t-planted@db.internal:5432/app'])
    for (const fixture of FIXTURES) {
      const out = scrub([fixture.text], redact).text
      expect(parse(out), fixture.name).toBe(parse(fixture.text))
      expect(contents(out).join('\n'), fixture.name).not.toContain('s3cr3t-planted')
    }
  })
})

/** Every printable ASCII character once (the space inside it, where trimming keeps it). */
const ASCII_PASSWORD = (() => {
  const chars: string[] = []
  for (let code = 0x21; code <= 0x7e; code++) chars.push(String.fromCharCode(code))
  chars.splice(40, 0, ' ')
  return chars.join('')
})()
const URL_PASSWORD = 'Zq9vLm2Xk7pW'
const DSN = `postgres://app:${URL_PASSWORD}@db.internal:5432/app`

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
function escapeAttribute(text: string, quote: '"' | "'"): string {
  return escapeText(text).replace(quote === '"' ? /"/g : /'/g, quote === '"' ? '&quot;' : '&apos;')
}
/** Every character as a character reference, half decimal, half hexadecimal. */
function references(text: string): string {
  return [...text].map((c, i) => (i % 2 === 0 ? `&#${c.codePointAt(0)};` : `&#x${(c.codePointAt(0) as number).toString(16)};`)).join('')
}

/**
 * A report with secrets planted in every kind of content run. `{…}` marks where a secret stands
 * as written in the file; the scrubbed file must be exactly the template with each mark as "***".
 */
const PLANTED: { template: string; values: Record<string, string>; masked: number; testcases: number } = {
  template: [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- run with password={url} on the CI database -->',
    '<testsuites name="storage">',
    '  <testsuite name="postgres" tests="5">',
    '    <properties><property name="DATABASE_URL" value="postgres://app:{url}@db.internal:5432/app"/></properties>',
    '    <testcase classname="tests.storage" name="test_connect[postgres://app:{url}@db.internal:5432/app]" time="0.1"/>',
    '    <testcase classname="tests.storage" name="test_search \uD83D\uDD11 \u00e9">',
    '      <failure message="could not connect to postgres://app:{url}@db.internal:5432/app &amp; gave up" type="OperationalError"><![CDATA[Traceback:',
    '  engine = create_engine("postgres://app:{url}@db.internal:5432/app")',
    'E   sqlalchemy.exc.OperationalError: FATAL]]></failure>',
    '      <system-out>connecting with DATABASE_URL=postgres://app:{url}@db.internal:5432/app?sslmode=require&amp;target_session_attrs=any &lt;ok&gt;\n</system-out>',
    '    </testcase>',
    "    <testcase classname='tests.storage' name='test_ascii' >",
    "      <error message='{ascii-single}'>{ascii-text}</error>",
    '      <system-err><![CDATA[PGPASSWORD is {ascii-cdata} \uD83D\uDE00]]></system-err>',
    '      <!-- {ascii-comment} -->',
    '    </testcase>',
    '    <testcase classname="tests.storage" name="{ascii-double}"><system-out>{ascii-refs}</system-out></testcase>',
    '    <testcase classname="tests.storage" name="test_clean"><system-out>nothing &amp; nobody &#x1F600;</system-out></testcase>',
    '  </testsuite>',
    '</testsuites>',
    ''
  ].join('\n'),
  values: {
    url: URL_PASSWORD,
    'ascii-single': escapeAttribute(ASCII_PASSWORD, "'"),
    'ascii-double': escapeAttribute(ASCII_PASSWORD, '"'),
    'ascii-text': escapeText(ASCII_PASSWORD),
    // CDATA and comments hold it as it is: it has no "]]>" and no "--" (each character once).
    'ascii-cdata': ASCII_PASSWORD,
    'ascii-comment': ASCII_PASSWORD,
    'ascii-refs': references(ASCII_PASSWORD)
  },
  // Runs: the comment, the property value, the test_connect name, the message, the CDATA body,
  // the system-out; then message, text, CDATA, comment of test_ascii; the name and output of the next.
  masked: 12,
  testcases: 4
}

function fill(template: string, replace: (key: string) => string): string {
  return template.replace(/\{([a-z-]+)\}/g, (_m, key: string) => replace(key))
}

describe('ReportScrubber: planted secrets', () => {
  const input = fill(PLANTED.template, (key) => PLANTED.values[key] as string)
  const expected = fill(PLANTED.template, () => '***')
  // The URL rule masks the DSN's password; the all-ASCII password is a configured (redact-env) value.
  const redact = createRedactor([ASCII_PASSWORD, 'an-unrelated-configured-value'])

  it('the report as planted is valid and holds every secret', () => {
    expect(parse(input)).toBe(5)
    const text = contents(input).join('\n')
    expect(text).toContain(URL_PASSWORD)
    expect(contents(input).filter((t) => t.includes(ASCII_PASSWORD))).toHaveLength(6)
  })

  it('masks each of them, changes nothing else, and counts runs and testcases exactly', () => {
    const out = scrub([input], redact)
    expect(out.text).toBe(expected)
    expect(out.masked).toBe(PLANTED.masked)
    expect(out.testcases).toBe(PLANTED.testcases)
    expect(parse(out.text)).toBe(5)
    const text = contents(out.text).join('\n')
    expect(text).not.toContain(URL_PASSWORD)
    expect(text).not.toContain(ASCII_PASSWORD)
  })

  it('leaves the bytes before and after a single redacted span identical', () => {
    const single = `<testsuite><testcase name="a &amp; b"><failure message="x &lt; y, postgres://app:${URL_PASSWORD}@db/app &gt; z &#233;"/></testcase></testsuite>`
    const out = scrub([single], createRedactor([])).text
    const at = single.indexOf(URL_PASSWORD)
    expect(out.slice(0, at)).toBe(single.slice(0, at))
    expect(out.slice(at + 3)).toBe(single.slice(at + URL_PASSWORD.length))
    expect(out.slice(at, at + 3)).toBe('***')
  })

  it('gives the same bytes and counts however the text is cut (every offset, and random cuts)', () => {
    const whole = scrub([input], redact)
    for (let at = 0; at <= input.length; at++) expect(scrub(cutAt(input, [at]), redact), `cut at ${at}`).toEqual(whole)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: input.length }), { maxLength: 60 }), (offsets) => {
        expect(scrub(cutAt(input, offsets), redact)).toEqual(whole)
      }),
      { numRuns: 300 }
    )
  })

  it('re-encodes a changed span for its context: the quote of the attribute, & < > everywhere', () => {
    // A redactor that puts markup characters into the text: they must come out escaped.
    const tricky = (text: string): string => text.replaceAll('SECRET', `<&"'>`)
    const doc = `<testsuite name="a SECRET b" file='c SECRET d'><testcase name="t">x SECRET y<b/><![CDATA[SECRET]]><!--SECRET--></testcase></testsuite>`
    const out = scrub([doc], tricky).text
    expect(out).toBe(`<testsuite name="a &lt;&amp;&quot;'&gt; b" file='c &lt;&amp;"&apos;&gt; d'><testcase name="t">x &lt;&amp;"'&gt; y<b/><![CDATA[<&"'>]]><!--<&"'>--></testcase></testsuite>`)
    expect(contents(out)).toEqual(['a <&"\'> b', 'c <&"\'> d', 't', 'x <&"\'> y', '<&"\'>', '<&"\'>'])
  })

  it('reads text and CDATA next to each other as one text, as the gate does (a secret split over sections)', () => {
    // A reporter writes "]]>" inside output as "]]]]><![CDATA[>": a password holding it is split in two sections.
    const password = 'Qx]]>7vLm2'
    const doc = `<testsuite><testcase name="t"><failure><![CDATA[PGPASSWORD=${password.replace(']]>', ']]]]><![CDATA[>')} tail]]></failure><system-out>pass: <![CDATA[${URL_PASSWORD}]]>&amp;${URL_PASSWORD}.</system-out></testcase></testsuite>`
    const redact = createRedactor([password, `${URL_PASSWORD}&${URL_PASSWORD}`])
    const out = scrub([doc], redact)
    expect(parse(out.text)).toBe(1)
    expect(contents(out.text).join('')).not.toContain('7vLm2')
    expect(contents(out.text).join('')).not.toContain(URL_PASSWORD)
    expect(out.text).toBe('<testsuite><testcase name="t"><failure><![CDATA[PGPASSWORD=***]]><![CDATA[ tail]]></failure><system-out>pass: <![CDATA[***]]>.</system-out></testcase></testsuite>')
    expect(out).toMatchObject({ masked: 2, testcases: 1 })
    for (let at = 0; at <= doc.length; at++) expect(scrub(cutAt(doc, [at]), redact)).toEqual(out)
  })

  it('keeps CDATA and comments well-formed whatever the redactor returns', () => {
    const joining = (text: string): string => text.replace('A', ']]>').replace('B', '--')
    const out = scrub(['<testsuite><testcase name="t"><![CDATA[xAy]]><!-- xBy --></testcase></testsuite>'], joining).text
    expect(parse(out)).toBe(1)
    expect(contents(out)).toEqual(['t', 'x]]', '>y', ' x- -y '])
  })

  it('passes processing instructions, a DOCTYPE with an internal subset, and tags through untouched', () => {
    const doc = `<?xml version="1.0"?><?pi password=${URL_PASSWORD} ?><!DOCTYPE x [ <!ENTITY e "a>b"> <!-- ] > ' --> <?p ]> ?> ]><x a="password=${URL_PASSWORD}">password=${URL_PASSWORD}</x>`
    const out = scrub([doc], createRedactor([])).text
    expect(out).toBe(doc.replace(`a="password=${URL_PASSWORD}"`, 'a="password=***"').replace(`>password=${URL_PASSWORD}<`, '>password=***<'))
    for (let at = 0; at <= doc.length; at++) expect(scrub(cutAt(doc, [at]), createRedactor([])).text).toBe(out)
  })

  it('masks a secret written as character references and entities, and decodes only the predefined ones', () => {
    const doc = `<t a="&#112;assword=hunter22&unknown; &#0; &#xD800; &amp">x</t>`
    const out = scrub([doc], createRedactor([])).text
    expect(out).toBe('<t a="&#112;assword=*** &#0; &#xD800; &amp">x</t>')
  })
})

describe('ReportScrubber: long runs', () => {
  it('cuts a run longer than MAX_RUN_CHARS at line breaks and still masks every line', () => {
    const line = `log: connecting to ${DSN} &amp; more\n`
    const count = Math.ceil((3 * MAX_RUN_CHARS) / line.length)
    const doc = `<testsuite><testcase name="t"><system-out>${line.repeat(count)}</system-out></testcase></testsuite>`
    const pieces = cutAt(
      doc,
      Array.from({ length: Math.floor(doc.length / 65536) }, (_, i) => (i + 1) * 65536 - 3)
    )
    const out = scrub(pieces, createRedactor([]))
    expect(out.text).toBe(doc.split(URL_PASSWORD).join('***'))
    expect(out.masked).toBe(1)
    expect(out.testcases).toBe(1)
    expect(scrub(pieces, identity).text).toBe(doc)
  })

  it('hard-cuts a run with no line break without splitting an entity or a surrogate pair', () => {
    for (const unit of ['&amp;', '\uD83D\uDE00', 'ab&#x1F600;', 'x&lt;y']) {
      const body = unit.repeat(Math.ceil((2.5 * MAX_RUN_CHARS) / unit.length))
      for (const [open, close] of [
        ['<t>', '</t>'],
        ['<t a="', '"/>'],
        ['<t><![CDATA[', ']]></t>']
      ] as const) {
        const doc = `${open}${body}${close}`
        const seen: string[] = []
        const out = scrub([doc], (text) => {
          seen.push(text)
          return text.replace(/^/, '')
        })
        expect(out.text).toBe(doc)
        expect(seen.length).toBe(3)
        for (const piece of seen) {
          expect(piece.length).toBeLessThanOrEqual(MAX_RUN_CHARS)
          expect(piece.charCodeAt(piece.length - 1) >= 0xd800 && piece.charCodeAt(piece.length - 1) <= 0xdbff).toBe(false)
        }
        // A real change in each piece: the decoded text must survive the re-encoding.
        const marked = scrub([doc], (text) => `!${text}`).text
        expect(contents(marked).join('').replace(/!/g, '')).toBe(contents(doc).join(''))
      }
    }
  })
})

describe('ReportScrubber: 200 MB streamed', () => {
  it('scrubs a generated 200 MB report in bounded memory', () => {
    // Two configured values that never occur (their patterns still run on every run) and the built-in rules.
    const redact = createRedactor(['an-unrelated-configured-value', 'postgres://ci:other-password@elsewhere/db'])
    const scrubber = new ReportScrubber(redact)
    const output = 'x'.repeat(80) + '\n'
    const testcase = (i: number, secret: boolean): string =>
      `<testcase classname="tests.storage.Case${i % 10}" name="test_${i}" time="0.01"><system-out>${output.repeat(120)}${secret ? `connecting to ${DSN}\n` : ''}${output.repeat(5)}</system-out></testcase>\n`
    const target = 200 * 1024 * 1024
    // One failing testcase with a 20 MB CDATA body (a single run, redacted in pieces).
    const cdataLine = `retrying ${DSN} ${'y'.repeat(60)}\n`
    const cdataChunk = cdataLine.repeat(Math.floor(65536 / cdataLine.length))
    const cdataChunks = Math.ceil((20 * 1024 * 1024) / cdataChunk.length)
    if (typeof globalThis.gc === 'function') globalThis.gc()
    const before = process.memoryUsage.rss()
    let peak = before
    let bytesIn = 0
    let bytesOut = 0
    let leaked = 0
    const feed = (text: string): void => {
      bytesIn += text.length
      const out = scrubber.push(text)
      bytesOut += out.length
      if (out.includes(URL_PASSWORD)) leaked++
    }
    const started = performance.now()
    feed('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="all"><testsuite name="postgres">\n')
    feed('<testcase name="test_big"><failure message="boom"><![CDATA[')
    for (let i = 0; i < cdataChunks; i++) feed(cdataChunk)
    feed(']]></failure></testcase>\n')
    let i = 0
    let secrets = 0
    while (bytesIn < target) {
      const secret = i % 7 === 0
      if (secret) secrets++
      feed(testcase(i, secret))
      i++
      if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage.rss())
    }
    feed('</testsuite></testsuites>\n')
    bytesOut += scrubber.end().length
    const seconds = (performance.now() - started) / 1000
    peak = Math.max(peak, process.memoryUsage.rss())
    const growth = (peak - before) / 1024 / 1024
    console.info(`scrub 200 MB: ${(bytesIn / 1024 / 1024 / seconds).toFixed(0)} MB/s (${seconds.toFixed(2)} s), RSS growth ${growth.toFixed(1)} MB, ${i} testcases`)
    expect(leaked).toBe(0)
    expect(scrubber.masked).toBe(secrets + 1)
    expect(scrubber.testcases).toBe(secrets + 1)
    expect(bytesOut).toBe(bytesIn - (secrets + cdataChunks * Math.floor(65536 / cdataLine.length)) * (URL_PASSWORD.length - 3))
    expect(growth).toBeLessThan(100)
  }, 120_000)
})
