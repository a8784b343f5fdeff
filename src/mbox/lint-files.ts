import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileError, InputError, UsageError } from '../errors.js';
import { MessageExtractor } from './extract.js';
import { OriginGroups, type GroupKey, type GroupRow } from './group-by.js';
import { selectRules, type RuleSelection } from './rule-filter.js';
import { ruleById } from './rules/catalog.js';
import { MboxScanner } from './scanner.js';
import type { FileSummary, Finding, MessageInfo, Severity } from './types.js';

export interface LintFilesOptions extends RuleSelection {
  files: readonly string[];
  maxFindings?: number;
  groupBy?: GroupKey;
  extract?: string;
  /** Each finding as soon as its message has been scanned, in file order. */
  onFinding(finding: Finding): void;
  /** Called about four times a second while reading. */
  onProgress?(progress: Progress): void;
  stdin?: Readable;
}

export interface Progress {
  file: string;
  bytes: number;
  messages: number;
  findings: number;
  mbPerSecond: number;
}

export interface RuleCount {
  rule: string;
  severity: Severity;
  count: number;
}

export interface LintFilesResult {
  files: FileSummary[];
  summary: RuleCount[];
  findings: number;
  errors: number;
  /** True when `maxFindings` stopped the run early. */
  truncated: boolean;
  groups: GroupRow[] | undefined;
  extracted: number | undefined;
}

/**
 * Read size. Lines and From_ lines keep their chunk alive until their message ends, so
 * smaller chunks keep peak RSS down (measured: 1 MiB 171 MB, 64 KiB 93 MB on 512 MB; with
 * today's faster scanner 32 KiB is no smaller than 64 KiB, about 100 MB, and slower).
 */
const chunkBytes = 1 << 16;

class StopReading extends Error {}

/**
 * A file's chunks, each in a fresh buffer (the scanner keeps views of them). Reads are
 * synchronous: a read stream's thread-pool round trip per chunk cost about a tenth of the
 * run on header-dense archives. Every `yieldEvery` chunks the event loop gets a turn, or
 * the tasks that free dead buffers fall behind and peak RSS climbs (measured on 512 MB:
 * about 108 MB without a turn, 99–104 MB with one every 2 chunks, as with a read stream).
 */
export async function* readFileChunks(file: string, size = chunkBytes, yieldEvery = 2): AsyncGenerator<Buffer> {
  const fd = openSync(file, 'r');
  try {
    for (let n = 1; ; n++) {
      const chunk = Buffer.allocUnsafeSlow(size);
      const bytesRead = readSync(fd, chunk, 0, size, null);
      if (bytesRead === 0) return;
      yield bytesRead === size ? chunk : chunk.subarray(0, bytesRead);
      if (n % yieldEvery === 0) await setImmediate();
    }
  } finally {
    closeSync(fd);
  }
}

/** Fails before any output when a named file cannot be an input. */
function checkInput(file: string): void {
  if (file === '-') return;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch (error) {
    throw fileError(file, 'read', error);
  }
  if (isDirectory) throw new InputError(`${file}: is a directory, not an mbox file`);
}

/** Lints files (or `-` for stdin) one after the other, streaming. */
export async function lintFiles(options: LintFilesOptions): Promise<LintFilesResult> {
  const isEnabled = selectRules(options);
  const counts = new Map<string, number>();
  const groups = options.groupBy ? new OriginGroups(options.groupBy) : undefined;
  const files: FileSummary[] = [];
  let total = 0;
  let errors = 0;
  let truncated = false;
  const stdin = options.stdin ?? process.stdin;
  for (const file of options.files) checkInput(file);
  // Opening the extract file truncates it: it must not be one of the inputs.
  if (options.extract && options.files.some((f) => f !== '-' && resolve(f) === resolve(options.extract!))) {
    throw new UsageError(`--extract ${options.extract}: that is one of the input files`);
  }
  const extractor = options.extract ? new MessageExtractor(options.extract) : undefined;
  try {
    for (const file of options.files) {
      if (truncated) break;
      /** Hands one message's findings out; false once --max-findings is reached. */
      const handle = (info: MessageInfo, findings: Finding[]): boolean => {
        groups?.add(info, findings);
        extractor?.message(info, findings.length > 0);
        for (const f of findings) {
          if (options.maxFindings !== undefined && total >= options.maxFindings) {
            truncated = true;
            return false;
          }
          total++;
          if (f.severity === 'error') errors++;
          counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
          options.onFinding(f);
        }
        return true;
      };
      const started = Date.now();
      const input = file === '-' ? stdin : readFileChunks(file);
      extractor?.startFile();
      const scanner = new MboxScanner({
        file,
        framing: true,
        isEnabled,
        origins: groups !== undefined,
        onMessage(info, findings) {
          if (!handle(info, findings)) throw new StopReading();
        },
      });
      let lastReport = started;
      let offset = 0;
      try {
        for await (const chunk of input as AsyncIterable<Buffer>) {
          extractor?.addChunk(offset, chunk);
          offset += chunk.length;
          scanner.push(chunk);
          const now = Date.now();
          if (options.onProgress && now - lastReport >= 250) {
            lastReport = now;
            const seconds = Math.max(0.001, (now - started) / 1000);
            options.onProgress({ file, bytes: scanner.bytes, messages: scanner.messages, findings: total, mbPerSecond: scanner.bytes / 1e6 / seconds });
          }
        }
        scanner.end();
      } catch (error) {
        if (!(error instanceof StopReading)) {
          if (error instanceof Error && 'code' in error && typeof error.code === 'string' && !(error instanceof InputError)) {
            throw new InputError(`${file}: read failed at byte ${offset} (${error.code})`, { cause: error });
          }
          throw error;
        }
      } finally {
        if (input !== stdin) await (input as AsyncGenerator<Buffer>).return(undefined);
      }
      files.push({ file, variant: scanner.variant, eol: scanner.eol, bytes: scanner.bytes, messages: scanner.messages });
    }
  } finally {
    extractor?.close();
  }
  const summary = [...counts].map(([rule, count]) => ({ rule, severity: ruleById.get(rule)!.severity, count })).sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1));
  return { files, summary, findings: total, errors, truncated, groups: groups?.table(), extracted: extractor?.extracted };
}
