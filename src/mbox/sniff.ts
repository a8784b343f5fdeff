import { detectLineConvention } from '../smtp/terminators.js';
import { startsWithFrom } from './line.js';
import { Eol, Variant } from './types.js';

/** How much of each file is looked at before the variant and line endings are decided. */
export const sniffBytes = 1 << 20;

/** What the start of a file says about all of it. */
export interface Sniffed {
  variant: Variant;
  /** The line ending of the first line (the From_ line), as detectLineConvention decides it. */
  eol: Eol;
  /**
   * The line ending of most lines other than From_ lines: the messages' own. An mbox writer
   * may end its From_ lines with LF and store each message as it came over SMTP, in CRLF
   * (smtpdbg serve does): both are the file's conventions, each for its own lines.
   */
  contentEol: Eol;
}

/**
 * The variant is decided from the first `sniffBytes` so that the answer never depends on
 * how the input was cut: Content-Length on every message means mboxcl/mboxcl2 (mboxcl also
 * quotes `>From `), `>>From ` can only come from an mboxrd writer, anything else is mboxo.
 */
export function sniff(sample: Buffer): Sniffed {
  const eol: Eol = sample.length === 0 ? Eol.none : (detectLineConvention(sample) ?? Eol.lf);
  // A file of CR line ends (classic Mac OS) is read with CR as the line end (see `crToLf`).
  if (eol === Eol.cr) return { ...sniff(crToLf(Buffer.from(sample))), eol };
  const text = sample.toString('latin1');
  const separators = (text.startsWith('From ') ? 1 : 0) + count(text, /\nFrom /g);
  const contentLengths = count(text, /\nContent-Length:/gi);
  let variant: Variant;
  if (separators > 0 && contentLengths >= separators) variant = /\n>From /.test(text) ? Variant.mboxcl : Variant.mboxcl2;
  else variant = /\n>>+From /.test(text) ? Variant.mboxrd : Variant.mboxo;
  return { eol, variant, contentEol: contentConvention(sample, eol) };
}

/** LF or CRLF, whichever ends more of the sample's lines that do not start with "From "; `fallback` on a tie. */
function contentConvention(sample: Buffer, fallback: Eol): Eol {
  let lf = 0;
  let crlf = 0;
  for (let start = 0, nl = sample.indexOf(10); nl >= 0; start = nl + 1, nl = sample.indexOf(10, start)) {
    if (startsWithFrom(sample, start)) continue;
    if (nl > start && sample[nl - 1] === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? Eol.crlf : lf > crlf ? Eol.lf : fallback;
}

/**
 * `bytes` with every CR made an LF, in place: the file of CR line ends as the scanner reads
 * it (lengths, hence offsets, unchanged). An LF in such a file ends a line too.
 */
export function crToLf(bytes: Buffer): Buffer {
  for (let i = bytes.indexOf(13); i >= 0; i = bytes.indexOf(13, i + 1)) bytes[i] = 10;
  return bytes;
}

const count = (text: string, re: RegExp): number => {
  let n = 0;
  while (re.exec(text)) n++;
  return n;
};
