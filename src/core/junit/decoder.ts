// Bytes to text for the XML reader: picks the encoding from the byte-order mark or the XML
// declaration, refuses invalid UTF-8 with a position, and neutralises terminal control codes.
//
// Raw ANSI colour codes inside <system-out> are common in real reports, and XML 1.0 forbids
// those characters, so a strict parser would reject the whole report. We strip ANSI escape
// sequences and replace any other forbidden control character with U+FFFD instead.

import { TextDecoder } from 'node:util'

export class InvalidEncodingError extends Error {
  constructor(
    readonly byteOffset: number,
    readonly validPrefix: string,
    /** The encoding the file was read in: "UTF-8", "UTF-16LE" or "UTF-16BE". */
    readonly encoding = 'UTF-8'
  ) {
    super(`invalid ${encoding} byte sequence at byte ${byteOffset}`)
    this.name = 'InvalidEncodingError'
  }
}

const ANSI_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g
// U+FFFE and U+FFFF are not XML characters either (fuzzed test parameters produce them).
const FORBIDDEN_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g
const HAS_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/
/**
 * What may be cut at the end of a chunk and must wait for the next one, so that a chunked file
 * cleans exactly like a whole one: the start of an escape sequence (ESC; CSI parameters and
 * intermediates; an OSC title or link up to its BEL or ESC \\), or the start of a character
 * reference (`&`, `&#`, `&#x1`) that FORBIDDEN_REFERENCE may have to replace.
 */
const TRAILING_PARTIAL = /(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?|&(?:#(?:[xX][0-9a-fA-F]*|[0-9]*))?)$/
/** Held back only within this many final characters (a longer tail is not one being cut). */
const MAX_PARTIAL = 256

/** Where a trailing partial escape sequence or reference starts, or -1. Looks at the tail only. */
function partialEscapeStart(text: string): number {
  const from = Math.max(0, text.length - MAX_PARTIAL)
  const tail = text.slice(from)
  if (!tail.includes('\x1b') && !tail.includes('&')) return -1
  const match = TRAILING_PARTIAL.exec(tail)
  return match === null ? -1 : from + match.index
}

/** Character references to the same forbidden controls (`&#27;`, `&#x1B;`), which some reporters write. */
const FORBIDDEN_REFERENCE = /&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));/g

export function cleanControlCharacters(text: string): string {
  let out = text
  if (HAS_CONTROL.test(out)) out = out.replace(ANSI_SEQUENCE, '').replace(FORBIDDEN_CONTROL, '\ufffd')
  if (out.includes('&#')) out = out.replace(FORBIDDEN_REFERENCE, '&#xFFFD;')
  return out
}

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252'

/** Sniffs the encoding from the first bytes (BOM, UTF-16 without BOM, or the XML declaration). */
export function sniffEncoding(head: Uint8Array): Encoding {
  const [a, b, c, d] = head
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'utf-8'
  if (a === 0xff && b === 0xfe) return 'utf-16le'
  if (a === 0xfe && b === 0xff) return 'utf-16be'
  if (a === 0x3c && b === 0x00 && c === 0x3f && d === 0x00) return 'utf-16le'
  if (a === 0x00 && b === 0x3c && c === 0x00 && d === 0x3f) return 'utf-16be'
  const declaration = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(latin1(head.subarray(0, 200)))
  const declared = declaration?.[1]?.toLowerCase()
  if (declared !== undefined && /^(iso-8859-1|latin-?1|windows-1252|cp1252|us-ascii|ascii)$/.test(declared)) {
    return 'windows-1252'
  }
  return 'utf-8'
}

function latin1(bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}

/** Bytes looked at to pick the encoding (the XML declaration's usual length, with room to spare). */
const SNIFF_BYTES = 200

/** Streaming decoder: push() byte chunks, get clean text back; end() flushes. */
export class ReportDecoder {
  private decoder: TextDecoder | undefined
  private held = ''
  private bytesSeen = 0
  /** First bytes held until the encoding can be told (a BOM or the XML declaration may be cut). */
  private head: Uint8Array | undefined
  private encoding: Encoding = 'utf-8'
  /** The last bytes of the previous chunk: a UTF-8 sequence cut there is held by the TextDecoder. */
  private tail: Uint8Array = new Uint8Array(0)

