import type { Field, RuleSink } from '../field.js';
import { FieldNameCache, hashStart, hashStep } from '../field-name.js';
import { isFtext, isWsp, latin1, startsWithFrom, type Line, type SourceLine } from '../line.js';
import { fieldRole, Role, singletonIndex, singletons } from './field-roles.js';
import { checkMergedValue, checkRewrittenMerge } from './merged-field.js';
import { addressListOf, isBlankValue, placeholderOf } from './values.js';

export const LineKind = { field: 'field', continuation: 'continuation', envelope: 'envelope', notHeader: 'not-header' } as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

/** Shared between lines (see `fieldNames`), so read-only. */
export interface Classified {
  readonly kind: LineKind;
  /** For fields: the name as written (without trailing white space), lower-cased, and the colon's index. */
  readonly name: string;
  readonly lower: string;
  readonly colon: number;
  /** Index of the name's first byte that is not ftext, or -1: worked out once per spelling. */
  readonly badByte: number;
  /** See field-roles.ts. */
  readonly role: number;
}

/**
 * Every answer is made by this one constructor, so that all have one hidden class: answers
 * made as object literals and spread copies (`{ ...field, colon }`) had several, and the
 * header line code optimized for one was thrown away at the first line classified with
 * another (`--trace-deopt`: "wrong map" in addHeaderLine, Field.begin and checkFieldName,
 * three to four times per worker).
 */
class ClassifiedLine implements Classified {
  constructor(
    readonly kind: LineKind,
    readonly name: string,
    readonly lower: string,
    readonly colon: number,
    readonly badByte: number,
    readonly role: number,
  ) {}
}

/** `c` with its colon at `colon` (white space between the name and the colon moves it). */
const withColon = (c: Classified, colon: number): Classified => new ClassifiedLine(c.kind, c.name, c.lower, colon, c.badByte, c.role);

// Lines other than fields carry nothing of their own, so they share one answer each.
const envelopeLine: Classified = new ClassifiedLine(LineKind.envelope, '', '', -1, -1, 0);
const continuationLine: Classified = new ClassifiedLine(LineKind.continuation, '', '', -1, -1, 0);
const notHeaderLine: Classified = new ClassifiedLine(LineKind.notHeader, '', '', -1, -1, 0);

function firstBadByte(name: string): number {
  for (let i = 0; i < name.length; i++) if (!isFtext(name.charCodeAt(i))) return i;
  return -1;
}

/** Field lines with the colon right after the name (nearly all) share one answer per name. */
const fieldNames = new FieldNameCache<Classified>((name) => {
  const lower = name.toLowerCase();
  return new ClassifiedLine(LineKind.field, name, lower, name.length, firstBadByte(name), fieldRole(lower));
});

/**
 * What the header line `bytes[start..end)` is. A line without a colon that does not start
 * with white space is where most parsers start the body (RFC 5322 §2.2 has no other place for it).
 */
export function classifyHeaderLine(bytes: Uint8Array, start = 0, end = bytes.length): Classified {
  if (end - start >= 5 && startsWithFrom(bytes, start)) return envelopeLine;
  if (start < end && isWsp(bytes[start])) return continuationLine;
  // A loop, not indexOf: field names are short and a native call per line costs more. The
  // name's hash for the cache is worked out on the way.
  let colon = start;
  let hash = hashStart;
  for (let b = 0; colon < end && (b = bytes[colon]!) !== 0x3a; colon++) hash = hashStep(hash, b);
  if (colon === end) return notHeaderLine;
  let nameEnd = colon;
  while (nameEnd > start && isWsp(bytes[nameEnd - 1])) nameEnd--;
  const field = fieldNames.get(bytes, nameEnd, start, nameEnd === colon ? hash : undefined);
  return field.colon === colon - start ? field : withColon(field, colon - start);
}

const fromField = fieldNames.get(Buffer.from('From', 'latin1'), 4);

