// Finds what redaction would mask in a whole report file, as its text streams past the parser:
// the gate redacts everything it prints, but the raw JUnit file a job uploads as an artifact
// still holds the DATABASE_URL password. The verdict names that, without printing it.
//
// Fast on clean reports: one native regular-expression scan for trigger words ("://",
// "password", token prefixes, the configured values) per piece; only the text around a hit is
// decoded and redacted. Linear: each hit's window is at most 2 x WINDOW characters, and the
// scan resumes after it.
import type { Redactor } from './redact.js'

const WINDOW = 2048
/** Characters of the previous piece kept, so a trigger or window cut by a piece boundary is whole. */
const CARRY = 4096
const TESTCASE_TAG = '<testcase'
const SHAPE_TRIGGERS = String.raw`:\/\/|pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|bearer|basic |-----BEGIN |gh[pousr]_|github_pat_|AKIA|xox[abpr]-`

export interface NamedSecret {
  /** The environment variable, as the verdict names it. */
  name: string
  /** Every form of its value the redactor masks (see expandSecrets). */
  forms: readonly string[]
}

export interface SpottedSecrets {
  /** Places (windows of text) where redaction changed something. */
  values: number
  /** Distinct <testcase> elements holding one (0: only outside testcases, such as suite properties). */
  testcases: number
  /** Configured variables whose value was seen; a credential recognised by its shape only adds none. */
  names: string[]
  /** A URL password, a password= value or a token recognised by its shape, not by a configured value. */
  byShape: boolean
}

export class SecretSpotter {
  private carry = ''
  /** Absolute offset of the start of `carry`, and the end of the last window looked at. */
  private carryStart = 0
  private scannedTo = 0
  private resumeAt = 0
  private testcaseOrdinal = 0
  private lastCountedTestcase = -1
  private readonly trigger: RegExp
  private readonly result: SpottedSecrets = { values: 0, testcases: 0, names: [], byShape: false }
  private readonly names = new Set<string>()

  constructor(
    private readonly redact: Redactor,
    private readonly secrets: readonly NamedSecret[],
    publicWords: readonly string[] = []
  ) {
    const isPublic = new Set(publicWords.map((w) => w.toLowerCase()))
    const literals = secrets
      .flatMap((s) => s.forms)
      .filter((form) => form.length >= 4 && !isPublic.has(form.toLowerCase()))
      // The first characters suffice to trigger; XML may escape the rest differently.
      .map((form) => escapeRegExp(leadingPlain(form)))
      .filter((lead) => lead.length >= 4)
    this.trigger = new RegExp([SHAPE_TRIGGERS, ...new Set(literals)].join('|'), 'gi')
  }

  push(text: string): void {
    const buffer = this.carry + text
    const base = this.carryStart
    const trigger = this.trigger
    trigger.lastIndex = Math.max(0, this.resumeAt - base, this.scannedTo - base)
    // Triggers are short: one that starts in the last 64 characters is looked for again with the next piece.
    let resumeAt = base + Math.max(0, buffer.length - 64)
    for (let match = trigger.exec(buffer); match !== null; match = trigger.exec(buffer)) {
      const at = match.index
      // A hit too near the end may need text that has not arrived: leave it to the next piece.
      if (buffer.length - at < WINDOW && text.length > 0) {
        resumeAt = Math.min(resumeAt, base + at)
        break
      }
      const end = this.look(buffer, base, at)
      trigger.lastIndex = end
      this.scannedTo = base + end
    }
    this.resumeAt = Math.max(resumeAt, this.scannedTo)
    // A tag cut by the end of the piece is counted with the next one.
    // Not past a hit left for the next piece: its testcase is the one open before it.
    this.advanceTo(buffer, base, Math.min(this.resumeAt, base + buffer.length - (text.length > 0 ? TESTCASE_TAG.length - 1 : 0)))
    const keep = Math.min(buffer.length, CARRY)
    this.carry = buffer.slice(buffer.length - keep)
    this.carryStart = base + buffer.length - keep
  }

  end(): SpottedSecrets {
    this.push('')
    this.result.names = [...this.names].sort()
    return this.result
  }

  /** Redacts the text around a hit; returns where the window ended (buffer index). */
  private look(buffer: string, base: number, at: number): number {
    let start = at
    const floor = Math.max(0, at - WINDOW)
    while (start > floor && !isBoundary(buffer.charCodeAt(start - 1))) start--
    let end = at
    const ceiling = Math.min(buffer.length, at + WINDOW)
    while (end < ceiling && !isBoundary(buffer.charCodeAt(end))) end++
    const window = decodeEntities(buffer.slice(start, end))
    if (this.redact(window) === window) return Math.max(end, at + 1)
    this.result.values += 1
    let named = false
    for (const secret of this.secrets) {
      if (secret.forms.some((form) => form.length >= 4 && window.includes(form))) {
        this.names.add(secret.name)
        named = true
      }
    }
    if (!named) this.result.byShape = true
    this.advanceTo(buffer, base, base + at)
    const ordinal = this.testcaseOrdinal
    if (ordinal > 0 && ordinal !== this.lastCountedTestcase) {
      this.lastCountedTestcase = ordinal
      this.result.testcases += 1
    }
    return Math.max(end, at + 1)
  }

  /** Counts the <testcase tags that start before absolute offset `target` (once each, in order). */
  private advanceTo(buffer: string, base: number, target: number): void {
    if (target <= this.countedTo) return
    const from = Math.max(0, this.countedTo - base)
    for (let i = buffer.indexOf(TESTCASE_TAG, from); i >= 0 && base + i < target; i = buffer.indexOf(TESTCASE_TAG, i + 1)) this.testcaseOrdinal += 1
    this.countedTo = target
  }

  private countedTo = 0
}

/** Where a window stops: a line break or markup around the text. */
function isBoundary(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x3c || code === 0x3e
}

/** The start of a value before its first character XML would escape. */
function leadingPlain(form: string): string {
  const cut = form.search(/[&<>"']/)
  return (cut < 0 ? form : form.slice(0, cut)).slice(0, 24)
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(lt|gt|amp|quot|apos));/gi, (match, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? match
    const code = dec !== undefined ? Number(dec) : parseInt(hex as string, 16)
    return code <= 0x10ffff ? String.fromCodePoint(code) : match
  })
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
