import type { Finding } from '../mbox/types.js';
import { BatchedWriter } from './byte-sink.js';
import type { FindingLayout } from './pending-findings.js';

/**
 * The streamed formats: each finding becomes one ndjson line, one text block, or one line
 * of `--format json`'s findings array (the document around it is the command's).
 */
export type StreamedFormat = 'ndjson' | 'text' | 'json';

/**
 * Findings laid out by `layout` (ui/lint-report.ts) and batched into buffers for `write`:
 * the main thread's counterpart of a range worker's `PendingFindings`.
 */
export class FindingEncoder {
  private readonly out: BatchedWriter;
  /** Findings in the output so far, the range workers' included (see `FindingLayout.separator`). */
  written = 0;

  constructor(
    private readonly layout: FindingLayout,
    write: (bytes: Buffer) => void,
  ) {
    this.out = new BatchedWriter(write);
  }

  add(f: Finding): void {
    const out = this.out;
    if (this.layout.separator !== undefined && this.written > 0) out.string(this.layout.separator);
    this.written++;
    out.string(this.layout.head(f));
    out.digits(f.message);
    out.string(this.layout.mid);
    out.digits(f.line);
    this.layout.writeTail(f, out);
  }

  flush(): void {
    this.out.flush();
  }
}
