/**
 * The worker threads of lint-mbox's range pool (range-pool.ts): which files are worth them,
 * the size of their ranges, and the threads themselves, which may start before the command
 * line loads (lint-mbox-prestart.ts). Kept apart from the pool so that starting them loads
 * nothing but node's own modules: what the main thread imports before the workers start
 * delays them.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ConfigureMessage, RangeWorkerData, ScanMessage, TurnMessage } from './range-protocol.js';

/**
 * Files smaller than this are linted on the main thread. Each worker starts its own
 * JavaScript engine and warms its compiled code up again (about half a second of CPU),
 * which the smaller files do not repay: two workers against one thread, medians of 7
 * interleaved runs, a header-dense archive of 128 MB 0.90 s against 0.87 s, 160 MB 0.99 s
 * against 1.00 s, 192 MB 1.07 s against 1.09 s; a body-heavy one of 512 MB 1.0× as fast.
 */
const parallelMinBytes = 256 << 20;
/**
 * From this size a file of small messages (`denseMessagesPerMiB` or more) is worth the
 * workers too: they pay for themselves by the lines of header they read, and such a file
 * is mostly header. The real-world corpus concatenated to 255 MiB (about 260 messages per
 * MiB): 1.12 s against 1.46 s; a body-heavy file of 210 MB (about 12 per MiB), which must
 * stay on one thread: 0.46 s against 0.37 s.
 */
const parallelDenseMinBytes = 192 << 20;
const denseMessagesPerMiB = 100;

/**
 * Range size: large enough that the per-range costs are noise, small enough that the last
 * range does not leave the other workers idle for long. A worker keeps one range's bytes
 * and the findings of a few. 3 MiB rather than 2 MiB: while a worker's code is still being
 * optimized, each range costs more than its bytes (a scanner and its first message afresh,
 * the pool's messages), and workers waited between ranges; two workers on 512 MB, medians
 * of 15 interleaved runs: 1.46 s → 1.40 s (the first 24 MB of each worker 469 → 418 ms,
 * waits between ranges 26 → 5 ms); on 4 GB the same time and peak RSS. 4 MiB was no faster
 * and held more findings per range.
 */
export function rangeBytesFor(size: number, jobs: number): number {
  const forced = Number(process.env.SMTPDBG_LINT_RANGE_BYTES);
  if (forced > 0) return forced;
  return Math.min(3 << 20, Math.max(1 << 20, Math.floor(size / (jobs * 16))));
}

/**
 * True when a file of `size` bytes is worth linting in ranges (tests force small ranges with
 * SMTPDBG_LINT_RANGE_BYTES). `messagesPerMiB` is asked only for the sizes where the answer
 * depends on it (`sampleMessagesPerMiB`).
 */
export function worthSplitting(size: number, jobs: number, messagesPerMiB: () => number): boolean {
  if (jobs < 2) return false;
  if (Number(process.env.SMTPDBG_LINT_RANGE_BYTES) > 0) return size > rangeBytesFor(size, jobs);
  return size >= parallelMinBytes || (size >= parallelDenseMinBytes && messagesPerMiB() >= denseMessagesPerMiB);
}

/** How many bytes `sampleMessagesPerMiB` reads, in windows of `sampleWindowBytes` spread over the file. */
const sampleWindows = 8;
const sampleWindowBytes = 64 << 10;
const separator = Buffer.from('\nFrom ');

/**
 * About how many messages the file `file` of `size` bytes holds per MiB: the lines starting
 * with "From " in eight windows of 64 KiB spread over it (a few body lines that start so
 * count too, which changes nothing at the scale this is read). 0 when it cannot be read:
 * the lint then reports that on the main thread.
 */
export function sampleMessagesPerMiB(file: string, size: number): number {
  // The prestart (before the command line loads) and the lint ask about the same file.
  const key = `${size}\0${file}`;
  let rate = sampledRates.get(key);
  if (rate === undefined) sampledRates.set(key, (rate = readMessagesPerMiB(file, size)));
  return rate;
}
const sampledRates = new Map<string, number>();

function readMessagesPerMiB(file: string, size: number): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 0;
  }
  try {
    const window = Buffer.allocUnsafe(sampleWindowBytes);
    let found = 0;
    let read = 0;
    for (let k = 0; k < sampleWindows; k++) {
      const at = Math.floor((Math.max(0, size - sampleWindowBytes) * k) / (sampleWindows - 1));
      const got = readSync(fd, window, 0, sampleWindowBytes, at);
      const bytes = window.subarray(0, got);
      if (at === 0 && bytes.subarray(0, 5).equals(separator.subarray(1))) found++;
      for (let i = bytes.indexOf(separator); i >= 0; i = bytes.indexOf(separator, i + 1)) found++;
      read += got;
    }
    return read === 0 ? 0 : found / (read / (1 << 20));
  } catch {
    return 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps the work of the engines started from now on (the workers') on their own threads
 * rather than hand parts of it to V8's helper threads, which with every core busy scanning
 * only competed with the workers for the cores:
 * - optimized code is compiled on the worker's thread: each worker's optimizing compiler
 *   works for about a third of a second while it warms up (two workers on 512 MB, medians
 *   of 9 interleaved runs: 1.72 s → 1.62 s, CPU 3.13 s → 2.91 s);
 * - young-generation collections run on the worker's thread alone: a worker collects its
 *   young generation (see PooledWorker) hundreds of times (medians of 15 interleaved runs:
 *   1.75 s → 1.69 s, CPU 3.32 s → 3.24 s, the same peak RSS).
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
 * A 6 MB young generation: a worker allocates one to three bytes per byte it scans, nearly
 * all dead within the message, and with 2 MB it spent about 85 ms per 256 MB in 410
 * scavenges (two workers on 512 MB, medians of 9 interleaved runs: 1.52 s → 1.45 s with
 * 8 MB). 6 MB rather than 8 MB since the scanner's byte loops moved to WebAssembly, whose
 * engine costs each worker a few MB: peak RSS on 4 GB 131 → 122 MB, on 512 MB 111 → 104 MB,
 * the same speed within the noise (9 interleaved runs: 1.50–1.53 s against 1.50 s). An old
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
      resourceLimits: { maxYoungGenerationSizeMb: 6, maxOldGenerationSizeMb: 1024 },
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
