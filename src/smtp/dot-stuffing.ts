/**
 * Transparency for the DATA phase (RFC 5321 §4.5.2): a client doubles the leading period of
 * every line of mail text, and a server removes it again, so that a line holding a single
 * "." can only be the end-of-data indicator.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

export interface DotStuffOptions {
  /**
   * Also double a period that follows a bare CR or a bare LF. RFC 5321 only knows CRLF line
   * ends (§2.3.8), but lenient servers treat a bare LF as one (see the Postfix table in
   * as Postfix 3.7 was seen to do); set this when the content carries bare terminators and the message must
   * not end early at such a server.
   */
  afterBareTerminators?: boolean;
}

/** True when `bytes[i]` begins a line: at the start, or after CRLF (or a bare CR/LF when asked). */
function startsLine(bytes: Uint8Array, i: number, afterBare: boolean): boolean {
  if (i === 0) return true;
  const prev = bytes[i - 1];
  if (prev === LF) return afterBare || bytes[i - 2] === CR;
  return afterBare && prev === CR;
}

/** The client side: doubles the leading "." of every line. The end-of-data indicator is not added. */
export function dotStuff(content: Uint8Array, options: DotStuffOptions = {}): Buffer {
  const afterBare = options.afterBareTerminators ?? false;
  let from = 0;
  const parts: Buffer[] = [];
  for (let i = 0; i < content.length; i++) {
    if (content[i] === DOT && startsLine(content, i, afterBare)) {
      parts.push(Buffer.from(content.subarray(from, i)), Buffer.of(DOT));
      from = i;
    }
  }
  if (parts.length === 0) return Buffer.from(content);
  parts.push(Buffer.from(content.subarray(from)));
  return Buffer.concat(parts);
}

/**
 * The server side: removes the leading "." of every line that has one (RFC 5321 §4.5.2,
 * second rule). Only CRLF ends a line here, as in the server's end-of-data detection
 * (§4.1.1.4), so the two always agree on where lines begin.
 */
export function dotUnstuff(stuffed: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; i < stuffed.length; i++) {
    if (stuffed[i] === DOT && startsLine(stuffed, i, false)) {
      parts.push(Buffer.from(stuffed.subarray(from, i)));
      from = i + 1;
    }
  }
  parts.push(Buffer.from(stuffed.subarray(from)));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
