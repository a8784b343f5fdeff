import type { BuiltInScenario } from './scenario.js';

/**
 * A real incident: a pipeline (sendmail, milters and a clean-up script) that stored
 * `Date: … (EDT) From: "Example Name" <…>` on one line and then added `From: [no-from]`.
 * A header line ended by a bare CR is taken as part of the same line, the CR becomes a
 * space (what Postfix 3.7 does with a bare CR in a header), so the next field disappears into
 * the previous one; a later stage finds no From field and inserts a placeholder, as
 * RFC 5322 §3.6 requires one. The body is left as it came.
 */
export function mergeBareCrHeader(data: Buffer): Buffer {
  const text = data.toString('latin1');
  // The header ends at the first empty line (RFC 5322 §2.1), whatever ends the lines.
  const blank = /\n\r?\n/.exec(text);
  const headerEnd = text.startsWith('\r\n') || text.startsWith('\n') ? 0 : blank ? blank.index + 1 : text.length;
  let header = text.slice(0, headerEnd).replace(/\r(?!\n)/g, ' ');
  if (!/^From:/im.test(header)) {
    if (header !== '' && !header.endsWith('\n')) header += '\r\n';
    header += 'From: [no-from]\r\n';
  }
  return Buffer.from(header + text.slice(headerEnd), 'latin1');
}

export const crMerge: BuiltInScenario = {
  name: 'cr-merge',
  summary: 'stores each message with every bare CR in its header turned into a space, and adds "From: [no-from]" where no From field is left',
  imitates: 'a sendmail + milter + clean-up script pipeline that merged a Date header with the From after it (lint-mbox then reports merged-field and placeholder-address)',
  options: [],
  create: () => ({ behaviour: { name: 'cr-merge', onMessage: (m) => ({ store: mergeBareCrHeader(m.data) }) } }),
};
