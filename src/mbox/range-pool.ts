import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { InputError } from '../errors.js';
import type { ConfigureMessage, FromRangeWorker, RangeWorkerData, ScanMessage, TurnMessage } from './range-protocol.js';
import { splitIntoRanges, type FileRange } from './range-split.js';
import { sniff, sniffBytes } from './sniff.js';
import type { Eol, Finding, Variant } from './types.js';

/**
 * Files smaller than this are linted on the main thread. Each worker starts its own
 * JavaScript engine and warms its compiled code up again, which the smaller files do not
 * repay: on a header-dense archive with two workers, 128 MB took 0.91 s against 0.85 s
 * on one thread, and 256 MB 1.12 s against 1.35 s.
 */
const parallelMinBytes = 256 << 20;

/**
 * Range size: large enough that the per-range messages are noise, small enough that the
 * last range does not leave the other workers idle for long. A worker keeps one range's
 * bytes and the findings of a few: with 2 MiB rather than 4 MiB, peak RSS on 4 GB with
 * two workers went from 126–133 MB to 113 MB at the same speed.
 */
function rangeBytesFor(size: number, jobs: number): number {
  const forced = Number(process.env.SMTPDBG_LINT_RANGE_BYTES);
  if (forced > 0) return forced;
  return Math.min(2 << 20, Math.max(1 << 20, Math.floor(size / (jobs * 16))));
}

/** True when `size` bytes are worth linting in ranges (tests force small ranges with SMTPDBG_LINT_RANGE_BYTES). */
export function worthSplitting(size: number, jobs: number): boolean {
  if (jobs < 2) return false;
  return Number(process.env.SMTPDBG_LINT_RANGE_BYTES) > 0 ? size > rangeBytesFor(size, jobs) : size >= parallelMinBytes;
}

export interface RangedFileResult {
  variant: Variant;
  eol: Eol;
  bytes: number;
  messages: number;
  counts: Map<string, number>;
  errors: number;
  findings: number;
}

export interface RangedFileOutput {
  /** Findings as objects, in file order (output format `objects`; the workers write the others). */
  findings(findings: Finding[]): void;
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

/**
 * Makes the engines started from now on (the workers') compile their optimized code on
 * their own thread rather than hand it to V8's helper threads. Each worker's optimizing
 * compiler works for about a third of a second while it warms up; with every core busy
 * scanning, the helper threads doing that work only competed with the workers for the
 * cores (two workers on 512 MB, medians of 9 interleaved runs: 1.72 s → 1.62 s, CPU
 * 3.13 s → 2.91 s). V8 reads this flag when it creates an engine, so the main thread's
 * engine, already running, keeps its own arrangement.
 */
function compileOnWorkerThreads(): void {
  setFlagsFromString('--no-concurrent-recompilation');
}

/** Each worker scans one range and has one more queued. */
const queuedPerWorker = 2;

/**
 * One worker thread and the channel on which its output turns go (see RangeWorkerTurns).
 * An 8 MB young generation: a worker allocates two to three bytes per byte it scans, nearly
 * all dead within the message, and with 2 MB it spent about 85 ms per 256 MB in 410
 * scavenges (two workers on 512 MB, medians of 9 interleaved runs: 1.52 s → 1.45 s; peak
 * RSS 96 → 102 MB there, and 114–126 MB on 4 GB whatever the size, 2 to 16 MB). An old
 * generation limit of 1 GB rather than the default 4 GB, with which V8 grows the heap in
 * smaller steps: peak RSS on 128 MB with two workers 137 MB → 115 MB, the same CPU time.
 * The thread starts at once; what it lints comes with `configure`, which may be much later.
 */
class PooledWorker {
  readonly thread: Worker;
  private readonly turnPort: MessagePort;
  /** The worker's end of the turn channel, until `configure` hands it over. */
  private readonly workerTurnPort: MessagePort;
  private readonly turnPosted = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    const channel = new MessageChannel();
    this.turnPort = channel.port1;
    this.workerTurnPort = channel.port2;
    this.thread = new Worker(new URL('./range-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 1024 },
    });
    // Idle workers must not keep the process alive.
    this.thread.unref();
  }

  /** Once, before the first range. */
  configure(data: RangeWorkerData): void {
    const message: ConfigureMessage = { type: 'configure', data: { ...data, turns: this.workerTurnPort, turnPosted: this.turnPosted } };
    this.thread.postMessage(message, [this.workerTurnPort]);
  }

  scan(message: ScanMessage): void {
    this.thread.postMessage(message);
  }

