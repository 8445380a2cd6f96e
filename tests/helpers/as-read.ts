// Output text as a person reads it once GitHub renders it (or once the JSON is parsed): a
// password shown escaped ("p&amp;ss", "p\_ss", "p@<zero-width space>ss") is still a leak, so leak
// checks look at this decoded form. Decoding text that was never escaped can only reveal more.
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' }

/** The text a reader sees: JSON parsed (every string, keys too), Markdown escapes and entities undone. */
export function asRead(text: string, format: 'json' | 'markdown'): string {
  const plain = format === 'json' ? stringsIn(JSON.parse(text)).join('\n') : text
  return plain
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&([a-z]+);/g, (m, name: string) => NAMED_ENTITIES[name] ?? m)
    .replace(/\u200b|\u200c|\u200d|\u2060|\ufeff/g, '')
}

/** Every string (keys too) in a parsed JSON value. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, v]) => [key, ...stringsIn(v)])
  return []
}
