import { ProtocolError } from '../errors.js';
import { describeAlert, sniffTlsRecord } from '../tls/alerts.js';
import { makeReply, type Reply } from './reply.js';

/**
 * RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it (long
 * EHLO lists, verbose rejections), so we accept far more, but a bound is what keeps a
 * hostile peer (a 4 MiB "banner" with no line end) from growing our memory without limit.
 */
export const MAX_REPLY_LINE = 64 * 1024;

/**
 * RFC 5321 sets no limit on the lines of one reply. Real EHLO replies have a few dozen
 * lines at most and a few KiB, multi-line banners and rejections likewise; these bounds
 * are far above them. A reply that goes on past them (`250-…` forever) is a flood, not a
 * reply, and its lines are held until the last one comes: without a bound it takes
 * memory until the timeout (a gigabyte and more).
 */
export const MAX_REPLY_LINES = 1000;
export const MAX_REPLY_OCTETS = 1024 * 1024;

/** Bytes a TLS record needs before it can be told apart from a reply line (an alert's length). */
const TLS_SNIFF_BYTES = 7;

const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/**
 * A sans-I/O SMTP reply parser: feed it bytes as they arrive, split anywhere, and it returns
 * the replies completed by that chunk. A line ends at LF; a CR before it is part of the
 * terminator. RFC 5321 §4.2.1: every line but the last has a hyphen after the code, all
 * lines of one reply carry the same code, and its first digit is 2 to 5.
 */
export class ReplyParser {
  private partial: Buffer[] = [];
  private partialLength = 0;
  private replyLines: string[] = [];
  private replyRaw: Buffer[] = [];
  private replyOctets = 0;
  private replyCode: number | undefined;

  feed(chunk: Uint8Array): Reply[] {
    const replies: Reply[] = [];
    let start = 0;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (start < bytes.length) {
      if (this.partialLength < TLS_SNIFF_BYTES) this.refuseTlsRecord(bytes, start);
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
    return this.partialLength + this.replyOctets;
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
    this.replyOctets = 0;
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

  /**
   * A TLS record where a reply line should start: the server speaks TLS on a connection we
   * read as plain text. Its bytes would otherwise be reported as a malformed reply line.
   */
  private refuseTlsRecord(bytes: Buffer, start: number): void {
    const first = this.partialLength ? this.partial[0]![0]! : bytes[start]!;
    if (first < 20 || first > 23) return;
    const head = Buffer.concat([...this.partial, bytes.subarray(start, start + TLS_SNIFF_BYTES - this.partialLength)]);
    const sniff = sniffTlsRecord(head);
    if (sniff.kind !== 'record') return;
    this.reset();
    const why = 'the server speaks TLS on this connection (it expects TLS from the first byte: try --tls; or it accepted a STARTTLS that no handshake followed)';
    if (sniff.alert) {
      const level = typeof sniff.alert.level === 'string' ? `, ${sniff.alert.level}` : '';
      throw new ProtocolError(`TLS alert record received where an SMTP reply was expected (${describeAlert(sniff.alert.description)}${level}): ${why}`);
    }
    throw new ProtocolError(`TLS ${sniff.contentType} record received where an SMTP reply was expected: ${why}`);
  }

  private takeLine(line: Buffer): Reply | undefined {
    let end = line.length - 1;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    const text = line.toString('latin1', 0, end);
    const match = /^(\d{3})([ -]?)(.*)$/s.exec(text);
    if (!match || (match[2] === '' && match[3] !== '')) {
      this.reset();
      throw new ProtocolError(`malformed reply line ${quote(text)}: expected a three-digit code`);
    }
    const code = Number(match[1]);
    // RFC 5321 §4.2.1: the first digit says what the reply means, and only 2 to 5 exist for
    // SMTP (1yz is defined but no SMTP command allows it). Anything else (000, 199, 600,
    // 999) says nothing about success or failure: the peer does not speak SMTP correctly.
    if (code < 200 || code >= 600) {
      this.reset();
      throw new ProtocolError(`invalid reply code ${match[1]} (RFC 5321 §4.2.1: the first digit is 2, 3, 4 or 5): ${quote(text)}`);
    }
    if (this.replyCode !== undefined && code !== this.replyCode) {
      const expected = this.replyCode;
      this.reset();
      throw new ProtocolError(`multi-line reply changed its code from ${expected} to ${code}`);
    }
    this.replyCode = code;
    this.replyLines.push(match[3] ?? '');
    this.replyRaw.push(line);
    this.replyOctets += line.length;
    if (match[2] === '-') {
      if (this.replyLines.length >= MAX_REPLY_LINES || this.replyOctets > MAX_REPLY_OCTETS) this.replyTooLong();
      return undefined;
    }
    const reply = makeReply(code, this.replyLines, Buffer.concat(this.replyRaw));
    this.replyLines = [];
    this.replyRaw = [];
    this.replyOctets = 0;
    this.replyCode = undefined;
    return reply;
  }

  private replyTooLong(): never {
    const lines = this.replyLines.length;
    const octets = this.replyOctets;
    const first = `${this.replyCode}-${this.replyLines[0] ?? ''}`;
    this.reset();
    const bound = lines >= MAX_REPLY_LINES ? `${MAX_REPLY_LINES} lines` : `${MAX_REPLY_OCTETS} octets`;
    throw new ProtocolError(`multi-line reply without an end: ${lines} lines (${octets} octets) and no last line, over the limit of ${bound} per reply; first line ${quote(first)}`);
  }
}
