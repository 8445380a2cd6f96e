// Report text that makes a backtracking regular expression quadratic (issue #9). The old
// SOURCE_LOCATION took 27 s on the first case; every scan of report text must stay linear.
// Bounds are 20x the measured time, so a loaded machine does not fail them and a quadratic
// scan (seconds to minutes) does. Figures: `npm run bench` prints them ("hostile text").
import { describe, expect, it } from 'vitest'
import { configFor, evaluateReports } from '../helpers/core.js'

const RUN = 16 * 1024
const CASES: Record<string, string> = {
  'runs of @': '@'.repeat(RUN),
  'runs of path characters': 'a/'.repeat(RUN / 2),
  'extensions with no line': '.py'.repeat(RUN / 3),
  'colons and digits': 'x.py:'.repeat(RUN / 5),
  'dots': '.'.repeat(RUN),
  'almost a drive letter': 'C:'.repeat(RUN / 2)
}

function hostileReport(text: string): string {
  const failure = `<failure message="boom">${text}</failure><system-out>${text}</system-out>`
  const cases = Array.from({ length: 100 }, (_, i) => `<testcase classname="c" name="t${i}">${failure}</testcase>`).join('')
  return `<testsuite name="s">${cases}</testsuite>`
}

describe('hostile text is scanned in linear time', () => {
  it.each(Object.entries(CASES))('%s: 100 failing testcases of 16 KiB each', (_, text) => {
    const xml = hostileReport(text)
    const started = performance.now()
    const v = evaluateReports(configFor({ 'skip-markers': ['^Skipping\\b'] }), [
      { backends: ['sqlite'], xml: '<testsuite name="s"><testcase classname="c" name="t0"/></testsuite>' },
      { backends: ['postgres'], xml }
    ])
    const seconds = (performance.now() - started) / 1000
    expect(v.conclusion).toBe('failure')
    expect(seconds).toBeLessThan(5)
  })
})
