import { randomBytes } from 'node:crypto';

/**
 * The mark that lets `inject --observe` find its own message in a mailbox full of others:
 * a unique id in a header field and on the message's last body line (src/cli/inject-observe.ts
 * puts them there). Either one is enough
 * to find it: a server that merges or drops header lines (a bare CR) leaves the body line,
 * and `--no-trace-header` leaves the header alone when the header is what is under test.
 */
export const traceHeaderName = 'X-Smtpdbg-Trace';

/** `smtpdbg-` + time + randomness: unique across runs, and only letters, digits and hyphens. */
export function newTraceId(now = Date.now()): string {
  return `smtpdbg-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** Whether the bytes carry the trace id (anywhere: a merged or folded header still does). */
export function hasTrace(bytes: Buffer, id: string): boolean {
  return bytes.includes(id, 0, 'latin1');
}
