import { ValueBytes, type Field, type RuleSink } from '../field.js';
import { fullAddressCheck, type AddressCheck } from './address.js';
import * as date from './date.js';
import type { DateCheck } from './date.js';
import { checkEncodedWords } from './encoded-word.js';
import { Role } from './field-roles.js';
import { fullMessageIdCheck, validId, type MessageIdCheck } from './message-id.js';
import { fullMimeCheck, transferEncodings } from './mime.js';
import * as lexer from './value-lexer.js';

/**
 * The value rules over a header. Each value grammar has its file: date.ts (RFC 5322 §3.3),
 * address.ts and addr-spec.ts (§3.4), message-id.ts (§3.6.4), mime.ts (RFC 2045),
 * encoded-word.ts (RFC 2047), on the lexer they share (value-lexer.ts). This module holds
 * what runs for every value: the fast paths, each of which recognises the plain spelling
 * that nearly every writer sends (a date as `Www, D Mmm YYYY HH:MM:SS +ZZZZ`, `Name <a@b>`
 * lists, `<a@b>` Message-IDs, the common MIME values) and accepts only what its full
 * grammar accepts, leaving anything else, right or wrong, to that grammar; and the
 * dispatch of each field to them.
 *
 * The fast paths read a value's bytes, `b[i..n)`, in place (`Field.valueBytes`): no decoded
 * string, and typed-array reads compile to far less code than `charCodeAt`, whose every call
 * V8 expands for each kind of string. The bytes may hold folds, LF or CRLF before the white
 * space that starts a continuation line: where white space may stand a fold is skipped with
 * it, anywhere else it makes a fast path give up. Every read is bounded by `n`, not by the
 * buffer, which goes on past the value.
 *
 * They are in one module with the dispatch and the byte helpers they share, none of which
 * is exported, and what they take from other modules is bound to local constants: V8 (Node
 * 20) reads a binding that a module imports or exports through a cell at each use, and
 * the address fast path took 15–20% longer when its helpers were imported or exported.
 * The full grammars run for the few values left, and cost mostly the optimizing compiler's
 * time in each worker: they are kept small (regexes read their runs of characters).
 */

export type { AddressCheck } from './address.js';
export type { DateCheck, ValueProblem } from './date.js';
export type { MessageIdCheck } from './message-id.js';
export { checkEncodedWords } from './encoded-word.js';
export { fullAddressCheck } from './address.js';
export { fullDateCheck } from './date.js';
export { fullMessageIdCheck } from './message-id.js';
export { fullMimeCheck } from './mime.js';

// Local bindings of what the fast paths use from other modules (see above).
const { backslash, dquote, lparen, rparen, langle, rangle, comma, semicolon, colon, at, dot, isSpTab, isAtext, bytesOf } = lexer;
const { daysInMonth, weekdayOf, maxZoneMinutes, months, weekdays, fullDateCheck } = date;

/** Length of the fold (LF, or CR LF) at `i`, or 0. */
const foldAt = (b: Uint8Array, i: number, n: number): number => (b[i] === 0x0a ? 1 : b[i] === 0x0d && i + 1 < n && b[i + 1] === 0x0a ? 2 : 0);

/** Index past SP, HTAB and folds from `i` on. */
function skipWsp(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    if (isSpTab(b[i]!)) {
      i++;
      continue;
    }
    const fold = foldAt(b, i, n);
    if (fold === 0) return i;
    i += fold;
  }
  return i;
}

/**
 * Index past the white space and simple comments (no nesting, escapes, or `:;` that the
 * group syntax would see) from `i` on, or -1 at a comment that is not simple. The full
 * grammars skip such comments as CFWS (`skipCfws`).
 */
function skipPlainCfws(b: Uint8Array, i: number, n: number): number {
  for (i = skipWsp(b, i, n); i < n && b[i] === lparen; i = skipWsp(b, i + 1, n)) {
    for (i++; i < n && b[i] !== rparen; i++) {
      const d = b[i];
      if (d === lparen || d === backslash || d === colon || d === semicolon) return -1;
    }
    if (i === n) return -1;
  }
  return i;
}

