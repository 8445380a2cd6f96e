// A test's readable id, built only from what the report holds, identical across backends.
//
// Runners disagree about where the useful names are: pytest puts the module in classname and a
// constant "pytest" suite around it; Surefire and nextest repeat the class or binary as the suite
// name; node:test nests one <testsuite> per describe with classname "test"; jest-junit repeats the
// describe path in classname and name. The rules below keep each distinct piece once.
import type { Config } from './config.js'
import type { ParsedTestcase } from './junit/parser.js'

export const ID_SEPARATOR = ' › '

/** Suite names that are the runner's own label, not part of the test's identity. */
const RUNNER_SUITE_LABELS = new Set(['pytest', 'root suite', 'jest tests', 'vitest tests', 'mocha tests', 'nextest-run', 'test', ''])
/** node:test writes classname="test" for every test. */
const GENERIC_CLASSNAMES = new Set(['test', ''])

export interface Identity {
  id: string
  /** Backend named in the suite path or test name (canonical name, or as written if unknown). */
  namedBackend: string | undefined
}

export function identify(testcase: ParsedTestcase, config: Pick<Config, 'backendInName' | 'aliases'>): Identity {
  let { name, classname } = testcase
  const suites = [...testcase.suitePath]
  let named: string | undefined
  if (config.backendInName.length > 0) {
    const strip = (text: string | undefined): string | undefined => {
      if (text === undefined) return undefined
      const result = stripBackend(text, config.backendInName)
      if (result.backend !== undefined) named ??= result.backend
      return result.text
    }
    name = strip(name) ?? ''
    classname = strip(classname)
    for (let i = suites.length - 1; i >= 0; i--) suites[i] = strip(suites[i]) ?? ''
  }
  const parts: string[] = []
  const file = testcase.file
  if (file !== undefined) parts.push(file)
  const keep = (part: string | undefined) => {
    if (part === undefined) return
    const trimmed = part.trim()
    if (trimmed.length === 0 || parts.includes(trimmed)) return
    parts.push(trimmed)
  }
  for (const suite of suites) {
    if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase())) continue
    if (classname !== undefined && (classname === suite || classname.startsWith(`${suite}.`) || classname.startsWith(`${suite} `))) continue
    if (file !== undefined && sameFile(file, suite)) continue
    if (name.startsWith(`${suite} `) || name.startsWith(`${suite} > `)) continue
    keep(suite)
  }
  if (classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && classname !== name && !name.startsWith(`${classname} `)) {
    if (file === undefined || !sameFile(file, classname)) keep(classname)
  }
  parts.push(name.trim())
  const canonical = named === undefined ? undefined : (config.aliases.get(named.toLowerCase()) ?? named)
  return { id: parts.join(ID_SEPARATOR), namedBackend: canonical }
}

function stripBackend(text: string, patterns: readonly RegExp[]): { text: string; backend: string | undefined } {
  for (const pattern of patterns) {
    const match = pattern.exec(text)
    const backend = match?.groups?.backend
    if (match === null || backend === undefined) continue
    const stripped = text.slice(0, match.index) + text.slice(match.index + match[0].length)
    return { text: stripped.replace(/\s{2,}/g, ' ').trim(), backend }
  }
  return { text, backend: undefined }
}

function sameFile(file: string, other: string): boolean {
  return file === other || file.endsWith(`/${other}`) || other.endsWith(`/${file}`)
}
