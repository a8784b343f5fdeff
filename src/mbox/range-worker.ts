/**
 * A worker thread of `lint-mbox`: scans ranges of a file (see range-split.ts) and, once the
 * main thread says how many messages and lines come before a range and that the range
 * before it is out, numbers its findings and writes them to the output itself (or sends
 * them back as objects for `--format json`). Started by range-threads.ts, maybe before the
 * command line is read (lint-mbox-prestart.ts): what to lint and how comes in its first message.
 *
 * As its thread's entry point it builds the output layout from ui, as the CLI does for the
 * main thread (lint-files.ts takes the layout it is given).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { systemErrorCode } from '../errors.js';
import { loadChalk } from '../ui/colors.js';
import { FindingFormatter } from '../ui/lint-report.js';
import { chunkBytes } from './file-chunks.js';
import { PendingFindings } from './pending-findings.js';
import type { ConfigureMessage, FromRangeWorker, ScanMessage, TurnMessage } from './range-protocol.js';
import { selectRules } from './rule-filter.js';
import { MboxScanner, RangeEnd } from './scanner.js';
import type { Finding, Severity } from './types.js';

const port = parentPort!;

/** How this worker lints, from its `ConfigureMessage`. */
interface Configured {
  isEnabled(rule: string, severity?: Severity): boolean;
  /** Set for the streamed formats, which the worker writes itself to `outputFd`. */
  formatter: FindingFormatter | undefined;
  outputFd: number;
  turns: MessagePort;
  turnPosted: Int32Array;
}
let configured: Configured | undefined;
/** Ranges that came while the configuration was being set up (loading chalk for colour). */
const early: ScanMessage[] = [];

port.on('message', (message: ConfigureMessage | ScanMessage) => {
  if (message.type === 'configure') void configure(message);
  else if (configured) scan(configured, message);
  else early.push(message);
});

async function configure({ data }: ConfigureMessage): Promise<void> {
  const output = data.output;
  const formatter = output.format === 'objects' ? undefined : new FindingFormatter(output.format, await loadChalk(output.format === 'text' && output.colour));
  const worker: Configured = { isEnabled: selectRules(data.rules), formatter, outputFd: output.format === 'objects' ? -1 : output.fd, turns: data.turns, turnPosted: data.turnPosted };
  configured = worker;
  // Turns that come while no range is being scanned; during a scan, `takeTurns` reads them.
  worker.turns.on('message', (turn: TurnMessage) => number(worker, turn));
  for (const message of early.splice(0)) scan(worker, message);
}

/** Ranges up to this size are read at once into `reused`; longer ones (a huge message) in chunks. */
const wholeRangeBytes = 8 << 20;
let reused = Buffer.alloc(0);
/**
 * A range that has found this many findings ends at its next message, which starts a new
 * range: a worker holds the findings of a few ranges, so this bounds its memory whatever
 * the input (about 300 bytes per finding encoded, 400 as objects). Tests make it small with
 * SMTPDBG_LINT_HELD_FINDINGS.
 */
const maxHeldFindings = Number(process.env.SMTPDBG_LINT_HELD_FINDINGS) || 20_000;

/** A scanned range waiting for its numbers: its findings, encoded or as objects, and their counts. */
interface Held {
  findings: PendingFindings | Finding[];
  counts: Map<string, number>;
  errors: number;
}
const held = new Map<number, Held>();

const post = (message: FromRangeWorker): void => port.postMessage(message);

/**
 * The worker's first scanner, kept for the worker's life, and through it the first message's
 * linter. V8 forgets the hidden class (map) of a class's objects when a full collection finds
 * none of them alive, and throws away every optimized function compiled against it. Between
 * two ranges a worker holds no scanner, line or linter, and its old-generation collection
 * often comes just then, from the next range's first allocations: on the 512 MB benchmark one
 * worker per run lost about 20 optimized functions at once (`--log-deopt`: dependency-change,
 * "weak objects"; `--log-maps`: the MboxScanner, SourceLine and MessageLinter maps made anew
 * right after) and spent 60–80 ms running and compiling them again while the other waited on
 * the output window. Medians of 9 interleaved runs: 1.31 s → 1.24 s.
 */
let shapeAnchor: MboxScanner | undefined;

