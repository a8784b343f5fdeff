import type { ReplySpec } from './behaviour.js';

/**
 * Reply lines as RFC 5321 §4.2.1 writes them: "250-" on every line but the last, "250 " on
 * the last, with the enhanced status code (RFC 2034 §4) after the code on each line.
 */
export function formatReply(reply: ReplySpec): Buffer {
  if (reply.raw) return reply.raw;
  const lines = reply.lines.length > 0 ? reply.lines : [''];
  const prefix = reply.enhanced ? `${reply.enhanced} ` : '';
  const text = lines
    .map((line, i) => `${reply.code}${i === lines.length - 1 ? ' ' : '-'}${prefix}${line}`.trimEnd() + '\r\n')
    .join('');
  return Buffer.from(text, 'utf8');
}

export const reply = (code: number, enhanced: string | undefined, ...lines: string[]): ReplySpec =>
  enhanced === undefined ? { code, lines } : { code, enhanced, lines };
