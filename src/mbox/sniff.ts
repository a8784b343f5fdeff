import { detectLineConvention } from '../smtp/terminators.js';
import { Eol, Variant } from './types.js';

/** How much of each file is looked at before the variant and line endings are decided. */
export const sniffBytes = 1 << 20;

/**
 * The line-ending convention is that of the first line (the From_ line), as
 * detectLineConvention decides it.
 * The variant is decided from the first `sniffBytes` so that the answer never depends on
 * how the input was cut: Content-Length on every message means mboxcl/mboxcl2 (mboxcl also
 * quotes `>From `), `>>From ` can only come from an mboxrd writer, anything else is mboxo.
 */
export function sniff(sample: Buffer): { eol: Eol; variant: Variant } {
  const eol: Eol = sample.length === 0 ? Eol.none : (detectLineConvention(sample) ?? Eol.lf);
  const text = sample.toString('latin1');
  const separators = (text.startsWith('From ') ? 1 : 0) + count(text, /\nFrom /g);
  const contentLengths = count(text, /\nContent-Length:/gi);
  let variant: Variant;
  if (separators > 0 && contentLengths >= separators) variant = /\n>From /.test(text) ? Variant.mboxcl : Variant.mboxcl2;
  else variant = /\n>>+From /.test(text) ? Variant.mboxrd : Variant.mboxo;
  return { eol, variant };
}

const count = (text: string, re: RegExp): number => {
  let n = 0;
  while (re.exec(text)) n++;
  return n;
};
