import { diffSequences, type EditRun } from './myers.js';

/**
 * What a mail server did to a message: the bytes we sent against the bytes it stored (or
 * passed on), aligned byte by byte and every difference named. Pure: no files, no sockets.
 *
 * The alignment is done in two steps so that a large message with small changes stays
 * cheap: first over tokens (runs of bytes between line-end bytes, and each CR and LF on its
 * own), then, inside each region that differs, over single bytes. A CR that became a space
 * is then one byte replaced by another, which the change names say in words.
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const TAB = 0x09;

/** Beyond these, the sides are called too different to align, and only their sizes compared. */
const maxTokenEdits = 4_000;
/** Regions that differ are aligned byte by byte only when this small (a CR that became a space). */
const maxRefinedBytes = 16;

/**
 * Header fields a server adds on its way as a matter of course (RFC 5321 §4.4 trace fields,
 * and the delivery agents' own): their arrival is not an alteration of the message.
 */
export const traceFieldNames: ReadonlySet<string> = new Set(['received', 'return-path', 'delivered-to', 'x-original-to', 'x-envelope-to', 'envelope-to', 'x-delivered-to']);

export type ChangeKind =
  | 'field-added'
  | 'trace-field-added'
  | 'field-removed'
  | 'lines-added'
  | 'lines-removed'
  | 'bare-cr-to-space'
  | 'bare-cr-to-fold'
  | 'bare-cr-to-line-end'
  | 'bare-cr-removed'
  | 'bare-lf-to-crlf'
  | 'bare-lf-to-space'
  | 'crlf-to-lf'
  | 'dot-line-removed'
  | 'from-quoted'
  | 'body-cut'
  | 'bytes-changed';

/** Words for each kind of change, as the report and the verdict say them. */
export const changeWords: Record<ChangeKind, string> = {
  'field-added': 'field added by the server',
  'trace-field-added': 'trace field added by the server',
  'field-removed': 'field removed',
  'lines-added': 'lines added',
  'lines-removed': 'lines removed',
  'bare-cr-to-space': 'bare CR → SP',
  'bare-cr-to-fold': 'bare CR → line break + SP (the rest folded into the field before)',
  'bare-cr-to-line-end': 'bare CR → line end',
  'bare-cr-removed': 'bare CR removed',
  'bare-lf-to-crlf': 'bare LF → CRLF',
  'bare-lf-to-space': 'bare LF → SP',
  'crlf-to-lf': 'CRLF → LF',
  'dot-line-removed': '"." line removed',
  'from-quoted': '">" put before "From " at a line start (mbox quoting)',
  'body-cut': 'message cut: the end is missing',
  'bytes-changed': 'bytes changed',
};

export interface Change {
  kind: ChangeKind;
  /** Byte ranges on each side (end exclusive); an empty range marks where on that side. */
  sent: { start: number; end: number };
  stored: { start: number; end: number };
  /** In the header (by the stored side's position, or the sent side's for removals). */
  inHeader: boolean;
  /** The field's name, for field-added / field-removed. */
  field?: string;
}

export type LineStatus = 'same' | 'added' | 'removed' | 'changed';

/** One row of the line view: a stored line (or a sent line that no longer exists). */
export interface DiffLine {
  status: LineStatus;
  /** The stored line's bytes (for removed: empty). */
  stored: Buffer;
  /** The sent bytes that became this line (for added: empty). */
  sent: Buffer;
  /** The kinds of change that touch this line. */
  changes: ChangeKind[];
  inHeader: boolean;
}

export interface RoundTrip {
  /** False when the two sides were too different to align: only sizes are compared then. */
  aligned: boolean;
  changes: Change[];
  lines: DiffLine[];
  /** Change kinds with how often each happened, most frequent first. */
  summary: Array<{ kind: ChangeKind; count: number; fields?: string[] }>;
  /** Only trace fields were added and line ends converted to what the store uses. */
  unchangedButTrace: boolean;
}

export interface RoundTripOptions {
  /**
   * How the store keeps line ends: mbox files and Maildir files from Unix MDAs use LF, so a
   * CRLF there says nothing about the server. 'crlf' (an IMAP fetch, a relay's DATA) makes a
   * CRLF → LF change an alteration.
   */
  storedLineEnds: 'lf' | 'crlf';
}

// ---------------------------------------------------------------- alignment

/**
 * Token boundaries: each CR and LF alone, runs of spaces and tabs, and the runs of other
 * bytes between them (words). Aligning words, not bytes, keeps a field the server added
 * from borrowing letters of the fields we sent.
 */
