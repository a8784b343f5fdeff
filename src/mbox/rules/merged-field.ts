import { colonThenSpace, ValueBytes, type Field, type FieldName, type RuleSink } from '../field.js';
import { isWsp, latin1, type Line, type SourceLine } from '../line.js';
import { Severity } from '../types.js';
import { Role } from './field-roles.js';
import { checkAddressList, checkDate, checkMessageId, checkMimeField } from './values.js';

/*
 * `merged-field`: a header line holding a second field, `Name: value`, where a line break
 * was lost. RFC 5322 §2.2 gives each field its own line; a bare CR that a stage of the
 * pipeline turned into a space (Postfix does), or deleted, leaves
 *   Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT) From: "Example Name" <…>   (incident 1)
 *   X-Mailer: foo X-Priority: 3
 *   MIME-Version: 1.0Content-Type: text/plain
 * A name followed by ": " also occurs in text ("Re: ", "NOTICE: "), so what stands around
 * it decides, and the finding says how sure it is: high (an error) or medium (a warning).
 */

/** Names of fields that real writers put in headers (lower case): seeing one is strong evidence. */
const knownNames = new Set([
  'from', 'to', 'cc', 'bcc', 'date', 'sender', 'reply-to', 'subject', 'message-id', 'in-reply-to', 'references',
  'return-path', 'received', 'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition',
  'content-id', 'x-mailer', 'user-agent', 'delivered-to', 'list-id', 'resent-from', 'resent-to', 'resent-date',
  'resent-message-id', 'dkim-signature', 'authentication-results',
]);

/** The text after a merged name checked against that field's grammar (see `parsesAs`). */
const Grammar = { address: 1, date: 2, messageId: 3, mime: 4, received: 5 } as const;
type Grammar = (typeof Grammar)[keyof typeof Grammar];
const grammarOf = new Map<string, Grammar>([
  ...['from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'resent-from', 'resent-to', 'delivered-to', 'return-path'].map((n) => [n, Grammar.address] as const),
  ...['date', 'resent-date'].map((n) => [n, Grammar.date] as const),
  ...['message-id', 'resent-message-id', 'content-id'].map((n) => [n, Grammar.messageId] as const),
  ...['mime-version', 'content-type', 'content-transfer-encoding'].map((n) => [n, Grammar.mime] as const),
  ['received', Grammar.received],
]);

/** Fields of free text (RFC 5322 §3.6.5 and their kin), where "Word: " is prose. */
const freeText = new Set(['subject', 'comments', 'keywords', 'content-description', 'thread-topic', 'summary']);
const isFreeText = (lower: string): boolean => freeText.has(lower) || lower.endsWith('-subject');

const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
const isNameChar = (c: number): boolean => isLetter(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;

/** `X-Name` with at least a letter after "X-", or `Word-Word` with every part capitalised. */
const xName = /^X-[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*$/;
const hyphenatedName = /^[A-Z][A-Za-z0-9]*(?:-[A-Z][A-Za-z0-9]*)+$/;

function parsesAs(grammar: Grammar, lower: string, text: string): boolean {
  if (text === '') return false;
  switch (grammar) {
    case Grammar.address:
      return checkAddressList(text).problem === undefined;
    case Grammar.date: {
      const { problems, trailing } = checkDate(text);
      return trailing === '' && problems.every(([rule]) => rule !== 'date-invalid');
    }
    case Grammar.messageId:
      return checkMessageId(text) === undefined;
    case Grammar.mime:
      return checkMimeField(lower, text) === undefined;
    case Grammar.received:
      // RFC 5321 §4.4: clauses ("from", "by", "with", …), then ";" and the date.
      return /^(?:from|by|with|via|id|for|\()\b[^;]*;/i.test(text);
  }
}

/**
 * Where `b[from..to)` leaves a quoted string or comment open (RFC 5322 §3.2.2, §3.2.4),
 * starting from `state`: -1 inside a quoted string, the comment depth otherwise.
 */
function quoteState(b: Uint8Array, from: number, to: number, state = 0): number {
  let quoted = state < 0;
  let depth = Math.max(0, state);
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c === 0x5c) i++;
    else if (quoted) quoted = c !== 0x22;
    else if (c === 0x22) quoted = true;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && depth > 0) depth--;
  }
  return quoted ? -1 : depth;
}

const earlier = new ValueBytes();

/** The quote state (see `quoteState`) after the value the field `host` had before this line. */
function stateAfter(host: FieldName | Field): number {
  if (!('valueBytes' in host)) return 0;
  const { buf, start, end } = host.valueBytes(earlier);
  return quoteState(buf, start, end);
}

/** A merged field found in a line: where its name starts, the name, and how sure. */
interface Merge {
  at: number;
  name: string;
  high: boolean;
  why: string;
}

/**
 * What a name before ": " may be, worked out once per spelling (`shapeOf`). Not with the
 * header lines' FieldNameCache: its `get`, the hottest call of a header, stays monomorphic.
 */
interface NameShape {
  name: string;
  lower: string;
  known: boolean;
  grammar: Grammar | undefined;
  x: boolean;
  hyphenated: boolean;
}
const shapes = new Map<string, NameShape>();
/** How many spellings `shapes` keeps: a file of endless names must not grow it without bound. */
const maxShapes = 4096;

/** The shape of the name `b[start..end)`. */
function shapeOf(b: Uint8Array, start: number, end: number): NameShape {
  const name = latin1(b, start, end);
  let shape = shapes.get(name);
  if (shape === undefined) {
    const lower = name.toLowerCase();
    const known = knownNames.has(lower);
    shape = { name, lower, known, grammar: known ? grammarOf.get(lower) : undefined, x: xName.test(name), hyphenated: hyphenatedName.test(name) };
    if (shapes.size >= maxShapes) shapes.clear();
    shapes.set(name, shape);
  }
  return shape;
}

/** True when `b[from..to)` is only white space. */
function blank(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isWsp(b[i])) return false;
  return true;
}

