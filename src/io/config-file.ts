// Reads the config file (when there is one) and applies backend overrides from flags or inputs.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import yaml from 'js-yaml'
import { assertRunnable, buildConfig, type Config, ConfigError, DEFAULT_CONFIG_PATH } from '../core/config.js'

export interface ConfigSource {
  /** Path given by the user; when absent, the default path is used if it exists. */
  path?: string
  /** name → globs, replacing the config's `backends` when not empty. */
  backends?: Map<string, string[]>
  /** Folder a relative config path is read from (default the process's working directory). */
  cwd?: string
}

export function loadConfig(source: ConfigSource): Config {
  const explicit = source.path !== undefined && source.path.length > 0
  const path = explicit ? (source.path as string) : DEFAULT_CONFIG_PATH
  const file = resolve(source.cwd ?? process.cwd(), path)
  const found = explicit || existsSync(file)
  let document: unknown = {}
  if (found) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    try {
      document = yaml.load(text, { filename: path, schema: yaml.CORE_SCHEMA })
    } catch (error) {
      throw new ConfigError(`${path}: not valid YAML: ${(error as Error).message}`)
    }
    if (document === null || document === undefined) {
      if (source.backends === undefined || source.backends.size === 0) {
        throw new ConfigError(`${path}: the config file is empty; it needs at least \`backends:\`, one report glob per backend (e.g. sqlite: reports/sqlite/*.xml)`)
      }
      document = {}
    }
  }
  if (source.backends !== undefined && source.backends.size > 0) {
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      throw new ConfigError(`${path}: the top level must be a mapping of keys`)
    }
    document = { ...document, backends: Object.fromEntries(source.backends) }
  }
  const config = buildConfig(document, found ? path : 'config')
  assertRunnable(config)
  return config
}

/** Parses `name=glob` (CLI) or `name: glob` (action input) lines; a repeated name adds globs. */
export function parseBackendLines(lines: string[], separator: '=' | ':'): Map<string, string[]> {
  const backends = new Map<string, string[]>()
  for (const raw of lines) {
    const line = raw.trim()
    if (line.length === 0 || line.startsWith('#')) continue
    const at = line.indexOf(separator)
    const name = at > 0 ? line.slice(0, at).trim() : ''
    const glob = at > 0 ? line.slice(at + 1).trim() : ''
    if (name.length === 0 || glob.length === 0) {
      throw new ConfigError(`backends: expected "name${separator === '=' ? '=' : ': '}glob", got "${line}"`)
    }
    backends.set(name, [...(backends.get(name) ?? []), glob])
  }
  return backends
}
