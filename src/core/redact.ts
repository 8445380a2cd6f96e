// Redaction of credentials in text taken from reports. Applied where report text enters the
// verdict, so nothing downstream (check run, summary, annotations, logs, JSON) ever sees it.
// `core.setSecret` masking only covers the runner's log, not text sent through the API.

export type Redactor = (text: string) => string

const MASK = '***'

/**
 * scheme://user:password@host → scheme://user:***@host; scheme://token@host → scheme://***@host.
 * The password runs to the last "@" of the authority: an unencoded "@" inside it (p@ss) is common.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]{1,30}:\/\/)([^\s:@/?#'"<>]*)(:[^\s/?#'"<>]*)?@/gi
/** password=..., pwd: ..., PGPASSWORD=..., "password": "..." (DSNs, query strings, env dumps, JSON). */
const KEY_VALUE =
  /\b([a-z_]*?(?:password|passwd|pwd|secret|token|api[_-]?key)["']?)(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;&,'"<>]+)/gi
const BEARER = /\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi
const KNOWN_TOKENS = [
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/g
]
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g
/**
 * Guards: a literal (or a much cheaper pattern) that every match of a rule contains, so a text
 * without it is left alone by that rule. PRIVATE_KEY needs "-----BEGIN ", URL_USERINFO "://",
 * KEY_VALUE a "=" or ":" and one of its key words, BEARER its word and a blank after it
 * (non-Unicode /i never folds a non-ASCII letter to an ASCII one), each token its fixed prefix.
 */
const KEY_WORD = /password|passwd|pwd|secret|token|api[_-]?key/i
const BEARER_WORD = /b(?:earer|asic)\s/i
const TOKEN_LITERALS = ['gh', 'github_pat_', 'AKIA', 'xox']
/** Values shorter than this are not treated as secrets: masking "1" or "on" would shred the text. */
const MIN_SECRET_LENGTH = 4

export interface RedactorOptions {
  /**
   * Words that are never secrets on their own: the backend names of the config. CI databases
   * often use them as passwords (postgres://postgres:postgres@localhost); masking every bare
   * "postgres" would hide which backend a gap is on, and protect nothing. The URL, `password=`
   * and whole-value rules still mask them where they stand as credentials.
   */
  publicWords?: readonly string[]
}

export function createRedactor(secretValues: readonly string[] = [], options: RedactorOptions = {}): Redactor {
  return buildRedactor(secretValues, options, true)
}

/** The same rules without the guards: the reference tests/core/redact.test.ts compares against. */
export function createUnguardedRedactor(secretValues: readonly string[] = [], options: RedactorOptions = {}): Redactor {
  return buildRedactor(secretValues, options, false)
}

function buildRedactor(secretValues: readonly string[], options: RedactorOptions, guarded: boolean): Redactor {
  const publicWords = new Set((options.publicWords ?? []).map((word) => word.toLowerCase()))
  const secrets = expandSecrets(secretValues).filter((secret) => !publicWords.has(secret.toLowerCase()))
  const patterns = secrets.map(secretPattern)
  return (text: string): string => {
    if (text.length === 0) return text
    let out = text
    for (const pattern of patterns) out = out.replace(pattern, MASK)
    // Each built-in rule runs only when the text holds what every match of it holds (see the
    // guards above): the same result, without nine regular-expression scans of every test id.
    if (!guarded || out.includes('-----BEGIN ')) out = out.replace(PRIVATE_KEY, `-----BEGIN PRIVATE KEY----- ${MASK}`)
    if (!guarded || out.includes('://')) {
      out = out.replace(URL_USERINFO, (_match, scheme: string, user: string, password: string | undefined) =>
        password === undefined ? `${scheme}${MASK}@` : `${scheme}${user}:${MASK}@`
      )
    }
    if (!guarded || ((out.includes('=') || out.includes(':')) && KEY_WORD.test(out))) {
      out = out.replace(KEY_VALUE, (_match, key: string, separator: string) => `${key}${separator}${MASK}`)
    }
    if (!guarded || BEARER_WORD.test(out)) out = out.replace(BEARER, (_match, scheme: string, space: string) => `${scheme}${space}${MASK}`)
    for (let i = 0; i < KNOWN_TOKENS.length; i++) {
      if (!guarded || out.includes(TOKEN_LITERALS[i] as string)) out = out.replace(KNOWN_TOKENS[i] as RegExp, MASK)
    }
    return out
  }
}

/** A configured value, plus the parts of it that are secrets on their own (a URL's password). */
function expandSecrets(values: readonly string[]): string[] {
  const out = new Set<string>()
  for (const raw of values) {
    const value = raw.trim()
    if (value.length < MIN_SECRET_LENGTH) continue
    out.add(value)
    try {
      const url = new URL(value)
      for (const part of [url.password, safeDecode(url.password)]) {
        if (part.length >= MIN_SECRET_LENGTH) out.add(part)
      }
    } catch {
      // not a URL: the value itself is the secret
    }
  }
  // Longest first, so a URL is masked whole before its password alone.
  return [...out].sort((a, b) => b.length - a.length)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Matches the value even when a line break (and indentation) was inserted anywhere inside it. */
function secretPattern(value: string): RegExp {
  const chars = [...value].map((char) => char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
  return new RegExp(chars.join('(?:\\r?\\n[ \\t]*)?'), 'g')
}

/**
 * Cuts text to at most `maxChars` without leaving half a secret behind: a credential cut in two
 * no longer matches any pattern, so the cut goes back to the last line break (or space).
 * Redact first, then cut.
 */
export function truncateSafely(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false }
  let cut = text.slice(0, maxChars)
  const lineBreak = cut.lastIndexOf('\n')
  const space = cut.search(/\s\S*$/)
  if (lineBreak > maxChars / 2) cut = cut.slice(0, lineBreak)
  else if (space > maxChars / 2) cut = cut.slice(0, space)
  else cut = cut.slice(0, Math.max(0, maxChars - 64))
  // Never end on the first half of a surrogate pair (an emoji cut in two shows as U+FFFD).
  const last = cut.charCodeAt(cut.length - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1)
  return { text: cut, truncated: true }
}
