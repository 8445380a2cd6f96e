// The JSON verdict: the CLI's `--format json` and the action's `json` output file.
// Field names are a stable contract (scripts depend on them); new fields may be added.
import type { Gap, Verdict } from '../core/model.js'

function gapObject(gap: Gap): object {
  return {
    test: gap.test,
    backend: gap.backend,
    kind: gap.kind,
    ...(gap.message === undefined ? {} : { message: gap.message }),
    ...(gap.file === undefined ? {} : { file: gap.file }),
    ...(gap.line === undefined ? {} : { line: gap.line }),
    reason: gap.reason,
    others: gap.others
  }
}

/** "##[" anywhere in a log line is an old-style workflow command: write its "#" as \u0023 (same data). */
function neutralise(json: string): string {
  return json.includes('##[') ? json.replace(/##\[/g, '#\\u0023[') : json
}

export function renderJson(verdict: Verdict): string {
  const gaps = verdict.gaps.map(gapObject)
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
    errors: verdict.errors,
    drift: verdict.drift,
    ...(verdict.unreachable === undefined ? {} : { unreachable: verdict.unreachable }),
    ...(verdict.outOfScope === undefined || verdict.outOfScope.length === 0 ? {} : { outOfScope: verdict.outOfScope }),
    // This run's test inventory (src/core/inventory.ts): `--baseline` reads it back.
    ...(verdict.digest === undefined ? {} : { inventory: verdict.digest })
  }
  return `${neutralise(JSON.stringify(document, null, 2))}\n`
}

/**
 * renderJson()'s exact text in pieces, one gap at a time, so a verdict with 100,000 gaps is never
 * held as one string (at 2 x 1M testcases: peak RSS 585 MB -> 307 MB). No "##[" can span two
 * pieces: they meet at JSON punctuation and indentation only.
 */
export function* renderJsonPieces(verdict: Verdict): Generator<string> {
  const shell = renderJson({ ...verdict, gaps: [] })
  const marker = '\n  "gaps": [],\n'
  const at = shell.indexOf(marker)
  if (verdict.gaps.length === 0 || at < 0) {
    yield verdict.gaps.length === 0 ? shell : renderJson(verdict)
    return
  }
  yield `${shell.slice(0, at)}\n  "gaps": [\n`
  const last = verdict.gaps.length - 1
  const memo = new JsonMemo()
  for (let i = 0; i <= last; i++) {
    const gap = verdict.gaps[i] as Gap
    const item = gapText(gap, memo) ?? `    ${JSON.stringify(gapObject(gap), null, 2).replace(/\n/g, '\n    ')}`
    yield `${neutralise(item)}${i < last ? ',\n' : '\n'}`
  }
  yield `  ],\n${shell.slice(at + marker.length)}`
}

/**
 * JSON.stringify(gapObject(gap), null, 2), indented four more spaces, written out directly: the
 * same text (tests/core/json.test.ts) at a third of the cost for 100,000 gaps. Anything but the
 * plain field types a Gap has (strings, a number, an object of strings) takes the generic path.
 */
function gapText(gap: Gap, memo: JsonMemo): string | undefined {
  const { test, backend, kind, message, file, line, reason, others } = gap
  if (typeof test !== 'string' || typeof backend !== 'string' || typeof kind !== 'string' || typeof reason !== 'string') return undefined
  if ((message !== undefined && typeof message !== 'string') || (file !== undefined && typeof file !== 'string')) return undefined
  if ((line !== undefined && typeof line !== 'number') || typeof others !== 'object' || others === null) return undefined
  if (Object.getPrototypeOf(others) !== Object.prototype) return undefined
  let text = `    {\n      "test": ${JSON.stringify(test)},\n      "backend": ${memo.backend(backend)},\n      "kind": ${memo.kind(kind)},\n`
  if (message !== undefined) text += `      "message": ${JSON.stringify(message)},\n`
  if (file !== undefined) text += `      "file": ${memo.file(file)},\n`
  if (line !== undefined) text += `      "line": ${JSON.stringify(line)},\n`
  text += `      "reason": ${memo.reason(reason)},\n      "others": `
  let entries = ''
  for (const name of Object.keys(others)) {
    const status: unknown = others[name]
    if (typeof status !== 'string') return undefined
    entries += `${entries.length === 0 ? '' : ',\n'}        ${JSON.stringify(name)}: ${JSON.stringify(status)}`
  }
  return `${text}${entries.length === 0 ? '{}' : `{\n${entries}\n      }`}\n    }`
}

/** JSON.stringify of the last value of each field that repeats from gap to gap (sorted gaps share them). */
class JsonMemo {
  readonly backend = lastValue()
  readonly kind = lastValue()
  readonly file = lastValue()
  readonly reason = lastValue()
}

function lastValue(): (value: string) => string {
  let last: string | undefined
  let json = ''
  return (value) => {
    if (value !== last) {
      last = value
      json = JSON.stringify(value)
    }
    return json
  }
}
