import type { ChalkInstance } from 'chalk';
import type { GroupRow } from '../mbox/group-by.js';
import type { LintFilesResult, Progress } from '../lint/lint-files.js';
import type { RuleMeta } from '../mbox/rules/catalog.js';
import type { ByteSink } from '../lint/byte-sink.js';
import type { StreamedFormat } from '../lint/finding-encoder.js';
import { FindingJson, lineKey } from '../lint/finding-json.js';
import type { FindingLayout } from '../lint/pending-findings.js';
import { Eol, type Finding, type Severity } from '../mbox/types.js';
import { colourSegment } from './colors.js';
import { alignColumns } from './table.js';

/** How `--format text` shows one finding: where, severity, rule, detail; the line; its message. */
class FindingText {
  private readonly boldOpen: string;
  private readonly boldClose: string;
  /** The line-ending convention of the file whose findings are shown. */
  eol: Eol = Eol.lf;

  constructor(private readonly c: ChalkInstance) {
    // The place (file:message:line) is bold, and the numbers sit inside the escapes.
    [this.boldOpen = '', this.boldClose = ''] = c.bold('\0').split('\0');
  }

  head(f: Finding): string {
    return `${this.boldOpen}${f.file}:`;
  }

  tail(f: Finding): string {
    const c = this.c;
    const context = [f.fromLine === undefined ? undefined : `From_ ${f.fromLine}`, f.messageId === undefined ? undefined : `Message-ID ${f.messageId}`]
      .filter((s) => s !== undefined)
      .join('  ');
    return (
      `${this.boldClose}  ${severityText(c, f.severity)}  ${c.cyan(f.rule)}  ${f.detail} ${c.dim(`(byte ${f.offset})`)}\n` +
      `    ${visible(c, f.text, this.eol, f.rule)}` +
      (context ? `\n    ${c.dim(context)}` : '') +
      '\n'
    );
  }
}

function severityText(c: ChalkInstance, s: Severity): string {
  return s === 'error' ? c.red.bold(s) : s === 'warning' ? c.yellow(s) : c.blue(s);
}

/**
 * Bare terminators stand out; CRLF is dim, like the transcript view, and so is the line end
 * of the file's own convention (the `␊` of every line of an LF file) unless the finding is
 * about that very byte. The pictures in a finding's text come from showBytes, so they map
 * back to segments exactly.
 */
function visible(c: ChalkInstance, text: string, eol: Eol, rule: string): string {
  if (c.level === 0) return text;
  const lfIsNormal = eol === Eol.lf && rule !== 'bare-lf';
  const crIsNormal = eol === Eol.cr && rule !== 'bare-cr';
  return text.replace(/␍␊|[␍␊]|[\u2400-\u241f\u2421]/g, (m) => {
    const kind = m === '␍␊' || (m === '␊' && lfIsNormal) || (m === '␍' && crIsNormal) ? 'crlf' : m === '␍' ? 'bare-cr' : m === '␊' ? 'bare-lf' : 'control';
    return colourSegment(c, { kind, text: m }, (t) => t);
  });
}

/** How the streamed formats lay a finding out around its message and line numbers. */
export class FindingFormatter implements FindingLayout {
  private readonly json: FindingJson;
  private readonly text: FindingText;
  readonly mid: string;
  readonly separator: string | undefined;

  constructor(
    private readonly format: StreamedFormat,
    chalk: ChalkInstance,
  ) {
    this.text = new FindingText(chalk);
    // In `--format json` each finding has a line of its own in the findings array.
    this.json = new FindingJson(format === 'json' ? '\n' : '');
    this.mid = format === 'text' ? ':' : lineKey;
    this.separator = format === 'json' ? ',' : undefined;
  }

  head(f: Finding): string {
    return this.format === 'text' ? this.text.head(f) : this.json.head(f);
  }

  writeTail(f: Finding, out: ByteSink): void {
    if (this.format === 'text') out.string(this.text.tail(f));
    else {
      this.json.writeTail(f, out);
      if (this.format === 'ndjson') out.byte(10);
    }
  }

  startFile(eol: Eol): void {
    this.text.eol = eol;
  }
}

/** What lint-mbox prints after the findings (or instead of them, `--summary-only`). */
export interface SummaryOptions {
  groupBy: string | undefined;
}

/** Text output of `smtpdbg lint-mbox`: findings as they come, then summaries. */
export class LintTextReporter {
  constructor(
    private readonly chalk: ChalkInstance,
    private readonly write: (text: string) => void,
  ) {}

