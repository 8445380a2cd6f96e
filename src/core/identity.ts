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

/**
 * Report paths are often absolute (PHPUnit, mocha): make them workspace-relative when they sit
 * under one of `roots`, so they link to the repository and match scope patterns.
 */
export function normalizeFile(file: string | undefined, roots: readonly string[]): string | undefined {
  if (file === undefined) return undefined
  let out = file.replace(/\\/g, '/')
  for (const root of roots) {
    const prefix = root.replace(/\\/g, '/').replace(/\/+$/, '') + '/'
    if (prefix.length > 1 && out.startsWith(prefix)) {
      out = out.slice(prefix.length)
      break
    }
  }
  return out.replace(/^(\.\/)+/, '')
}

/** `file` is the testcase's file after normalizeFile. */
export function identify(testcase: ParsedTestcase, file: string | undefined, config: Pick<Config, 'backendInName' | 'aliases'>): Identity {
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
  if (file !== undefined) parts.push(file)
  const keep = (part: string | undefined) => {
    if (part === undefined) return
    const trimmed = part.trim()
    if (trimmed.length === 0 || parts.includes(trimmed)) return
    parts.push(trimmed)
  }
  for (const suite of suites) {
    if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase())) continue
    if (classname !== undefined && coversSuite(classname, suite)) continue
    if (file !== undefined && sameFile(file, suite)) continue
    if (name.startsWith(`${suite} `) || name.startsWith(`${suite} > `)) continue
    keep(suite)
  }
  // jest-junit repeats the name in classname; mocha-junit-reporter puts the bare title there.
  const redundant = classname === name || name.startsWith(`${classname} `) || name.endsWith(` ${classname}`)
  if (classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && !redundant) {
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

/** Namespaces are written with ".", "::", "/" or "\\" depending on the runner (PHPUnit uses two). */
function canonicalName(text: string): string {
  return text.replace(/::|[\\/]/g, '.')
}

function coversSuite(classname: string, suite: string): boolean {
  const a = canonicalName(classname)
  const b = canonicalName(suite)
  return a === b || a.startsWith(`${b}.`) || a.startsWith(`${b} `) || a.startsWith(`${b}$`)
}

function sameFile(file: string, other: string): boolean {
  return file === other || file.endsWith(`/${other}`) || other.endsWith(`/${file}`)
}
