// Verdicts built directly (no reports), for renderer and output tests.
import type { Gap, Verdict } from '../../src/core/model.js'

/** A failing two-backend verdict with no gaps yet; `parts` override any field. */
export function verdictOf(parts: Partial<Verdict> = {}): Verdict {
  return {
    conclusion: 'failure',
    title: 'gaps',
    backends: [
      { name: 'sqlite', files: 1, tests: 1, passed: 0, failed: 1, errored: 0, skipped: 0, flaky: 0 },
      { name: 'postgres', files: 1, tests: 1, passed: 1, failed: 0, errored: 0, skipped: 0, flaky: 0 }
    ],
    tests: 1,
    gaps: [],
    exemptions: [],
    flaky: [],
    crossLeg: [],
    unassigned: 0,
    errors: [],
    drift: [],
    ...parts
  }
}

/** A test missing on postgres that passed on sqlite; `extra` overrides any field. */
export function gapOf(test: string, extra: Partial<Gap> = {}): Gap {
  return { test, backend: 'postgres', kind: 'missing', reason: 'never ran on postgres', others: { sqlite: 'passed' }, ...extra }
}
