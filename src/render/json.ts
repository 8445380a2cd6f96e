// The JSON verdict: the CLI's `--format json` and the action's `json` output file.
// Field names are a stable contract (scripts depend on them); new fields may be added.
import type { Verdict } from '../core/model.js'

export function renderJson(verdict: Verdict): string {
  const gaps = verdict.gaps.map((gap) => ({
    test: gap.test,
    backend: gap.backend,
    kind: gap.kind,
    ...(gap.message === undefined ? {} : { message: gap.message }),
    ...(gap.file === undefined ? {} : { file: gap.file }),
    ...(gap.line === undefined ? {} : { line: gap.line }),
    reason: gap.reason,
    others: gap.others
  }))
  const document = {
    conclusion: verdict.conclusion,
    title: verdict.title,
    backends: verdict.backends,
    tests: verdict.tests,
    gaps,
    exemptions: verdict.exemptions,
    flaky: verdict.flaky,
    crossLeg: verdict.crossLeg,
    unassigned: verdict.unassigned,
    errors: verdict.errors
  }
  // "##[" anywhere in a log line is an old-style workflow command: write its "#" as \u0023 (same data).
  const json = JSON.stringify(document, null, 2)
  return `${json.includes('##[') ? json.replace(/##\[/g, '#\\u0023[') : json}\n`
}