function tokenize(bytes: Buffer): Uint32Array {
  const starts: number[] = [];
  const classOf = (b: number) => (b === CR || b === LF ? 0 : b === SP || b === TAB ? 1 : 2);
  let i = 0;
  while (i < bytes.length) {
    starts.push(i);
    const kind = classOf(bytes[i]!);
    i += 1;
    if (kind === 0) continue;
    while (i < bytes.length && classOf(bytes[i]!) === kind) i += 1;
  }
  starts.push(bytes.length);
  return Uint32Array.from(starts);
}

function hashTokens(bytes: Buffer, starts: Uint32Array): Uint32Array {
  const hashes = new Uint32Array(starts.length - 1);
  for (let t = 0; t < hashes.length; t += 1) {
    let h = 2166136261;
    for (let i = starts[t]!; i < starts[t + 1]!; i += 1) h = Math.imul(h ^ bytes[i]!, 16777619);
    hashes[t] = h >>> 0;
  }
  return hashes;
}

const isLineStart = (bytes: Buffer, at: number) => at === 0 || bytes[at - 1] === LF;

/** Byte-level runs from a to b, or undefined when they are too different. */
export function alignBytes(a: Buffer, b: Buffer): EditRun[] | undefined {
  // Lines first, compared without their line end: a field added, a line removed or a CRLF
  // stored as LF leaves the other lines equal, and those anchor everything else.
  const la = lineStarts(a);
  const lb = lineStarts(b);
  const ka = lineKeys(a, la);
  const kb = lineKeys(b, lb);
  const sameLine = (i: number, j: number) => {
    if (ka[i] !== kb[j]) return false;
    const lenA = contentEnd(a, la[i]!, la[i + 1]!) - la[i]!;
    const lenB = contentEnd(b, lb[j]!, lb[j + 1]!) - lb[j]!;
    return lenA === lenB && a.compare(b, lb[j]!, lb[j]! + lenB, la[i]!, la[i]! + lenA) === 0;
  };
  const lineRuns = diffSequences(ka.length, kb.length, sameLine, maxTokenEdits);
  if (!lineRuns) return undefined;
  const out: EditRun[] = [];
  let block: { a0: number; a1: number; b0: number; b1: number } | undefined;
  const flushBlock = (): boolean => {
    if (!block) return true;
    const runs = alignTokens(a, b, block.a0, block.a1, block.b0, block.b1);
    block = undefined;
    if (!runs) return false;
    out.push(...runs);
    return true;
  };
  for (const run of lineRuns) {
    const a0 = la[run.aStart]!;
    const a1 = la[run.aEnd]!;
    const b0 = lb[run.bStart]!;
    const b1 = lb[run.bEnd]!;
    if (run.op !== 'equal') {
      block = block ? { a0: block.a0, a1, b0: block.b0, b1 } : { a0, a1, b0, b1 };
      continue;
    }
    if (!flushBlock()) return undefined;
    // Equal lines may still differ in their line ends.
    for (let k = 0; k < run.aEnd - run.aStart; k += 1) {
      const i = run.aStart + k;
      const j = run.bStart + k;
      const runs = alignTokens(a, b, la[i]!, la[i + 1]!, lb[j]!, lb[j + 1]!);
      if (!runs) return undefined;
      out.push(...runs);
    }
  }
  if (!flushBlock()) return undefined;
  return slideToLineStarts(a, b, mergeEqualRuns(out));
}

/** Offsets where lines start (after each LF), and the length at the end. */
function lineStarts(bytes: Buffer): Uint32Array {
  const starts = [0];
  for (let at = bytes.indexOf(LF); at !== -1 && at + 1 < bytes.length; at = bytes.indexOf(LF, at + 1)) starts.push(at + 1);
  if (bytes.length === 0) return Uint32Array.from([0]);
  starts.push(bytes.length);
  return Uint32Array.from(starts);
}

/** Where a line's content ends: before its LF, and before a CR right before that LF. */
function contentEnd(bytes: Buffer, start: number, end: number): number {
  let stop = end;
  if (stop > start && bytes[stop - 1] === LF) stop -= 1;
  if (stop > start && bytes[stop - 1] === CR && stop < end) stop -= 1;
  return stop;
}

