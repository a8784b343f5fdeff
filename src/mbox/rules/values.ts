import { ValueBytes, type AddressList, type Field, type RuleSink } from '../field.js';
import type { Line } from '../line.js';
import { Role } from './field-roles.js';

/**
 * Value checks for single fields. They take the unfolded field value as a latin1 string
 * and return problems as `[ruleId, detail]` pairs; the message linter places them.
 */
export type ValueProblem = readonly [rule: string, detail: string];

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** RFC 5322 §4.3 obsolete zones: readers may treat the military letters as -0000. */
const obsoleteZones = new Set(['UT', 'GMT', 'EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST', 'PDT']);

/**
 * RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two-digit years, named zones)
 * accepted so that they can be reported as such. Comments (CFWS) between tokens are removed
 * first; what is left after the zone is trailing text.
 */
const dateTime =
  /^\s*(?:([A-Za-z]{3})\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\s+([+-]\d{4}|[A-Za-z]{1,5})(?![\w]))?(.*)$/s;

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

/** What the checks of one value read (`Field.valueBytes`); each check is done with it before the next fills it. */
const scratch = new ValueBytes();

/** `value` as the bytes a field would hand the checks, for the checks called with a string. */
function bytesOf(value: string): ValueBytes {
  const out = new ValueBytes();
  out.buf = Buffer.from(value, 'latin1');
  out.end = out.buf.length;
  return out;
}

export interface DateCheck {
  readonly problems: readonly ValueProblem[];
  trailing: string;
}

const [backslash, dquote, lparen, rparen, langle, rangle, comma, semicolon] = [0x5c, 0x22, 0x28, 0x29, 0x3c, 0x3e, 0x2c, 0x3b] as const;

const stripComments = (value: string): string => {
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
};

const isSpTab = (c: number): boolean => c === 0x20 || c === 0x09;

/*
 * The fast paths below read a value's bytes, `b[i..n)`, in place (`Field.valueBytes`): no
 * decoded string, and typed-array reads compile to far less code than `charCodeAt`, whose
 * every call V8 expands for each kind of string. The bytes may hold folds, LF or CRLF
 * before the white space that starts a continuation line: where white space may stand a
 * fold is skipped with it, anywhere else it makes the fast path give up. Every read is
 * bounded by `n`, not by the buffer, which goes on past the value.
 */

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
 * group syntax would see) from `i` on, or -1 at a comment that is not simple. Where the
 * fast paths below allow them, `stripComments` would turn such comments into white space.
 */
function skipPlainCfws(b: Uint8Array, i: number, n: number): number {
  for (i = skipWsp(b, i, n); i < n && b[i] === lparen; i = skipWsp(b, i + 1, n)) {
    for (i++; i < n && b[i] !== rparen; i++) {
      const d = b[i];
      if (d === lparen || d === backslash || d === 0x3a || d === semicolon) return -1;
    }
    if (i === n) return -1;
  }
  return i;
}

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
const keyOf = (name: string): number => letters3(Buffer.from(name, 'latin1'), 0);
const monthKeys = months.map(keyOf);
const weekdayKeys = weekdays.map(keyOf);

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (year: number, month: number): number =>
  month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : monthDays[month]!;

/** Day of the week (0 for Sunday) of a Gregorian date from year 1 on, `month` from 0 (Sakamoto's method). */
const monthShift = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
function weekdayOf(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  return (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + monthShift[month]! + day) % 7;
}

/**
 * True when `value` is `Www, D Mmm YYYY HH:MM:SS +ZZZZ`, maybe with a comment such as
 * `(EDT)` after it (what nearly every writer sends), and correct in every way `checkDate`
 * looks at, found without a regex or a copy; anything else, right or wrong, is left to the
 * full check.
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
  // Four digits from 1000 on: years below 100 mean 19xx to Date.UTC, which the full check uses.
  const century = twoDigits(v, i + 5);
  const year = century * 100 + twoDigits(v, i + 7);
  const hours = twoDigits(v, i + 10);
  const minutes = twoDigits(v, i + 13);
  const seconds = twoDigits(v, i + 16);
  const sign = v[i + 19];
  const zoneHours = twoDigits(v, i + 20);
  const zoneMinutes = twoDigits(v, i + 22);
  const fields = month >= 0 && century >= 10 && year >= century * 100 && hours >= 0 && minutes >= 0 && seconds >= 0 && zoneHours >= 0 && zoneMinutes >= 0;
  const separators = v[i + 12] === 0x3a && v[i + 15] === 0x3a && v[i + 18] === 0x20 && (sign === 0x2b || sign === 0x2d);
  if (!fields || !separators || skipPlainCfws(v, i + 24, n) !== n) return false;
  if (day < 1 || day > daysInMonth(year, month) || hours > 23 || minutes > 59 || seconds > 60 || zoneMinutes > 59) return false;
  return weekdayOf(year, month, day) === weekday;
}

/** What `checkDate` says of a correct date: shared, so not to be changed. */
const validDate: DateCheck = Object.freeze({ problems: Object.freeze([]), trailing: '' });

