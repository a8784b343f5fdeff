/**
 * The worker threads of lint-mbox's range pool (range-pool.ts): which files are worth them,
 * the size of their ranges, and the threads themselves, which may start before the command
 * line loads (lint-mbox-prestart.ts). Kept apart from the pool so that starting them loads
 * nothing but node's own modules: what the main thread imports before the workers start
 * delays them.
 */
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ConfigureMessage, RangeWorkerData, ScanMessage, TurnMessage } from './range-protocol.js';

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
export function rangeBytesFor(size: number, jobs: number): number {
  const forced = Number(process.env.SMTPDBG_LINT_RANGE_BYTES);
  if (forced > 0) return forced;
  return Math.min(2 << 20, Math.max(1 << 20, Math.floor(size / (jobs * 16))));
}

/** True when `size` bytes are worth linting in ranges (tests force small ranges with SMTPDBG_LINT_RANGE_BYTES). */
export function worthSplitting(size: number, jobs: number): boolean {
  if (jobs < 2) return false;
  return Number(process.env.SMTPDBG_LINT_RANGE_BYTES) > 0 ? size > rangeBytesFor(size, jobs) : size >= parallelMinBytes;
}

/**
 * Keeps the work of the engines started from now on (the workers') on their own threads
 * rather than hand parts of it to V8's helper threads, which with every core busy scanning
 * only competed with the workers for the cores:
 * - optimized code is compiled on the worker's thread: each worker's optimizing compiler
 *   works for about a third of a second while it warms up (two workers on 512 MB, medians
 *   of 9 interleaved runs: 1.72 s → 1.62 s, CPU 3.13 s → 2.91 s);
 * - young-generation collections run on the worker's thread alone: a worker collects its
 *   8 MB young generation hundreds of times (medians of 15 interleaved runs: 1.75 s →
 *   1.69 s, CPU 3.32 s → 3.24 s, the same peak RSS).
 * V8 reads the first flag when it creates an engine, so the main thread's engine, already
 * running, keeps its own arrangement; the second applies to it too, where it does little
 * once the workers scan.
 */
function keepWorkersOnTheirThreads(): void {
  setFlagsFromString('--no-concurrent-recompilation');
  setFlagsFromString('--no-parallel-scavenge');
}

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
export class PooledWorker {
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
  keepWorkersOnTheirThreads();
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

/** `count` workers for a pool: those started early first, then new ones. */
export function takeRangeWorkers(count: number): PooledWorker[] {
  keepWorkersOnTheirThreads();
  const workers = prestarted.splice(0, count);
  while (workers.length < count) workers.push(new PooledWorker());
  return workers;
}
