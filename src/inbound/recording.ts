import { redactAuthLine } from '../smtp/auth.js';
import type { CommandLine, ServerReader } from '../smtp/server-reader.js';
import { Terminators } from '../smtp/terminators.js';

/**
 * What an inbound connection records for a command line: the line with its terminator as
 * received, or with the AUTH secret replaced (RFC 4954 §4: an initial response, and every
 * line answering a 334) unless secrets are shown. The bytes relayed or acted on are untouched.
 */
export function recordedLine(item: CommandLine, options: { mayHoldSecret: boolean; inAuthExchange: boolean; showSecrets: boolean }): { data: Buffer; redacted?: true } {
  const terminator = Terminators[item.terminator];
  const shown = options.mayHoldSecret && !options.showSecrets ? redactAuthLine(item.line, terminator, options.inAuthExchange) : undefined;
  return shown ? { data: shown, redacted: true } : { data: Buffer.concat([item.line, terminator]) };
}

/**
 * RFC 3207 §6: bytes the client pipelined behind STARTTLS must not be acted on (they could
 * have been injected by a man in the middle). They are taken out of the reader before the
 * handshake and handed to `record`, with their count, so that they are shown, not lost.
 */
export function discardAfterStartTls(reader: ServerReader, record: (discarded: Buffer, note: string) => void): void {
  const discarded = reader.discardBuffered();
  if (discarded.length === 0) return;
  record(discarded, `discarded ${discarded.length} octets sent after STARTTLS before the TLS handshake (RFC 3207 §6)`);
}
