import { closeSync, openSync } from 'node:fs';
import type { MessageInfo } from '../mbox/types.js';
import { writeAll, writeFailure } from './output-writes.js';

/** What starts an extracted message that had no From_ line of its own (RFC 4155 §2). */
const syntheticFromLine = Buffer.from('From smtpdbg-extract Thu Jan  1 00:00:00 1970\n');

/**
 * Copies flagged messages byte-exact into a new mbox. It holds the chunks of the message
 * being scanned (and no more), so memory is bounded by the largest message.
 */
export class MessageExtractor {
  private readonly fd: number;
  private chunks: { offset: number; bytes: Buffer }[] = [];
  extracted = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw writeFailure(path, error);
    }
  }

  /** A new input starts: offsets restart at zero. */
  startFile(): void {
    this.chunks = [];
  }

  addChunk(offset: number, bytes: Buffer): void {
    this.chunks.push({ offset, bytes });
  }

  message(info: MessageInfo, flagged: boolean): void {
    if (flagged && info.end > info.start) {
      if (!info.hasFromLine) writeAll(this.fd, syntheticFromLine, this.path);
      for (const { offset, bytes } of this.chunks) {
        const from = Math.max(info.start, offset) - offset;
        const to = Math.min(info.end, offset + bytes.length) - offset;
        if (to > from) writeAll(this.fd, bytes.subarray(from, to), this.path);
      }
      this.extracted++;
    }
    this.chunks = this.chunks.filter((c) => c.offset + c.bytes.length > info.end);
  }

  close(): void {
    closeSync(this.fd);
  }
}