/**
 * For a header line `>From [WSP] ":" …` at `bytes[start..end)`: the From field that mbox
 * readers see once they take the ">" off (mboxrd readers take one off `>+From `, mboxo
 * readers off `>From `), with its colon's index counted from after the ">". An mbox writer
 * escaped the line because it starts with "From ", as a From field may (RFC 5322 §4.5.3:
 * white space before the colon is obsolete syntax), so a second From hides behind the ">".
 */
export function unescapedFromField(bytes: Uint8Array, start: number, end: number): Classified | undefined {
  if (bytes[start] !== 0x3e || end - start < 7 || !startsWithFrom(bytes, start + 1)) return undefined;
  let colon = start + 6;
  while (colon < end && isWsp(bytes[colon])) colon++;
  return colon < end && bytes[colon] === 0x3a ? withColon(fromField, colon - start - 1) : undefined;
}

/** True when the bytes start like a header field line (`ftext+ [WSP] ":"`). */
export function looksLikeFieldStart(bytes: Uint8Array, from: number, to: number): boolean | undefined {
  let i = from;
  while (i < to && isFtext(bytes[i]!)) i++;
  if (i === from) return i < to ? false : undefined;
  while (i < to && isWsp(bytes[i])) i++;
  if (i >= to) return undefined;
  return bytes[i] === 0x3a;
}

/** What `checkLineBytes` reports on, found by `scanLineBytes`: buffer indices of first bytes (-1: none). */
export class LineBytes {
  cr = -1;
  control = -1;
  eightBit = -1;
  /** The line holds "=?" (see `Field.mayHaveEncodedWord`). */
  encodedWordStart = false;
  /** The line's first ":". */
  firstColon = -1;
  /**
   * The first ":" after the first that white space follows: where a field merged into
   * another's value would have its name end (`merged-field`). Most values have none.
   */
  colonWsp = -1;
}

/**
 * Fills `out` for the line starting at `start` up to `stop` and returns the index of the
 * LF that ends it before `stop`, or -1. The scanner finds its header lines' ends with this
 * pass over their bytes: a native search per line on top of the pass cost more. A CR right
 * before the LF belongs to the line ending, not to the line.
 */
export function scanLineBytes(b: Uint8Array, start: number, stop: number, out: LineBytes): number {
  let control = -1;
  let eightBit = -1;
  let cr = -1;
  let encodedWordStart = false;
  let firstColon = -1;
  let colonWsp = -1;
  let nl = -1;
  for (let i = start; ; i++) {
    // The inner loop skips printable ASCII other than "?" and ":" (nearly every byte) at speed.
    let c = 0;
    while (i < stop && ((c = b[i]!) - 0x20) >>> 0 < 0x5f && c !== 0x3f && c !== 0x3a) i++;
    if (i === stop) break;
    if (c === 0x0a) {
      nl = i;
      break;
    }
    if (c === 0x3a) {
      // Past the first colon (a field's own), one followed by white space is looked for.
      if (firstColon < 0) firstColon = i;
      else if (colonWsp < 0 && ((c = b[i + 1]!) === 0x20 || c === 0x09)) colonWsp = i;
      continue;
    }
    if (c === 0x3f) {
      if (i > start && b[i - 1] === 0x3d) encodedWordStart = true;
    } else if (c >= 0x80) {
      if (eightBit < 0) eightBit = i;
    } else if (c === 0x0d) {
      if (cr < 0 && b[i + 1] !== 0x0a) cr = i;
    } else if (c !== 0x09 && control < 0) {
      control = i;
    }
  }
  out.cr = cr;
  out.control = control;
  out.eightBit = eightBit;
  out.encodedWordStart = encodedWordStart;
  out.firstColon = firstColon;
  out.colonWsp = colonWsp;
  return nl;
}

/**
 * Checks of the bytes of one header line, whatever kind of line it is, from what
 * `scanLineBytes` found in them. Returns true when the line holds "=?".
 */
