import { InputError } from '../errors.js';
import { STANDARD_EOD, standardEndOfData, type EndOfData } from '../smtp/eod.js';
import { formatEscaped } from '../smtp/escapes.js';
import { Terminators, type TerminatorName } from '../smtp/terminators.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

export interface LineEnds {
  /** The terminator for every message line, or only for `termAfter`'s line. */
  term: TerminatorName;
  /** A header field name: `term` ends that field's line, CRLF every other (incident 1). */
  termAfter?: string;
}

export interface DataOptions extends LineEnds {
  /** RFC 5321 §4.5.2 transparency (the default); false sends lines as they are. */
  dotStuff: boolean;
  eod: EndOfData;
}

/** A second transaction written behind a non-standard end of data (`--smuggle`). */
export interface SmuggledTransaction {
  from: string;
  to: readonly string[];
  lines: readonly Buffer[];
}

/** Index of the header line(s) starting with `name:` (case-insensitive), up to the blank line. */
export function headerLineIndexes(lines: readonly Buffer[], name: string): number[] {
  const prefix = `${name.toLowerCase()}:`;
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length === 0) break;
    if (line.subarray(0, prefix.length).toString('latin1').toLowerCase() === prefix) found.push(i);
  }
  return found;
}

/** The terminator of each line. */
export function lineTerminators(lines: readonly Buffer[], ends: LineEnds): Buffer[] {
  const chosen = Terminators[ends.term];
  if (ends.termAfter === undefined) return lines.map(() => chosen);
  const targets = new Set(headerLineIndexes(lines, ends.termAfter));
  if (targets.size === 0) throw new InputError(`--term-after ${ends.termAfter}: the message has no ${ends.termAfter} header field`);
  return lines.map((_, i) => (targets.has(i) ? chosen : Terminators.crlf));
}

/** RFC 5321 §4.5.2: a line that starts with "." gets one more. Lines are known, so bare ends count too. */
function stuffLine(line: Buffer): Buffer {
  return line[0] === DOT ? Buffer.concat([Buffer.of(DOT), line]) : line;
}

/**
 * The parts of the terminated, dot-stuffed message, followed by the end of data. RFC 5321
 * §4.1.1.4: the first CRLF of CRLF "." CRLF is the last line's own terminator, so when the
 * end-of-data sequence starts with a line end, it takes the place of the last line's
 * terminator. Parts, not one buffer: the caller joins everything once.
 */
function messageParts(lines: readonly Buffer[], options: DataOptions): Buffer[] {
  const terminators = lineTerminators(lines, options);
  const eod = options.eod.bytes;
  const leadsWithLineEnd = eod[0] === CR || eod[0] === LF;
  const parts: Buffer[] = [];
  lines.forEach((line, i) => {
    parts.push(options.dotStuff ? stuffLine(line) : line);
    if (!(leadsWithLineEnd && i === lines.length - 1)) parts.push(terminators[i]!);
  });
  parts.push(eod);
  return parts;
}

/** The terminated, dot-stuffed message followed by its end of data (see messageParts). */
export function messageWithEnd(lines: readonly Buffer[], options: DataOptions): Buffer {
  return Buffer.concat(messageParts(lines, options));
}

/**
 * What goes after the 354: the message and its end of data; after a non-standard end, the
 * smuggled transaction when there is one (its commands with CRLF, as a server expects them),
 * and the standard end so that the transaction can finish whichever way the server read it.
 */
export function dataPayload(lines: readonly Buffer[], options: DataOptions, smuggle?: SmuggledTransaction): Buffer {
  const parts = messageParts(lines, options);
  if (!options.eod.standard) {
    if (smuggle) {
      parts.push(smuggledTransaction(smuggle));
    } else {
      parts.push(STANDARD_EOD);
    }
  }
  return Buffer.concat(parts);
}

/** The second transaction as a server reads commands: MAIL, RCPT, DATA, its message and CRLF.CRLF. */
export function smuggledTransaction(smuggle: SmuggledTransaction): Buffer {
  const commands = [`MAIL FROM:<${smuggle.from}>`, ...smuggle.to.map((to) => `RCPT TO:<${to}>`), 'DATA'];
  return Buffer.concat([Buffer.from(commands.map((c) => `${c}\r\n`).join(''), 'latin1'), ...messageParts(smuggle.lines, { term: 'crlf', dotStuff: true, eod: standardEndOfData })]);
}

export const termWords: Record<TerminatorName, string> = { crlf: 'CRLF', cr: 'CR', lf: 'LF' };

/** What a variant is, in words, for the Subject and the report. */
export function describeVariant(ends: LineEnds & { eod?: EndOfData }): string {
  const lineText = ends.termAfter !== undefined
    ? `${ends.termAfter} line ended by ${termWords[ends.term]}, the others by CRLF`
    : `lines ended by ${termWords[ends.term]}`;
  if (!ends.eod || ends.eod.standard) return lineText;
  return `${lineText}, end of data ${ends.eod.name}${ends.eod.name.includes('\\') ? '' : ` (${formatEscaped(ends.eod.bytes)})`}`;
}
