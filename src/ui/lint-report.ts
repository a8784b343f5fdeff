import type { ChalkInstance } from 'chalk';
import type { GroupRow } from '../mbox/group-by.js';
import type { LintFilesResult, Progress } from '../mbox/lint-files.js';
import type { RuleMeta } from '../mbox/rules/catalog.js';
import type { ByteSink } from '../mbox/byte-sink.js';
import type { StreamedFormat } from '../mbox/finding-encoder.js';
import { FindingJson, lineKey } from '../mbox/finding-json.js';
import type { FindingLayout } from '../mbox/pending-findings.js';
import type { Finding, Severity } from '../mbox/types.js';
import { chalkFor, colourSegment } from './colors.js';
import { alignColumns } from './table.js';

/** How `--format text` shows one finding: where, severity, rule, detail; the line; its message. */
class FindingText {
  private readonly boldOpen: string;
  private readonly boldClose: string;

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
      `    ${visible(c, f.text)}` +
      (context ? `\n    ${c.dim(context)}` : '')
    );
  }
}

function severityText(c: ChalkInstance, s: Severity): string {
  return s === 'error' ? c.red.bold(s) : s === 'warning' ? c.yellow(s) : c.blue(s);
}

/**
 * Bare terminators stand out; CRLF is dim, like the transcript view. The pictures in a
 * finding's text come from showBytes, so they map back to segments exactly.
 */
function visible(c: ChalkInstance, text: string): string {
  if (c.level === 0) return text;
  return text.replace(/␍␊|[␍␊]|[\u2400-\u241f\u2421]/g, (m) =>
    colourSegment(c, { kind: m === '␍␊' ? 'crlf' : m === '␍' ? 'bare-cr' : m === '␊' ? 'bare-lf' : 'control', text: m }, (t) => t),
  );
}

/** How the streamed formats lay a finding out around its message and line numbers. */
export class FindingFormatter implements FindingLayout {
  private readonly json = new FindingJson();
  private readonly text: FindingText;
  readonly mid: string;

  constructor(
    private readonly format: StreamedFormat,
    chalk: ChalkInstance,
  ) {
    this.text = new FindingText(chalk);
    this.mid = format === 'ndjson' ? lineKey : ':';
  }

  head(f: Finding): string {
    return this.format === 'ndjson' ? this.json.head(f) : this.text.head(f);
  }

  writeTail(f: Finding, out: ByteSink): void {
    if (this.format === 'ndjson') this.json.writeTail(f, out);
    else out.string(this.text.tail(f));
  }
}

/** Text output of `smtpdbg lint-mbox`: findings as they come, then summaries. */
export class LintTextReporter {
  private readonly chalk: ChalkInstance;
  constructor(private readonly out: NodeJS.WriteStream) {
    this.chalk = chalkFor(out);
  }

  summary(result: LintFilesResult): void {
    const c = this.chalk;
    const lines: string[] = [''];
    for (const file of result.files) {
      lines.push(`${c.bold(file.file)}: ${file.variant}, ${file.eol.toUpperCase()} line endings, ${file.messages} messages, ${file.bytes} bytes`);
    }
    if (result.summary.length > 0) {
      lines.push('', table(['rule', 'severity', 'count'], result.summary.map((r) => [r.rule, r.severity, String(r.count)])));
    }
    const messages = result.files.reduce((n, f) => n + f.messages, 0);
    const verdict = `${result.findings} findings (${result.errors} errors) in ${messages} messages${result.truncated ? ' (stopped at --max-findings)' : ''}`;
    lines.push('', result.errors > 0 ? c.red.bold(verdict) : result.findings > 0 ? c.yellow(verdict) : c.green(verdict));
    if (result.extracted !== undefined) lines.push(`${result.extracted} flagged messages extracted`);
    this.out.write(`${lines.join('\n')}\n`);
  }

  groups(key: string, rows: readonly GroupRow[]): void {
    this.out.write(`\n${groupTable(key, rows)}\n`);
  }
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
