// Redaction of credentials in text taken from reports. Applied where report text enters the
// verdict, so nothing downstream (check run, summary, annotations, logs, JSON) ever sees it.
// `core.setSecret` masking only covers the runner's log, not text sent through the API.

export type Redactor = (text: string) => string

const MASK = '***'
/** What a secret becomes in every output. */
export const REDACTION_MASK = MASK

/**
 * scheme://user:password@host → scheme://user:***@host; scheme://token@host → scheme://***@host.
 * The userinfo runs to the LAST "@" of the whitespace-free token after "scheme://", so a password
 * with any printable character ("#", "?", "/", "+", "=", "%40", an unencoded "@") is masked whole;
 * the user ends at its first ":". Linear: a bounded scheme, then one run of non-blanks per match.
 */
const URL_TOKEN = /\b([a-z][a-z0-9+.-]{1,30}:\/\/)(\S*)/gi
/**
 * The key of password=..., pwd: ..., PGPASSWORD=..., "password": "..." (DSNs, query strings, env
 * dumps, JSON). The value is scanned by hand (scanValue): its end depends on the form.
 */
const KEY = /\b([a-z_]*?(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key)["']?)([ \t]*[=:][ \t]*)/gi
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
const KEY_WORD = /password|passwd|passphrase|pwd|secret|token|api[_-]?key/i
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
    if (!guarded || out.includes('://')) out = out.replace(URL_TOKEN, maskUrlToken)
    if (!guarded || ((out.includes('=') || out.includes(':')) && KEY_WORD.test(out))) out = maskKeyValues(out)
    if (!guarded || BEARER_WORD.test(out)) out = out.replace(BEARER, (_match, scheme: string, space: string) => `${scheme}${space}${MASK}`)
    for (let i = 0; i < KNOWN_TOKENS.length; i++) {
      if (!guarded || out.includes(TOKEN_LITERALS[i] as string)) out = out.replace(KNOWN_TOKENS[i] as RegExp, MASK)
    }
    return out
  }
}

