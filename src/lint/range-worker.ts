/**
 * A worker thread of `lint-mbox`: scans ranges of a file (see range-split.ts) and, once the
 * main thread says how many messages and lines come before a range and that the range
 * before it is out, numbers its findings and writes them to the output itself (or sends
 * only counts them, for `--summary-only`). Started by range-threads.ts, maybe before the
 * command line is read (lint-mbox-prestart.ts): what to lint and how comes in its first message.
 *
 * As its thread's entry point it builds the output layout from ui, as the CLI does for the
 * main thread (lint-files.ts takes the layout it is given).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { systemErrorCode } from '../errors.js';
import { ArchiveFold, type FoldedCount } from '../mbox/archive-patterns.js';
import { scanBuffer, scanBufferBytes } from '../mbox/byte-search.js';
import { selectRules } from '../mbox/rule-filter.js';
import { RuleTally } from '../mbox/rule-tally.js';
import { MergedLines } from '../mbox/rules/merged-field.js';
import { MboxScanner, RangeEnd } from '../mbox/scanner.js';
import type { Severity } from '../mbox/types.js';
import { loadChalk } from '../ui/colors.js';
import { FindingFormatter } from '../ui/lint-report.js';
import { chunkBytes } from './file-chunks.js';
import { writeAll } from './output-writes.js';
import { PendingFindings } from './pending-findings.js';
import type { ConfigureMessage, FromRangeWorker, ScanMessage, TurnMessage } from './range-protocol.js';

const port = parentPort!;

/** How this worker lints, from its `ConfigureMessage`. */
interface Configured {
  isEnabled(rule: string, severity?: Severity): boolean;
  /** Unset for `--summary-only`: findings are counted, not written. */
  formatter: FindingFormatter | undefined;
  outputFd: number;
  outputName: string;
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
  const formatter = output.format === 'none' ? undefined : new FindingFormatter(output.format, await loadChalk(output.format === 'text' && output.colour));
  const worker: Configured = {
    isEnabled: selectRules(data.rules),
    formatter,
    outputFd: output.format === 'none' ? -1 : output.fd,
    outputName: output.format === 'none' ? '' : output.name,
    turns: data.turns,
    turnPosted: data.turnPosted,
  };
  configured = worker;
  // Turns that come while no range is being scanned; during a scan, `takeTurns` reads them.
  worker.turns.on('message', (turn: TurnMessage) => number(worker, turn));
  for (const message of early.splice(0)) scan(worker, message);
}

/** Ranges up to this size are read at once into `reused`; longer ones (a huge message) in chunks. */
const wholeRangeBytes = scanBufferBytes;
let reused: Buffer = Buffer.alloc(0);
/**
 * A range that has found this many findings ends at its next message, which starts a new
 * range: a worker holds the findings of a few ranges, so this bounds its memory whatever
 * the input (about 300 bytes per finding encoded). 5,000 rather than 20,000: on a flood of
 * findings (8 MiB of From_ lines, six findings each, two workers) peak RSS went from about
 * 190 MB to 115 MB; a header-dense archive's 3 MiB ranges hold about 1,500, so they never
 * end early for it. Tests make it small with SMTPDBG_LINT_HELD_FINDINGS.
 */
const maxHeldFindings = Number(process.env.SMTPDBG_LINT_HELD_FINDINGS) || 5_000;

/** A scanned range waiting for its numbers: its findings (encoded, unless only counted), their tally, what was folded. */
interface Held {
  findings: PendingFindings | undefined;
  tally: RuleTally;
  folded: FoldedCount[];
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
 * The same for what a range makes besides its scanner (its findings' storage, tally and
 * fold) and what a message makes only now and then (`MergedLines`, for lines with a ": "
 * in their value): with the scanner alone kept, addHeaderLine and endHeader still lost their
 * code to "weak objects" in one run of two.
 */
let rangeAnchors: unknown[] | undefined;

/**
 * Writes the ranges whose turn has come while this worker scans another: a turn that waited
 * for the scan to end held up the output, and with it the ranges the other workers may take
 * (two workers on 512 MB were idle for 100–200 ms each that way). Called between messages.
 */
function takeTurns(worker: Configured): void {
  Atomics.store(worker.turnPosted, 0, 0);
  for (let turn = receiveMessageOnPort(worker.turns); turn; turn = receiveMessageOnPort(worker.turns)) number(worker, turn.message as TurnMessage);
}

function scan(worker: Configured, { id, file, range, last, sniffed, fold: specs }: ScanMessage): void {
  const { formatter, turnPosted } = worker;
  formatter?.startFile(sniffed.eol);
  const pending = formatter ? new PendingFindings(formatter) : undefined;
  const tally = new RuleTally();
  const fold = specs.length > 0 ? new ArchiveFold(specs) : undefined;
  const scanner = new MboxScanner({
    file,
    framing: true,
    isEnabled: worker.isEnabled,
    origins: false,
    range: { start: range.start, startAfterBlank: range.startAfterBlank, stopAt: last ? undefined : range.end, sniffed, full: () => pending !== undefined && pending.size >= maxHeldFindings },
    onMessage(_info, found) {
      const findings = fold ? fold.apply(found) : found;
      tally.nextMessage();
      for (const f of findings) {
        tally.add(f);
        pending?.add(f);
      }
      if (Atomics.load(turnPosted, 0) !== 0) takeTurns(worker);
    },
  });
  shapeAnchor ??= scanner;
  rangeAnchors ??= [pending, tally, fold, new MergedLines()];
  let offset = range.start;
  let stopped: RangeEnd | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      const length = range.readEnd - range.start;
      if (length <= wholeRangeBytes) {
        // One read into a buffer that is used again for the next range: once a range is
        // scanned nothing refers to its bytes (findings hold strings). In the search module's
        // memory, where the scanner's byte loops run in WebAssembly (byte-search.ts).
        if (reused.length < length) reused = scanBuffer(wholeRangeBytes) ?? Buffer.allocUnsafeSlow(wholeRangeBytes);
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
  held.set(id, { findings: pending, tally, folded: fold?.counts() ?? [] });
  post({ type: 'scanned', id, messages: scanner.messages, lines: stopped?.lines ?? 0, end: stopped?.at ?? range.end, afterBlank: stopped?.afterBlank ?? false });
}

function number({ outputFd, outputName }: Configured, { id, messages, lines, written }: TurnMessage): void {
  const { findings, tally, folded } = held.get(id)!;
  held.delete(id);
  try {
    findings?.drain(messages, lines, written, (bytes) => writeAll(outputFd, bytes, outputName));
  } catch (error) {
    post({ type: 'failed', id, message: error instanceof Error ? error.message : String(error), code: systemErrorCode(error) });
    return;
  }
  post({ type: 'findings', id, tally: tally.data(), folded });
}
