import { InputError } from '../errors.js';
import { MboxScanner } from '../mbox/scanner.js';
import { Variant, type MessageInfo } from '../mbox/types.js';
import { recognizeLines } from '../smtp/terminators.js';
import type { MessageLines } from './message.js';

const fromEscape = {
  // mboxrd quotes every ">*From " line with one more ">" (RFC 4155 §2, qmail's mbox(5)).
  [Variant.mboxrd]: /^>(>*From )/,
  // mboxo and mboxcl quote "From " only; ">From " cannot be told from a quoted line, so it is
  // read back as "From ", as their readers do.
  [Variant.mboxo]: /^>(From )/,
  [Variant.mboxcl]: /^>(From )/,
} as const;

/**
 * `--mbox FILE --index N`: message N (1-based, as lint-mbox numbers them) without its From_
 * line and the blank line the writer put before the next one, with ">From " un-escaped per
 * the file's detected variant.
 */
export function messageFromMbox(bytes: Buffer, index: number, file: string): MessageLines & { variant: Variant } {
  // Only the split and the variant are needed: rules and origins off, nothing is linted.
  const messages: MessageInfo[] = [];
  const scanner = new MboxScanner({ file, framing: true, origins: false, isEnabled: () => false, onMessage: (info) => messages.push(info) });
  scanner.push(bytes);
  scanner.end();
  const variant = scanner.variant;
  const info = messages[index - 1];
  if (!info) throw new InputError(`${file}: no message ${index} (the file holds ${messages.length})`);
  let body = bytes.subarray(info.start, info.end);
  if (body.subarray(0, 5).toString('latin1') === 'From ') {
    const nl = body.indexOf(0x0a);
    body = nl === -1 ? Buffer.alloc(0) : body.subarray(nl + 1);
  }
  const lines = recognizeLines(body).lines;
  if (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
  const pattern = variant in fromEscape ? fromEscape[variant as keyof typeof fromEscape] : undefined;
  const unescaped = pattern
    ? lines.map((line) => (line[0] === 0x3e ? Buffer.from(line.toString('latin1').replace(pattern, '$1'), 'latin1') : line))
    : lines;
  return { lines: unescaped, source: `${file} message ${index} (${variant})`, variant };
}
