// Patterns used in the config: a glob, or a regular expression written /.../flags.
import picomatch from 'picomatch'

export interface Matcher {
  source: string
  test: (text: string) => boolean
}

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s

/** Throws with a readable message when the pattern is not valid. */
export function compilePattern(source: string): Matcher {
  const literal = REGEX_LITERAL.exec(source)
  if (literal !== null) {
    const flags = (literal[2] ?? '').replace(/[gy]/g, '')
    const regex = new RegExp(literal[1] as string, flags)
    return { source, test: (text) => regex.test(text) }
  }
  // `*` may cross `/` in test ids (they contain file paths), so a test pattern like '*pragma*'
  // matches wherever the word stands; `**` keeps its usual meaning for files.
  const glob = picomatch(source, { dot: true, bash: true })
  return { source, test: (text) => glob(text) }
}

/** `text` as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function matchesAny(matchers: readonly Matcher[], candidates: readonly (string | undefined)[]): boolean {
  for (const matcher of matchers) {
    for (const candidate of candidates) {
      if (candidate !== undefined && matcher.test(candidate)) return true
    }
  }
  return false
}
