import { ProtocolError } from '../errors.js';
import { makeReply, type Reply } from './reply.js';

/**
 * RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it (long
 * EHLO lists, verbose rejections), so we accept far more, but a bound is what keeps a
 * hostile peer (a 4 MiB "banner" with no line end) from growing our memory without limit.
 */
export const MAX_REPLY_LINE = 64 * 1024;

/**
 * A sans-I/O SMTP reply parser: feed it bytes as they arrive, split anywhere, and it returns
 * the replies completed by that chunk. A line ends at LF; a CR before it is part of the
 * terminator. RFC 5321 §4.2.1: every line but the last has a hyphen after the code, and all
 * lines of one reply carry the same code.
 */
export class ReplyParser {
  private partial: Buffer[] = [];
  private partialLength = 0;
  private replyLines: string[] = [];
  private replyRaw: Buffer[] = [];
  private replyCode: number | undefined;

  feed(chunk: Uint8Array): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (start < bytes.length) {
      const lf = bytes.indexOf(0x0a, start);
      if (lf === -1) {
        this.keepPartial(bytes.subarray(start));
        break;
      }
      const piece = bytes.subarray(start, lf + 1);
      start = lf + 1;
      const line = this.partialLength ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      this.partialLength = 0;
      if (line.length > MAX_REPLY_LINE + 2) this.tooLong();
      const reply = this.takeLine(Buffer.from(line));
      if (reply) replies.push(reply);
    }
    return replies;
  }

  /** Bytes received that do not yet form a complete reply. */
  get pendingBytes(): number {
    return this.partialLength + this.replyRaw.reduce((n, b) => n + b.length, 0);
  }

  /** The lines of a multi-line reply received so far (for "closed in the middle of a reply"). */
  get pendingLines(): readonly string[] {
    return this.replyLines;
  }

  /**
   * Forget everything buffered. Used after STARTTLS: RFC 3207 §6 requires discarding what
   * arrived before the TLS handshake, since a man in the middle could have injected it.
   */
  reset(): void {
    this.partial = [];
    this.partialLength = 0;
    this.replyLines = [];
    this.replyRaw = [];
    this.replyCode = undefined;
  }

  private keepPartial(piece: Buffer): void {
    this.partial.push(Buffer.from(piece));
    this.partialLength += piece.length;
    if (this.partialLength > MAX_REPLY_LINE) this.tooLong();
  }

  private tooLong(): never {
    this.reset();
    throw new ProtocolError(`reply line longer than ${MAX_REPLY_LINE} bytes without a line end`);
  }

  private takeLine(line: Buffer): Reply | undefined {
    let end = line.length - 1;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    const text = line.toString('latin1', 0, end);
    const match = /^(\d{3})([ -]?)(.*)$/s.exec(text);
    if (!match || (match[2] === '' && match[3] !== '')) {
      const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
      throw new ProtocolError(`malformed reply line ${JSON.stringify(shown)}: expected a three-digit code`);
    }
    const code = Number(match[1]);
    if (this.replyCode !== undefined && code !== this.replyCode) {
      const expected = this.replyCode;
      this.reset();
      throw new ProtocolError(`multi-line reply changed its code from ${expected} to ${code}`);
    }
    this.replyCode = code;
    this.replyLines.push(match[3] ?? '');
    this.replyRaw.push(line);
    if (match[2] === '-') return undefined;
    const reply = makeReply(code, this.replyLines, Buffer.concat(this.replyRaw));
    this.replyLines = [];
    this.replyRaw = [];
    this.replyCode = undefined;
    return reply;
  }
}