  /**
   * The table of origins (first: with `--group-by` it is what the user asked for), the
   * files, the rules with their findings and messages, and the verdict.
   */
  summary(result: LintFilesResult, options: SummaryOptions): void {
    const c = this.chalk;
    const lines: string[] = [''];
    if (result.groups && options.groupBy) lines.push(groupTable(options.groupBy, result.groups), '');
    for (const file of result.files) {
      lines.push(`${c.bold(file.file)}: ${file.variant}, ${file.eol.toUpperCase()} line endings, ${file.messages} messages (${file.flagged} flagged), ${file.bytes} bytes`);
      for (const f of file.folded) {
        lines.push(`  ${f.archiver}: ${f.what}; ${f.findings} findings in ${f.messages} of ${file.messages} messages folded into one archive-pattern finding`);
      }
    }
    if (result.summary.length > 0) {
      lines.push('', table(['rule', 'severity', 'findings', 'messages'], result.summary.map((r) => [r.rule, r.severity, String(r.count), String(r.messages)])));
    }
    const verdict = `${result.findings} findings (${result.errors} errors) in ${result.flagged} of ${result.messages} messages${result.truncated ? ' (stopped at --max-findings)' : ''}`;
    lines.push('', result.errors > 0 ? c.red.bold(verdict) : result.findings > 0 ? c.yellow(verdict) : c.green(verdict));
    if (result.extracted !== undefined) lines.push(`${result.extracted} flagged messages extracted`);
    this.write(`${lines.join('\n')}\n`);
  }
}

/** The members of the JSON summary, in the order they are written. */
function summaryMembers(result: LintFilesResult, options: SummaryOptions) {
  const { summary, files, findings, errors, messages, flagged, truncated, groups, extracted } = result;
  return { summary, files, total: findings, errors, messages, flagged, truncated, groupBy: options.groupBy, groups, extracted };
}

/**
 * `--format json` is one document, written as the run goes so that memory does not grow
 * with the findings: this opening, each finding on a line of its own, then `jsonEnd`.
 */
export const jsonStart = '{"findings":[';

/** The rest of the document after the findings (`jsonStart`), or all of it without them. */
export function jsonEnd(result: LintFilesResult, options: SummaryOptions, afterFindings: boolean): string {
  const members = JSON.stringify(summaryMembers(result, options), null, 2);
  return afterFindings ? `\n],${members.slice(1)}\n` : `${members}\n`;
}

/** `--format ndjson`'s lines after the findings: one per origin with `--group-by`, and the summary with `--summary-only`. */
export function ndjsonEnd(result: LintFilesResult, options: SummaryOptions, summaryOnly: boolean): string {
  const lines = (result.groups ?? []).map((row) => JSON.stringify({ type: 'group', groupBy: options.groupBy, ...row }));
  if (summaryOnly) lines.push(JSON.stringify({ type: 'summary', ...summaryMembers(result, options) }));
  return lines.map((l) => `${l}\n`).join('');
}

function groupTable(key: string, rows: readonly GroupRow[]): string {
  return table(
    [key, 'messages', 'flagged', 'rules'],
    rows.map((r) => [
      r.origin,
      String(r.messages),
      String(r.flagged),
      Object.entries(r.rules)
        .sort((a, b) => b[1] - a[1])
        .map(([rule, n]) => `${rule}×${n}`)
        .join(' '),
    ]),
  );
}

export function ruleListText(rules: readonly RuleMeta[]): string {
  return table(
    ['rule', 'severity', 'description', 'source'],
    rules.map((r) => [r.id, r.severity, r.defaultOn ? r.description : `${r.description} (off by default)`, r.source]),
  );
}

/** A plain aligned table with a dashed rule under its head. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const [first = '', ...rest] = alignColumns([head, ...rows]);
  return [first, alignColumns([widths.map((w) => '-'.repeat(w))])[0] ?? '', ...rest].join('\n');
}

const clearLine = '\r\x1b[K';

/** One self-overwriting status line on a terminal's stderr. */
export function progressLine(p: Progress): string {
  return `${clearLine}${p.file}: ${(p.bytes / 1e6).toFixed(0)} MB, ${p.messages} messages, ${p.findings} findings, ${p.mbPerSecond.toFixed(0)} MB/s`;
}

/** Removes the progress line before the results are printed. */
export function clearProgressLine(): string {
  return clearLine;
}