function lineKeys(bytes: Buffer, starts: Uint32Array): Uint32Array {
  const keys = new Uint32Array(Math.max(0, starts.length - 1));
  for (let t = 0; t < keys.length; t += 1) {
    let h = 2166136261;
    for (let i = starts[t]!, stop = contentEnd(bytes, starts[t]!, starts[t + 1]!); i < stop; i += 1) h = Math.imul(h ^ bytes[i]!, 16777619);
    keys[t] = h >>> 0;
  }
  return keys;
}

/** Runs between a[a0..a1) and b[b0..b1): by tokens, and by bytes inside small differing regions. */
function alignTokens(a: Buffer, b: Buffer, a0: number, a1: number, b0: number, b1: number): EditRun[] | undefined {
  const subA = a.subarray(a0, a1);
  const subB = b.subarray(b0, b1);
  const ta = tokenize(subA);
  const tb = tokenize(subB);
  const ha = hashTokens(subA, ta);
  const hb = hashTokens(subB, tb);
  const sameToken = (i: number, j: number) =>
    ha[i] === hb[j] && ta[i + 1]! - ta[i]! === tb[j + 1]! - tb[j]! && subA.compare(subB, tb[j]!, tb[j + 1]!, ta[i]!, ta[i + 1]!) === 0;
  const tokenRuns = diffSequences(ha.length, hb.length, sameToken, maxTokenEdits);
  if (!tokenRuns) return undefined;
  const out: EditRun[] = [];
  let region: EditRun[] = [];
  const flush = () => {
    if (region.length === 0) return;
    const r0 = region[0]!;
    const r1 = region[region.length - 1]!;
    const small = r1.aEnd - r0.aStart <= maxRefinedBytes && r1.bEnd - r0.bStart <= maxRefinedBytes;
    const refined = small ? diffSequences(r1.aEnd - r0.aStart, r1.bEnd - r0.bStart, (i, j) => a[r0.aStart + i] === b[r0.bStart + j], maxRefinedBytes * 2) : undefined;
    if (refined) {
      for (const run of refined) out.push({ op: run.op, aStart: r0.aStart + run.aStart, aEnd: r0.aStart + run.aEnd, bStart: r0.bStart + run.bStart, bEnd: r0.bStart + run.bEnd });
    } else out.push(...region);
    region = [];
  };
  for (const run of tokenRuns) {
    const byteRun: EditRun = { op: run.op, aStart: a0 + ta[run.aStart]!, aEnd: a0 + ta[run.aEnd]!, bStart: b0 + tb[run.bStart]!, bEnd: b0 + tb[run.bEnd]! };
    if (run.op === 'equal') {
      flush();
      out.push(byteRun);
    } else region.push(byteRun);
  }
  flush();
  return out;
}

/**
 * An insertion (or deletion) before equal bytes can often stand further on: in "a\nX\n"
 * against "a\n", inserting "\nX" or "X\n" is the same edit. Where it can, it is moved to
 * start at a line start, so that an added field reads as an added line.
 */
function slideToLineStarts(a: Buffer, b: Buffer, runs: readonly EditRun[]): EditRun[] {
  const out: EditRun[] = [];
  for (let i = 0; i < runs.length; i += 1) {
    const run = { ...runs[i]! };
    const next = runs[i + 1] ? { ...runs[i + 1]! } : undefined;
    if (run.op === 'equal' || !next || next.op !== 'equal' || (run.op === 'insert' ? isLineStart(b, run.bStart) : isLineStart(a, run.aStart))) {
      out.push(run);
      continue;
    }
    const side = run.op === 'insert' ? b : a;
    const start = run.op === 'insert' ? run.bStart : run.aStart;
    const end = run.op === 'insert' ? run.bEnd : run.aEnd;
    const room = next.aEnd - next.aStart;
    let best = 0;
    for (let shift = 1; shift <= room; shift += 1) {
      if (side[start + shift - 1] !== side[end + shift - 1]) break;
      if (isLineStart(side, start + shift)) {
        best = shift;
        break;
      }
    }
    if (best > 0) {
      // The first `best` bytes of the edit now match the start of the equal run after it.
      out.push({ op: 'equal', aStart: next.aStart - (run.op === 'delete' ? end - start : 0), aEnd: 0, bStart: next.bStart - (run.op === 'insert' ? end - start : 0), bEnd: 0 });
      const equal = out[out.length - 1]!;
      equal.aStart = run.op === 'delete' ? run.aStart : run.aStart;
      equal.aEnd = equal.aStart + best;
      equal.bStart = run.op === 'insert' ? run.bStart : run.bStart;
      equal.bEnd = equal.bStart + best;
      run.aStart += best;
      run.aEnd += best;
      run.bStart += best;
      run.bEnd += best;
      next.aStart += best;
      next.bStart += best;
    }
    out.push(run);
    out.push(next);
    i += 1;
  }
  return mergeEqualRuns(out.filter((run) => run.aEnd > run.aStart || run.bEnd > run.bStart));
}