export function checkDate(value: string): DateCheck {
  const { buf, start, end } = bytesOf(value);
  return isPlainValidDate(buf, start, end) ? validDate : fullDateCheck(value);
}

/** `checkDate` of a field's value, decoded only when the fast path cannot decide. */
function checkDateOf(f: Field): DateCheck {
  const { buf, start, end } = f.valueBytes(scratch);
  if (!isPlainValidDate(buf, start, end)) return fullDateCheck(f.value);
  f.noColonSpace = true;
  return validDate;
}

function fullDateCheck(value: string): DateCheck {
  const m = dateTime.exec(stripComments(value));
  if (!m) return { problems: [['date-invalid', `"${value.trim().slice(0, 80)}" is not an RFC 5322 date-time`]], trailing: '' };
  const [, wd, dd, mon, yy, hh, mi, ss, zone, rest] = m;
  const problems: ValueProblem[] = [];
  const month = months.indexOf(mon!.toLowerCase() as (typeof months)[number]);
  let year = Number(yy);
  if (yy!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yy!.length === 3) year += 1900;
  const day = Number(dd);
  const lastDay = month < 0 ? 31 : new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  if (month < 0) problems.push(['date-invalid', `unknown month "${mon}"`]);
  else if (day < 1 || day > lastDay) problems.push(['date-invalid', `day ${day} does not exist in ${mon} ${year}`]);
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 60) problems.push(['date-invalid', `time ${hh}:${mi}${ss ? `:${ss}` : ''} is out of range`]);
  if (zone === undefined) problems.push(['date-zone', 'no time zone']);
  else if (/^[+-]\d{4}$/.test(zone)) {
    if (Number(zone.slice(3)) > 59) problems.push(['date-zone', `zone ${zone} has more than 59 minutes`]);
  } else if (obsoleteZones.has(zone.toUpperCase()) || /^[A-IK-Za-ik-z]$/.test(zone)) {
    problems.push(['date-zone', `obsolete zone name "${zone}" (use a numeric offset)`]);
  } else {
    problems.push(['date-zone', `unknown zone "${zone}"`]);
  }
  if (wd !== undefined && month >= 0 && problems.every(([r]) => r !== 'date-invalid')) {
    const actual = weekdays[new Date(Date.UTC(year, month, day)).getUTCDay()]!;
    if (wd.toLowerCase() !== actual) problems.push(['date-weekday', `${dd} ${mon} ${year} is a ${actual[0]!.toUpperCase()}${actual.slice(1)}, not ${wd}`]);
  }
  return { problems, trailing: rest!.trim() };
}

/** Splits at commas outside quoted strings, comments and angle brackets (RFC 5322 §3.4). */
function splitAddressList(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let depth = 0;
  let angle = false;
  // Character codes, not one-character strings: this runs over every address field.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === backslash && (quoted || depth > 0)) {
      i++;
      continue;
    }
    if (quoted) quoted = c !== dquote;
    else if (depth > 0) depth += c === lparen ? 1 : c === rparen ? -1 : 0;
    else if (c === dquote) quoted = true;
    else if (c === lparen) depth = 1;
    else if (c === langle) angle = true;
    else if (c === rangle) angle = false;
    else if ((c === comma || c === semicolon) && !angle) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const dotAtom = `${atext}(?:\\.${atext})*`;