/** The userinfo of a URL token (the text after "scheme://"): up to its last "@", if it is one. */
function splitUserinfo(rest: string): { user: string; password: string | undefined; at: number } | undefined {
  const at = rest.lastIndexOf('@')
  if (at < 0) return undefined
  const userinfo = rest.slice(0, at)
  const colon = userinfo.indexOf(':')
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon)
  // A user never holds "/", "?" or "#": with one, the "@" is in a path (…/r@v1), not a credential.
  if (/[/?#]/.test(user)) return undefined
  return { user, password: colon < 0 ? undefined : userinfo.slice(colon + 1), at }
}

function maskUrlToken(match: string, scheme: string, rest: string): string {
  const parts = splitUserinfo(rest)
  if (parts === undefined || (parts.password === undefined && parts.user.length === 0)) return match
  const host = rest.slice(parts.at)
  return parts.password === undefined ? `${scheme}${MASK}${host}` : `${scheme}${parts.user}:${MASK}${host}`
}

/**
 * Masks the value after each key. One pass: the key pattern resumes after the value it masked,
 * and each line is looked at once (whether it holds a ";"), so the whole is linear.
 */
function maskKeyValues(text: string): string {
  const key = new RegExp(KEY.source, KEY.flags)
  let out = ''
  let copied = 0
  let lineStart = 0
  let lineEnd = -1
  let lineHasSemicolon = false
  for (let match = key.exec(text); match !== null; match = key.exec(text)) {
    const valueStart = match.index + match[0].length
    if (valueStart > lineEnd) {
      // The lines between the last one and this are never looked at again.
      lineStart = text.lastIndexOf('\n', match.index - 1) + 1
      const next = text.indexOf('\n', match.index)
      lineEnd = next < 0 ? text.length : next
      lineHasSemicolon = text.slice(lineStart, lineEnd).includes(';')
    }
    const before = match.index > 0 ? text[match.index - 1] : ''
    let maskFrom = valueStart
    let valueEnd = scanValue(text, valueStart, lineEnd, before === '?' || before === '&', lineHasSemicolon)
    if (valueEnd === valueStart && isLineEnd(text, valueStart)) {
      // "password:" at the end of a line (YAML, a pretty-printed config): its value is the first
      // word of the next line, after its indentation.
      let next = valueStart + (text[valueStart] === '\r' && text[valueStart + 1] === '\n' ? 2 : 1)
      while (next < text.length && (text[next] === ' ' || text[next] === '\t')) next++
      const nextEnd = text.indexOf('\n', next)
      lineStart = text.lastIndexOf('\n', next - 1) + 1
      lineEnd = nextEnd < 0 ? text.length : nextEnd
      lineHasSemicolon = text.slice(lineStart, lineEnd).includes(';')
      maskFrom = next
      valueEnd = scanValue(text, next, lineEnd, false, lineHasSemicolon)
    }
    if (valueEnd === maskFrom) {
      key.lastIndex = valueStart
      continue
    }
    out += text.slice(copied, maskFrom) + MASK
    copied = valueEnd
    key.lastIndex = valueEnd
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/**
 * Where a value starting at `start` ends. Quoted ('…' or "…", backslash escapes, a doubled quote
 * continues it): to the closing quote, or the end of the line when there is none. In a query
 * string (the key follows "?" or "&"): to "&" or a blank. Otherwise to a blank (libpq), and when
 * the line holds a ";" (ADO.NET, Npgsql) to the ";" or the end of the line if that is further.
 */
function scanValue(text: string, start: number, lineEnd: number, inQuery: boolean, lineHasSemicolon: boolean): number {
  const first = text[start]
  if (first === "'" || first === '"') {
    let i = start + 1
    while (i < lineEnd) {
      const char = text[i]
      if (char === '\\') i += 2
      else if (char === first) {
        if (text[i + 1] === first) i += 2
        else return i + 1
      } else i++
    }
    return Math.min(i, lineEnd)
  }
  let blank = start
  while (blank < lineEnd && !/\s/.test(text[blank] as string) && !(inQuery && text[blank] === '&')) blank++
  if (inQuery || !lineHasSemicolon) return blank
  const semicolon = text.indexOf(';', start)
  const adoEnd = semicolon < 0 || semicolon > lineEnd ? lineEnd : semicolon
  return trimEnd(text, start, Math.max(blank, adoEnd))
}

function isLineEnd(text: string, at: number): boolean {
  return at < text.length && (text[at] === '\n' || text[at] === '\r')
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1] as string)) end--
  return end
}

/**
 * A configured value, plus the parts of it that are secrets on their own (a URL's password, as
 * written, decoded and encoded): every form the redactor looks for, longest first.
 */
export function expandSecrets(values: readonly string[]): string[] {
  const out = new Set<string>()
  for (const raw of values) {
    const value = raw.trim()
    if (value.length < MIN_SECRET_LENGTH) continue
    out.add(value)
    // The password of a URL-valued secret, up to the value's last "@" (new URL() would stop it at
    // "#" or "?"), as written, decoded and re-encoded. The value is one URL, so a blank typed into
    // its password (not valid in a URL, accepted by libpq) belongs to the password too.
    const url = /^[a-z][a-z0-9+.-]{1,30}:\/\/(.*)$/is.exec(value)
    const password = url === null ? undefined : splitUserinfo(url[1] as string)?.password
    if (password !== undefined) {
      const decoded = safeDecode(password)
      for (const part of [password, decoded, encodeURIComponent(decoded), encodeURIComponent(password)]) {
        if (part.length >= MIN_SECRET_LENGTH) out.add(part)
      }
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

/**
 * Matches the value even when a line break (and indentation) was inserted anywhere inside it.
 * Linear: between two characters, "\r?\n" then the indentation taken atomically ((?=(x*))\N);
 * a blank character of the value may have been swallowed by that indentation.
 */
function secretPattern(value: string): RegExp {
  const chars = [...value]
  let source = escapeRegExp(chars[0] as string)
  let group = 0
  for (const char of chars.slice(1)) {
    const literal = escapeRegExp(char)
    if (char === '\r' || char === '\n') {
      source += literal
      continue
    }
    group++
    const wrapped = `\\r?\\n(?=([ \\t]*))(?:\\${group})${char === ' ' || char === '\t' ? '' : literal}`
    source += `(?:${literal}|${wrapped})`
  }
  return new RegExp(source, 'g')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
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
