/**
 * The server's dot-unstuffing (RFC 5321 §4.5.2: the leading "." of every line that has one
 * is removed) fed the DATA content in chunks cut anywhere, as it arrives. Only CRLF ends a
 * line, as in the end-of-data detection (§4.1.1.4), so a CRLF split across two chunks still
 * makes the next octet a line start. Gives back views of the chunks, never copies.
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n', 'latin1');

export class DotUnstuffer {
  /** The next octet begins a line (the content's first, or one after CRLF). */
  private atLineStart = true;
  /** The last octet seen was a CR, so an LF first in the next chunk ends a line. */
  private afterCr = false;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    const length = chunk.length;
    if (length === 0) return out;
    let from = 0;
    const drop = (dot: number) => {
      if (dot > from) out.push(chunk.subarray(from, dot));
      from = dot + 1;
    };
    let nextLineStart = false;
    if (this.atLineStart) {
      if (chunk[0] === DOT) drop(0);
    } else if (this.afterCr && chunk[0] === LF) {
      if (length === 1) nextLineStart = true;
      else if (chunk[1] === DOT) drop(1);
    }
    for (let crlf = chunk.indexOf(CRLF); crlf !== -1; crlf = chunk.indexOf(CRLF, crlf + 2)) {
      const start = crlf + 2;
      if (start === length) nextLineStart = true;
      else if (chunk[start] === DOT) drop(start);
    }
    if (from < length) out.push(chunk.subarray(from));
    this.atLineStart = nextLineStart;
    this.afterCr = chunk[length - 1] === CR;
    return out;
  }
}