/**
 * The field merged into the line `b[..end)` whose own value starts at `valueStart`,
 * judging each ":" followed by white space from `colon` on; `host` is the field the line
 * belongs to (`continued`: this is one of its continuation lines). Most candidates are
 * words of text ("Re: "), turned down by their name's shape before anything is decoded.
 */
function findMerge(b: Uint8Array, valueStart: number, end: number, colon: number, host: FieldName | Field, continued: boolean, next = nextColonWsp): Merge | undefined {
  const structured = (host.role & Role.structured) !== 0;
  const free = isFreeText(host.lower);
  // A continuation line may start inside a comment or quoted string of the lines before.
  let state = -2;
  for (let e = colon; e >= 0 && e < end; e = next(b, e + 1, end)) {
    let s = e;
    while (s > valueStart && isNameChar(b[s - 1]!)) s--;
    if (s === e) continue;
    // Spaced: the lost line end became white space (or is still a bare CR); glued: it
    // vanished, and the name follows the value's last character (only known names then).
    // In a structured value a known name is one in any case; elsewhere, where text may say
    // "to: me", only as writers spell field names, capitalised.
    const before = s > valueStart ? b[s - 1]! : 0x20;
    let at = s;
    let shape: NameShape | undefined;
    let spaced = false;
    if (isWsp(before) || before === 0x0d) {
      shape = shapeOf(b, s, e);
      spaced = isUpper(b[s]!) || (structured && shape.known);
    }
    if (!spaced) {
      shape = undefined;
      for (let p = s; p < e && !shape; p++) {
        if (!isUpper(b[p]!) || (p > s && isUpper(b[p - 1]!))) continue;
        const candidate = shapeOf(b, p, e);
        if (candidate.known) {
          shape = candidate;
          at = p;
        }
      }
      if (!shape) continue;
    }
    const { name, lower, known, grammar } = shape!;
    // Only these shapes can be reported: known names, and spaced X- or capitalised ones.
    const hyphenated = shape!.hyphenated && !free && !structured;
    if (!known && !(spaced && (shape!.x || hyphenated))) continue;
    if (state === -2) state = continued ? stateAfter(host) : 0;
    if (quoteState(b, valueStart, at, state) !== 0) continue;
    // A first line whose value is nothing but the other field may be a field that holds one.
    const whole = !continued && blank(b, valueStart, at);
    if (known) {
      const glued = spaced ? '' : ', glued to the text before it';
      if (structured) return { at, name, high: true, why: `a field name in the value of a structured field${glued}` };
      if (grammar !== undefined && parsesAs(grammar, lower, latin1(b, e + 1, end).trim())) {
        return whole ? { at, name, high: false, why: `the field's whole value is a ${name} field` } : { at, name, high: true, why: `the text after it is a valid ${name} value${glued}` };
      }
      if (lower === 'subject' && !free) return { at, name, high: false, why: 'a field name followed by text' };
    }
    // A known name whose grammar the text after it fails is prose ("Date: is 6 hours old").
    if (grammar !== undefined || !spaced) continue;
    if (shape!.x) {
      if (whole) return { at, name, high: false, why: `the field's whole value is a ${name} field` };
      return { at, name, high: !free, why: free ? 'an X- field name, in free text' : 'an X- field name' };
    }
    // Not in structured values, where other words may stand so ("Quoted-Printable").
    if (hyphenated) return { at, name, high: false, why: 'a field name of capitalised words' };
  }
  return undefined;
}

/** Index of the next ":" followed by SP or HTAB in `b[from..end)`, or -1. */
function nextColonWsp(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === 0x3a && isWsp(b[i + 1])) return i;
  return -1;
}

