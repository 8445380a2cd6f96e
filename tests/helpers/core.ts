// Runs the pure engine on in-memory JUnit documents: the way most core tests feed it.
import { buildConfig, type Config } from '../../src/core/config.js'
import { CoverageEngine } from '../../src/core/engine.js'
import { JUnitStreamParser, ReportParseError } from '../../src/core/junit/parser.js'
import type { DriftSource, Verdict } from '../../src/core/model.js'
import { createRedactor } from '../../src/core/redact.js'

export interface ReportSpec {
  /** Display path of the report. */
  path?: string
  /** The backends whose globs matched this file. */
  backends: string[]
  xml: string
}

export const TODAY = new Date('2026-11-24T12:00:00Z')

export function configFor(document: Record<string, unknown>, backends = ['sqlite', 'postgres']): Config {
  const withBackends = { backends: Object.fromEntries(backends.map((b) => [b, `reports/${b}/**/*.xml`])), ...document }
  return buildConfig(withBackends, 'test-config')
}

export function evaluateReports(config: Config, reports: ReportSpec[], secrets: string[] = [], drift: DriftSource[] = []): Verdict {
  return engineFor(config, reports, secrets, drift).verdict()
}

/** The engine after reading `reports` (and told about earlier inventories), before its verdict. */
export function engineFor(config: Config, reports: ReportSpec[], secrets: string[] = [], drift: DriftSource[] = []): CoverageEngine {
  const engine = new CoverageEngine(config, { redact: createRedactor(secrets), now: TODAY })
  for (const source of drift) engine.compareWith(source)
  reports.forEach((report, i) => {
    const path = report.path ?? `reports/${report.backends.join('+')}/${i}.xml`
    const file = engine.openFile(path, report.backends)
    const parser = new JUnitStreamParser(path, (testcase) => engine.addTestcase(file, testcase), engine.parserLimits)
    try {
      parser.write(report.xml)
      parser.end()
    } catch (error) {
      if (!(error instanceof ReportParseError)) throw error
      engine.fileError(file, { file: path, line: error.line, column: error.column, message: error.message })
    }
  })
  return engine
}

/** A minimal JUnit document: each case is [name, status?, extra XML inside the testcase?]. */
export function junit(cases: Array<[string, ('pass' | 'fail' | 'error' | 'skip')?, string?]>, classname = 'tests.storage'): string {
  const body = cases
    .map(([name, status = 'pass', extra = '']) => {
      const result =
        status === 'fail'
          ? '<failure message="assertion failed">trace</failure>'
          : status === 'error'
            ? '<error message="boom">trace</error>'
            : status === 'skip'
              ? '<skipped message="DATABASE_URL not set"/>'
              : ''
      return `<testcase classname="${classname}" name="${name}" time="0.01">${result}${extra}</testcase>`
    })
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="pytest" tests="${cases.length}">\n${body}\n</testsuite></testsuites>\n`
}

/** Gaps as compact "kind backend test" strings, for readable assertions. */
export function gapList(verdict: Verdict): string[] {
  return verdict.gaps.map((g) => `${g.kind} ${g.backend} ${g.test}`)
}
