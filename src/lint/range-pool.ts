import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { addFoldedCounts, type FoldedCount, type FoldSpec } from '../mbox/archive-patterns.js';
import { RuleTally } from '../mbox/rule-tally.js';
import { sniff, sniffBytes, type Sniffed } from '../mbox/sniff.js';
import type { Eol, Variant } from '../mbox/types.js';
import type { FromRangeWorker, RangeWorkerData } from './range-protocol.js';
import { RangeCutter, type FileRange } from './range-split.js';
import { rangeBytesFor, takeRangeWorkers, type PooledWorker } from './range-threads.js';

export interface RangedFileResult {
  variant: Variant;
  eol: Eol;
  bytes: number;
  messages: number;
  tally: RuleTally;
  folded: FoldedCount[];
}

export interface RangedFile {
  /**
   * Finds the archive patterns whose findings are folded (see archive-patterns.ts) in the
   * file's first bytes (`whole` when they are all of it); none when undefined.
   */
  findArchivePatterns: ((sample: Buffer, whole: boolean, sniffed: Sniffed) => FoldSpec[]) | undefined;
  /** Findings already in the output before this file's. */
  written: number;
  progress(bytes: number, messages: number, findings: number): void;
}

interface Job {
  id: number;
  range: FileRange;
  last: boolean;
  /** The worker it was sent to. */
  owner: number | undefined;
  scanned: { messages: number; lines: number } | undefined;
}

/** Each worker scans one range and has one more queued. */
const queuedPerWorker = 2;

/**
 * Worker threads that lint the ranges of big files in parallel. The main thread tells each
 * range how many messages and lines come before it and when its turn to write has come, so
 * the output is byte for byte that of one sequential scan. At most a few ranges are ahead
 * of the one being written, so memory stays bounded whatever the file size.
 */
export class RangePool {
  private workers: PooledWorker[] = [];

  constructor(
    private readonly jobs: number,
    private readonly data: RangeWorkerData,
  ) {}

  private started(): PooledWorker[] {
    if (this.workers.length === 0) {
      this.workers = takeRangeWorkers(this.jobs);
      for (const worker of this.workers) worker.configure(this.data);
    }
    return this.workers;
  }

  async lintFile(file: string, output: RangedFile): Promise<RangedFileResult> {
    // Workers start on their own threads while this one opens the file.
    const workers = this.started();
    const fd = openSync(file, 'r');
    let size: number;
    let sniffed: Sniffed;
    let fold: FoldSpec[];
    try {
      size = fstatSync(fd).size;
      // The same first bytes the sequential scanner decides from.
      const sample = Buffer.allocUnsafe(Math.min(size, sniffBytes));
      const got = readSync(fd, sample, 0, sample.length, 0);
      sniffed = sniff(sample.subarray(0, got));
      fold = output.findArchivePatterns?.(sample.subarray(0, got), size <= sniffBytes, sniffed) ?? [];
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    // Ranges are cut as the workers need them, so the first are scanned while the rest are
    // still to cut (about 1,900 boundaries and 25–30 ms on 4 GB).
    const cutter = new RangeCutter(fd, size, rangeBytesFor(size, this.jobs));
    const result: RangedFileResult = { ...sniffed, bytes: size, messages: 0, tally: new RuleTally(), folded: [] };

    return new Promise<RangedFileResult>((resolve, reject) => {
      /** The ranges cut so far, in file order; a range that stops early is followed by a new one for its rest. */
      const jobs: Job[] = [];
      const byId = new Map<number, Job>();
      let nextId = 0;
      /** Cuts ranges until there are `count` (or the file has no more). */
      const cutTo = (count: number): void => {
        while (jobs.length < count && !cutter.done) {
          const job: Job = { id: nextId++, range: cutter.next()!, last: cutter.done, owner: undefined, scanned: undefined };
          jobs.push(job);
          byId.set(job.id, job);
        }
      };
      const queued = workers.map(() => 0);
      /** Index of the range whose findings go out next; one at a time, in file order. */
      let nextOut = 0;
      let outInFlight = false;
      let messagesBefore = 0;
      let linesBefore = 0;
      let settled = false;

      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        closeSync(fd);
        workers.forEach(({ thread }, w) => {
          thread.off('message', listeners[w]!);
          thread.off('error', onError);
          thread.off('exit', onExit);
          thread.unref();
        });
        if (error) reject(error);
        else resolve(result);
      };
      /** Ranges go to whichever worker has room, but never far ahead of the output. */
      const assign = (): void => {
        const window = nextOut + workers.length * queuedPerWorker * 2;
        cutTo(window);
        for (let i = nextOut; i < Math.min(jobs.length, window); i++) {
          const job = jobs[i]!;
          if (job.owner !== undefined) continue;
          const w = queued.indexOf(Math.min(...queued));
          if (queued[w]! >= queuedPerWorker) return;
          job.owner = w;
          queued[w]!++;
          workers[w]!.scan({ type: 'scan', id: job.id, file, range: job.range, last: job.last, sniffed, fold });
        }
      };
      /** The next range's findings go out once it is scanned and the one before is out. */
      const release = (): void => {
        const job = jobs[nextOut];
        if (outInFlight || !job?.scanned) return;
        outInFlight = true;
        workers[job.owner!]!.giveTurn({ id: job.id, messages: messagesBefore, lines: linesBefore, written: output.written + result.tally.findings });
        messagesBefore += job.scanned.messages;
        linesBefore += job.scanned.lines;
      };
      const onScanned = (w: number, message: Extract<FromRangeWorker, { type: 'scanned' }>): void => {
        queued[w]!--;
        const job = byId.get(message.id)!;
        job.scanned = message;
        if (message.end < job.range.end) {
          const rest: Job = {
            id: nextId++,
            range: { start: message.end, end: job.range.end, readEnd: job.range.readEnd, startAfterBlank: message.afterBlank },
            last: job.last,
            owner: undefined,
            scanned: undefined,
          };
          byId.set(rest.id, rest);
          jobs.splice(jobs.indexOf(job) + 1, 0, rest);
          job.range = { ...job.range, end: message.end };
          job.last = false;
        }
        release();
        assign();
      };
      const onFindings = (message: Extract<FromRangeWorker, { type: 'findings' }>): void => {
        const job = jobs[nextOut]!;
        byId.delete(job.id);
        result.tally.merge(message.tally);
        addFoldedCounts(result.folded, message.folded);
        result.messages = messagesBefore;
        output.progress(job.range.end, result.messages, result.tally.findings);
        outInFlight = false;
        if (++nextOut === jobs.length && cutter.done) return finish();
        release();
        assign();
      };
      const onMessage = (w: number, message: FromRangeWorker): void => {
        if (settled) return;
        // Cutting more ranges reads the file, which can fail.
        try {
          if (message.type === 'scanned') onScanned(w, message);
          else if (message.type === 'findings') onFindings(message);
          else finish(message.code === 'EPIPE' ? Object.assign(new Error(message.message), { code: 'EPIPE' }) : new InputError(message.message));
        } catch (error) {
          finish(error as Error);
        }
      };
      const listeners = workers.map((_, w) => (message: FromRangeWorker) => onMessage(w, message));
      const onError = (error: Error): void => finish(error);
      const onExit = (code: number): void => finish(new Error(`a lint-mbox worker thread exited (code ${code}) while linting ${file}`));
      workers.forEach(({ thread }, w) => {
        thread.ref();
        thread.on('message', listeners[w]!);
        thread.on('error', onError);
        thread.on('exit', onExit);
      });
      try {
        assign();
      } catch (error) {
        finish(error as Error);
      }
    });
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.close()));
  }
}
