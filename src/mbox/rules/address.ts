import type { AddressList, Field, RuleSink } from '../field.js';
import { AddrSpecScan, describe } from './addr-spec.js';
import { plainMailboxCount } from './plain-values.js';
import { at, atextEnd, bytesOf, colon, comma, commentEnd, dot, dquote, langle, lparen, quotedStringEnd, rangle, scratch, semicolon, skipCfws, textOf } from './value-lexer.js';

/**
 * Address fields (RFC 5322 §3.4, §3.6.2, §3.6.3): From, Sender, Reply-To, To, Cc, Bcc.
 * A fast path takes the plain lists nearly every message has; anything else goes through
 * the full grammar, obsolete forms (§4.4) included: readers must accept those (§4), so they
 * are at most an `address-obsolete` note, never `address-invalid`.
 */
export interface AddressCheck extends AddressList {
  /** The obsolete forms the value uses, for one `address-obsolete` finding; only when it has no problem. */
  readonly obsolete: string | undefined;
}

/**
 * Index of the next "," (or, with `semicolons`, ";") from `i` on outside quoted strings,
 * comments and angle brackets, or `n`: where an element of a list ends, for the text a
 * finding quotes and for counting the elements after a problem.
 */
function elementEnd(b: Uint8Array, i: number, n: number, semicolons: boolean): number {
  let angle = false;
  for (; i < n; i++) {
    const c = b[i];
    if (c === dquote || c === lparen) {
      const end = c === dquote ? quotedStringEnd(b, i, n) : commentEnd(b, i, n);
      if (end < 0) return n;
      i = end - 1;
    } else if (c === langle) angle = true;
    else if (c === rangle) angle = false;
    else if (!angle && (c === comma || (semicolons && c === semicolon))) return i;
  }
  return n;
}

/**
 * The full grammar of an address list (RFC 5322 §3.4 address-list, mailbox-list, group; §4.4
 * obs-addr-list, obs-mbox-list, obs-group-list, obs-angle-addr), on the value's bytes. One
 * instance serves every call: `check` starts it afresh.
 */
class AddressListParser {
  private b: Uint8Array = new Uint8Array(0);
  private n = 0;
  private mailboxes = 0;
  private problem: string | undefined = undefined;
  private obsolete: string[] = [];
  private groupName = '';
  /** Whether the element just read was a group. */
  private group = false;
  private readonly spec = new AddrSpecScan();

  check(b: Uint8Array, i: number, n: number, bcc: boolean): AddressCheck {
    this.b = b;
    this.n = n;
    this.mailboxes = 0;
    this.problem = undefined;
    this.obsolete = [];
    const start = skipCfws(b, i, n);
    if (start < 0) this.problem = `"${textOf(b, i, n)}": a comment is not closed`;
    // RFC 5322 §3.6.3: Bcc may hold CFWS alone; every other address field needs an address.
    else if (start === n) this.problem = bcc ? undefined : `"${textOf(b, i, n)}": a comment and no address`;
    else this.list(start, false);
    const obsolete = this.problem === undefined && this.obsolete.length > 0 ? this.obsolete.join('; ') : undefined;
    return { mailboxes: this.mailboxes, problem: this.problem, obsolete };
  }

  /**
   * The elements of a list from `i` on: addresses at the top (`inGroup` false), mailboxes up
   * to the ";" that ends a group. Returns the index past that ";" and the CFWS after it, or
   * `n` at the top; -1 once a problem is set.
   */
  private list(i: number, inGroup: boolean): number {
    const { b, n } = this;
    let elements = 0;
    for (;;) {
      const from = i;
      i = skipCfws(b, i, n);
      if (i < 0) return this.fail(from, inGroup, 'a comment is not closed');
      const c = i < n ? b[i] : -1;
      if (c === -1 || (inGroup && c === semicolon)) {
        // A "," just before the end of the list or the group ends an empty element.
        if (elements > 0 && b[from - 1] === comma) this.note(emptyElement);
        if (c === -1) return inGroup ? this.unclosedGroup() : n;
        return this.afterGroup(i + 1);
      }
      elements++;
      if (c === comma) {
        // obs-addr-list, obs-mbox-list, obs-group-list: an element that is only CFWS.
        this.note(emptyElement);
        i++;
        continue;
      }
      const before = this.mailboxes;
      this.group = false;
      let end = this.element(i, inGroup);
      if (end >= 0 && end < n && b[end] !== comma && !(inGroup && b[end] === semicolon)) {
        end = this.fail(i, inGroup, b[end] === langle ? 'the display name needs quoting' : this.group ? 'text after the ";" that ends the group' : 'text after the address');
      }
      if (end < 0) {
        // The failed element and those after it count as mailboxes, as for a reader that
        // splits the list at its commas (only the top-level list counts: groups are in it).
        if (!inGroup) this.countFrom(i, before);
        return -1;
      }
      if (end === n) return inGroup ? this.unclosedGroup() : n;
      if (b[end] === comma) i = end + 1;
      else return this.afterGroup(end + 1);
    }
  }