export function checkLineBytes(sink: RuleSink, line: SourceLine, bytes: LineBytes): boolean {
  const b = line.buf;
  const { cr, control, eightBit } = bytes;
  const at = line.offset - line.start;
  if (cr >= 0) sink.report('bare-cr', line, at + cr, 'CR without LF inside a header line: some readers end the line here, others merge it with the next');
  if (control >= 0) sink.report('control-char', line, at + control, `control character 0x${b[control]!.toString(16).padStart(2, '0')} in a header`);
  if (eightBit >= 0) sink.report('raw-8bit', line, at + eightBit, `8-bit byte 0x${b[eightBit]!.toString(16)} in a header (use RFC 2047 encoded-words)`);
  if (line.length > 998) sink.report('line-too-long', line, line.offset, `header line of ${line.length} octets (limit 998)`);
  else if (line.length > 78) sink.report('line-over-78', line, line.offset, `header line of ${line.length} octets (recommended 78)`);
  return bytes.encodedWordStart;
}

/** Checks of one field's name as written; `at` is the offset of its first byte when that is not the line's. */
export function checkFieldName(sink: RuleSink, line: Line, c: Classified, at = line.offset): void {
  if (c.name.length === 0) {
    sink.report('invalid-field-name', line, line.offset, 'empty field name before ":"');
    return;
  }
  const i = c.badByte;
  if (i >= 0) {
    sink.report('invalid-field-name', line, at + i, `field name "${c.name}" contains byte 0x${c.name.charCodeAt(i).toString(16).padStart(2, '0')}`);
    return;
  }
  if (c.name.length < c.colon) sink.report('space-before-colon', line, at + c.name.length, `white space between "${c.name}" and ":"`);
}

const dateIndex = singletons.indexOf('date');
const fromIndex = singletons.indexOf('from');
const senderIndex = singletons.indexOf('sender');

/** The first field of each singleton name in the header being checked (`checkHeaderBlock` is not re-entered). */
const firstOf: (Field | undefined)[] = singletons.map(() => undefined);

/**
 * Checks that look at the whole header: presence, counts, merged and placeholder values.
 * `fromLine` is the message's From_ line, if it has one.
 */
export function checkHeaderBlock(sink: RuleSink, fields: readonly Field[], anchor: Line, fromLine?: Line): void {
  // A loop: `fill`, a call into the engine's runtime, cost more than these eleven stores.
  for (let i = 0; i < firstOf.length; i++) firstOf[i] = undefined;
  let repeated = false;
  // One pass; each rule still reports in field order, which is all the findings' order needs.
  for (const f of fields) {
    const i = singletonIndex(f.role);
    if (i >= 0) {
      if (firstOf[i] === undefined) firstOf[i] = f;
      else repeated = true;
    }
    // Merges in other fields were found line by line as they came (`MergedLines`).
    if (f.role & Role.structured && !f.noColonSpace && (checkMergedValue(sink, f) || (f.role & Role.address && checkRewrittenMerge(sink, f)))) f.merged = true;
    if (f.role & Role.address) {
      const placeholder = placeholderOf(f);
      if (placeholder === '<>') reportNullAddress(sink, f, fields, fromLine);
      else if (placeholder !== undefined) sink.report('placeholder-address', f.line, f.line.offset, `${f.name} holds the placeholder "${placeholder}": the original address was lost`);
    }
  }
  checkRequired(sink, firstOf[dateIndex], 'date', anchor);
  checkRequired(sink, firstOf[fromIndex], 'from', anchor);
  if (repeated) reportDuplicates(sink, fields);
  const from = firstOf[fromIndex];
  // A From that holds a merged field lists its mailboxes too: the merge is the finding.
  if (from && !from.merged && !firstOf[senderIndex] && addressListOf(from).mailboxes > 1) {
    sink.report('sender-required', from.line, from.line.offset, 'From lists several mailboxes but there is no Sender field');
  }
}

