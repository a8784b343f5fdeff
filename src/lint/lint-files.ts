import { statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileError, InputError, systemErrorCode, UsageError } from '../errors.js';
import { ArchiveFold, archivePatternRule, findArchivePatterns, wholeFile, type FoldedCount, type FoldSpec } from '../mbox/archive-patterns.js';
import { OriginGroups, type GroupKey, type GroupRow } from '../mbox/group-by.js';
import { selectRules, type RuleSelection } from '../mbox/rule-filter.js';
import { RuleTally, type RuleCount } from '../mbox/rule-tally.js';
import { MboxScanner } from '../mbox/scanner.js';
import { sniff, sniffBytes, type Sniffed } from '../mbox/sniff.js';
import type { FileSummary, Finding, MessageInfo } from '../mbox/types.js';
import { MessageExtractor } from './extract.js';
import { readFileChunks } from './file-chunks.js';
import { FindingEncoder, type StreamedFormat } from './finding-encoder.js';
import type { FindingLayout } from './pending-findings.js';
import { RangePool } from './range-pool.js';
import { sampleMessagesPerMiB, worthSplitting } from './range-threads.js';

export interface LintFilesOptions extends RuleSelection {
  files: readonly string[];
  maxFindings?: number;
  groupBy?: GroupKey;
  extract?: string;
  /** Where findings go, in file order, as soon as their message has been scanned. */
  output: LintOutput;
  /** Worker threads for big files; 1 lints everything on the main thread. */
  jobs?: number;
  /** Called about four times a second while reading. */
  onProgress?(progress: Progress): void;
  stdin?: Readable;
}

/**
 * Findings formatted (ndjson, text or the findings of a JSON document; coloured or not) and
 * written as bytes, or only counted (`none`: `--summary-only`).
 */
export type LintOutput =
  | {
      format: StreamedFormat;
      colour: boolean;
      /** How this thread lays findings out; range workers build the same from `format` and `colour`. */
      layout: FindingLayout;
      /** Writes all of `bytes` before it returns, or throws (see output-writes.ts). */
      write(bytes: Uint8Array): void;
      /** The descriptor behind `write` when worker threads may write to it themselves (see RangeWorkerData). */
      fd: number | undefined;
      /** What write errors call the output: its path, or "standard output". */
      name: string;
    }
  | { format: 'none' };

export interface Progress {
  file: string;
  bytes: number;
  messages: number;
  findings: number;
  mbPerSecond: number;
}

export interface FileResult extends FileSummary {
  /** Messages with at least one finding. */
  flagged: number;
  /** The archive patterns whose findings were folded, with what was folded. */
  folded: FoldedCount[];
}

export interface LintFilesResult {
  files: FileResult[];
  summary: RuleCount[];
  findings: number;
  errors: number;
  /** Messages in every file. */
  messages: number;
  /** Messages with at least one finding. */
  flagged: number;
  /** True when `maxFindings` stopped the run early. */
  truncated: boolean;
  groups: GroupRow[] | undefined;
  extracted: number | undefined;
}

class StopReading extends Error {}

/** Fails before any output when a named file cannot be an input; the size of a regular file. */
function checkInput(file: string): number | undefined {
  if (file === '-') return undefined;
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (error) {
    throw fileError(file, 'read', error);
  }
  if (stats.isDirectory()) throw new InputError(`${file}: is a directory, not an mbox file`);
  return stats.isFile() ? stats.size : undefined;
}

/** "FILE: read failed at byte N (EIO)" for an error of the input itself. */
function readFailure(file: string, offset: number, error: unknown): Error {
  const code = systemErrorCode(error);
  return code && !(error instanceof InputError) ? new InputError(`${file}: read failed at byte ${offset} (${code})`, { cause: error }) : (error as Error);
}

/** What `readStart` read of an input and found in it. */
interface InputStart {
  /** The chunks read, to be scanned first. */
  read: Buffer[];
  ended: boolean;
  sniffed: Sniffed;
  /** The archive patterns found in the first messages (see archive-patterns.ts). */
  fold: FoldSpec[];
}

/**
 * Reads the start of an input, from which its line endings and variant are decided (see
 * sniff.ts) and, when `detect` is given, its archive patterns (in the same bytes: see
 * `windowBytes`). The chunks are handed back, to be scanned in front of the rest: the
 * file's own scan holds no copy of them.
 */
async function readStart(file: string, input: AsyncIterator<Buffer>, detect: ((rule: string) => boolean) | undefined): Promise<InputStart> {
  const read: Buffer[] = [];
  let bytes = 0;
  let ended = false;
  // One byte more, to know whether the start is the whole input.
  while (bytes <= sniffBytes && !ended) {
    let next: IteratorResult<Buffer>;
    try {
      next = await input.next();
    } catch (error) {
      throw readFailure(file, bytes, error);
    }
    if (next.done) ended = true;
    else {
      read.push(next.value);
      bytes += next.value.length;
    }
  }
  const start = Buffer.concat(read, Math.min(bytes, sniffBytes));
  const sniffed = sniff(start);
  const fold = detect ? findArchivePatterns(file, start, ended, sniffed, detect) : [];
  return { read, ended, sniffed, fold };
}

