import { BatchedWriter } from './byte-sink.js';
import type { FindingLayout } from './pending-findings.js';
import type { Finding } from './types.js';

/** The streamed formats: each finding becomes one ndjson line or one text block. */
export type StreamedFormat = 'ndjson' | 'text';

/**
 * Findings laid out by `layout` (ui/lint-report.ts) and batched into buffers for `write`:
 * the main thread's counterpart of a range worker's `PendingFindings`.
 */
export class FindingEncoder {
  private readonly out: BatchedWriter;

  constructor(
    private readonly layout: FindingLayout,
    write: (bytes: Buffer) => void,
  ) {
    this.out = new BatchedWriter(write);
  }

  add(f: Finding): void {
    const out = this.out;
    out.string(this.layout.head(f));
    out.digits(f.message);
    out.string(this.layout.mid);
    out.digits(f.line);
    this.layout.writeTail(f, out);
    out.byte(10);
  }

  flush(): void {
    this.out.flush();
  }
}
