import { ValueBytes, type Field } from '../field.js';
import { latin1 } from '../line.js';

/**
 * The lexical layer of RFC 5322 §3.2 that the full value grammars share (address,
 * message-id, date, MIME): CFWS, quoted strings, atoms, on a value's bytes `b[i..n)` as
 * `Field.valueBytes` gives them, folds included (a fold's LF or CRLF is white space). Every
 * read is bounded by `n`, not by the buffer, which goes on past the value.
 */

export const [backslash, dquote, lparen, rparen, langle, rangle, comma, semicolon, colon, at, dot] = [
  0x5c, 0x22, 0x28, 0x29, 0x3c, 0x3e, 0x2c, 0x3b, 0x3a, 0x40, 0x2e,
] as const;

export const isSpTab = (c: number): boolean => c === 0x20 || c === 0x09;

/** RFC 5322 §3.2.3 atext, by byte (256 entries: no range check). */
const atextChars = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-") atextChars[c.charCodeAt(0)] = 1;
export const isAtext = (c: number): boolean => atextChars[c] === 1;

/** What the checks of one value read (`Field.valueBytes`); each check is done with it before the next fills it. */
export const scratch = new ValueBytes();

/** `value` as the bytes a field would hand the checks, for the checks called with a string. */
export function bytesOf(value: string): ValueBytes {
  const out = new ValueBytes();
  out.buf = Buffer.from(value, 'latin1');
  out.end = out.buf.length;
  return out;
}

/** `value.trim() === ''` without making the trimmed copy (`\s` is the set trim removes). */
export const isBlank = (value: string): boolean => blank.test(value);
const blank = /^\s*$/;

/** The bytes `\s` matches in latin1: HTAB, LF, VT, FF, CR, SP and NBSP. */
const isLatin1Space = (c: number): boolean => (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0;

/** `isBlank` of a field's value, read from its bytes (folds are white space too). */
export function isBlankValue(f: Field): boolean {
  const { buf, start, end } = f.valueBytes(scratch);
  for (let i = start; i < end; i++) if (!isLatin1Space(buf[i]!)) return false;
  return true;
}

/**
 * `b[from..to)` as the unfolded value reads it (line endings removed, as `Field.value` does),
 * trimmed: the text a finding quotes, the same whether the value was folded or not.
 */
export function textOf(b: Uint8Array, from: number, to: number): string {
  const text = latin1(b, from, to);
  return (text.includes('\n') ? text.replace(/\r?\n/g, '') : text).trim();
}

/**
 * Index past CFWS from `i` on (RFC 5322 §3.2.2): white space, folds and comments, which
 * nest and hold quoted-pairs; -1 when a comment is not closed. A CR that ends no line is
 * white space here: the header-bytes rules report it, and a reader that splits the line
 * there sees white space too.
 */
export function skipCfws(b: Uint8Array, i: number, n: number): number {
  for (;;) {
    while (i < n && (isSpTab(b[i]!) || b[i] === 0x0a || b[i] === 0x0d)) i++;
    if (i === n || b[i] !== lparen) return i;
    let depth = 1;
    for (i++; i < n && depth > 0; i++) {
      const c = b[i];
      if (c === backslash) i++;
      else if (c === lparen) depth++;
      else if (c === rparen) depth--;
    }
    if (depth > 0) return -1;
  }
}

/**
 * Index past the quoted string whose opening DQUOTE is at `i` (RFC 5322 §3.2.4, with the
 * obsolete qtext and quoted-pairs of §4.1: any byte may be escaped), or -1 when it is not
 * closed. 8-bit bytes are taken (RFC 6532 §3.2; raw-8bit reports them).
 */
export function quotedStringEnd(b: Uint8Array, i: number, n: number): number {
  for (i++; i < n; i++) {
    const c = b[i];
    if (c === dquote) return i + 1;
    if (c === backslash) i++;
  }
  return -1;
}

/**
 * Index past the comment whose "(" is at `i`, or -1 when it is not closed: for callers that
 * must tell a comment from the white space around it.
 */
export function commentEnd(b: Uint8Array, i: number, n: number): number {
  let depth = 0;
  for (; i < n; i++) {
    const c = b[i];
    if (c === backslash) i++;
    else if (c === lparen) depth++;
    else if (c === rparen && --depth === 0) return i + 1;
  }
  return -1;
}

/** Comments replaced by a space, for the checks that read a decoded value with regexes. */
export function stripComments(value: string): string {
  if (!value.includes('(')) return value;
  // Whole runs between comments are copied, not one character at a time.
  let out = '';
  let depth = 0;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === backslash && depth > 0) {
      i++;
    } else if (c === lparen) {
      if (depth === 0) out += `${value.slice(from, i)} `;
      depth++;
    } else if (c === rparen && depth > 0) {
      depth--;
      if (depth === 0) from = i + 1;
    }
  }
  return depth === 0 ? out + value.slice(from) : out;
}

/**
 * Length of the well-formed UTF-8 sequence of a non-ASCII character at `i`, or 0: RFC 6532
 * §3.2 lets such characters stand where atext does (raw-8bit reports them); other 8-bit
 * bytes are no character of any address.
 */
export function utf8At(b: Uint8Array, i: number, n: number): number {
  const c = b[i]!;
  const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > n) return 0;
  for (let k = 1; k < len; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return len;
}

/** Index past the run of atext (and UTF-8 characters, RFC 6532) from `i` on; `i` when there is none. */
export function atextEnd(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (isAtext(c)) i++;
    else if (c < 0x80) return i;
    else {
      const len = utf8At(b, i, n);
      if (len === 0) return i;
      i += len;
    }
  }
  return i;
}

