import { parseEnhancedCode } from './enhanced-status.js';

/** One complete SMTP reply (RFC 5321 §4.2), possibly multi-line. */
export interface Reply {
  code: number;
  /** The text of each line after the code and its separator, terminators removed. */
  lines: string[];
  /** The enhanced status code (RFC 3463) of the first line when it has one, e.g. "5.7.8". */
  enhanced: string | undefined;
  /** Every byte of the reply as received, terminators included (latin1 survives as bytes). */
  raw: Buffer;
}

export function isSuccess(reply: Pick<Reply, 'code'>): boolean {
  return reply.code >= 200 && reply.code < 400;
}

/** "535 5.7.8 Authentication failed" — the first line as a person would quote it. */
export function formatReplyShort(reply: Pick<Reply, 'code' | 'lines'>): string {
  const first = reply.lines[0] ?? '';
  return first ? `${reply.code} ${first}` : String(reply.code);
}

export function makeReply(code: number, lines: string[], raw: Buffer): Reply {
  const enhanced = lines[0] !== undefined ? parseEnhancedCode(lines[0], code) : undefined;
  return { code, lines, enhanced, raw };
}
