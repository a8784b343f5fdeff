import type { StreamedFormat } from './finding-encoder.js';
import type { RuleSelection } from './rule-filter.js';
import type { FileRange } from './range-split.js';
import type { Eol, Finding, Variant } from './types.js';

/** What every range worker is started with. */
export interface RangeWorkerData {
  rules: RuleSelection;
  /**
   * Streamed formats are written by the worker straight to `fd` (a file, pipe or terminal,
   * where writes are synchronous); `objects` go back to the main thread (`--format json`).
   */
  output: { format: StreamedFormat; colour: boolean; fd: number } | { format: 'objects' };
}

/** Main thread → worker. */
export type ToRangeWorker =
  | { type: 'scan'; id: number; file: string; range: FileRange; last: boolean; sniffed: { variant: Variant; eol: Eol } }
  /** The numbers of messages and lines before range `id`, and the output's turn: its findings can go out. */
  | { type: 'number'; id: number; messages: number; lines: number };

/** Worker → main thread. */
export type FromRangeWorker =
  /**
   * Range `id` was scanned up to `end`: its end, or earlier when it held too many findings
   * (then a new range starts at `end`, after an empty line or not).
   */
  | { type: 'scanned'; id: number; messages: number; lines: number; end: number; afterBlank: boolean }
  | {
      /** Range `id`'s findings were written, or are here as objects. */
      type: 'findings';
      id: number;
      findings: Finding[] | undefined;
      counts: [rule: string, count: number][];
      errors: number;
      total: number;
    }
  /** Reading the range or writing its findings failed; `message` is for the user. */
  | { type: 'failed'; id: number; message: string; code: string | undefined };