function mergeEqualRuns(runs: EditRun[]): EditRun[] {
  const out: EditRun[] = [];
  for (const run of runs) {
    const prev = out[out.length - 1];
    if (prev && prev.op === 'equal' && run.op === 'equal' && prev.aEnd === run.aStart && prev.bEnd === run.bStart) {
      prev.aEnd = run.aEnd;
      prev.bEnd = run.bEnd;
    } else out.push(run);
  }
  return out;
}

// ---------------------------------------------------------------- naming the changes

/** Offset of the empty line that ends the header (its first byte), or the length if none. */
export function headerEnd(bytes: Buffer): number {
  let lineStart = 0;
  while (lineStart < bytes.length) {
    let lf = bytes.indexOf(LF, lineStart);
    if (lf === -1) lf = bytes.length;
    const line = bytes.subarray(lineStart, lf);
    if (line.length === 0 || (line.length === 1 && line[0] === CR)) return lineStart;
    lineStart = lf + 1;
  }
  return bytes.length;
}

const fieldName = (line: Buffer): string | undefined => /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/.exec(line.toString('latin1'))?.[1];

/** Splits bytes into lines that keep their LF; a last line without one is kept too. */
function linesOf(bytes: Buffer, start: number, end: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let at = start;
  while (at < end) {
    const lf = bytes.indexOf(LF, at);
    const stop = lf === -1 || lf >= end ? end : lf + 1;
    out.push({ start: at, end: stop });
    at = stop;
  }
  return out;
}

/** Groups whole inserted or removed header lines into fields (a field with its folded lines). */
function fieldsIn(bytes: Buffer, start: number, end: number): Array<{ start: number; end: number; name: string | undefined }> {
  const out: Array<{ start: number; end: number; name: string | undefined }> = [];
  for (const line of linesOf(bytes, start, end)) {
    const first = bytes[line.start];
    const last = out[out.length - 1];
    if (last && (first === SP || first === TAB)) last.end = line.end;
    else out.push({ ...line, name: fieldName(bytes.subarray(line.start, line.end)) });
  }
  return out;
}

interface Region {
  sent: { start: number; end: number };
  stored: { start: number; end: number };
}

