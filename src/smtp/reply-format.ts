/** A reply to send: what a server (serve, or the proxy speaking for itself) answers. */
export interface ReplySpec {
  code: number;
  /** The enhanced status code (RFC 3463), e.g. "5.7.8"; left out when absent. */
  enhanced?: string;
  /** One string per reply line. */
  lines: string[];
  /** Bytes to send exactly as they are instead of formatting `lines` (scenario files may want a malformed reply). */
  raw?: Buffer;
}

/**
 * Reply lines as RFC 5321 §4.2.1 writes them: "250-" on every line but the last, "250 " on
 * the last, with the enhanced status code (RFC 2034 §4) after the code on each line. The
 * proxy encodes latin1, as it relays the server's bytes; serve writes UTF-8.
 */
export function formatReply(reply: ReplySpec, encoding: 'utf8' | 'latin1' = 'utf8'): Buffer {
  if (reply.raw) return reply.raw;
  const lines = reply.lines.length > 0 ? reply.lines : [''];
  const prefix = reply.enhanced ? `${reply.enhanced} ` : '';
  const text = lines
    .map((line, i) => `${reply.code}${i === lines.length - 1 ? ' ' : '-'}${prefix}${line}`.trimEnd() + '\r\n')
    .join('');
  return Buffer.from(text, encoding);
}

export const reply = (code: number, enhanced: string | undefined, ...lines: string[]): ReplySpec =>
  enhanced === undefined ? { code, lines } : { code, enhanced, lines };
