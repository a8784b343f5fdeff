import type { AddressList } from '../field.js';
import { AddrSpecScan, describe } from './addr-spec.js';
import { at, codeAt, colon, comma, commentSource, dot, dquote, langle, phraseAtomEnd, quotedSource, quotedStringEnd, rangle, semicolon, skipCfws } from './value-lexer.js';

/**
 * The grammar of address fields (RFC 5322 §3.4, §3.6.2, §3.6.3): From, Sender, Reply-To, To,
 * Cc, Bcc, for the values that the fast path (values.ts) does not take. Obsolete forms (§4.4)
 * are part of it: readers must accept them (§4), so they are at most an `address-obsolete`
 * note, never `address-invalid`.
 */
export interface AddressCheck extends AddressList {
  /** The obsolete forms the value uses, for one `address-obsolete` finding; only when it has no problem. */
  readonly obsolete: string | undefined;
  /** How many groups (`name: …;`) the list holds. */
  readonly groups: number;
}

/**
 * An element of a list up to the next "," (`elementInGroup`: or ";") outside quoted strings,
 * comments and angle brackets, those that are not closed running to the end: for the text
 * a finding quotes and for counting the elements after a problem.
 */
const elementUpTo = (stops: string): RegExp => new RegExp(String.raw`(?:"(?:[^"\\]|\\[\s\S])*"?|${commentSource}|\(.*|<[^>]*>?|[^${stops}"(<])*`, 'ys');
const element = elementUpTo(',');
const elementInGroup = elementUpTo(',;');

/** Index of the "," (with `semicolons`, or ";") that ends the element at `i`, or the length of `s`. */
function elementEnd(s: string, i: number, semicolons: boolean): number {
  const re = semicolons ? elementInGroup : element;
  re.lastIndex = i;
  re.test(s);
  return re.lastIndex;
}

/**
 * The full grammar of an address list (RFC 5322 §3.4 address-list, mailbox-list, group; §4.4
 * obs-addr-list, obs-mbox-list, obs-group-list, obs-angle-addr), on the value's unfolded
 * text. One instance serves every call: `check` starts it afresh.
 */
class AddressListParser {
  private s = '';
  private mailboxes = 0;
  private groups = 0;
  private problem: string | undefined = undefined;
  private obsolete: string[] = [];
  private groupName = '';
  /** Whether the element just read was a group. */
  private group = false;
  private readonly spec = new AddrSpecScan();

  check(s: string, bcc: boolean): AddressCheck {
    this.s = s;
    this.mailboxes = 0;
    this.groups = 0;
    this.problem = undefined;
    this.obsolete = [];
    const start = skipCfws(s, 0);
    if (start < 0) this.problem = `"${this.text(0, s.length)}": a comment is not closed`;
    // RFC 5322 §3.6.3: Bcc may hold CFWS alone; every other address field needs an address.
    else if (start === s.length) this.problem = bcc ? undefined : `"${this.text(0, s.length)}": a comment and no address`;
    else this.list(start, false);
    const obsolete = this.problem === undefined && this.obsolete.length > 0 ? this.obsolete.join('; ') : undefined;
    return { mailboxes: this.mailboxes, problem: this.problem, obsolete, groups: this.groups };
  }

