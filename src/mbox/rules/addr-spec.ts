import { at, atomEnd, codeAt, dot, dquote, quotedStringEnd, skipCfws } from './value-lexer.js';

/**
 * RFC 5322 §3.4.1 addr-spec, `local-part "@" domain`, with the obsolete forms of §4.4: the
 * grammar that addresses and, through obs-id-left and obs-id-right (§3.6.4), Message-IDs
 * share. It accepts every form and notes which it saw, for each caller to judge: a quoted
 * local part is current syntax in an address and obsolete in a Message-ID.
 */
export class AddrSpecScan {
  /** CFWS before, inside or after the local part or the domain. */
  cfws = false;
  /** CFWS next to a "." (obs-local-part, obs-domain: `jdoe@test . example`). */
  spacedDots = false;
  /** A quoted string in the local part. */
  quoted = false;
  /** A quoted string among dotted words (obs-local-part: `"a".b`). */
  quotedDotted = false;
  /** A domain literal (`[192.0.2.1]`). */
  literal = false;
  /** White space inside the domain literal (not in a Message-ID's no-fold-literal). */
  literalSpace = false;
  /** A quoted-pair or a control character inside the domain literal (obs-dtext). */
  obsLiteral = false;
  /** Why the scan failed, when it did. */
  reason = '';

  reset(): this {
    this.cfws = this.spacedDots = this.quoted = this.quotedDotted = this.literal = this.literalSpace = this.obsLiteral = false;
    this.reason = '';
    return this;
  }

  /** Index past the addr-spec in `s` at `i` and the CFWS after it, or -1 (`reason` says why). */
  end(s: string, i: number): number {
    const local = this.wordsEnd(s, i, true);
    if (local < 0) return -1;
    const c = codeAt(s, local);
    if (c === -1 || c === 0x3e) return this.fail('no "@"');
    if (c !== at) return this.fail(`${describe(s, local)} where "@" should be`);
    return this.domainEnd(s, local + 1);
  }

  /**
   * Index past dot-separated words from `i` on, CFWS around them: a local part (atoms or
   * quoted strings) or a domain (atoms only), or -1.
   */
  private wordsEnd(s: string, i: number, local: boolean): number {
    const start = i;
    i = skipCfws(s, i);
    if (i < 0) return this.fail('a comment is not closed');
    if (i > start) this.cfws = true;
    const part = local ? 'local part' : 'domain';
    let words = 0;
    let quoted = false;
    for (;;) {
      const c = codeAt(s, i);
      let end: number;
      if (local && c === dquote) {
        end = quotedStringEnd(s, i);
        if (end < 0) return this.fail('a quoted string is not closed');
        this.quoted = quoted = true;
      } else {
        end = atomEnd(s, i);
        if (end === i) {
          if (words > 0) return this.fail(c === dot ? `two "." in a row in the ${part}` : `a "." at the end of the ${part}`);
          if (c === dot) return this.fail(`a "." at the start of the ${part}`);
          return this.fail(i === s.length || c === at || c === 0x3e ? `an empty ${part}` : `${describe(s, i)} in the ${part}`);
        }
        if (codeAt(s, end) >= 0x80) return this.fail(`${describe(s, end)}, which is not UTF-8, in the ${part}`);
      }
      words++;
      const after = skipCfws(s, end);
      if (after < 0) return this.fail('a comment is not closed');
      if (codeAt(s, after) !== dot) {
        if (after > end) this.cfws = true;
        if (quoted && words > 1) this.quotedDotted = true;
        return after;
      }
      i = skipCfws(s, after + 1);
      if (i < 0) return this.fail('a comment is not closed');
      if (after > end || i > after + 1) this.spacedDots = this.cfws = true;
    }
  }

  /** Index past the domain in `s` at `i` (dot-atom, domain literal or obs-domain) and the CFWS after it, or -1. */
  domainEnd(s: string, i: number): number {
    const start = i;
    i = skipCfws(s, i);
    if (i < 0) return this.fail('a comment is not closed');
    if (codeAt(s, i) !== 0x5b) return this.wordsEnd(s, start, false);
    if (i > start) this.cfws = true;
    this.literal = true;
    // RFC 5322 §3.4.1 domain-literal: dtext and FWS between brackets; §4.4 obs-dtext.
    literal.lastIndex = i;
    const m = literal.exec(s);
    if (!m) return this.fail(s.indexOf(']', i) < 0 ? 'a domain literal is not closed with "]"' : '"[" inside a domain literal');
    const dtext = m[1]!;
    if (/[ \t\r\n]/.test(dtext)) this.literalSpace = true;
    if (/[\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(dtext)) this.obsLiteral = true;
    const after = skipCfws(s, literal.lastIndex);
    if (after < 0) return this.fail('a comment is not closed');
    if (after > literal.lastIndex) this.cfws = true;
    return after;
  }

  private fail(reason: string): -1 {
    this.reason = reason;
    return -1;
  }
}

/** A domain literal, its content as group 1 (escapes read as pairs). */
const literal = /\[((?:[^[\]\\]|\\[\s\S])*)\]/y;

/** The character at `i` of `s` as a finding names it. */
export function describe(s: string, i: number): string {
  const c = codeAt(s, i);
  return c > 0x20 && c < 0x7f ? `"${s[i]}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
