import type { ChalkInstance } from 'chalk';
import type { Observation } from '../observe/observe.js';
import { changeWords, type ChangeKind, type DiffLine } from '../observe/round-trip.js';
import { segmentBytes, type Segment } from '../smtp/visible.js';
import { Markers } from '../transcript/text-format.js';
import { colourSegment } from './colors.js';
import { alignColumns } from './table.js';

/**
 * What `inject --observe` prints: per stored copy, the lines that differ from what was sent
 * (unchanged ones counted, not shown), the lint-mbox findings that came or went, and a
 * one-line verdict.
 */

const marks: Record<DiffLine['status'], string> = { same: '  ', added: '+ ', removed: '- ', changed: '~ ' };

/** A store that keeps lines with LF: its LF is the normal line end there, not a bare LF to flag. */
function showLine(chalk: ChalkInstance, bytes: Buffer, lfIsNormal: boolean): string {
  return segmentBytes(bytes)
    .map((segment: Segment) => (lfIsNormal && segment.kind === 'bare-lf' ? chalk.dim(segment.text) : colourSegment(chalk, segment, (t) => t)))
    .join('');
}

/** Kinds that are only the store's way of keeping lines, on an LF store. */
const quiet = (kinds: readonly ChangeKind[], lfStore: boolean) => kinds.every((kind) => lfStore && kind === 'crlf-to-lf');

export function formatObservation(observation: Observation, chalk: ChalkInstance, options: { lfStore: boolean }): string[] {
  const info = (text: string) => chalk.dim(Markers.info) + text;
  const out: string[] = [];
  const seconds = (observation.elapsedMs / 1000).toFixed(1);
  if (observation.copies.length === 0) {
    out.push(chalk.red.bold(Markers.error) + chalk.red(`observe: ${observation.verdict.text} (trace id ${observation.traceId})`));
    return out;
  }
  out.push(info(`observed in ${observation.source} after ${seconds} s: ${observation.copies.length} message${observation.copies.length === 1 ? '' : 's'} carr${observation.copies.length === 1 ? 'ies' : 'y'} trace id ${observation.traceId}`));
  observation.copies.forEach((copy, index) => {
    out.push(info(`${observation.copies.length > 1 ? `copy ${index + 1}: ` : ''}stored at ${copy.where} (${copy.bytes.length} octets); sent against stored:`));
    if (!copy.trip.aligned) {
      out.push(info('too different to align line by line: compare the two by hand (--json holds both)'));
    }
    let unchanged = 0;
    const flushUnchanged = () => {
      if (unchanged > 0) out.push(chalk.dim(`    (${unchanged} line${unchanged === 1 ? '' : 's'} unchanged${options.lfStore ? ' but for the store\'s LF line ends' : ''})`));
      unchanged = 0;
    };
    for (const line of copy.trip.lines) {
      if (line.status === 'same' || (line.status === 'changed' && quiet(line.changes, options.lfStore))) {
        unchanged += 1;
        continue;
      }
      flushUnchanged();
      const words = line.changes.filter((kind) => !(options.lfStore && kind === 'crlf-to-lf')).map((kind) => changeWords[kind]);
      const colour = line.status === 'added' ? chalk.green : line.status === 'removed' ? chalk.red : chalk.yellow;
      const shown = line.status === 'removed' ? showLine(chalk, line.sent, false) : showLine(chalk, line.stored, options.lfStore);
      out.push(`  ${colour(marks[line.status])}${shown}  ${chalk.dim(words.join('; '))}`);
      if (line.status === 'changed') out.push(`      ${chalk.dim('sent:')} ${showLine(chalk, line.sent, false)}`);
    }
    flushUnchanged();
    const { added, gone, kept } = copy.findings;
    for (const f of kept) out.push(info(`lint-mbox on the stored copy: ${f.severity} ${f.rule} line ${f.line}: ${f.detail} (as in what was sent)`));
    for (const f of added) out.push(info(`lint-mbox on the stored copy: ${chalk.bold('new')} ${f.severity} ${f.rule} line ${f.line}: ${f.detail}`));
    for (const f of gone) out.push(info(`lint-mbox on the stored copy: ${chalk.bold('gone')} ${f.severity} ${f.rule} (sent line ${f.line}): ${f.detail}`));
  });
  const verdict = observation.verdict;
  const colour = verdict.kind === 'unchanged' ? chalk.green : verdict.kind === 'altered' ? chalk.yellow : chalk.red.bold;
  out.push(`${chalk.bold('verdict:')} ${colour(verdict.text)}`);
  return out;
}

/** The observation for --json: the diff as data, with bytes in latin1 like transcripts. */
export function observationJson(observation: Observation): unknown {
  return {
    source: observation.source,
    traceId: observation.traceId,
    elapsedMs: observation.elapsedMs,
    verdict: observation.verdict,
    copies: observation.copies.map((copy) => ({
      where: copy.where,
      stored: copy.bytes.toString('latin1'),
      aligned: copy.trip.aligned,
      unchangedButTrace: copy.trip.unchangedButTrace,
      summary: copy.trip.summary,
      changes: copy.trip.changes.map((c) => ({ kind: c.kind, words: changeWords[c.kind], sent: c.sent, stored: c.stored, inHeader: c.inHeader, ...(c.field ? { field: c.field } : {}) })),
      lines: copy.trip.lines.map((line) => ({ status: line.status, stored: line.stored.toString('latin1'), sent: line.sent.toString('latin1'), changes: line.changes })),
      findings: copy.findings,
    })),
  };
}

/** One variant of `--eod all --observe`: what the replies said, and what the store holds. */
export interface ObservedVariant {
  variant: string;
  /** The reply-based classification (smuggled, content, …). */
  classification: string;
  observation: Observation;
}

/**
 * Whether the store contradicts the replies: two stored messages where the replies showed
 * one, or one where they showed two (the second transaction's 250 for a message nowhere).
 */
export function disagreement(row: ObservedVariant): string | undefined {
  const copies = row.observation.copies.length;
  if (row.observation.verdict.kind === 'not-found') return undefined;
  if (row.classification === 'smuggled' && copies < 2) return `the replies accepted two messages, the store holds ${copies}`;
  if (row.classification !== 'smuggled' && copies > 1) return `the replies showed one message, the store holds ${copies}`;
  return undefined;
}

/** `--eod all --observe`: one row per variant, the replies' classification next to the store's verdict. */
export function formatObservedVariants(rows: readonly ObservedVariant[], chalk: ChalkInstance): string[] {
  if (rows.length === 0) return [chalk.dim(Markers.info) + 'observe: no variant was accepted, so nothing was looked for in the store'];
  const table = [
    ['variant', 'replies', 'stored', 'what the store shows'],
    ...rows.map((row) => [row.variant, row.classification, String(row.observation.copies.length), row.observation.verdict.text]),
  ];
  const out = alignColumns(table).map((line, i) => (i === 0 ? chalk.bold(line) : line));
  for (const row of rows) {
    const why = disagreement(row);
    if (why) out.push(chalk.red.bold(Markers.error) + chalk.red(`${row.variant}: the store disagrees with the replies: ${why}`));
  }
  return out;
}
