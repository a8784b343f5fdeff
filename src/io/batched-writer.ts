import type { Writable } from 'node:stream';
import { drained } from './drained.js';
import { outputFailure } from './output-failure.js';

/**
 * Writes text to a stream in batches of about 64 KiB, and waits for the stream to take each
 * batch before accepting more: a long rendering costs one write call per batch, not per
 * line, and however slowly the reader reads, memory holds one batch. It stops accepting once
 * any output has failed (output-failure.ts): what it would write no longer matters.
 */
export class BatchedWriter {
  private pending: string[] = [];
  private size = 0;
  private readonly stream: Writable;
  private readonly batch: number;

  constructor(stream: Writable, batch = 64 * 1024) {
    this.stream = stream;
    this.batch = batch;
  }

  /** True once an output of this run failed; the caller stops producing. */
  get stopped(): boolean {
    return outputFailure() !== undefined;
  }

  /** Queues one line (a line end is added); resolves when the caller may go on. */
  async line(text: string): Promise<void> {
    this.pending.push(text, '\n');
    this.size += text.length + 1;
    if (this.size >= this.batch) await this.flush();
  }

  /** Writes what is queued and waits until the stream has taken it (or has failed). */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    if (this.stopped) return;
    if (!this.stream.write(text)) await drained(this.stream);
  }
}