  /**
   * The elements of a list from `i` on: addresses at the top (`inGroup` false), mailboxes up
   * to the ";" that ends a group. Returns the index past that ";" and the CFWS after it, or
   * the end of the value at the top; -1 once a problem is set.
   */
  private list(i: number, inGroup: boolean): number {
    const { s } = this;
    let elements = 0;
    for (;;) {
      const from = i;
      i = skipCfws(s, i);
      if (i < 0) return this.fail(from, inGroup, 'a comment is not closed');
      const c = codeAt(this.s, i);
      if (c === -1 || (inGroup && c === semicolon)) {
        // A "," just before the end of the list or the group ends an empty element.
        if (elements > 0 && codeAt(s, from - 1) === comma) this.note(emptyElement);
        if (c === -1) return inGroup ? this.unclosedGroup() : i;
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
      const next = end < 0 ? -1 : codeAt(this.s, end);
      if (next !== -1 && next !== comma && !(inGroup && next === semicolon)) {
        end = this.fail(i, inGroup, next === langle ? 'the display name needs quoting' : this.group ? 'text after the ";" that ends the group' : 'text after the address');
      }
      if (end < 0) {
        // The failed element and those after it count as mailboxes, as for a reader that
        // splits the list at its commas (only the top-level list counts: groups are in it).
        if (!inGroup) this.countFrom(i, before);
        return -1;
      }
      if (next === -1) return inGroup ? this.unclosedGroup() : end;
      if (next === comma) i = end + 1;
      else return this.afterGroup(end + 1);
    }
  }

  /** Index past the CFWS after a group's ";" at `i - 1`, or -1 (RFC 5322 §3.4 group). */
  private afterGroup(i: number): number {
    const end = skipCfws(this.s, i);
    return end < 0 ? this.fail(i, false, 'a comment is not closed') : end;
  }

  /** One address (a mailbox, or at the top a group) at `i`: the index past it and the CFWS after it, or -1. */
  private element(i: number, inGroup: boolean): number {
    const { s } = this;
    // A display name (phrase, with the "." of obs-phrase) or a local part: words, "." and CFWS.
    let words = 0;
    let k = i;
    for (;;) {
      const c = codeAt(this.s, k);
      let end: number;
      if (c === dquote) {
        end = quotedStringEnd(s, k);
        if (end < 0) return this.fail(i, inGroup, 'a quoted string is not closed');
      } else if (c === dot && words > 0) {
        end = k + 1;
      } else {
        // Any 8-bit byte may stand in a display name (raw-8bit reports it); an addr-spec is read again below.
        end = phraseAtomEnd(s, k);
        if (end === k) break;
      }
      if (c !== dot) words++;
      k = skipCfws(s, end);
      if (k < 0) return this.fail(i, inGroup, 'a comment is not closed');
    }
    const stop = codeAt(this.s, k);
    if (stop === langle) return this.angleAddr(i, k, inGroup);
    if (words === 0) return this.fail(i, inGroup, `${describe(s, k)} where a mailbox should be`);
    if (stop === colon) {
      if (inGroup) return this.fail(i, inGroup, 'a group inside a group');
      this.groupName = this.text(i, k);
      const end = this.list(k + 1, true);
      this.group = true;
      this.groups++;
      return end;
    }
    if (stop === at) {
      const end = this.spec.reset().end(s, i);
      if (end < 0) {
        const { reason } = this.spec;
        // Words before an addr-spec: a display name without the angle brackets.
        if (words > 1 && reason.endsWith('where "@" should be')) return this.fail(i, inGroup, 'a display name needs "<…>" around the address');
        return this.fail(i, inGroup, reason.endsWith('not closed') ? reason : `not an addr-spec (${reason})`);
      }
      this.noteSpec(i, end);
      this.mailboxes++;
      return end;
    }
    return this.fail(i, inGroup, stop === -1 || stop === comma || stop === semicolon ? 'a name without an address' : `not a mailbox (${describe(s, k)} after a name)`);
  }

  /** The angle-addr whose "<" is at `lt`, after the display name from `i`; the index past it and its CFWS, or -1. */
  private angleAddr(i: number, lt: number, inGroup: boolean): number {
    const { s } = this;
    let k = lt + 1;
    const route = this.routeEnd(k);
    if (route > 0) {
      // obs-angle-addr (RFC 5322 §4.4): a source route, which readers ignore.
      this.note(`a route before the address ("<${this.text(k, route)}")`);
      k = route;
    }
    const end = this.spec.reset().end(s, k);
    if (end < 0 || codeAt(this.s, end) !== rangle) {
      const gt = s.indexOf('>', k);
      const spec = this.text(k, gt < 0 ? s.length : gt);
      if (gt < 0) return this.fail(i, inGroup, `no ">" after "<${spec}"`);
      if (spec === '') return this.fail(i, inGroup, '"<>" holds no address');
      return this.fail(i, inGroup, `"${spec}" is not an addr-spec${end < 0 ? ` (${this.spec.reason})` : ''}`);
    }
    this.noteSpec(k, end);
    this.mailboxes++;
    const after = skipCfws(s, end + 1);
    if (after < 0) return this.fail(i, inGroup, 'a comment is not closed');
    const next = codeAt(this.s, after);
    if (next !== -1 && next !== comma && !(inGroup && next === semicolon)) return this.fail(i, inGroup, 'text after the closing ">"');
    return after;
  }

  /**
   * Index past the obs-route at `i`, `*(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":"`
   * (RFC 5322 §4.4), or -1 when there is none.
   */
  private routeEnd(i: number): number {
    let domains = 0;
    for (;;) {
      i = skipCfws(this.s, i);
      const c = i < 0 ? -1 : codeAt(this.s, i);
      if (c === comma) i++;
      else if (c === colon) return domains > 0 ? i + 1 : -1;
      else if (c === at) {
        i = this.spec.reset().domainEnd(this.s, i + 1);
        if (i < 0) return -1;
        domains++;
      } else return -1;
    }
  }

  /** Notes the obsolete forms of the addr-spec from `from` to `to` just read. */
  private noteSpec(from: number, to: number): void {
    const { spec } = this;
    if (spec.spacedDots) this.note(`white space or a comment next to "." in "${this.text(from, to)}"`);
    if (spec.quotedDotted) this.note(`a quoted word among dotted words in "${this.text(from, to)}"`);
    if (spec.obsLiteral) this.note(`an escape or a control character in the domain literal of "${this.text(from, to)}"`);
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
    this.problem ??= `"${this.text(from, elementEnd(this.s, from, inGroup))}": ${why}`;
    return -1;
  }

  /** Sets the count to `before` and the non-blank elements from `i` on (after a problem). */
  private countFrom(i: number, before: number): void {
    const { s } = this;
    this.mailboxes = before;
    while (i < s.length) {
      const end = elementEnd(s, i, true);
      const first = skipCfws(s, i);
      if (first >= 0 && first < end) this.mailboxes++;
      i = end + 1;
    }
  }

  /** The value's text from `from` to `to`, trimmed, as a finding quotes it: 80 characters at most. */
  private text(from: number, to: number): string {
    const text = this.s.slice(from, to).trim();
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
  }
}

const emptyElement = 'an empty list element (", ,")';

const parser = new AddressListParser();

/** The full grammar of an address field's unfolded value (`nameLower`: the field's name, which tells Bcc). */
export const fullAddressCheck = (value: string, nameLower = 'to'): AddressCheck => parser.check(value, nameLower === 'bcc');

/** Comments and quoted strings, the second with their content as group 1: what the encoded-word check below reads a value as. */
const commentOrQuoted = new RegExp(`${commentSource}|${quotedSource}`, 'g');
const encodedWordInText = /=\?[^?\s"]+\?[BbQq]\?[^?\s"]*\?=/;

/**
 * The first quoted string of an address field's value (a quoted display name, or a quoted
 * local part) that holds an RFC 2047 encoded-word: RFC 2047 §5 (3) forbids it there, so a
 * conforming reader shows `=?…?=` as it is, while many mail programs decode it anyway. The
 * value is a string (it is decoded whenever it holds "=?"), read with regexes: this runs
 * for few values, and regexes cost V8 less to compile than a loop does.
 */
export function quotedEncodedWord(value: string): string | undefined {
  if (!value.includes('"')) return undefined;
  for (const m of value.matchAll(commentOrQuoted)) if (m[1] !== undefined && encodedWordInText.test(m[1])) return m[0];
  return undefined;
}
