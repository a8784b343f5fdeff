import type { MessagePort } from 'node:worker_threads';
import type { FoldedCount, FoldSpec } from '../mbox/archive-patterns.js';
import type { RuleSelection } from '../mbox/rule-filter.js';
import type { TallyData } from '../mbox/rule-tally.js';
import type { Sniffed } from '../mbox/sniff.js';
import type { StreamedFormat } from './finding-encoder.js';
import type { FileRange } from './range-split.js';

/** What every range worker is configured with, in the first message it gets (`ConfigureMessage`). */
export interface RangeWorkerData {
  rules: RuleSelection;
  /**
   * Findings are written by the worker straight to `fd` (a file, pipe or terminal, where
   * writes are synchronous), named `name` in errors; `none` only counts them (`--summary-only`).
   */
  output: { format: StreamedFormat; colour: boolean; fd: number; name: string } | { format: 'none' };
}

/**
 * What one worker is configured with besides `RangeWorkerData`: the channel on which its output
 * turns come (`TurnMessage`), and a flag the main thread raises after posting one. A worker
 * looks at the flag between messages while it scans, so a turn waits for one message rather
 * than for the end of the range being scanned (with the other worker's turns behind it).
 */
export interface RangeWorkerTurns {
  turns: MessagePort;
  /** Element 0 is non-zero while a turn may be waiting on `turns`. */
  turnPosted: Int32Array;
}

/**
 * Main thread → worker, on the worker's own port, first of all: how to lint. A worker may be
 * started before the command line is read (prestart.ts), so this does not come with it.
 */
export interface ConfigureMessage {
  type: 'configure';
  data: RangeWorkerData & RangeWorkerTurns;
}

/** Main thread → worker, on the worker's own port: a range to scan. */
export interface ScanMessage {
  type: 'scan';
  id: number;
  file: string;
  range: FileRange;
  last: boolean;
  sniffed: Sniffed;
  /** The archive patterns found at the file's start, whose findings are folded. */
  fold: FoldSpec[];
}

/**
 * Main thread → worker, on `RangeWorkerTurns.turns`: the numbers of messages and lines before
 * range `id`, and the output's turn: its findings can go out after the `written` before them.
 */
export interface TurnMessage {
  id: number;
  messages: number;
  lines: number;
  written: number;
}

/** Worker → main thread. */
export type FromRangeWorker =
  /**
   * Range `id` was scanned up to `end`: its end, or earlier when it held too many findings
   * (then a new range starts at `end`, after an empty line or not).
   */
  | { type: 'scanned'; id: number; messages: number; lines: number; end: number; afterBlank: boolean }
  | {
      /** Range `id`'s findings were written (or only counted); what was folded. */
      type: 'findings';
      id: number;
      tally: TallyData;
      folded: FoldedCount[];
    }
  /** Reading the range or writing its findings failed; `message` is for the user. */
  | { type: 'failed'; id: number; message: string; code: string | undefined };
