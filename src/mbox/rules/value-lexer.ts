import { ValueBytes } from '../field.js';

/**
 * What the value grammars share: the characters they name, RFC 5322 atext, and the lexical
 * layer of the full grammars of addresses and Message-IDs.
 */

export const [backslash, dquote, lparen, rparen, langle, rangle, comma, semicolon, colon, at, dot] = [
  0x5c, 0x22, 0x28, 0x29, 0x3c, 0x3e, 0x2c, 0x3b, 0x3a, 0x40, 0x2e,
] as const;

export const isSpTab = (c: number): boolean => c === 0x20 || c === 0x09;

const atextList = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-";

/** RFC 5322 §3.2.3 atext, by byte (256 entries: no range check). */
const atextChars = new Uint8Array(256);
for (const c of atextList) atextChars[c.charCodeAt(0)] = 1;
export const isAtext = (c: number): boolean => atextChars[c] === 1;

/** `value` as the bytes a field would hand the checks, for the checks called with a string. */
export function bytesOf(value: string): ValueBytes {
  const out = new ValueBytes();
  out.buf = Buffer.from(value, 'latin1');
  out.end = out.buf.length;
  return out;
}

/*
 * The lexical layer of RFC 5322 §3.2 that the full grammars of addresses and Message-IDs
 * share: CFWS, quoted strings, atoms, read from a value's unfolded text (latin1) at `i`.
 * Each is a sticky regex, so that the loops over characters run in the regex engine: the
 * grammars run for the few values the fast paths leave, and V8 compiles a regex for far
 * less than the optimized code of a loop inlined into each of them.
 */

/** A comment with up to three levels of comments in it (RFC 5322 §3.2.2); `deepCommentEnd` reads deeper ones. */
export const commentSource = String.raw`\((?:[^()\\]|\\[\s\S]|\((?:[^()\\]|\\[\s\S]|\((?:[^()\\]|\\[\s\S])*\))*\))*\)`;
/** CFWS: white space (a CR that ends no line is white space here: the header-bytes rules report it) and comments. */
const cfws = new RegExp(String.raw`(?:[ \t\r\n]|${commentSource})*`, 'y');
/** RFC 5322 §3.2.4 quoted-string, with the obsolete qtext and quoted-pairs of §4.1: any character may be escaped; its content is group 1. */
export const quotedSource = String.raw`"((?:[^"\\]|\\[\s\S])*)"`;
const quoted = new RegExp(quotedSource, 'y');
/** atext and the UTF-8 of other characters (RFC 6532 §3.2; raw-8bit reports them), as latin1. */
const atom = new RegExp(`(?:[${atextList.replace(/[\\\]^-]/g, '\\$&')}]|[\\xc2-\\xdf][\\x80-\\xbf]|[\\xe0-\\xef][\\x80-\\xbf]{2}|[\\xf0-\\xf4][\\x80-\\xbf]{3})+`, 'y');
/** A display name's atom may hold any 8-bit byte: raw-8bit reports it. */
const phraseAtom = new RegExp(`[${atextList.replace(/[\\\]^-]/g, '\\$&')}\\x80-\\xff]+`, 'y');

/**
 * The character code at `i` of `s`, or -1 past its end: reading past the end with
 * `charCodeAt` costs the optimized code a deoptimization.
 */
export const codeAt = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : -1);

/** Index past what `re` matches at `i`, or -1 when it does not. */
function matchEnd(re: RegExp, s: string, i: number): number {
  re.lastIndex = i;
  return re.test(s) ? re.lastIndex : -1;
}

/** Index past CFWS from `i` on (RFC 5322 §3.2.2); -1 when a comment is not closed. */
export function skipCfws(s: string, i: number): number {
  cfws.lastIndex = i;
  cfws.test(s);
  i = cfws.lastIndex;
  // Left: a comment nested deeper than the regex reads, or one that is not closed.
  return codeAt(s, i) === lparen ? skipDeepCfws(s, i) : i;
}

/** `skipCfws` from a comment that the regex did not read. */
function skipDeepCfws(s: string, i: number): number {
  i = deepCommentEnd(s, i);
  return i < 0 ? -1 : skipCfws(s, i);
}

/** Index past the comment whose "(" is at `i`, read one character at a time, or -1 when it is not closed. */
function deepCommentEnd(s: string, i: number): number {
  let depth = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === backslash) i++;
    else if (c === lparen) depth++;
    else if (c === rparen && --depth === 0) return i + 1;
  }
  return -1;
}

/** Index past the quoted string whose DQUOTE is at `i`, or -1 when it is not closed. */
export const quotedStringEnd = (s: string, i: number): number => matchEnd(quoted, s, i);

/** Index past the atom at `i` (atext, and UTF-8 as RFC 6532 allows), or `i` when there is none. */
export const atomEnd = (s: string, i: number): number => Math.max(i, matchEnd(atom, s, i));

/** Index past the display-name atom at `i` (any 8-bit byte too), or `i` when there is none. */
export const phraseAtomEnd = (s: string, i: number): number => Math.max(i, matchEnd(phraseAtom, s, i));

/** Comments with up to three levels of comments in them, anywhere in a value. */
const comments = new RegExp(commentSource, 'g');

/**
 * Comments replaced by a space, for the checks that read a value with regexes (date, MIME);
 * a comment that is not closed runs to the end of the value.
 */
export function stripComments(value: string): string {
  if (!value.includes('(')) return value;
  const out = value.replace(comments, ' ');
  // Left: a comment that is not closed, or one nested deeper than the regex reads.
  return out.includes('(') ? stripCommentsByChar(value) : out;
}

/**
 * Index of the "(" of a comment that the end of `value` leaves open (RFC 5322 §3.2.2: a
 * comment ends with its ")"), or -1; `stripComments` lets such a comment run to the end.
 */
export function openCommentStart(value: string): number {
  let depth = 0;
  let start = -1;
  for (let i = value.indexOf('('); i >= 0 && i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === backslash && depth > 0) i++;
    else if (c === lparen) {
      if (depth++ === 0) start = i;
    } else if (c === rparen && depth > 0) depth--;
  }
  return depth > 0 ? start : -1;
}

/** `stripComments` one character at a time. */
function stripCommentsByChar(value: string): string {
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
