import { describe, expect, it } from 'vitest'
import { ReportDecoder } from '../../src/core/junit/decoder.js'
import { JUnitStreamParser, type ParsedTestcase, ReportParseError } from '../../src/core/junit/parser.js'

function parse(xml: string | Uint8Array, chunkSize = 7): ParsedTestcase[] {
  const cases: ParsedTestcase[] = []
  const parser = new JUnitStreamParser('report.xml', (t) => cases.push(t))
  const decoder = new ReportDecoder()
  const bytes = typeof xml === 'string' ? Buffer.from(xml) : xml
  // Small chunks: every boundary case (split tags, entities, characters) is exercised.
  for (let i = 0; i < bytes.length; i += chunkSize) parser.write(decoder.push(bytes.subarray(i, i + chunkSize)))
  parser.write(decoder.end())
  parser.end()
  return cases
}

function parseError(xml: string | Uint8Array): ReportParseError {
  try {
    parse(xml)
  } catch (error) {
    if (error instanceof ReportParseError) return error
    throw error
  }
  throw new Error('expected a parse error')
}

describe('JUnit reader', () => {
  it('reads statuses, nested suites, file and line, messages and output', () => {
    const cases = parse(`<?xml version="1.0"?>
<testsuites><testsuite name="outer"><testsuite name="inner" file="suite.ts">
  <testcase name="ok" classname="C" file="t.py" line="12"/>
  <testcase name="bad" classname="C"><failure message="expected 1">trace &amp; more</failure><system-out><![CDATA[out]]></system-out></testcase>
  <testcase name="err"><error message="boom"/></testcase>
  <testcase name="skip"><skipped message="why"/></testcase>
  <testcase name="off" status="disabled"/>
</testsuite></testsuite></testsuites>`)
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ['ok', 'passed'],
      ['bad', 'failed'],
      ['err', 'errored'],
      ['skip', 'skipped'],
      ['off', 'skipped']
    ])
    expect(cases[0]).toMatchObject({ suitePath: ['outer', 'inner'], classname: 'C', file: 't.py', line: 12 })
    expect(cases[1]).toMatchObject({ message: 'expected 1\ntrace & more', output: 'out', file: 'suite.ts' })
  })

  it('keeps numeric-looking names as text (junit2json turns "007" into 7)', () => {
    const cases = parse('<testsuite name="s"><testcase name="007" classname="0x1F"/></testsuite>')
    expect(cases[0]).toMatchObject({ name: '007', classname: '0x1F' })
  })

  it('reads several documents written one after another (Rust libtest)', () => {
    const doc = (name: string) => `<?xml version="1.0" encoding="UTF-8"?><testsuites><testsuite name="test"><testcase name="${name}"/></testsuite></testsuites>`
    const cases = parse(`${doc('a')}\n${doc('b')}${doc('c')}\n`)
    expect(cases.map((c) => [c.name, c.document])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2]
    ])
  })

  it('names the line of an error inside the second document', () => {
    const error = parseError('<testsuites/>\n<testsuites>\n<testcase name="a">\n</testsuites>')
    expect(error.line).toBe(4)
  })

  it('accepts an empty <testsuites/>', () => {
    expect(parse('<testsuites/>')).toEqual([])
  })

  it('strips raw ANSI colour codes in output instead of rejecting the report', () => {
    const cases = parse('<testsuite><testcase name="a"><system-out>\x1b[31mred\x1b[0m done\x07</system-out></testcase></testsuite>', 3)
    expect(cases[0]?.output).toBe('red done\ufffd')
  })

  it('refuses a DOCTYPE without expanding anything', () => {
    const error = parseError('<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites>&a;</testsuites>')
    expect(error.message).toContain('DOCTYPE is not allowed')
  })

  it('refuses an undeclared entity', () => {
    expect(parseError('<testsuites><testsuite name="&lol;"/></testsuites>').message).toMatch(/entity/i)
  })

  it.each([
    ['truncated', '<testsuites><testsuite name="s"><testcase name="a"', /report\.xml:1:\d+/],
    ['not JUnit', '<html><body/></html>', /root element is <html>/],
    ['empty file', '', /root element|holds no XML element/],
    ['text after the root', '<testsuites/>garbage', /report\.xml:1:/]
  ])('%s is an error with file, line and column', (_name, xml, pattern) => {
    expect(parseError(xml).message).toMatch(pattern)
  })

  it('reads UTF-16 with a byte-order mark and UTF-8 with one', () => {
    const xml = '<?xml version="1.0" encoding="UTF-16"?><testsuite><testcase name="ünïcødé 😀"/></testsuite>'
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')])
    expect(parse(le)[0]?.name).toBe('ünïcødé 😀')
    const be = Buffer.from(le)
    be.swap16()
    expect(parse(be)[0]?.name).toBe('ünïcødé 😀')
    expect(parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(xml.replace('UTF-16', 'UTF-8'))]))[0]?.name).toBe('ünïcødé 😀')
  })

  it('refuses invalid UTF-8 with the line of the bad bytes', () => {
    const bytes = Buffer.concat([Buffer.from('<testsuite>\n<testcase name="a"/>\n<testcase name="'), Buffer.from([0xc3, 0x28]), Buffer.from('"/></testsuite>')])
    const decoder = new ReportDecoder()
    const parser = new JUnitStreamParser('report.xml', () => {})
    let error: unknown
    try {
      parser.write(decoder.push(bytes))
    } catch (e) {
      error = e
    }
    expect((error as Error).message).toContain('invalid UTF-8')
  })
})

