import { randomBytes } from 'node:crypto';

/**
 * The mark that lets `inject --observe` find its own message in a mailbox full of others:
 * a unique id in a header field and on the message's last body line. Either one is enough
 * to find it: a server that merges or drops header lines (a bare CR) leaves the body line,
 * and `--no-trace-header` leaves the header alone when the header is what is under test.
 */
export const traceHeaderName = 'X-Smtpdbg-Trace';

/** `smtpdbg-` + time + randomness: unique across runs, and only letters, digits and hyphens. */
export function newTraceId(now = Date.now()): string {
  return `smtpdbg-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

const CR = 0x0d;
const LF = 0x0a;

/** The line end the message's first line uses (CRLF when it has none). */
function firstTerminator(message: Buffer): Buffer {
  for (let i = 0; i < message.length; i += 1) {
    if (message[i] === LF) return Buffer.from('\n');
    if (message[i] === CR) return Buffer.from(message[i + 1] === LF ? '\r\n' : '\r');
  }
  return Buffer.from('\r\n');
}

/** The line end of the message's last line (CRLF when it has none). */
function lastTerminator(message: Buffer): Buffer {
  const n = message.length;
  if (n >= 2 && message[n - 2] === CR && message[n - 1] === LF) return Buffer.from('\r\n');
  if (n >= 1 && (message[n - 1] === LF || message[n - 1] === CR)) return message.subarray(n - 1);
  return Buffer.from('\r\n');
}

/**
 * The message with its trace: a header field first (ended like the message's first line) and
 * a body line last (ended like its last line). The message's own bytes are not changed.
 */
export function addTrace(message: Buffer, id: string, options: { header: boolean }): Buffer {
  const parts: Buffer[] = [];
  if (options.header) parts.push(Buffer.from(`${traceHeaderName}: ${id}`, 'latin1'), firstTerminator(message));
  parts.push(message);
  const end = lastTerminator(message);
  const n = message.length;
  const endsInLine = n > 0 && (message[n - 1] === LF || message[n - 1] === CR);
  // A message without a final line end gets one before the trace line, so the trace is a line of its own.
  if (!endsInLine) parts.push(end);
  parts.push(Buffer.from(`smtpdbg-trace: ${id}`, 'latin1'), end);
  return Buffer.concat(parts);
}

/** Whether the bytes carry the trace id (anywhere: a merged or folded header still does). */
export function hasTrace(bytes: Buffer, id: string): boolean {
  return bytes.includes(id, 0, 'latin1');
}