const valueBytes = new ValueBytes();

/**
 * `merged-field` in a structured field, read in its value at the header's end, folds
 * included, so that folding a value does not change what is found (a structured field is
 * kept whole; in a structured value every merged name found is reported before the text
 * after it is read). Values that a fast path accepted in a grammar without ":" before white
 * space are not read (`Field.noColonSpace`). Returns true when it reported a merge.
 */
export function checkMergedValue(sink: RuleSink, f: Field): boolean {
  // Most values have no ": " at all: answered before a settled value is written out as bytes.
  if (!f.hasColonThenSpace()) return false;
  const { buf, start, end } = f.valueBytes(valueBytes);
  const colon = colonThenSpace(buf, start, end);
  const m = colon < 0 ? undefined : findMerge(buf, start, end, colon, f, false, colonThenSpace);
  if (!m) return false;
  const at = latin1(f.bytes).indexOf(`${m.name}:`, f.name.length);
  report(sink, f.line, f.line.offset + (at >= 0 ? at : 0), m, f.name);
  return true;
}

const detail = (m: Merge, host: string): string => `"${m.name}:" inside the value of ${host}: two header lines were merged (${m.high ? 'high' : 'medium'} confidence: ${m.why})`;

/**
 * The merged-field checks of one header: per line as they come (`line`), and per address
 * field at the header's end (`rewritten`). A Subject merged into an unstructured field is
 * kept until then: it counts only when the header has no Subject field of its own.
 */
export class MergedLines {
  private pendingSubject: { line: SourceLine; merge: Merge; host: string } | undefined;

  /**
   * The header line `line`, in the field `host`: its first line, whose value starts at
   * `valueStart`, or a continuation line (`host` then is the field, its value so far not yet
   * holding this line), with a ":" followed by white space at `colon`. Returns true when it
   * reported a merge.
   */
  line(sink: RuleSink, line: SourceLine, valueStart: number, colon: number, host: FieldName | Field, continued: boolean): boolean {
    const m = findMerge(line.buf, valueStart, line.end, colon, host, continued);
    if (!m) return false;
    if (m.name.toLowerCase() === 'subject' && !m.high) {
      this.pendingSubject ??= { line: line.pin(), merge: m, host: host.name };
      return false;
    }
    report(sink, line, line.offset + m.at - line.start, m, host.name);
    return true;
  }

  /** The header's end: a pending Subject merge is reported when no Subject field came. */
  end(sink: RuleSink, fields: readonly Field[]): void {
    const pending = this.pendingSubject;
    if (pending && !fields.some((f) => f.lower === 'subject')) {
      report(sink, pending.line, pending.line.offset + pending.merge.at - pending.line.start, pending.merge, pending.host);
    }
  }
}

function report(sink: RuleSink, line: Line, offset: number, m: Merge, host: string): void {
  if (m.high) sink.report('merged-field', line, offset, detail(m, host));
  else sink.report('merged-field', line, offset, detail(m, host), Severity.warning);
}

/**
 * How an MTA that parses address fields rewrites a line where two were merged (Postfix's
 * cleanup, seen on loopback): `From: alice@example.org To: bob@example.org` is stored as
 * `From: alice@example.org, "To:bob"@example.org`, and `… <alice@example.org> To: Bob <bob@…>`
 * as `… <alice@example.org>,\n\tTo@host:Bob <bob@…>` (the name becomes a quoted local part,
 * or a route). Checked in address fields whose value the fast paths did not accept.
 */
const rewrittenQuoted = /(?:^|[\s,])"([A-Za-z][A-Za-z0-9-]*):[^"]*"\s*@/g;
const rewrittenRoute = /(?:^|[\s,])([A-Za-z][A-Za-z0-9-]*)@[^\s,:<>@"]+:/g;

const rewrittenShapes = [
  [rewrittenQuoted, 'the quoted local part'],
  [rewrittenRoute, 'the route'],
] as const;

/** Reports a merge that an MTA rewrote in the address field `f`; true when it did. */
export function checkRewrittenMerge(sink: RuleSink, f: Field): boolean {
  const value = f.value;
  if (!value.includes(':')) return false;
  for (const [re, shape] of rewrittenShapes) {
    re.lastIndex = 0;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      if (!knownNames.has(m[1]!.toLowerCase())) continue;
      const written = m[0].replace(/^[\s,]/, '');
      const at = latin1(f.bytes).indexOf(written);
      const why = `an MTA rewrote the merged line, and ${m[1]}: is now ${shape} ${written.replace(/\s*@$/, '@…')}`;
      sink.report('merged-field', f.line, f.line.offset + (at >= 0 ? at : 0), detail({ at: 0, name: m[1]!, high: true, why }, f.name));
      return true;
    }
  }
  return false;
}