describe('skip and result attributes, line 0', () => {
  const one = (xml: string) => {
    const out: ParsedTestcase[] = []
    const p = new JUnitStreamParser('r.xml', (t) => out.push(t))
    p.write(xml)
    p.end()
    return out
  }
  it('reads googletest result="skipped", skipped="true", result="fail" and keeps a failure child over a skip', () => {
    const cases = one(
      '<testsuites><testsuite name="s"><testcase name="a" status="run" result="skipped"/><testcase name="b" skipped="1"/>' +
        '<testcase name="c" result="FAIL"/><testcase name="d" result="completed"/><testcase name="e" status="pending"/>' +
        '<testcase name="f" result="skipped"><failure message="boom"/></testcase><testcase name="g" result="errored"/></testsuite></testsuites>'
    )
    expect(cases.map((c) => c.status)).toEqual(['skipped', 'skipped', 'failed', 'passed', 'skipped', 'failed', 'errored'])
  })
  it('keeps pytest line="0" (0-based; the engine adds 1) and drops line 0 elsewhere', () => {
    expect(one('<testsuites><testsuite name="pytest"><testcase name="a" line="0"/></testsuite></testsuites>')[0]?.line).toBe(0)
    expect(one('<testsuite name="x"><testcase name="a" line="0"/></testsuite>')[0]?.line).toBeUndefined()
  })
})

describe('adjacent CDATA', () => {
  it('joins CDATA sections and text exactly as written', () => {
    const [c] = parse('<testsuite><testcase name="a"><failure><![CDATA[pass]]><![CDATA[word]]>!<![CDATA[x]]></failure></testcase></testsuite>', 1000)
    expect(c?.message).toBe('password!x')
  })
})

describe('after the root', () => {
  it('accepts comments and processing instructions after the root element', () => {
    const cases = parse('<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>\n<!-- generated -->\n<?foo bar?>\n')
    expect(cases.map((c) => c.name)).toEqual(['a'])
  })
})

describe('Qt skip comments', () => {
  it('reads a QSKIP comment inside a testcase as a skip with its message', () => {
    const cases = parse('<testsuite><testcase name="x" result="pass"><!-- message="Skipping postgres" type="skip" --></testcase><testcase name="y"><!-- plain --></testcase></testsuite>', 1000)
    expect(cases.map((c) => [c.status, c.message])).toEqual([['skipped', 'Skipping postgres'], ['passed', undefined]])
  })
})