/** End of the ASCII dot-atom-text starting at `i` (RFC 5322 §3.2.3), or -1. */
function dotAtomEnd(s: Uint8Array, i: number, n: number): number {
  for (;;) {
    const from = i;
    while (i < n && isAtext(s[i]!)) i++;
    if (i === from) return -1;
    if (i === n || s[i] !== dot) return i;
    i++;
  }
}

/** Lower-case ASCII words that the fast paths look for, as bytes. */
const word = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/**
 * True when `s` holds `word` (case-insensitively: its letters are lower case, its other
 * characters digits or "-") ending just before `end`, which the caller has bounded.
 */
function endsWithWordAt(s: Uint8Array, end: number, word: Uint8Array): boolean {
  const start = end - word.length;
  if (start < 0) return false;
  for (let i = 0; i < word.length; i++) if ((s[start + i]! | 0x20) !== word[i]) return false;
  return true;
}

/* Dates (RFC 5322 §3.3; the full grammar is in date.ts). */

/** The number written with two digits at `i`, or -1 (`i + 1` is below the value's end). */
function twoDigits(b: Uint8Array, i: number): number {
  const x = b[i]! - 0x30;
  const y = b[i + 1]! - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

const isLetter = (c: number): boolean => c >= 0x61 && c <= 0x7a;

/** Three ASCII letters at `i`, lower-cased, as one number (-1 if they are not letters; `i + 2` is below the value's end). */
function letters3(b: Uint8Array, i: number): number {
  const x = b[i]! | 0x20;
  const y = b[i + 1]! | 0x20;
  const z = b[i + 2]! | 0x20;
  return isLetter(x) && isLetter(y) && isLetter(z) ? (x << 16) | (y << 8) | z : -1;
}
const keyOf = (name: string): number => letters3(word(name), 0);
const monthKeys = months.map(keyOf);
const weekdayKeys = weekdays.map(keyOf);

/**
 * True when the value is `Www, D Mmm YYYY HH:MM:SS +ZZZZ`, maybe with a comment such as
 * `(EDT)` after it (what nearly every writer sends), and correct in every way the full
 * check (date.ts) looks at, found without a regex or a copy.
 */
function isPlainValidDate(v: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(v, i, n);
  // "Www, D" and the 24 characters of " Mmm YYYY HH:MM:SS +ZZZZ".
  if (n - i < 30) return false;
  const weekday = weekdayKeys.indexOf(letters3(v, i));
  if (weekday < 0 || v[i + 3] !== comma || v[i + 4] !== 0x20) return false;
  let day = v[i + 5]! - 0x30;
  if (!(day >= 0 && day <= 9)) return false;
  i += 6;
  const second = v[i]! - 0x30;
  if (second >= 0 && second <= 9) {
    day = day * 10 + second;
    if (n - ++i < 24) return false;
  }
  if (v[i] !== 0x20 || v[i + 4] !== 0x20 || v[i + 9] !== 0x20) return false;
  const month = monthKeys.indexOf(letters3(v, i + 1));
  // Four digits from 1900 on (RFC 5322 §3.3): earlier years are the full check's to report.
  const century = twoDigits(v, i + 5);
  const year = century * 100 + twoDigits(v, i + 7);
  const hours = twoDigits(v, i + 10);
  const minutes = twoDigits(v, i + 13);
  const seconds = twoDigits(v, i + 16);
  const sign = v[i + 19];
  const zoneHours = twoDigits(v, i + 20);
  const zoneMinutes = twoDigits(v, i + 22);
  const fields = month >= 0 && century >= 19 && year >= century * 100 && hours >= 0 && minutes >= 0 && seconds >= 0 && zoneHours >= 0 && zoneMinutes >= 0;
  const separators = v[i + 12] === 0x3a && v[i + 15] === 0x3a && v[i + 18] === 0x20 && (sign === 0x2b || sign === 0x2d);
  if (!fields || !separators || skipPlainCfws(v, i + 24, n) !== n) return false;
  if (day < 1 || day > daysInMonth(year, month) || hours > 23 || minutes > 59 || seconds > 60) return false;
  if (zoneMinutes > 59 || zoneHours * 60 + zoneMinutes > maxZoneMinutes) return false;
  return weekdayOf(year, month, day) === weekday;
}

/* Address lists (RFC 5322 §3.4; the full grammar is in address.ts). */

/**
 * What `plainMailboxCount` takes inside a quoted display name besides quoted-pairs: HTAB,
 * printable ASCII but for `"\:;`, and 8-bit bytes (raw-8bit reports them). No ":" or ";"
 * keeps a plain value free of ": " (`Field.noColonSpace`).
 */
const isPlainQtext = (c: number): boolean => c === 0x09 || (c >= 0x20 && c !== 0x7f && c !== dquote && c !== backslash && c !== colon && c !== semicolon);
/** Outside quotes a display name leaves out the other specials too, `()<>@,[]` (RFC 5322 §3.2.3). */
const isPlainPhraseChar = (c: number): boolean => isPlainQtext(c) && c !== lparen && c !== rparen && c !== langle && c !== rangle && c !== at && c !== comma && c !== 0x5b && c !== 0x5d;

/** End of `dot-atom "@" dot-atom` starting at `i`, or -1. */
function plainAddrSpecEnd(s: Uint8Array, i: number, n: number): number {
  const end = dotAtomEnd(s, i, n);
  return end >= 0 && end < n && s[end] === at ? dotAtomEnd(s, end + 1, n) : -1;
}

/** End of a display name and the address in angle brackets starting at `i`, or -1. */
function plainNameAddrEnd(s: Uint8Array, i: number, n: number): number {
  // A phrase starts with a word (RFC 5322 §3.2.5, §4.1 obs-phrase): not with ".".
  if (i < n && s[i] === dot) return -1;
  for (; i < n; i++) {
    let c = s[i]!;
    if (c === langle) {
      const end = plainAddrSpecEnd(s, i + 1, n);
      return end >= 0 && end < n && s[end] === rangle ? end + 1 : -1;
    }
    if (c === dquote) {
      for (c = ++i < n ? s[i]! : -1; isPlainQtext(c) || c === backslash; c = ++i < n ? s[i]! : -1) {
        // A quoted-pair (RFC 5322 §3.2.1): "\" and the character it quotes, which is not a line end or ":;".
        if (c === backslash && (++i === n || !(isPlainQtext(s[i]!) || s[i] === backslash || s[i] === dquote))) return -1;
      }
      if (c !== dquote) return -1;
    } else if (!isPlainPhraseChar(c)) {
      return -1;
    }
  }
  return -1;
}

/**
 * The number of mailboxes when the value is a list of plain, valid ones, `local@domain` or
 * `Display Name <local@domain>`, maybe with a comment after each (nearly every address
 * field), found without regexes or copies; -1 for anything else (groups, comments that
 * are not simple, 8-bit addresses, empty entries, errors…), which the full grammar decides.
 */
function plainMailboxCount(s: Uint8Array, i: number, n: number): number {
  let count = 0;
  for (;;) {
    i = skipWsp(s, i, n);
    let end = plainAddrSpecEnd(s, i, n);
    if (end < 0) end = plainNameAddrEnd(s, i, n);
    if (end < 0) return -1;
    count++;
    i = skipPlainCfws(s, end, n);
    if (i === n) return count;
    if (i < 0 || s[i] !== comma) return -1;
    i++;
  }
}

const syntaxWord = word('syntax');
const unknownWord = word('unknown');

/**
 * False when `placeholders` cannot match: it needs "[" or "_" (the
 * bracketed and the upper-case placeholders), "<>", "syntax-" or "unknown@". One pass
 * without a regex: the regex, run on every address field, cost more than the address check
 * itself.
 */
function mayHoldPlaceholder(s: Uint8Array, from: number, n: number): boolean {
  for (let i = from; i < n; i++) {
    const c = s[i];
    if (c === 0x5b || c === 0x5f) return true;
    if (c === rangle && i > from && s[i - 1] === langle) return true;
    if (c === 0x2d && i - from >= 6 && endsWithWordAt(s, i, syntaxWord)) return true;
    if (c === at && i - from >= 7 && endsWithWordAt(s, i, unknownWord)) return true;
  }
  return false;
}

/* Message-ID (RFC 5322 §3.6.4; the full grammar is in message-id.ts). */

/**
 * True for `<dot-atom-text@dot-atom-text>`, maybe with white space and a simple comment
 * around it: what nearly every writer sends.
 */
function isPlainMessageId(v: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(v, i, n);
  if (i === n || v[i] !== langle) return false;
  const left = dotAtomEnd(v, i + 1, n);
  if (left < 0 || left === n || v[left] !== at) return false;
  const right = dotAtomEnd(v, left + 1, n);
  return right >= 0 && right < n && v[right] === rangle && skipPlainCfws(v, right + 1, n) === n;
}

/* MIME (RFC 2045; the full grammars are in mime.ts). */

/** RFC 2045 token characters, by byte (256 entries: no range check). */
const tokenChars = new Uint8Array(256);
for (const c of "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") tokenChars[c.charCodeAt(0)] = 1;

/** Inside a quoted parameter value: HTAB and printable ASCII but for `"\()` (escapes and what comment removal would cut). */
const isPlainParamQtext = (c: number): boolean => c === 0x09 || (c >= 0x20 && c < 0x7f && c !== dquote && c !== backslash && c !== lparen && c !== rparen);

const multipartWord = word('multipart');
const boundaryWord = word('boundary');
const encodingWords = transferEncodings.map(word);

/** Index past the RFC 2045 token from `i` on (`i` when there is none). */
function tokenEnd(s: Uint8Array, i: number, n: number): number {
  while (i < n && tokenChars[s[i]!] === 1) i++;
  return i;
}

/**
 * True when a Content-Type value is `type/subtype` with plain parameters (tokens or
 * quoted strings without escapes or parentheses), and a multipart type has a boundary
 * parameter.
 */
function isPlainContentType(s: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(s, i, n);
  const typeEnd = tokenEnd(s, i, n);
  if (typeEnd === i || typeEnd === n || s[typeEnd] !== 0x2f) return false;
  let needsBoundary = typeEnd - i === 9 && endsWithWordAt(s, typeEnd, multipartWord);
  i = tokenEnd(s, typeEnd + 1, n);
  if (i === typeEnd + 1) return false;
  for (i = skipWsp(s, i, n); i < n; i = skipWsp(s, i, n)) {
    if (s[i] !== semicolon) return false;
    i = skipWsp(s, i + 1, n);
    if (i === n || s[i] === semicolon) continue;
    const nameEnd = tokenEnd(s, i, n);
    if (nameEnd === i) return false;
    if (needsBoundary && nameEnd - i === 8 && endsWithWordAt(s, nameEnd, boundaryWord)) needsBoundary = false;
    i = skipWsp(s, nameEnd, n);
    if (i === n || s[i] !== 0x3d) return false;
    i = skipWsp(s, i + 1, n);
    if (i < n && s[i] === dquote) {
      for (i++; i < n && isPlainParamQtext(s[i]!); i++);
      if (i === n || s[i] !== dquote) return false;
      i++;
    } else {
      const valueEnd = tokenEnd(s, i, n);
      if (valueEnd === i) return false;
      i = valueEnd;
    }
  }
  return !needsBoundary;
}

/** True when the value is "1.0", maybe with white space and simple comments around it. */
function isPlainMimeVersion(s: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(s, i, n);
  return n - i >= 3 && s[i] === 0x31 && s[i + 1] === 0x2e && s[i + 2] === 0x30 && skipPlainCfws(s, i + 3, n) === n;
}

/** True when the value is one of the five encodings, maybe with white space and simple comments around it. */
function isPlainTransferEncoding(s: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(s, i, n);
  const end = tokenEnd(s, i, n);
  return end > i && skipPlainCfws(s, end, n) === n && encodingWords.some((word) => word.length === end - i && endsWithWordAt(s, end, word));
}

/** True when the value of the MIME field `nameLower` is a plain, valid one (the common spellings: nearly every message has these fields). */
function isPlainMime(nameLower: string, s: Uint8Array, i: number, n: number): boolean {
  if (nameLower === 'content-type') return isPlainContentType(s, i, n);
  if (nameLower === 'mime-version') return isPlainMimeVersion(s, i, n);
  return nameLower === 'content-transfer-encoding' && isPlainTransferEncoding(s, i, n);
}

/* What every value check reads, and the checks of single values. */

/** What the checks of one value read (`Field.valueBytes`); each check is done with it before the next fills it. */
const scratch = new ValueBytes();

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

/** What `checkDate` says of a correct date: shared, so not to be changed. */
const validDate: DateCheck = Object.freeze({ problems: Object.freeze([]), trailing: '' });

export function checkDate(value: string): DateCheck {
  const { buf, start, end } = bytesOf(value);
  return isPlainValidDate(buf, start, end) ? validDate : fullDateCheck(value);
}

/** What the fast path's count of plain mailboxes means. */
const plainList = (mailboxes: number): AddressCheck => ({ mailboxes, problem: undefined, obsolete: undefined, groups: 0 });

/** Number of mailboxes, the first problem and the obsolete forms of an address field's value (`nameLower` tells Bcc). */
export function checkAddressList(value: string, nameLower = 'to'): AddressCheck {
  const { buf, start, end } = bytesOf(value);
  const plain = plainMailboxCount(buf, start, end);
  return plain > 0 ? plainList(plain) : fullAddressCheck(value, nameLower);
}

/** `checkAddressList` of a field's value, worked out once for all the rules that ask. */
export function addressListOf(f: Field): AddressCheck {
  // Only this function fills `Field.addresses`, always with an AddressCheck.
  if (f.addresses) return f.addresses as AddressCheck;
  const { buf, start, end } = f.valueBytes(scratch);
  const plain = plainMailboxCount(buf, start, end);
  const check = plain > 0 ? plainList(plain) : fullAddressCheck(f.value, f.lower);
  f.noColonSpace = plain > 0;
  f.addresses = check;
  return check;
}

export function checkMessageId(value: string): MessageIdCheck {
  const { buf, start, end } = bytesOf(value);
  return isPlainMessageId(buf, start, end) ? validId : fullMessageIdCheck(value);
}

export function isPlainMimeValue(nameLower: string, value: string): boolean {
  const { buf, start, end } = bytesOf(value);
  return isPlainMime(nameLower, buf, start, end);
}

/** RFC 2045 §4 (MIME-Version), §5.1 (Content-Type), §6.1 (Content-Transfer-Encoding). */
export function checkMimeField(nameLower: string, value: string): string | undefined {
  return isPlainMimeValue(nameLower, value) ? undefined : fullMimeCheck(nameLower, value);
}

/** `[no-from]` and friends: what MTAs and IMAP libraries write when an address was lost. */
export const placeholders = /\[no-(?:from|to|sender|address)\]|\[no address\]|MISSING_MAILBOX|SYNTAX[-_]ERROR|UNEXPECTED_DATA_AFTER_ADDRESS|^\s*<?unknown@unknown>?\s*$|^\s*<>\s*$/i;

/** The placeholder in `value`, trimmed, if it holds one. */
export function findPlaceholder(value: string): string | undefined {
  const { buf, start, end } = bytesOf(value);
  return mayHoldPlaceholder(buf, start, end) ? placeholders.exec(value)?.[0]?.trim() : undefined;
}

/** `findPlaceholder` of a field's value, worked out once for all the rules that ask. */
export function placeholderOf(f: Field): string | undefined {
  if (f.placeholder === undefined) {
    const { buf, start, end } = f.valueBytes(scratch);
    f.placeholder = mayHoldPlaceholder(buf, start, end) ? (placeholders.exec(f.value)?.[0]?.trim() ?? null) : null;
  }
  return f.placeholder ?? undefined;
}

/** The fast paths, for the tests that hold them to their full grammars. */
export const fastPaths = {
  isPlainDate: (value: string): boolean => checkDate(value) === validDate,
  plainMailboxCount: (value: string): number => {
    const { buf, start, end } = bytesOf(value);
    return plainMailboxCount(buf, start, end);
  },
  isPlainMessageId: (value: string): boolean => {
    const { buf, start, end } = bytesOf(value);
    return isPlainMessageId(buf, start, end);
  },
};

/* The rules. */

/** `date-invalid`, `date-zone`, `date-weekday` and `date-trailing-text` of a Date value that is not plain. */
function reportDate(sink: RuleSink, f: Field): void {
  const { problems, trailing } = fullDateCheck(f.value);
  // An indexed loop: `for…of` with destructuring compiles to several times the code.
  for (let i = 0; i < problems.length; i++) sink.report(problems[i]![0], f.line, f.line.offset, problems[i]![1]);
  if (trailing !== '') sink.report('date-trailing-text', f.line, f.line.offset, `text after the date: "${trailing.slice(0, 80)}"`);
}

function reportSenderList(sink: RuleSink, f: Field, mailboxes: number, groups: number): void {
  const holds = groups > 0 ? `a group${mailboxes > 0 ? ` (${mailboxes} mailbox${mailboxes === 1 ? '' : 'es'})` : ''}` : `${mailboxes} mailboxes`;
  sink.report('address-invalid', f.line, f.line.offset, `${f.name}: holds ${holds}, where RFC 5322 §3.6.2 allows exactly one mailbox`);
}

/**
 * The value rules over a whole header. The fast paths are called here and the full grammars only for the values they leave: one
 * function, which V8 optimizes once with them inlined (a function per field kind was
 * compiled on its own and again inside this one).
 */
export function checkFieldValues(sink: RuleSink, fields: readonly Field[]): void {
  for (const f of fields) {
    const role = f.role;
    if (role & Role.date) {
      const { buf, start, end } = f.valueBytes(scratch);
      if (isPlainValidDate(buf, start, end)) f.noColonSpace = true;
      else if (!isBlankValue(f)) reportDate(sink, f);
    } else if (role & Role.address) {
      // Empty values and placeholders have rules of their own; asked only when there is something to report.
      const { problem, obsolete, mailboxes, groups } = addressListOf(f);
      if ((problem !== undefined || obsolete !== undefined) && !isBlankValue(f) && placeholderOf(f) === undefined) {
        if (problem !== undefined) sink.report('address-invalid', f.line, f.line.offset, `${f.name}: ${problem}`);
        else sink.report('address-obsolete', f.line, f.line.offset, `${f.name}: ${obsolete}`);
      }
      // RFC 5322 §3.6.2: Sender names the one mailbox that sent the message, never a list or a group.
      if (problem === undefined && (mailboxes > 1 || groups > 0) && f.lower === 'sender') reportSenderList(sink, f, mailboxes, groups);
    } else if (role & Role.messageId) {
      const { buf, start, end } = f.valueBytes(scratch);
      f.noColonSpace = isPlainMessageId(buf, start, end);
      if (!f.noColonSpace) {
        const { problem, obsolete } = fullMessageIdCheck(f.value);
        if (problem !== undefined) sink.report('message-id-invalid', f.line, f.line.offset, problem);
        else if (obsolete !== undefined) sink.report('message-id-obsolete', f.line, f.line.offset, obsolete);
      }
    } else if (role & Role.mime) {
      const { buf, start, end } = f.valueBytes(scratch);
      if (isPlainMime(f.lower, buf, start, end)) {
        // A plain Content-Type may have ": " in a quoted parameter value.
        f.noColonSpace = f.lower !== 'content-type';
      } else {
        const problem = fullMimeCheck(f.lower, f.value);
        if (problem !== undefined) sink.report('mime-header-invalid', f.line, f.line.offset, problem);
      }
    }
    if (f.mayHaveEncodedWord()) {
      const problem = checkEncodedWords(f.value);
      if (problem !== undefined) sink.report('encoded-word-invalid', f.line, f.line.offset, problem);
    }
  }
}
