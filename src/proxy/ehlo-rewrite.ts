import { extensionKeyword } from '../smtp/capabilities.js';
import type { Reply } from '../smtp/reply.js';

/**
 * What the application is told the server supports, when the proxy sits in between. The
 * proxy terminates TLS itself, so the EHLO reply it passes on must offer STARTTLS while
 * the application's connection is plain and must not once it is encrypted (RFC 3207 §4.2:
 * "A server MUST NOT return the STARTTLS extension in response to an EHLO command received
 * after a TLS handshake has completed"). CHUNKING (RFC 3030) passes: the proxy counts each
 * BDAT chunk's octets and relays them as they are.
 */
export interface EhloRewrite {
  /** The reply bytes to send to the application (CRLF line ends, RFC 5321 §4.2). */
  bytes: Buffer;
  /** What changed, in words, for the transcript; empty when nothing did. */
  changes: string[];
}

export function rewriteEhloReply(reply: Pick<Reply, 'code' | 'lines'>, clientLegTls: boolean): EhloRewrite {
  const [greeting = '', ...extensions] = reply.lines;
  const changes: string[] = [];
  const kept = extensions.filter((line) => {
    const keyword = extensionKeyword(line);
    if (keyword === 'STARTTLS' && clientLegTls) {
      changes.push('STARTTLS removed (TLS with the client is already active)');
      return false;
    }
    return true;
  });
  if (!clientLegTls && !kept.some((line) => extensionKeyword(line) === 'STARTTLS')) {
    kept.push('STARTTLS');
    changes.push('STARTTLS added (the proxy terminates TLS with the client)');
  }
  const lines = [greeting, ...kept];
  const text = lines.map((line, i) => `${reply.code}${i === lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
  return { bytes: Buffer.from(text, 'latin1'), changes };
}
