// Names and messages come from reports, which pull requests control: they are untrusted text.
// These helpers make them inert in GitHub Markdown: no table breaking, no markup or HTML,
// no @mentions or #references that notify people or link issues.

const ZERO_WIDTH_SPACE = '\u200b'

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text inside HTML (for <pre> and <summary>): entities plus mention and reference breaking. */
export function escapeHtml(text: string): string {
  // A message line starting with "::" would be a workflow command once the Markdown is printed to a log.
  const escaped = text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string).replace(LINE_START_COMMAND, '$1&#58;')
  return defuseMentions(markupEntities(escaped))
}

/**
 * GitHub runners treat a log line as a workflow command when it starts with "::" after leading
 * whitespace (::error::, ::set-output::, ::stop-commands::) and wherever "##[" appears (the old
 * syntax). Report text printed to a CI log must not do either. A line break is what the runner
 * splits on (\r, \n); JavaScript's multiline ^ also matches after \u2028 and \u2029.
 */
const LINE_START_COMMAND = /^([\s\u0085]*):(?=:)/gm
const OLD_COMMAND = /##\[/g

/** Breaks workflow commands in plain text with a zero-width space (for the terminal renderer). */
export function defuseWorkflowCommands(text: string): string {
  // Tested first: on a 100 MB report a needless replace would copy it.
  let out = text
  if (out.includes('::')) out = out.replace(LINE_START_COMMAND, `$1:${ZERO_WIDTH_SPACE}`)
  if (out.includes('##[')) out = out.replace(OLD_COMMAND, `#${ZERO_WIDTH_SPACE}#[`)
  return out
}

/**
 * GitHub still parses Markdown inside inline HTML such as <code> and <summary>: markup characters
 * become numeric entities. An underscore inside a word (test_insert_row) starts no emphasis and stays.
 */
function markupEntities(text: string): string {
  return text.replace(/[|`\\*[\]~$]|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** Line breaks shown as ⏎: a table cell, a link label or a <summary> must stay on one line. */
export function singleLine(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ⏎ ')
}

/** Inline Markdown text (also safe in a table cell): one line, every markup character escaped. */
export function escapeInline(text: string): string {
  const oneLine = singleLine(text)
  const escaped = oneLine
    .replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string)
    // `$` starts math in GitHub Markdown; the rest are emphasis, code, links, tables, strikethrough.
    .replace(/[\\`*_[\]|~$]/g, (char) => `\\${char}`)
  return defuseMentions(escaped)
}

/** Shows text as code in a table cell. Backticks cannot be escaped inside code spans, so use <code>. */
export function inlineCode(text: string): string {
  const oneLine = singleLine(text)
  const escaped = markupEntities(oneLine.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] as string))
  return `<code>${defuseMentions(escaped)}</code>`
}

/**
 * @user and @org/team notify people; #123 and GH-123 link issues. A zero-width space stops both.
 * Our own numeric entities (&#39;) are left whole: a raw "&" in the text is already &amp;.
 */
function defuseMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, `@${ZERO_WIDTH_SPACE}`).replace(/((?<!&)#|\\#|GH-)(?=\d)/gi, `$1${ZERO_WIDTH_SPACE}`)
}

/** UTF-8 length, the unit of GitHub's limits. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** Cuts text to at most `maxBytes` UTF-8 bytes without splitting a character (or a surrogate pair). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text
  let bytes = 0
  let end = 0
  for (const char of text) {
    const size = utf8Length(char)
    if (bytes + size > maxBytes) break
    bytes += size
    end += char.length
  }
  return text.slice(0, end)
}

/** Shortens untrusted text before escaping, so one huge name cannot take a whole budget. */
export function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${sliceWhole(text, maxChars)}…`
}

/** text.slice(0, end), one unit shorter when `end` would fall inside a surrogate pair (an emoji). */
export function sliceWhole(text: string, end: number): string {
  const last = text.charCodeAt(end - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end)
}