function nameRegion(sent: Buffer, stored: Buffer, region: Region, sentHeaderEnd: number, storedHeaderEnd: number): Change[] {
  const a = sent.subarray(region.sent.start, region.sent.end);
  const b = stored.subarray(region.stored.start, region.stored.end);
  const inHeader = region.stored.start < storedHeaderEnd || (b.length === 0 && region.sent.start < sentHeaderEnd);
  const change = (kind: ChangeKind, extra: Partial<Change> = {}): Change => ({ kind, sent: region.sent, stored: region.stored, inHeader, ...extra });
  const nextSent = sent[region.sent.end];
  const prevSent = region.sent.start > 0 ? sent[region.sent.start - 1] : undefined;

  // Several bare CRs in a row (an empty line ended by CR after a line ended by CR), each a space now.
  if (a.length > 1 && a.length === b.length && nextSent !== LF && a.every((byte) => byte === CR) && b.every((byte) => byte === SP)) {
    return [...a].map((_, i) => change('bare-cr-to-space', { sent: { start: region.sent.start + i, end: region.sent.start + i + 1 }, stored: { start: region.stored.start + i, end: region.stored.start + i + 1 } }));
  }
  if (a.length === 1 && a[0] === CR) {
    if (nextSent === LF && b.length === 0) return [change('crlf-to-lf')];
    if (nextSent !== LF) {
      if (b.length === 1 && b[0] === SP) return [change('bare-cr-to-space')];
      if (b.length === 0) return [change('bare-cr-removed')];
      const bText = b.toString('latin1');
      if (/^\r?\n[ \t]$/.test(bText)) return [change('bare-cr-to-fold')];
      if (/^\r?\n$/.test(bText)) return [change('bare-cr-to-line-end')];
    }
  }
  // A bare LF (no CR before it) that gained a CR: the CR is inserted just before the LF.
  if (a.length === 0 && b.length === 1 && b[0] === CR && nextSent === LF && prevSent !== CR) return [change('bare-lf-to-crlf')];
  if (a.length === 1 && a[0] === LF && prevSent !== CR && b.length === 1 && b[0] === SP) return [change('bare-lf-to-space')];
  if (a.length === 0 && b.length === 1 && b[0] === 0x3e && isLineStart(stored, region.stored.start) && stored.subarray(region.stored.end, region.stored.end + 5).toString('latin1') === 'From ') {
    return [change('from-quoted')];
  }
  // Whole lines inserted or removed.
  if (a.length === 0 && isLineStart(stored, region.stored.start) && (region.stored.end === stored.length || stored[region.stored.end - 1] === LF)) {
    if (region.stored.start < storedHeaderEnd) {
      return fieldsIn(stored, region.stored.start, region.stored.end).map((field) => {
        const name = field.name;
        const kind: ChangeKind = name === undefined ? 'lines-added' : traceFieldNames.has(name.toLowerCase()) ? 'trace-field-added' : 'field-added';
        return { kind, sent: region.sent, stored: { start: field.start, end: field.end }, inHeader: true, ...(name ? { field: name } : {}) };
      });
    }
    return [change('lines-added')];
  }
  if (b.length === 0 && isLineStart(sent, region.sent.start) && (region.sent.end === sent.length || sent[region.sent.end - 1] === LF)) {
    if (region.sent.end === sent.length && region.stored.start === stored.length) return [change('body-cut')];
    if (/^\.\r?\n$/.test(a.toString('latin1'))) return [change('dot-line-removed')];
    if (region.sent.start < sentHeaderEnd) {
      return fieldsIn(sent, region.sent.start, region.sent.end).map((field) => ({
        kind: field.name === undefined ? ('lines-removed' as const) : ('field-removed' as const),
        sent: { start: field.start, end: field.end },
        stored: region.stored,
        inHeader: true,
        ...(field.name ? { field: field.name } : {}),
      }));
    }
    return [change('lines-removed')];
  }
  if (b.length === 0 && region.sent.end === sent.length && region.stored.start === stored.length) return [change('body-cut')];
  // A lone "." on a line ended by a bare LF, dropped (Postfix's smtpd_forbid_bare_newline=normalize).
  if (b.length === 0 && /^(?:\n\.|\.\n)$/.test(a.toString('latin1'))) return [change('dot-line-removed')];
  return [change('bytes-changed')];
}

/** The changes between sent and stored, each named; the runs come from alignBytes. */
export function nameChanges(sent: Buffer, stored: Buffer, runs: readonly EditRun[]): Change[] {
  const sentHeaderEnd = headerEnd(sent);
  const storedHeaderEnd = headerEnd(stored);
  const name = (region: Region) => nameRegion(sent, stored, region, sentHeaderEnd, storedHeaderEnd);
  const changes: Change[] = [];
  let group: EditRun[] = [];
  const close = () => {
    if (group.length === 0) return;
    const whole = name({ sent: { start: group[0]!.aStart, end: group[group.length - 1]!.aEnd }, stored: { start: group[0]!.bStart, end: group[group.length - 1]!.bEnd } });
    // A deletion next to an insertion may be two changes (a CR dropped before a field was added).
    const parts = group.length > 1 && whole.every((c) => c.kind === 'bytes-changed') ? group.flatMap((run) => name({ sent: { start: run.aStart, end: run.aEnd }, stored: { start: run.bStart, end: run.bEnd } })) : undefined;
    changes.push(...(parts && parts.every((c) => c.kind !== 'bytes-changed') ? parts : whole));
    group = [];
  };
  for (const run of runs) {
    if (run.op === 'equal') close();
    else group.push(run);
  }
  close();
  return changes;
}

// ---------------------------------------------------------------- the line view

/** Maps a stored offset to the sent offset it came from, through the runs. */
function sentOffsetOf(runs: readonly EditRun[], storedOffset: number, preferEnd: boolean): number {
  for (const run of runs) {
    if (storedOffset < run.bStart || storedOffset > run.bEnd) continue;
    if (run.op === 'equal') return run.aStart + (storedOffset - run.bStart);
    // A deletion where a stored line starts belongs to that line; other runs end where it starts.
    if (storedOffset === run.bEnd && !preferEnd && run.bStart !== run.bEnd) continue;
    return preferEnd ? run.aEnd : run.aStart;
  }
  return preferEnd ? runs[runs.length - 1]?.aEnd ?? 0 : 0;
}

