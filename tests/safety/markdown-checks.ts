// Structural checks on rendered Markdown: what "stays valid" means in the safety suite.
// (Same rules as tests/action/support.ts, plus byte limits and surrogate pairs, without vitest's
// expect so property tests can use them as predicates.)

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Problems found in a Markdown document, empty when it is valid. */
export function markdownProblems(markdown: string, maxBytes?: number, options: { replacementAllowed?: boolean } = {}): string[] {
  const problems: string[] = []
  if (maxBytes !== undefined) {
    const bytes = Buffer.byteLength(markdown, 'utf8')
    if (bytes > maxBytes) problems.push(`${bytes} bytes, over the limit ${maxBytes}`)
  }
  if (LONE_SURROGATE.test(markdown)) problems.push('a lone surrogate (a split surrogate pair)')
  // Output read back from a child process shows a split pair as U+FFFD. (Reports may hold U+FFFD
  // themselves: the decoder puts it for forbidden control characters.)
  if (options.replacementAllowed !== true && markdown.includes('\ufffd')) problems.push('U+FFFD in the output (a character was cut)')
  problems.push(...tableProblems(markdown), ...htmlProblems(markdown))
  return problems
}

/** Every table row has the header's cell count, is closed, and the header has a separator row. */
export function tableProblems(markdown: string): string[] {
  const problems: string[] = []
  const lines = markdown.split('\n')
  let columns: number | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (!line.startsWith('|')) {
      columns = undefined
      continue
    }
    if (!line.endsWith(' |')) problems.push(`table row ${i + 1} is not closed: ${line.slice(0, 200)}`)
    const cells = countCells(line)
    if (columns === undefined) {
      columns = cells
      const separator = lines[i + 1] ?? ''
      if (!/^\|( ?-+:? ?\|)+$/.test(separator)) problems.push(`line ${i + 2} is not a table separator: ${separator.slice(0, 200)}`)
      else if (countCells(separator) !== columns) problems.push(`line ${i + 2}: separator has ${countCells(separator)} cells, header ${columns}`)
      i += 1
    } else if (cells !== columns) {
      problems.push(`row ${i + 1} has ${cells} cells instead of ${columns}: ${line.slice(0, 200)}`)
    }
  }
  return problems
}

function countCells(row: string): number {
  // Unescaped pipes only; escapes are `\|` in text and `&#124;` in <code>.
  let count = 0
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '\\') {
      i++
      continue
    }
    if (row[i] === '|') count++
  }
  return count - 1
}

const OUR_TAGS = ['details', 'summary', 'pre', 'code', 'a', 'br']

/**
 * HTML is balanced and only ours: <details>/<summary>/<pre>/<code>/<a> open and close in order,
 * <br> stands alone, and no other tag (one a report smuggled in) appears at all.
 */
export function htmlProblems(markdown: string): string[] {
  const problems: string[] = []
  const stack: string[] = []
  for (const match of markdown.matchAll(/<(\/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>/g)) {
    const [, slash, name = '', rest] = match
    const tag = name.toLowerCase()
    if (!OUR_TAGS.includes(tag)) {
      problems.push(`unexpected tag <${slash}${name}${rest}> at ${match.index}`)
      continue
    }
    if (tag === 'br') continue
    if (slash === '') stack.push(tag)
    else if (stack.pop() !== tag) problems.push(`</${tag}> at ${match.index} closes nothing open`)
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`)
  return problems
}

/** Text outside our own tags, with entities decoded: what a reader sees. */
export function visibleText(markdown: string): string {
  return markdown
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}
