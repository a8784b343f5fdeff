import { showBytes } from '../smtp/visible.js';
import type { Eol } from './types.js';

/**
 * One physical line as the scanner cut it: at LF only, so a CR without LF stays inside the
 * line where the rules can see it (RFC 5321 §2.3.8: only CRLF ends a line).
 */
export interface Line {
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** 1-based line number in the file. */
  lineNo: number;
  /** The line's bytes without its terminator, cut to `lineKeepBytes`. */
  bytes: Uint8Array;
  /** The line's full length without its terminator. */
  length: number;
  eol: Eol;
}

/**
 * A line in the scanner's buffer, `buf[start..end)`. The hot path reads those bytes in
 * place; the `bytes` view is made only when a finding or a rule asks for it.
 *
 * The scanner moves one SourceLine from header line to header line (`moveTo`): an object
 * per line was a fifth of what a run allocated. Code handed a line may read it while it is
 * called; whatever keeps a line keeps `pin()`, a copy that stays where it is.
 */
export class SourceLine implements Line {
  constructor(
    public buf: Uint8Array,
    public start: number,
    /** End of the kept bytes: at most `lineKeepBytes` after `start`. */
    public end: number,
    public offset: number,
    public lineNo: number,
    public length: number,
    public eol: Eol,
  ) {}

  get bytes(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Makes this the given line (the scanner's moving line). */
  moveTo(buf: Uint8Array, start: number, end: number, offset: number, lineNo: number, length: number, eol: Eol): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.offset = offset;
    this.lineNo = lineNo;
    this.length = length;
    this.eol = eol;
    return this;
  }

  /** This line, in an object of its own that nothing moves. */
  pin(): SourceLine {
    return new SourceLine(this.buf, this.start, this.end, this.offset, this.lineNo, this.length, this.eol);
  }
}

/**
 * How much of one line is kept for the rules and the report. Longer lines are still
 * measured to the end, so memory stays bounded on a 100 MB line.
 */
export const lineKeepBytes = 64 * 1024;

/** How much of an offending line a finding shows. */
const shownBytes = 240;

/** Buffer's own latin1 decoder, which `toString('latin1', …)` calls after checking its arguments. */
type Latin1Slicing = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * `bytes[start..end)` as latin1; taking the range here spares a subarray per call. The
 * decoder is called directly: Buffer's `toString` wrapper cost as much as the decoding
 * itself on the short values of header fields. `end` is clamped as `toString` would.
 */
export const latin1 = (bytes: Uint8Array, start = 0, end = bytes.length): string =>
  ((Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Latin1Slicing).latin1Slice(start, Math.min(end, bytes.length));

const eolPicture: Record<Eol, string> = { lf: '␊', crlf: '␍␊', cr: '␍', none: '' };

/** The line made visible, terminator included, cut for display. */
export function showLine(line: Line): string {
  const cut = line.length > shownBytes;
  // A SourceLine is read where it lies, without a view.
  const source = line instanceof SourceLine;
  const bytes = source ? line.buf : line.bytes;
  const start = source ? line.start : 0;
  const end = Math.min(source ? line.end : bytes.length, start + shownBytes);
  // Most offending lines are plain text: decode them at once instead of segmenting them.
  const body = hasControl(bytes, start, end) ? showBytes(bytes.subarray(start, end)) : latin1(bytes, start, end);
  return cut ? `${body}… (${line.length} octets)` : body + eolPicture[line.eol];
}

/** True when `showBytes` would replace a byte of `bytes[start..end)`: a C0 control other than TAB (CR and LF included), or DEL. */
export function hasControl(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09) || b === 0x7f) return true;
  }
  return false;
}

export function startsWithFrom(bytes: Uint8Array, at = 0): boolean {
  return (
    bytes[at] === 0x46 && bytes[at + 1] === 0x72 && bytes[at + 2] === 0x6f && bytes[at + 3] === 0x6d && bytes[at + 4] === 0x20
  );
}

export const isWsp = (b: number | undefined): boolean => b === 0x20 || b === 0x09;

/** Field-name octets: printable US-ASCII except colon (RFC 5322 §3.6.8 ftext). */
export const isFtext = (b: number): boolean => b >= 33 && b <= 126 && b !== 58;