function lineView(sent: Buffer, stored: Buffer, runs: readonly EditRun[], changes: readonly Change[]): DiffLine[] {
  const storedHeaderEnd = headerEnd(stored);
  const sentHeaderEnd = headerEnd(sent);
  const rows: DiffLine[] = [];
  // Sent lines removed whole, placed before the stored line they stood before.
  const removals = changes.filter((c) => c.stored.start === c.stored.end && (c.kind === 'lines-removed' || c.kind === 'field-removed' || c.kind === 'dot-line-removed' || c.kind === 'body-cut'));
  const removedAt = (at: number) => removals.filter((c) => c.stored.start === at);
  const pushRemovals = (at: number) => {
    for (const c of removedAt(at)) {
      rows.push({ status: 'removed', stored: Buffer.alloc(0), sent: sent.subarray(c.sent.start, c.sent.end), changes: [c.kind], inHeader: c.sent.start < sentHeaderEnd });
    }
  };
  for (const line of linesOf(stored, 0, stored.length)) {
    pushRemovals(line.start);
    const touching = changes.filter(
      (c) => !removals.includes(c) && c.stored.start < line.end && (c.stored.end > line.start || (c.stored.start === c.stored.end && c.stored.start >= line.start)),
    );
    const inserted = touching.length > 0 && touching.every((c) => c.sent.start === c.sent.end && c.stored.start <= line.start && c.stored.end >= line.end);
    const sentStart = sentOffsetOf(runs, line.start, false);
    const sentEnd = sentOffsetOf(runs, line.end, true);
    rows.push({
      status: touching.length === 0 ? 'same' : inserted ? 'added' : 'changed',
      stored: stored.subarray(line.start, line.end),
      sent: inserted ? Buffer.alloc(0) : sent.subarray(sentStart, Math.max(sentStart, sentEnd)),
      changes: [...new Set(touching.map((c) => c.kind))],
      inHeader: line.start < storedHeaderEnd,
    });
  }
  pushRemovals(stored.length);
  return rows;
}

// ---------------------------------------------------------------- the whole comparison

/** Kinds that say nothing about the server: how the store keeps lines, and the trace it adds. */
function isExpected(change: Change, options: RoundTripOptions): boolean {
  if (change.kind === 'trace-field-added') return true;
  if (change.kind === 'crlf-to-lf') return options.storedLineEnds === 'lf';
  // mbox writers put ">" before body lines starting "From "; Maildir and IMAP do not.
  if (change.kind === 'from-quoted') return true;
  return false;
}

export function compareRoundTrip(sent: Buffer, stored: Buffer, options: RoundTripOptions): RoundTrip {
  const runs = alignBytes(sent, stored);
  if (!runs) {
    const change: Change = { kind: 'bytes-changed', sent: { start: 0, end: sent.length }, stored: { start: 0, end: stored.length }, inHeader: true };
    return { aligned: false, changes: [change], lines: [], summary: [{ kind: 'bytes-changed', count: 1 }], unchangedButTrace: false };
  }
  const changes = nameChanges(sent, stored, runs);
  const counts = new Map<ChangeKind, { count: number; fields: string[] }>();
  for (const change of changes) {
    const entry = counts.get(change.kind) ?? { count: 0, fields: [] };
    entry.count += 1;
    if (change.field && !entry.fields.includes(change.field)) entry.fields.push(change.field);
    counts.set(change.kind, entry);
  }
  const summary = [...counts].map(([kind, { count, fields }]) => ({ kind, count, ...(fields.length ? { fields } : {}) })).sort((x, y) => y.count - x.count);
  return {
    aligned: true,
    changes,
    lines: lineView(sent, stored, runs, changes),
    summary,
    unchangedButTrace: changes.every((c) => isExpected(c, options)),
  };
}

/** The alteration in a few words: the kinds that are not expected, with counts and field names. */
export function describeAlterations(trip: RoundTrip, options: RoundTripOptions): string {
  const parts: string[] = [];
  for (const entry of trip.summary) {
    const example = trip.changes.find((c) => c.kind === entry.kind);
    if (example && isExpected(example, options)) continue;
    const fields = entry.fields?.length ? `: ${entry.fields.join(', ')}` : '';
    parts.push(`${changeWords[entry.kind]}${entry.count > 1 && !fields ? ` (${entry.count}×)` : ''}${fields}`);
  }
  return parts.join('; ');
}