/** Lints files (or `-` for stdin) one after the other, streaming; big files in parallel ranges. */
export async function lintFiles(options: LintFilesOptions): Promise<LintFilesResult> {
  const isEnabled = selectRules(options);
  const foldPatterns = isEnabled(archivePatternRule);
  const tally = new RuleTally();
  const groups = options.groupBy ? new OriginGroups(options.groupBy) : undefined;
  const files: FileResult[] = [];
  let truncated = false;
  const stdin = options.stdin ?? process.stdin;
  const sizes = options.files.map(checkInput);
  // Opening the extract file truncates it: it must not be one of the inputs.
  if (options.extract && options.files.some((f) => f !== '-' && resolve(f) === resolve(options.extract!))) {
    throw new UsageError(`--extract ${options.extract}: that is one of the input files`);
  }
  const output = options.output;
  const encoder = output.format === 'none' ? undefined : new FindingEncoder(output.layout, (b) => output.write(b));
  // Ranges are linted out of order, so whatever needs every message in turn stays sequential.
  const jobs = options.maxFindings === undefined && !groups && !options.extract && (output.format === 'none' || output.fd !== undefined) ? (options.jobs ?? 1) : 1;
  const rules = { only: options.only, disable: options.disable, minSeverity: options.minSeverity };
  const pool =
    jobs > 1 ? new RangePool(jobs, { rules, output: output.format === 'none' ? { format: 'none' } : { format: output.format, colour: output.colour, fd: output.fd!, name: output.name } }) : undefined;
  const extractor = options.extract ? new MessageExtractor(options.extract) : undefined;
  try {
    for (const [index, file] of options.files.entries()) {
      if (truncated) break;
      const size = sizes[index];
      const started = Date.now();
      const progress = (bytes: number, messages: number, findings: number): void => {
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        options.onProgress?.({ file, bytes, messages, findings, mbPerSecond: bytes / 1e6 / seconds });
      };
      const flaggedBefore = tally.flagged;
      if (pool && size !== undefined && worthSplitting(size, jobs, () => sampleMessagesPerMiB(file, size))) {
        encoder?.flush();
        const ranged = await pool.lintFile(file, {
          findArchivePatterns: foldPatterns ? (sample, whole, sniffed) => findArchivePatterns(file, sample, whole, sniffed, isEnabled) : undefined,
          written: tally.findings,
          progress: (bytes, messages, findings) => progress(bytes, messages, tally.findings + findings),
        });
        tally.merge(ranged.tally.data());
        if (encoder) encoder.written = tally.findings;
        files.push({ file, variant: ranged.variant, eol: ranged.eol, bytes: ranged.bytes, messages: ranged.messages, flagged: tally.flagged - flaggedBefore, folded: ranged.folded });
        continue;
      }
      const source: AsyncIterator<Buffer> = file === '-' ? (stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]() : readFileChunks(file);
      const start = await readStart(file, source, foldPatterns ? isEnabled : undefined);
      const fold = start.fold.length > 0 ? new ArchiveFold(start.fold) : undefined;
      extractor?.startFile();
      if (output.format !== 'none') output.layout.startFile(start.sniffed.eol);
      /** Hands one message's findings out; false once --max-findings is reached. */
      const handle = (info: MessageInfo, all: Finding[]): boolean => {
        const findings = fold ? fold.apply(all) : all;
        groups?.add(info, findings);
        extractor?.message(info, findings.length > 0);
        tally.nextMessage();
        for (const f of findings) {
          if (options.maxFindings !== undefined && tally.findings >= options.maxFindings) {
            truncated = true;
            return false;
          }
          tally.add(f);
          encoder?.add(f);
        }
        return true;
      };
      const scanner = new MboxScanner({
        file,
        framing: true,
        isEnabled,
        origins: groups !== undefined,
        // The start was read already, and the line endings and variant decided from it.
        range: wholeFile(start.sniffed),
        onMessage(info, findings) {
          if (!handle(info, findings)) throw new StopReading();
        },
      });
      let lastReport = started;
      let offset = 0;
      /** Scans one chunk; false when --max-findings stopped the scan. */
      const scan = (chunk: Buffer): boolean => {
        extractor?.addChunk(offset, chunk);
        offset += chunk.length;
        try {
          scanner.push(chunk);
        } catch (error) {
          if (error instanceof StopReading) return false;
          throw error;
        }
        // Findings go out as each chunk is done, not only when a batch is full.
        encoder?.flush();
        const now = Date.now();
        if (options.onProgress && now - lastReport >= 250) {
          lastReport = now;
          progress(scanner.bytes, scanner.messages, tally.findings);
        }
        return true;
      };
      try {
        // The chunks read first are scanned first, and not held after.
        let more = start.read.splice(0).every(scan);
        while (more && !start.ended) {
          let next: IteratorResult<Buffer>;
          try {
            next = await source.next();
          } catch (error) {
            throw readFailure(file, offset, error);
          }
          if (next.done) break;
          more = scan(next.value);
        }
        if (more) {
          try {
            scanner.end();
          } catch (error) {
            if (!(error instanceof StopReading)) throw error;
          }
        }
      } finally {
        if (file !== '-') await source.return?.(undefined);
      }
      files.push({ file, variant: scanner.variant, eol: scanner.eol, bytes: scanner.bytes, messages: scanner.messages, flagged: tally.flagged - flaggedBefore, folded: fold?.counts() ?? [] });
    }
  } finally {
    // What was found before a failure is still written.
    encoder?.flush();
    extractor?.close();
    await pool?.close();
  }
  const messages = files.reduce((n, f) => n + f.messages, 0);
  return { files, summary: tally.summary(), findings: tally.findings, errors: tally.errors, messages, flagged: tally.flagged, truncated, groups: groups?.table(), extracted: extractor?.extracted };
}
