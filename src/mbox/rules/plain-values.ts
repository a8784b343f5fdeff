import * as lexer from './value-lexer.js';

/**
 * The fast paths of the value grammars: each recognises the plain spelling that nearly every
 * writer sends (a date as `Www, D Mmm YYYY HH:MM:SS +ZZZZ`, `Name <a@b>` lists, `<a@b>`
 * Message-IDs, the common MIME values) and accepts only what its full grammar (date.ts,
 * address.ts, message-id.ts, mime.ts) accepts; anything else, right or wrong, is left to
 * that grammar. The placeholder prefilter is here for the same reason.
 *
 * They read a value's bytes, `b[i..n)`, in place (`Field.valueBytes`): no decoded string,
 * and typed-array reads compile to far less code than `charCodeAt`, whose every call V8
 * expands for each kind of string. The bytes may hold folds, LF or CRLF before the white
 * space that starts a continuation line: where white space may stand a fold is skipped with
 * it, anywhere else it makes a fast path give up. Every read is bounded by `n`, not by the
 * buffer, which goes on past the value.
 *
 * They live in one module with the byte helpers they share, which V8 inlines into them.
 */

// Local bindings of the lexer's: V8 reads a binding that a module imports or exports through
// a cell at each use, which it does not fold in the loops below (that cost the address fast
// path about 15%). For the same reason the helpers here are exported only where other
// modules call them once per value.
const { backslash, dquote, lparen, rparen, langle, rangle, comma, semicolon, colon, at, dot, isSpTab, isAtext } = lexer;

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

/* Dates (RFC 5322 §3.3). */

export const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** No place on Earth keeps a time more than 14 hours from UTC (UTC+14, Line Islands). */
export const maxZoneMinutes = 14 * 60;

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

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export const daysInMonth = (year: number, month: number): number =>
  month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : monthDays[month]!;

/** Day of the week (0 for Sunday) of a Gregorian date from year 1 on, `month` from 0 (Sakamoto's method). */
const monthShift = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
export function weekdayOf(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  return (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + monthShift[month]! + day) % 7;
}

/**
 * True when the value is `Www, D Mmm YYYY HH:MM:SS +ZZZZ`, maybe with a comment such as
 * `(EDT)` after it (what nearly every writer sends), and correct in every way the full
 * check looks at, found without a regex or a copy.
 */
export function isPlainValidDate(v: Uint8Array, i: number, n: number): boolean {
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

/* Address lists (RFC 5322 §3.4). */

/** Printable ASCII other than `()<>:;"\`: the characters `plainMailboxCount` takes inside a quoted display name. */
const isPlainQtext = (c: number): boolean => c >= 0x20 && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x3c && c !== 0x3e && c !== 0x3a && c !== 0x3b && c !== 0x22 && c !== 0x5c;
/** Outside quotes a display name also leaves out `@,[]`. */
const isPlainPhraseChar = (c: number): boolean => isPlainQtext(c) && c !== 0x40 && c !== 0x2c && c !== 0x5b && c !== 0x5d;

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
      do c = ++i < n ? s[i]! : -1;
      while (isPlainQtext(c) || c === 0x09);
      if (c !== dquote) return -1;
    } else if (!isPlainPhraseChar(c) && c !== 0x09) {
      return -1;
    }
  }
  return -1;
}

/**
 * The number of mailboxes when the value is a list of plain, valid ones, `local@domain` or
 * `Display Name <local@domain>`, maybe with a comment after each (nearly every address
 * field), found without regexes or copies; -1 for anything else (groups, quoting with
 * escapes, 8-bit, empty entries, errors…), which the full grammar decides.
 */
export function plainMailboxCount(s: Uint8Array, i: number, n: number): number {
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
 * False when the placeholder regex (placeholder.ts) cannot match: it needs "[" or "_" (the
 * bracketed and the upper-case placeholders), "<>", "syntax-" or "unknown@". One pass
 * without a regex: the regex, run on every address field, cost more than the address check
 * itself.
 */
export function mayHoldPlaceholder(s: Uint8Array, from: number, n: number): boolean {
  for (let i = from; i < n; i++) {
    const c = s[i];
    if (c === 0x5b || c === 0x5f) return true;
    if (c === rangle && i > from && s[i - 1] === langle) return true;
    if (c === 0x2d && i - from >= 6 && endsWithWordAt(s, i, syntaxWord)) return true;
    if (c === at && i - from >= 7 && endsWithWordAt(s, i, unknownWord)) return true;
  }
  return false;
}

/* Message-ID (RFC 5322 §3.6.4). */

/**
 * True for `<dot-atom-text@dot-atom-text>`, maybe with white space and a simple comment
 * around it: what nearly every writer sends.
 */
export function isPlainMessageId(v: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(v, i, n);
  if (i === n || v[i] !== langle) return false;
  const left = dotAtomEnd(v, i + 1, n);
  if (left < 0 || left === n || v[left] !== at) return false;
  const right = dotAtomEnd(v, left + 1, n);
  return right >= 0 && right < n && v[right] === rangle && skipPlainCfws(v, right + 1, n) === n;
}

/* MIME (RFC 2045). */

export const transferEncodings = ['7bit', '8bit', 'binary', 'quoted-printable', 'base64'] as const;

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
export function isPlainMime(nameLower: string, s: Uint8Array, i: number, n: number): boolean {
  if (nameLower === 'content-type') return isPlainContentType(s, i, n);
  if (nameLower === 'mime-version') return isPlainMimeVersion(s, i, n);
  return nameLower === 'content-transfer-encoding' && isPlainTransferEncoding(s, i, n);
}