  /** Index past the CFWS after a group's ";" at `i - 1`, or -1 (RFC 5322 §3.4 group). */
  private afterGroup(i: number): number {
    const end = skipCfws(this.b, i, this.n);
    return end < 0 ? this.fail(i, false, 'a comment is not closed') : end;
  }

  /** One address (a mailbox, or at the top a group) at `i`: the index past it and the CFWS after it, or -1. */
  private element(i: number, inGroup: boolean): number {
    const { b, n } = this;
    // A display name (phrase, with the "." of obs-phrase) or a local part: words, "." and CFWS.
    let words = 0;
    let k = i;
    for (;;) {
      const c = k < n ? b[k]! : -1;
      let end: number;
      if (c === dquote) {
        end = quotedStringEnd(b, k, n);
        if (end < 0) return this.fail(i, inGroup, 'a quoted string is not closed');
      } else if (c === dot && words > 0) {
        end = k + 1;
      } else {
        // Any 8-bit byte may stand in a display name (raw-8bit reports it); an addr-spec is read again below.
        end = atextEnd(b, k, n);
        while (end < n && b[end]! >= 0x80) end = atextEnd(b, end + 1, n);
        if (end === k) break;
      }
      if (c !== dot) words++;
      k = skipCfws(b, end, n);
      if (k < 0) return this.fail(i, inGroup, 'a comment is not closed');
    }
    const stop = k < n ? b[k]! : -1;
    if (stop === langle) return this.angleAddr(i, k, inGroup);
    if (words === 0) return this.fail(i, inGroup, `${describe(b, k)} where a mailbox should be`);
    if (stop === colon) {
      if (inGroup) return this.fail(i, inGroup, 'a group inside a group');
      this.groupName = textOf(b, i, k);
      const end = this.list(k + 1, true);
      this.group = true;
      return end;
    }
    if (stop === at) {
      const end = this.spec.reset().end(b, i, n);
      if (end < 0) {
        const { reason } = this.spec;
        // Words before an addr-spec: a display name without the angle brackets.
        if (words > 1 && reason.endsWith('where "@" should be')) return this.fail(i, inGroup, 'a display name needs "<…>" around the address');
        return this.fail(i, inGroup, reason.endsWith('not closed') ? reason : `not an addr-spec (${reason})`);
      }
      this.noteSpec(b, i, end);
      this.mailboxes++;
      return end;
    }
    return this.fail(i, inGroup, stop === -1 || stop === comma || stop === semicolon ? 'a name without an address' : `not a mailbox (${describe(b, k)} after a name)`);
  }

  /** The angle-addr whose "<" is at `lt`, after the display name from `i`; the index past it and its CFWS, or -1. */
  private angleAddr(i: number, lt: number, inGroup: boolean): number {
    const { b, n } = this;
    let k = lt + 1;
    const route = this.routeEnd(k);
    if (route > 0) {
      // obs-angle-addr (RFC 5322 §4.4): a source route, which readers ignore.
      this.note(`a route before the address ("<${textOf(b, k, route)}")`);
      k = route;
    }
    const end = this.spec.reset().end(b, k, n);
    if (end < 0 || end === n || b[end] !== rangle) {
      let gt = k;
      while (gt < n && b[gt] !== rangle) gt++;
      const spec = textOf(b, k, gt);
      if (gt === n) return this.fail(i, inGroup, `no ">" after "<${spec}"`);
      if (spec === '') return this.fail(i, inGroup, '"<>" holds no address');
      return this.fail(i, inGroup, `"${spec}" is not an addr-spec${end < 0 ? ` (${this.spec.reason})` : ''}`);
    }
    this.noteSpec(b, k, end);
    this.mailboxes++;
    const after = skipCfws(b, end + 1, n);
    if (after < 0) return this.fail(i, inGroup, 'a comment is not closed');
    if (after < n && b[after] !== comma && !(inGroup && b[after] === semicolon)) return this.fail(i, inGroup, 'text after the closing ">"');
    return after;
  }

  /**
   * Index past the obs-route at `i`, `*(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":"`
   * (RFC 5322 §4.4), or -1 when there is none.
   */
  private routeEnd(i: number): number {
    const { b, n } = this;
    let domains = 0;
    for (;;) {
      i = skipCfws(b, i, n);
      if (i < 0 || i === n) return -1;
      const c = b[i];
      if (c === comma) i++;
      else if (c === colon) return domains > 0 ? i + 1 : -1;
      else if (c === at) {
        i = this.spec.reset().domainEnd(b, i + 1, n);
        if (i < 0) return -1;
        domains++;
      } else return -1;
    }
  }

