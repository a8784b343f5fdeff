import { statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileError, InputError, systemErrorCode, UsageError } from '../errors.js';
import { MessageExtractor } from './extract.js';
import { OriginGroups, type GroupKey, type GroupRow } from './group-by.js';
import { selectRules, type RuleSelection } from './rule-filter.js';
import { ruleById } from './rules/catalog.js';
import { readFileChunks } from './file-chunks.js';
import { MboxScanner } from './scanner.js';
import type { FileSummary, Finding, MessageInfo, Severity } from './types.js';
import { FindingEncoder, type StreamedFormat } from './finding-encoder.js';
import type { FindingLayout } from './pending-findings.js';
import { RangePool } from './range-pool.js';
import { worthSplitting } from './range-threads.js';

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
 * Findings formatted (ndjson or text, coloured or not) and written as bytes, or handed over
 * as objects (`--format json` collects them).
 */
export type LintOutput =
  | {
      format: StreamedFormat;
      colour: boolean;
      /** How this thread lays findings out; range workers build the same from `format` and `colour`. */
      layout: FindingLayout;
      write(bytes: Uint8Array): void;
      /** The descriptor behind `write` when worker threads may write to it themselves (see RangeWorkerData). */
      fd: number | undefined;
    }
  | { format: 'objects'; finding(finding: Finding): void };

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

/** Lints files (or `-` for stdin) one after the other, streaming; big files in parallel ranges. */
export async function lintFiles(options: LintFilesOptions): Promise<LintFilesResult> {
  const isEnabled = selectRules(options);
  const counts = new Map<string, number>();
  const groups = options.groupBy ? new OriginGroups(options.groupBy) : undefined;
  const files: FileSummary[] = [];
  let total = 0;
  let errors = 0;
  let truncated = false;
  const stdin = options.stdin ?? process.stdin;
  const sizes = options.files.map(checkInput);
  // Opening the extract file truncates it: it must not be one of the inputs.
  if (options.extract && options.files.some((f) => f !== '-' && resolve(f) === resolve(options.extract!))) {
    throw new UsageError(`--extract ${options.extract}: that is one of the input files`);
  }
  const output = options.output;
  const encoder = output.format === 'objects' ? undefined : new FindingEncoder(output.layout, (b) => output.write(b));
  const emit = output.format === 'objects' ? output.finding : (f: Finding) => encoder!.add(f);
  // Ranges are linted out of order, so whatever needs every message in turn stays sequential.
  const jobs = options.maxFindings === undefined && !groups && !options.extract && (output.format === 'objects' || output.fd !== undefined) ? (options.jobs ?? 1) : 1;
  const rules = { only: options.only, disable: options.disable, minSeverity: options.minSeverity };
  const pool = jobs > 1 ? new RangePool(jobs, { rules, output: output.format === 'objects' ? { format: 'objects' } : { format: output.format, colour: output.colour, fd: output.fd! } }) : undefined;
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
      if (pool && size !== undefined && worthSplitting(size, jobs)) {
        encoder?.flush();
        const ranged = await pool.lintFile(file, {
          findings: (list) => list.forEach(emit),
          progress: (bytes, messages, findings) => progress(bytes, messages, total + findings),
        });
        for (const [rule, n] of ranged.counts) counts.set(rule, (counts.get(rule) ?? 0) + n);
        total += ranged.findings;
        errors += ranged.errors;
        files.push({ file, variant: ranged.variant, eol: ranged.eol, bytes: ranged.bytes, messages: ranged.messages });
        continue;
      }
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
          emit(f);
        }
        return true;
      };
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
          // Findings go out as each chunk is done, not only when a batch is full.
          encoder?.flush();
          const now = Date.now();
          if (options.onProgress && now - lastReport >= 250) {
            lastReport = now;
            progress(scanner.bytes, scanner.messages, total);
          }
        }
        scanner.end();
      } catch (error) {
        if (!(error instanceof StopReading)) {
          const code = systemErrorCode(error);
          if (code && !(error instanceof InputError)) {
            throw new InputError(`${file}: read failed at byte ${offset} (${code})`, { cause: error });
          }
          throw error;
        }
      } finally {
        if (input !== stdin) await (input as AsyncGenerator<Buffer>).return(undefined);
      }
      files.push({ file, variant: scanner.variant, eol: scanner.eol, bytes: scanner.bytes, messages: scanner.messages });
    }
  } finally {
    // What was found before a failure is still written.
    encoder?.flush();
    extractor?.close();
    await pool?.close();
  }
  const summary = [...counts].map(([rule, count]) => ({ rule, severity: ruleById.get(rule)!.severity, count })).sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1));
  return { files, summary, findings: total, errors, truncated, groups: groups?.table(), extracted: extractor?.extracted };
}
