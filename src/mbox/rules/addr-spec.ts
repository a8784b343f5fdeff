import { at, atextEnd, backslash, dot, dquote, isSpTab, quotedStringEnd, skipCfws } from './value-lexer.js';

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

  /** Index past the addr-spec at `i` and the CFWS after it, or -1 (`reason` says why). */
  end(b: Uint8Array, i: number, n: number): number {
    const local = this.wordsEnd(b, i, n, true);
    if (local < 0) return -1;
    if (local === n || b[local] !== at) return this.fail(local === n ? 'no "@"' : `${describe(b, local)} where "@" should be`);
    return this.domainEnd(b, local + 1, n);
  }

  /**
   * Index past dot-separated words from `i` on, CFWS around them: a local part (atoms or
   * quoted strings) or a domain (atoms only), or -1.
   */
  private wordsEnd(b: Uint8Array, i: number, n: number, local: boolean): number {
    const start = i;
    i = skipCfws(b, i, n);
    if (i < 0) return this.fail('a comment is not closed');
    if (i > start) this.cfws = true;
    let words = 0;
    let quoted = false;
    for (;;) {
      let end: number;
      if (local && i < n && b[i] === dquote) {
        end = quotedStringEnd(b, i, n);
        if (end < 0) return this.fail('a quoted string is not closed');
        this.quoted = quoted = true;
      } else {
        end = atextEnd(b, i, n);
        const part = local ? 'local part' : 'domain';
        if (end === i) {
          const c = i < n ? b[i]! : -1;
          if (words > 0) return this.fail(c === dot ? `two "." in a row in the ${part}` : `a "." at the end of the ${part}`);
          if (c === dot) return this.fail(`a "." at the start of the ${part}`);
          return this.fail(c === -1 || c === at || c === 0x3e ? `an empty ${part}` : `${describe(b, i)} in the ${part}`);
        }
        if (end < n && b[end]! >= 0x80) return this.fail(`${describe(b, end)}, which is not UTF-8, in the ${part}`);
      }
      words++;
      const after = skipCfws(b, end, n);
      if (after < 0) return this.fail('a comment is not closed');
      if (after === n || b[after] !== dot) {
        if (after > end) this.cfws = true;
        if (quoted && words > 1) this.quotedDotted = true;
        return after;
      }
      i = skipCfws(b, after + 1, n);
      if (i < 0) return this.fail('a comment is not closed');
      if (after > end || i > after + 1) this.spacedDots = this.cfws = true;
    }
  }

  /** Index past the domain at `i` (dot-atom, domain literal or obs-domain) and the CFWS after it, or -1. */
  domainEnd(b: Uint8Array, i: number, n: number): number {
    const start = i;
    i = skipCfws(b, i, n);
    if (i < 0) return this.fail('a comment is not closed');
    if (i === n || b[i] !== 0x5b) return this.wordsEnd(b, start, n, false);
    if (i > start) this.cfws = true;
    this.literal = true;
    // RFC 5322 §3.4.1 domain-literal: dtext and FWS between brackets; §4.4 obs-dtext.
    for (i++; i < n; i++) {
      const c = b[i]!;
      if (c === 0x5d) {
        const after = skipCfws(b, i + 1, n);
        if (after < 0) return this.fail('a comment is not closed');
        if (after > i + 1) this.cfws = true;
        return after;
      }
      if (c === 0x5b) return this.fail('"[" inside a domain literal');
      if (c === backslash) {
        this.obsLiteral = true;
        i++;
      } else if (isSpTab(c) || c === 0x0a || c === 0x0d) {
        this.literalSpace = true;
      } else if (c < 0x20 || c === 0x7f) {
        this.obsLiteral = true;
      }
    }
    return this.fail('a domain literal is not closed with "]"');
  }

  private fail(reason: string): -1 {
    this.reason = reason;
    return -1;
  }
}

/** The byte at `i` as a finding names it. */
export function describe(b: Uint8Array, i: number): string {
  const c = b[i]!;
  return c > 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