  /** Notes the obsolete forms of the addr-spec `b[from..to)` just read. */
  private noteSpec(b: Uint8Array, from: number, to: number): void {
    const { spec } = this;
    if (spec.spacedDots) this.note(`white space or a comment next to "." in "${textOf(b, from, to)}"`);
    if (spec.quotedDotted) this.note(`a quoted word among dotted words in "${textOf(b, from, to)}"`);
    if (spec.obsLiteral) this.note(`an escape or a control character in the domain literal of "${textOf(b, from, to)}"`);
  }

  private note(what: string): void {
    if (!this.obsolete.includes(what)) this.obsolete.push(what);
  }

  private unclosedGroup(): -1 {
    this.problem ??= `"${this.groupName}:" starts a group that no ";" ends (a display name with ":" must be quoted)`;
    return -1;
  }

  /** Records the problem of the element at `from`: `why`, after the element's text. */
  private fail(from: number, inGroup: boolean, why: string): -1 {
    this.problem ??= `"${textOf(this.b, from, elementEnd(this.b, from, this.n, inGroup))}": ${why}`;
    return -1;
  }

  /** Sets the count to `before` and the non-blank elements from `i` on (after a problem). */
  private countFrom(i: number, before: number): void {
    const { b, n } = this;
    this.mailboxes = before;
    while (i < n) {
      const end = elementEnd(b, i, n, true);
      const first = skipCfws(b, i, end);
      if (first >= 0 && first < end) this.mailboxes++;
      i = end + 1;
    }
  }
}

const emptyElement = 'an empty list element (", ,")';

const parser = new AddressListParser();

/** What the fast path's count of plain mailboxes means. */
const plainList = (mailboxes: number): AddressCheck => ({ mailboxes, problem: undefined, obsolete: undefined });

/** Number of mailboxes, the first problem and the obsolete forms of an address field's value (`nameLower` tells Bcc). */
export function checkAddressList(value: string, nameLower = 'to'): AddressCheck {
  const { buf, start, end } = bytesOf(value);
  const plain = plainMailboxCount(buf, start, end);
  return plain > 0 ? plainList(plain) : parser.check(buf, start, end, nameLower === 'bcc');
}

/** `checkAddressList` without its fast path. */
export function fullAddressCheck(value: string, nameLower = 'to'): AddressCheck {
  const { buf, start, end } = bytesOf(value);
  return parser.check(buf, start, end, nameLower === 'bcc');
}

/** `checkAddressList` of a field's value, worked out once for all the rules that ask. */
export function addressListOf(f: Field): AddressCheck {
  // Only this function fills `Field.addresses`, always with an AddressCheck.
  if (f.addresses) return f.addresses as AddressCheck;
  const { buf, start, end } = f.valueBytes(scratch);
  const plain = plainMailboxCount(buf, start, end);
  const check = plain > 0 ? plainList(plain) : parser.check(buf, start, end, f.lower === 'bcc');
  f.noColonSpace = plain > 0;
  f.addresses = check;
  return check;
}

/**
 * An RFC 2047 encoded-word inside a quoted string (a quoted display name, or a quoted local
 * part) of `b[i..n)`, as the quoted string's text: RFC 2047 §5 (3) forbids it there, so a
 * conforming reader shows `=?…?=` as it is, while many mail programs decode it anyway.
 */
export function quotedEncodedWord(b: Uint8Array, i: number, n: number): string | undefined {
  for (; i < n; i++) {
    const c = b[i];
    if (c === lparen) {
      const end = commentEnd(b, i, n);
      if (end < 0) return undefined;
      i = end - 1;
    } else if (c === dquote) {
      const end = quotedStringEnd(b, i, n);
      if (end < 0) return undefined;
      for (let k = i + 1; k < end - 1; k++) {
        if (b[k] === 0x3d && b[k + 1] === 0x3f) {
          const text = textOf(b, i, end);
          if (encodedWordInText.test(text)) return text;
          break;
        }
      }
      i = end - 1;
    }
  }
  return undefined;
}
const encodedWordInText = /=\?[^?\s"]+\?[BbQq]\?[^?\s"]*\?=/;

/** The address field's findings: `address-invalid`, or else `address-obsolete`; `encoded-word-in-quoted-string`. */
export function checkAddressField(sink: RuleSink, f: Field): void {
  const { problem, obsolete } = addressListOf(f);
  if (problem !== undefined) sink.report('address-invalid', f.line, f.line.offset, `${f.name}: ${problem}`);
  else if (obsolete !== undefined) sink.report('address-obsolete', f.line, f.line.offset, `${f.name}: ${obsolete}`);
}

/** `encoded-word-in-quoted-string` of an address field whose value holds "=?". */
export function checkQuotedEncodedWords(sink: RuleSink, f: Field): void {
  // The value is decoded already (`Field.mayHaveEncodedWord`): most have no quoted string.
  if (!f.value.includes('"')) return;
  const { buf, start, end } = f.valueBytes(scratch);
  const quoted = quotedEncodedWord(buf, start, end);
  if (quoted !== undefined) sink.report('encoded-word-in-quoted-string', f.line, f.line.offset, `${f.name}: ${quoted} is a quoted string, where an encoded-word is not decoded`);
}
