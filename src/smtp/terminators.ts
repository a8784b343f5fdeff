import { UsageError } from '../errors.js';

/** The line terminators a user can choose. RFC 5321 §2.3.8: only CRLF ends a line. */
export const Terminators = {
  crlf: Buffer.from('\r\n'),
  cr: Buffer.from('\r'),
  lf: Buffer.from('\n'),
} as const;
export type TerminatorName = keyof typeof Terminators;

export function parseTerminatorName(value: string, option: string): TerminatorName {
  const lower = value.toLowerCase();
  if (lower === 'crlf' || lower === 'cr' || lower === 'lf') return lower;
  throw new UsageError(`${option}: unknown terminator ${JSON.stringify(value)} (use crlf, cr or lf)`);
}

/** Re-terminates every line (LF, CRLF or CR) with CRLF and makes sure the content ends with one. */
export function normalizeToCrlf(content: Buffer): Buffer {
  const text = content.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n');
  return Buffer.from(text.endsWith('\r\n') || text === '' ? text : `${text}\r\n`, 'latin1');
}

export interface RecognizedLines {
  /** The lines without their terminators. */
  lines: Buffer[];
  /** How the input ended its lines: decided by its first line end; undefined without any. */
  convention: TerminatorName | undefined;
  /** The last line had a terminator (no partial line at the end). */
  finalTerminated: boolean;
}

/**
 * The input's line convention, decided by its first LF as an mbox reader decides it
 * (RFC 4155 §2 leaves line ends to the system): CRLF when a CR precedes it, LF otherwise;
 * CR only when there is no LF at all. A bare CR before the first LF is content, not a line
 * end: that is the corruption of incident 1 (a bare CR that merged Date and From).
 */
export function detectLineConvention(bytes: Uint8Array): TerminatorName | undefined {
  const lf = bytes.indexOf(0x0a);
  if (lf !== -1) return lf > 0 && bytes[lf - 1] === 0x0d ? 'crlf' : 'lf';
  return bytes.includes(0x0d) ? 'cr' : undefined;
}

/**
 * Splits input that may use LF, CRLF or CR into lines, by its own convention, so that the
 * lines can be re-terminated. A terminator of another kind stays inside the line as content:
 * a bare CR in an LF file is the very corruption a user wants to replay (incident 1,
 * incident 1). In an LF file a CRLF also ends a line, since CRLF ends in LF.
 */
export function recognizeLines(bytes: Uint8Array): RecognizedLines {
  const convention = detectLineConvention(bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (convention === undefined) return { lines: bytes.length ? [Buffer.from(buffer)] : [], convention, finalTerminated: false };
  const separator = convention === 'crlf' ? '\r\n' : convention === 'cr' ? '\r' : '\n';
  const lines: Buffer[] = [];
  let from = 0;
  for (let at = buffer.indexOf(separator, 0, 'latin1'); at !== -1; at = buffer.indexOf(separator, from, 'latin1')) {
    const end = convention === 'lf' && at > from && buffer[at - 1] === 0x0d ? at - 1 : at;
    lines.push(Buffer.from(buffer.subarray(from, end)));
    from = at + separator.length;
  }
  const finalTerminated = from === buffer.length;
  if (!finalTerminated) lines.push(Buffer.from(buffer.subarray(from)));
  return { lines, convention, finalTerminated };
}

/** Joins lines, each followed by the terminator chosen for it. */
export function terminateLines(lines: readonly Uint8Array[], terminatorFor: (index: number) => Uint8Array): Buffer {
  const parts: Uint8Array[] = [];
  lines.forEach((line, i) => parts.push(line, terminatorFor(i)));
  return Buffer.concat(parts);
}
