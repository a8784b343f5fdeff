import { UsageError } from '../errors.js';
import { dotStuff } from './dot-stuffing.js';
import { formatEscaped, parseEscaped } from './escapes.js';

/**
 * End-of-data sequences. RFC 5321 §4.1.1.4: mail data ends with a line holding only ".",
 * i.e. CRLF "." CRLF, where the first CRLF is the terminator of the last line. The others
 * are the variants SMTP smuggling research found servers to disagree on: a server that
 * takes one of them as the end while an upstream relay took it as content lets a second
 * transaction ride inside one message.
 */
export const namedEods = {
  crlf: '\r\n.\r\n',
  lf: '\n.\n',
  cr: '\r.\r',
  'cr-lf': '\r.\n',
  'lf-cr': '\n.\r',
  'lf-crlf': '\n.\r\n',
  'crlf-lf': '\r\n.\n',
  'cr-crlf': '\r.\r\n',
  'crlf-cr': '\r\n.\r',
  'nul-before': '\r\n\0.\r\n',
  'nul-after': '\r\n.\0\r\n',
  'crlf-crcrlf': '\r\n.\r\r\n',
  crcrlf: '\r\r\n.\r\r\n',
} as const;
export type EodName = keyof typeof namedEods;

export const eodNames = Object.keys(namedEods) as EodName[];

/** The standard end, sent after any other so that the transaction can finish. */
export const STANDARD_EOD = Buffer.from(namedEods.crlf, 'latin1');

export interface EndOfData {
  /** The table name, or the escaped form of user-given bytes. */
  name: string;
  bytes: Buffer;
  standard: boolean;
  /**
   * False when a compliant relay could not pass the sequence on: its "." begins a line
   * (after CRLF), so the relay dot-stuffs it (RFC 5321 §4.5.2) before it reaches the next
   * server.
   */
  producibleThroughRelay: boolean;
}

export function endOfData(name: string, bytes: Buffer): EndOfData {
  return {
    name,
    bytes,
    standard: bytes.equals(STANDARD_EOD),
    producibleThroughRelay: dotStuff(bytes).length === bytes.length,
  };
}

/** CRLF "." CRLF as an EndOfData. */
export const standardEndOfData: EndOfData = endOfData('crlf', STANDARD_EOD);

export function isEodName(value: string): value is EodName {
  return Object.hasOwn(namedEods, value);
}

/** `--eod NAME|ESCAPED`: a name from the table, or bytes in the escape syntax of parseEscaped. */
export function parseEod(value: string): EndOfData {
  const lower = value.toLowerCase();
  if (isEodName(lower)) return endOfData(lower, Buffer.from(namedEods[lower], 'latin1'));
  const bytes = parseEscaped(value, `--eod ${value}`);
  if (bytes.length === 0) throw new UsageError('--eod: empty sequence');
  if (!bytes.includes(0x2e)) throw new UsageError(`--eod ${value}: an end-of-data sequence needs a "." (names: ${eodNames.join(', ')})`);
  return endOfData(formatEscaped(bytes), bytes);
}

/** Every named variant but the standard one, in table order (`--eod all`). */
export function nonStandardEods(): EndOfData[] {
  return eodNames.filter((name) => name !== 'crlf').map((name) => endOfData(name, Buffer.from(namedEods[name], 'latin1')));
}