  push(chunk: Uint8Array): string {
    let bytes = chunk
    if (this.decoder === undefined) {
      bytes = this.head === undefined ? chunk : Buffer.concat([this.head, chunk])
      // Enough to see a BOM, UTF-16's "<?" and a whole declaration: 200 bytes or its closing ">".
      if (bytes.length < SNIFF_BYTES && !bytes.includes(0x3e)) {
        this.head = bytes
        return ''
      }
      this.head = undefined
      this.start(bytes)
    }
    let text: string
    try {
      text = (this.decoder as TextDecoder).decode(bytes, { stream: true })
    } catch {
      throw this.locateInvalid(bytes)
    }
    this.bytesSeen += bytes.length
    // The last 3 bytes read, across chunks (a 1-byte chunk must not lose the lead byte before it).
    this.tail = bytes.length >= 3 ? bytes.slice(bytes.length - 3) : Buffer.concat([this.tail, bytes]).subarray(-3)
    return this.clean(text, false)
  }

  private start(head: Uint8Array): void {
    this.encoding = sniffEncoding(head)
    this.decoder = new TextDecoder(this.encoding, { fatal: true })
  }

  end(): string {
    if (this.decoder === undefined) {
      if (this.head === undefined) return ''
      // A file shorter than the sniffing window: decide with what there is.
      const head = this.head
      this.head = undefined
      this.start(head)
      return this.push(head) + this.end()
    }
    let text: string
    try {
      text = this.decoder.decode()
    } catch {
      // A sequence cut by the end of the file: name the byte where it starts.
      const cut = this.encoding === 'utf-8' ? incompleteTail(this.tail).length : 0
      throw new InvalidEncodingError(this.bytesSeen - cut, this.clean('', true), this.label())
    }
    return this.clean(text, true)
  }

  private clean(text: string, final: boolean): string {
    let joined = this.held + text
    this.held = ''
    if (!final) {
      const partial = partialEscapeStart(joined)
      if (partial >= 0) {
        this.held = joined.slice(partial)
        joined = joined.slice(0, partial)
      }
    }
    return cleanControlCharacters(joined)
  }

  private label(): string {
    return this.encoding === 'utf-8' ? 'UTF-8' : this.encoding.toUpperCase()
  }

  /**
   * Finds the first invalid byte so the error can name a line and column. A UTF-8 sequence may
   * have begun in the previous chunk (the TextDecoder held its first bytes): look from there.
   * For UTF-16 (an unpaired surrogate) the chunk's start is as near as we tell.
   */
  private locateInvalid(bytes: Uint8Array): InvalidEncodingError {
    if (this.encoding !== 'utf-8') return new InvalidEncodingError(this.bytesSeen, this.clean('', true), this.label())
    const pending = incompleteTail(this.tail)
    const combined = pending.length === 0 ? bytes : Buffer.concat([pending, bytes])
    const offset = firstInvalidUtf8(combined)
    let prefix = ''
    try {
      prefix = new TextDecoder('utf-8').decode(combined.subarray(0, offset))
    } catch {
      prefix = ''
    }
    return new InvalidEncodingError(this.bytesSeen - pending.length + offset, this.clean(prefix, true))
  }
}

/** The trailing bytes of `tail` that start a UTF-8 sequence not yet complete (what a streaming decoder holds). */
function incompleteTail(tail: Uint8Array): Uint8Array {
  for (let k = tail.length - 1; k >= 0; k--) {
    const byte = tail[k] as number
    if ((byte & 0xc0) === 0x80) continue
    if (byte < 0xc0) return tail.subarray(tail.length)
    const need = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1
    return tail.length - 1 - k < need ? tail.subarray(k) : tail.subarray(tail.length)
  }
  return tail.subarray(tail.length)
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (or bytes.length). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const byte = bytes[i] as number
    let need: number
    if (byte < 0x80) need = 0
    else if (byte >= 0xc2 && byte <= 0xdf) need = 1
    else if (byte >= 0xe0 && byte <= 0xef) need = 2
    else if (byte >= 0xf0 && byte <= 0xf4) need = 3
    else return i
    if (need > 0 && i + need >= bytes.length) return i
    // The second byte's range is narrower after E0 (overlong), ED (UTF-16 surrogates), F0 (overlong) and F4 (past U+10FFFF).
    const second = bytes[i + 1] as number
    if (need > 0 && (second < (byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80) || second > (byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf))) return i
    for (let k = 2; k <= need; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i
    }
    i += need + 1
  }
  return i
}