/**
 * Writes the ranges whose turn has come while this worker scans another: a turn that waited
 * for the scan to end held up the output, and with it the ranges the other workers may take
 * (two workers on 512 MB were idle for 100–200 ms each that way). Called between messages.
 */
function takeTurns(worker: Configured): void {
  Atomics.store(worker.turnPosted, 0, 0);
  for (let turn = receiveMessageOnPort(worker.turns); turn; turn = receiveMessageOnPort(worker.turns)) number(worker, turn.message as TurnMessage);
}

function scan(worker: Configured, { id, file, range, last, sniffed }: ScanMessage): void {
  const { formatter, turnPosted } = worker;
  const pending = formatter ? new PendingFindings(formatter) : undefined;
  const objects: Finding[] = [];
  const kept: Held = { findings: pending ?? objects, counts: new Map(), errors: 0 };
  const scanner = new MboxScanner({
    file,
    framing: true,
    isEnabled: worker.isEnabled,
    origins: false,
    range: { start: range.start, startAfterBlank: range.startAfterBlank, stopAt: last ? undefined : range.end, sniffed, full: () => (pending?.size ?? objects.length) >= maxHeldFindings },
    onMessage(_info, found) {
      for (const f of found) {
        kept.counts.set(f.rule, (kept.counts.get(f.rule) ?? 0) + 1);
        if (f.severity === 'error') kept.errors++;
        if (pending) pending.add(f);
        else objects.push(f);
      }
      if (Atomics.load(turnPosted, 0) !== 0) takeTurns(worker);
    },
  });
  shapeAnchor ??= scanner;
  let offset = range.start;
  let stopped: RangeEnd | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      const length = range.readEnd - range.start;
      if (length <= wholeRangeBytes) {
        // One read into a buffer that is used again for the next range: once a range is
        // scanned nothing refers to its bytes (findings hold strings).
        if (reused.length < length) reused = Buffer.allocUnsafeSlow(wholeRangeBytes);
        let got = 0;
        for (let n = -1; n !== 0 && got < length; got += n) n = readSync(fd, reused, got, length - got, offset + got);
        offset += got;
        scanner.push(reused.subarray(0, got));
      } else {
        for (let got = -1; got !== 0 && offset < range.readEnd; ) {
          // A fresh buffer per chunk: the scanner keeps views of them until their message ends.
          const chunk = Buffer.allocUnsafeSlow(Math.min(chunkBytes, range.readEnd - offset));
          got = readSync(fd, chunk, 0, chunk.length, offset);
          offset += got;
          scanner.push(chunk.subarray(0, got));
        }
      }
    } finally {
      closeSync(fd);
    }
    if (!last) {
      post({ type: 'failed', id, message: `${file}: the file changed while it was read (no message starts at byte ${range.end} any more)`, code: undefined });
      return;
    }
    scanner.end();
  } catch (error) {
    const code = systemErrorCode(error);
    if (error instanceof RangeEnd) stopped = error;
    else if (code) {
      post({ type: 'failed', id, message: `${file}: read failed at byte ${offset} (${code})`, code });
      return;
    } else throw error;
  }
  held.set(id, kept);
  post({ type: 'scanned', id, messages: scanner.messages, lines: stopped?.lines ?? 0, end: stopped?.at ?? range.end, afterBlank: stopped?.afterBlank ?? false });
}

function number({ outputFd }: Configured, { id, messages, lines }: TurnMessage): void {
  const { findings, counts, errors } = held.get(id)!;
  held.delete(id);
  if (findings instanceof PendingFindings) {
    try {
      findings.drain(messages, lines, (bytes) => writeAll(outputFd, bytes));
    } catch (error) {
      const code = systemErrorCode(error);
      post({ type: 'failed', id, message: `standard output: write failed (${code ?? String(error)})`, code });
      return;
    }
    post({ type: 'findings', id, findings: undefined, counts: [...counts], errors, total: findings.size });
    return;
  }
  for (const f of findings) {
    f.message += messages;
    f.line += lines;
  }
  post({ type: 'findings', id, findings, counts: [...counts], errors, total: findings.length });
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes every byte; a non-blocking descriptor that is full is waited for. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      if (systemErrorCode(error) !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}