  /** The flag goes up after the message is queued: a worker that sees it finds the message. */
  giveTurn(message: TurnMessage): void {
    this.turnPort.postMessage(message);
    Atomics.store(this.turnPosted, 0, 1);
  }

  async close(): Promise<void> {
    this.turnPort.close();
    await this.thread.terminate();
  }
}

/** Workers started before the command line was read (`prestartRangeWorkers`), not yet taken by a pool. */
const prestarted: PooledWorker[] = [];

/**
 * Starts `count` workers now, for a pool that will likely want them: a worker takes about
 * 40 ms to start its engine and load its modules, which then overlaps the main thread's
 * loading of the command line instead of following it. Workers no pool takes do not keep
 * the process alive; one that fails before a pool takes it is left out.
 */
export function prestartRangeWorkers(count: number): void {
  compileOnWorkerThreads();
  for (let i = 0; i < count; i++) {
    const worker = new PooledWorker();
    const drop = (): void => {
      const at = prestarted.indexOf(worker);
      if (at >= 0) prestarted.splice(at, 1);
    };
    worker.thread.once('error', drop);
    worker.thread.once('exit', drop);
    prestarted.push(worker);
  }
}

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
      compileOnWorkerThreads();
      this.workers = prestarted.splice(0, this.jobs);
      while (this.workers.length < this.jobs) this.workers.push(new PooledWorker());
      for (const worker of this.workers) worker.configure(this.data);
    }
    return this.workers;
  }

  async lintFile(file: string, output: RangedFileOutput): Promise<RangedFileResult> {
    let size: number;
    let sniffed: { variant: Variant; eol: Eol };
    let ranges: FileRange[];
    // Workers start on their own threads while this one cuts the file (a few hundred
    // milliseconds on 4 GB).
    const workers = this.started();
    const fd = openSync(file, 'r');
    try {
      size = fstatSync(fd).size;
      // The same first bytes the sequential scanner decides from.
      const sample = Buffer.allocUnsafe(Math.min(size, sniffBytes));
      const got = readSync(fd, sample, 0, sample.length, 0);
      sniffed = sniff(sample.subarray(0, got));
      ranges = splitIntoRanges(fd, size, rangeBytesFor(size, this.jobs));
    } finally {
      closeSync(fd);
    }
    const result: RangedFileResult = { ...sniffed, bytes: size, messages: 0, counts: new Map(), errors: 0, findings: 0 };

    return new Promise<RangedFileResult>((resolve, reject) => {
      /** The ranges in file order; a range that stops early is followed by a new one for its rest. */
      const jobs: Job[] = ranges.map((range, i) => ({ id: i, range, last: i === ranges.length - 1, owner: undefined, scanned: undefined }));
      const byId = new Map(jobs.map((job) => [job.id, job]));
      let nextId = jobs.length;
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
        const window = Math.min(jobs.length, nextOut + workers.length * queuedPerWorker * 2);
        for (let i = nextOut; i < window; i++) {
          const job = jobs[i]!;
          if (job.owner !== undefined) continue;
          const w = queued.indexOf(Math.min(...queued));
          if (queued[w]! >= queuedPerWorker) return;
          job.owner = w;
          queued[w]!++;
          workers[w]!.scan({ type: 'scan', id: job.id, file, range: job.range, last: job.last, sniffed });
        }
      };
      /** The next range's findings go out once it is scanned and the one before is out. */
      const release = (): void => {
        const job = jobs[nextOut];
        if (outInFlight || !job?.scanned) return;
        outInFlight = true;
        workers[job.owner!]!.giveTurn({ id: job.id, messages: messagesBefore, lines: linesBefore });
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
        if (message.findings) output.findings(message.findings);
        for (const [rule, n] of message.counts) result.counts.set(rule, (result.counts.get(rule) ?? 0) + n);
        result.errors += message.errors;
        result.findings += message.total;
        result.messages = messagesBefore;
        output.progress(job.range.end, result.messages, result.findings);
        outInFlight = false;
        if (++nextOut === jobs.length) return finish();
        release();
        assign();
      };
      const onMessage = (w: number, message: FromRangeWorker): void => {
        if (settled) return;
        if (message.type === 'scanned') onScanned(w, message);
        else if (message.type === 'findings') onFindings(message);
        else finish(message.code === 'EPIPE' ? Object.assign(new Error(message.message), { code: 'EPIPE' }) : new InputError(message.message));
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
      assign();
    });
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.close()));
  }
}