/**
 * `<>` alone in an address field: the SMTP null path (RFC 5321 §4.5.5), the envelope sender
 * of bounces, which belongs in MAIL FROM and Return-Path, not in a header field. Nothing was
 * lost, so it is not a placeholder: a From holding it is a From without a mailbox (RFC 5322
 * §3.6.2: a bounce's is e.g. MAILER-DAEMON@host), any other field an invalid address.
 */
function reportNullAddress(sink: RuleSink, f: Field, fields: readonly Field[], fromLine: Line | undefined): void {
  if (f.lower !== 'from') {
    sink.report('address-invalid', f.line, f.line.offset, `${f.name}: "<>" is the SMTP null path, not a mailbox`);
    return;
  }
  const bounce = bounceContext(fields, fromLine);
  sink.report(
    'empty-required',
    f.line,
    f.line.offset,
    `From holds only the null sender "<>"${bounce === '' ? '' : ` of a bounce (${bounce})`}: it belongs in the envelope (MAIL FROM:<>, Return-Path: <>); From needs a mailbox, e.g. MAILER-DAEMON@host`,
  );
}

/** What says that a message is a bounce (RFC 3464 reports, the daemon's envelope sender), or "". */
function bounceContext(fields: readonly Field[], fromLine: Line | undefined): string {
  const signs: string[] = [];
  const type = fields.find((f) => f.lower === 'content-type')?.value;
  if (type !== undefined && /^\s*multipart\/report\b/i.test(type)) signs.push('Content-Type multipart/report');
  const sender = fromLine === undefined ? undefined : /^From (\S*)/.exec(latin1(fromLine.bytes))?.[1];
  if (sender !== undefined && /^(?:MAILER-DAEMON(?:@\S*)?|<>|)$/i.test(sender)) signs.push(`envelope sender ${sender === '' ? 'empty' : sender}`);
  return signs.join('; ');
}

/**
 * The rule and detail of a missing required field, as constants: nearly every finding of a
 * header-dense archive has a string built for it, and one that is built anew is hashed anew
 * at each lookup on its way out (rule filter, counts, the ndjson line).
 */
const missing = {
  date: { rule: 'missing-date', detail: 'no Date field in the header' },
  from: { rule: 'missing-from', detail: 'no From field in the header' },
} as const;

function checkRequired(sink: RuleSink, found: Field | undefined, name: 'date' | 'from', anchor: Line): void {
  if (!found) sink.report(missing[name].rule, anchor, anchor.offset, missing[name].detail);
  else if (isBlankValue(found)) sink.report('empty-required', found.line, found.line.offset, `${found.name} field is empty`);
}

/**
 * One finding per repeated singleton, at its first repeat, with how often it occurs and
 * where first: a header with 51 Cc lines has one problem, not 50. In the order the names
 * first appear. Places are byte offsets, which a range of the file scanned on its own
 * knows as the whole scan does (its line numbers count from the range's start).
 */
function reportDuplicates(sink: RuleSink, fields: readonly Field[]): void {
  const byName = new Map<string, Field[]>();
  for (const f of fields) {
    if (singletonIndex(f.role) < 0) continue;
    const list = byName.get(f.lower);
    if (list) list.push(f);
    else byName.set(f.lower, [f]);
  }
  for (const list of byName.values()) {
    if (list.length < 2) continue;
    const escaped = list.find((f) => f.unescaped);
    const hidden = escaped === undefined ? '' : `; the one at byte ${escaped.line.offset} is written ">${list[0]!.name}", which mbox readers un-escape: a field hidden from tools that read the lines as written`;
    sink.report('duplicate-field', list[1]!.line, list[1]!.line.offset, `"${list[0]!.name}" occurs ${list.length} times, first at byte ${list[0]!.line.offset}; at most one is allowed${hidden}`);
  }
}