const quotedString = '"(?:[^"\\\\]|\\\\.)*"';
const localPart = `(?:${dotAtom}|${quotedString})(?:\\.(?:${dotAtom}|${quotedString}))*`;
const domain = `(?:${dotAtom}|\\[[^\\[\\]\\\\]*\\])`;
const addrSpec = new RegExp(`^${localPart}\\s*@\\s*${domain}$`);
const phraseChars = /^(?:[^<>@,;:"\\[\]]|"(?:[^"\\]|\\.)*")*$/;

/** One mailbox: `addr-spec` or `[display-name] <addr-spec>` (RFC 5322 §3.4). */
function checkMailbox(raw: string): string | undefined {
  const s = stripComments(raw).trim();
  const lt = s.lastIndexOf('<');
  if (lt >= 0) {
    if (!s.endsWith('>')) return `"${raw}": text after the closing ">"`;
    const phrase = s.slice(0, lt);
    const spec = s.slice(lt + 1, -1).trim().replace(/^@[^:]*:/, '');
    if (!phraseChars.test(phrase)) return `"${raw}": the display name needs quoting`;
    return addrSpec.test(spec) ? undefined : `"${spec}" is not an addr-spec`;
  }
  return addrSpec.test(s) ? undefined : `"${raw}" is not a mailbox`;
}

/** RFC 5322 §3.2.3 atext, by byte (256 entries: no range check). */
const atextChars = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-") atextChars[c.charCodeAt(0)] = 1;
const isAtext = (c: number): boolean => atextChars[c] === 1;
/** Printable ASCII other than `()<>:;"\`: the characters `plainMailboxCount` takes inside a quoted display name. */
const isPlainQtext = (c: number): boolean => c >= 0x20 && c < 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x3c && c !== 0x3e && c !== 0x3a && c !== 0x3b && c !== 0x22 && c !== 0x5c;
/** Outside quotes a display name also leaves out `@,[]` (as `phraseChars` does). */
const isPlainPhraseChar = (c: number): boolean => isPlainQtext(c) && c !== 0x40 && c !== 0x2c && c !== 0x5b && c !== 0x5d;

/** End of the dot-atom starting at `i` (RFC 5322 §3.2.3), or -1. */
function dotAtomEnd(s: Uint8Array, i: number, n: number): number {
  for (;;) {
    const from = i;
    while (i < n && isAtext(s[i]!)) i++;
    if (i === from) return -1;
    if (i === n || s[i] !== 0x2e) return i;
    i++;
  }
}

/** End of `dot-atom "@" dot-atom` starting at `i`, or -1. */
function plainAddrSpecEnd(s: Uint8Array, i: number, n: number): number {
  const at = dotAtomEnd(s, i, n);
  return at >= 0 && at < n && s[at] === 0x40 ? dotAtomEnd(s, at + 1, n) : -1;
}

/** End of a display name and the address in angle brackets starting at `i`, or -1. */
function plainNameAddrEnd(s: Uint8Array, i: number, n: number): number {
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
 * The number of mailboxes when `value` is a list of plain, valid ones, `local@domain` or
 * `Display Name <local@domain>`, maybe with a comment after each (nearly every address
 * field), found without regexes or copies; -1 for anything else (groups, quoting with
 * escapes, 8-bit, empty entries, errors…), which the full check decides.
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

/** Number of mailboxes and the first problem in an address-list or mailbox-list value. */
export function checkAddressList(value: string): AddressList {
  const { buf, start, end } = bytesOf(value);
  const plain = plainMailboxCount(buf, start, end);
  return plain > 0 ? { mailboxes: plain, problem: undefined } : fullAddressCheck(value);
}

function fullAddressCheck(value: string): AddressList {
  let mailboxes = 0;
  let problem: string | undefined;
  // Group syntax `display-name: mailbox-list;` (RFC 5322 §3.4): drop the group name.
  const ungrouped = !value.includes(':') ? value : value.replace(/(^|,)\s*(?:[^<>@,;:"]|"(?:[^"\\]|\\.)*")*:(?!\/)/g, '$1');
  for (const part of splitAddressList(ungrouped)) {
    mailboxes++;
    problem ??= checkMailbox(part);
  }
  return { mailboxes, problem };
}

/** True for `<left@right>` of printable ASCII, maybe with a comment after it: what `checkMessageId` accepts, without copies. */
function isPlainMessageId(v: Uint8Array, i: number, n: number): boolean {
  i = skipWsp(v, i, n);
  if (i === n || v[i] !== langle) return false;
  const left = ++i;
  let at = -1;
  for (; i < n; i++) {
    const c = v[i]!;
    if (c === rangle) break;
    if (c === 0x40) {
      if (at >= 0 || i === left) return false;
      at = i;
    } else if (c <= 0x20 || c >= 0x7f || c === langle || c === lparen || c === rparen) {
      return false;
    }
  }
  return i < n && at >= 0 && i > at + 1 && skipPlainCfws(v, i + 1, n) === n;
}

export function checkMessageId(value: string): string | undefined {
  const { buf, start, end } = bytesOf(value);
  return isPlainMessageId(buf, start, end) ? undefined : fullMessageIdCheck(value);
}

function fullMessageIdCheck(value: string): string | undefined {
  const s = stripComments(value).trim();
  return /^<[^<>@\s]+@[^<>@\s]+>$/.test(s) ? undefined : `"${value.trim().slice(0, 80)}" is not <id-left@id-right>`;
}

const encodedWordLike = /=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=/g;

/** RFC 2047 §2: charset, B or Q, encoded text without spaces, 75 characters at most. */
export function checkEncodedWords(value: string): string | undefined {
  for (const m of value.matchAll(encodedWordLike)) {
    const [word, charset, encoding, text] = m;
    if (!charset) return `${word}: no charset`;
    if (word.length > 75) return `${word.slice(0, 40)}…: longer than 75 characters`;
    const enc = encoding!.toUpperCase();
    if (enc === 'B') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text!) || text!.length % 4 !== 0) return `${word}: invalid base64`;
    } else if (enc === 'Q') {
      if (!/^(?:[!->@-~]|=[0-9A-Fa-f]{2})*$/.test(text!)) return `${word}: invalid Q encoding`;
    } else {
      return `${word}: unknown encoding "${encoding}"`;
    }
  }
  return undefined;
}

const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const contentType = new RegExp(`^(${token})/(${token})\\s*((?:;\\s*(?:${token}\\s*=\\s*(?:${token}|"(?:[^"\\\\]|\\\\.)*")\\s*)?)*)$`, 's');
const encodings = new Set(['7bit', '8bit', 'binary', 'quoted-printable', 'base64']);

/** RFC 2045 token characters, by byte (256 entries: no range check). */
const tokenChars = new Uint8Array(256);
for (const c of "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") tokenChars[c.charCodeAt(0)] = 1;

/** Inside a quoted parameter value: HTAB and printable ASCII but for `"\()` (escapes and what `stripComments` would cut). */
const isPlainParamQtext = (c: number): boolean => c === 0x09 || (c >= 0x20 && c < 0x7f && c !== dquote && c !== backslash && c !== lparen && c !== rparen);

/** Index past the RFC 2045 token from `i` on (`i` when there is none). */
function tokenEnd(s: Uint8Array, i: number, n: number): number {
  while (i < n && tokenChars[s[i]!] === 1) i++;
  return i;
}

/**
 * True when a Content-Type value is `type/subtype` with plain parameters (tokens or
 * quoted strings without escapes or parentheses), and a multipart type has a boundary
 * parameter: `fullMimeCheck` accepts it, found without regexes or copies.
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

/**
 * True when `checkMimeField` can accept the value of the MIME field `nameLower` without
 * its regexes (the common spellings: nearly every message has these fields).
 */
function isPlainMime(nameLower: string, s: Uint8Array, i: number, n: number): boolean {
  if (nameLower === 'content-type') return isPlainContentType(s, i, n);
  if (nameLower === 'mime-version') return isPlainMimeVersion(s, i, n);
  return nameLower === 'content-transfer-encoding' && isPlainTransferEncoding(s, i, n);
}

export function isPlainMimeValue(nameLower: string, value: string): boolean {
  const { buf, start, end } = bytesOf(value);
  return isPlainMime(nameLower, buf, start, end);
}

/** RFC 2045 §4 (MIME-Version), §5.1 (Content-Type), §6.1 (Content-Transfer-Encoding). */
export function checkMimeField(nameLower: string, value: string): string | undefined {
  return isPlainMimeValue(nameLower, value) ? undefined : fullMimeCheck(nameLower, value);
}

function checkMimeFieldOf(f: Field): string | undefined {
  const { buf, start, end } = f.valueBytes(scratch);
  if (!isPlainMime(f.lower, buf, start, end)) return fullMimeCheck(f.lower, f.value);
  // A plain Content-Type may have ": " in a quoted parameter value.
  f.noColonSpace = f.lower !== 'content-type';
  return undefined;
}

/** `checkMimeField` without its fast paths: comments removed, then the RFC 2045 grammar. */
export function fullMimeCheck(nameLower: string, value: string): string | undefined {
  const s = stripComments(value).trim();
  if (nameLower === 'mime-version') return /^1\s*\.\s*0$/.test(s) ? undefined : `MIME-Version "${s}" is not 1.0`;
  if (nameLower === 'content-transfer-encoding') {
    const v = s.toLowerCase();
    return encodings.has(v) || /^x-[\w.-]+$/.test(v) ? undefined : `unknown Content-Transfer-Encoding "${s}"`;
  }
  const m = contentType.exec(s);
  if (!m) return `Content-Type "${s.slice(0, 80)}" is not type/subtype; parameters`;
  if (m[1]!.toLowerCase() === 'multipart' && !/;\s*boundary\s*=/i.test(m[3]!)) return 'multipart Content-Type without a boundary parameter';
  return undefined;
}

/** `[no-from]` and friends: what MTAs and IMAP libraries write when an address was lost. */
export const placeholders = /\[no-(?:from|to|sender|address)\]|\[no address\]|MISSING_MAILBOX|SYNTAX[-_]ERROR|UNEXPECTED_DATA_AFTER_ADDRESS|^\s*<?unknown@unknown>?\s*$|^\s*<>\s*$/i;

/** Lower-case ASCII words that the fast paths look for, as bytes. */
const word = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const multipartWord = word('multipart');
const boundaryWord = word('boundary');
const syntaxWord = word('syntax');
const unknownWord = word('unknown');
const encodingWords = [...encodings].map(word);

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

/**
 * False when `placeholders` cannot match: it needs "[" or "_" (the bracketed and the
 * upper-case placeholders), "<>", "syntax-" or "unknown@". One pass without a regex: the
 * regex, run on every address field, cost more than the address check itself.
 */
function mayHoldPlaceholder(s: Uint8Array, from: number, n: number): boolean {
  for (let i = from; i < n; i++) {
    const c = s[i];
    if (c === 0x5b || c === 0x5f) return true;
    if (c === 0x3e && i > from && s[i - 1] === langle) return true;
    if (c === 0x2d && i - from >= 6 && endsWithWordAt(s, i, syntaxWord)) return true;
    if (c === 0x40 && i - from >= 7 && endsWithWordAt(s, i, unknownWord)) return true;
  }
  return false;
}

/** The placeholder in `value`, trimmed, if it holds one. */
export function findPlaceholder(value: string): string | undefined {
  const { buf, start, end } = bytesOf(value);
  return mayHoldPlaceholder(buf, start, end) ? placeholders.exec(value)?.[0]?.trim() : undefined;
}

/** `checkAddressList` of a field's value, worked out once for all the rules that ask. */
export function addressListOf(f: Field): AddressList {
  if (f.addresses) return f.addresses;
  const { buf, start, end } = f.valueBytes(scratch);
  const plain = plainMailboxCount(buf, start, end);
  if (plain <= 0) return (f.addresses = fullAddressCheck(f.value));
  f.noColonSpace = true;
  return (f.addresses = { mailboxes: plain, problem: undefined });
}

/** `findPlaceholder` of a field's value, worked out once for all the rules that ask. */
export function placeholderOf(f: Field): string | undefined {
  if (f.placeholder === undefined) {
    const { buf, start, end } = f.valueBytes(scratch);
    f.placeholder = mayHoldPlaceholder(buf, start, end) ? (placeholders.exec(f.value)?.[0]?.trim() ?? null) : null;
  }
  return f.placeholder ?? undefined;
}

/** The value rules over a whole header; `placeholder-address` fields are not parsed again. */
export function checkFieldValues(sink: RuleSink, fields: readonly Field[], anchor: Line): void {
  let messageIds = 0;
  for (const f of fields) {
    if (f.role & Role.date) {
      if (!isBlankValue(f)) {
        const { problems, trailing } = checkDateOf(f);
        for (const [rule, detail] of problems) sink.report(rule, f.line, f.line.offset, detail);
        if (trailing !== '') sink.report('date-trailing-text', f.line, f.line.offset, `text after the date: "${trailing.slice(0, 80)}"`);
      }
    } else if (f.role & Role.address) {
      if (!isBlankValue(f) && placeholderOf(f) === undefined) {
        const { problem } = addressListOf(f);
        if (problem !== undefined) sink.report('address-invalid', f.line, f.line.offset, `${f.name}: ${problem}`);
      }
    } else if (f.role & Role.messageId) {
      messageIds++;
      const { buf, start, end } = f.valueBytes(scratch);
      f.noColonSpace = isPlainMessageId(buf, start, end);
      const problem = f.noColonSpace ? undefined : fullMessageIdCheck(f.value);
      if (problem !== undefined) sink.report('message-id-invalid', f.line, f.line.offset, problem);
    } else if (f.role & Role.mime) {
      const problem = checkMimeFieldOf(f);
      if (problem !== undefined) sink.report('mime-header-invalid', f.line, f.line.offset, problem);
    }
    if (f.mayHaveEncodedWord()) {
      const problem = checkEncodedWords(f.value);
      if (problem !== undefined) sink.report('encoded-word-invalid', f.line, f.line.offset, problem);
    }
  }
  if (messageIds === 0) sink.report('missing-message-id', anchor, anchor.offset, 'no Message-ID field in the header');
}
