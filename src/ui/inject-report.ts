import type { ChalkInstance } from 'chalk';
import type { CountResult } from '../inject/count.js';
import type { Attempt, TransactionReport } from '../inject/transaction.js';
import type { Finding } from '../mbox/index.js';
import type { ReceivedMessage } from '../server/capture-server.js';
import { formatReplyShort, type Reply } from '../smtp/reply.js';
import { segmentBytes, showBytes } from '../smtp/visible.js';
import { Markers } from '../transcript/text-format.js';
import { colourForReply, colourSegment } from './colors.js';
import { alignColumns } from './table.js';

/**
 * What `smtpdbg inject` prints after the conversation: the outcome of each transaction with
 * its terminators visible, the smuggling classification, tables for `--matrix` and
 * `--eod all`, the `--count` figures, and what the embedded server stored. Plain strings;
 * the CLI decides where they go.
 */

export interface StoredMessage {
  message: ReceivedMessage;
  findings: Finding[] | undefined;
}

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Columns padded to their widest cell, separated by two spaces; the header row underlined. */
export function formatTable(rows: readonly (readonly string[])[], chalk: ChalkInstance): string[] {
  return alignColumns(rows).map((line, r) => (r === 0 ? chalk.bold(line) : line));
}

function replyText(chalk: ChalkInstance, reply: Reply | undefined): string {
  return reply ? colourForReply(chalk, reply.code)(formatReplyShort(reply)) : chalk.dim('(none)');
}

/** How the end of the payload looked on the wire: the end of data, then the standard one if it followed. */
function endShown(report: TransactionReport): string {
  const end = showBytes(report.eod.bytes);
  return report.eod.standard ? end : `${end} (${report.eod.name}), then ␍␊.␍␊`;
}

export function formatTransaction(report: TransactionReport, chalk: ChalkInstance): string[] {
  const info = (text: string) => chalk.dim(Markers.info) + text;
  const out: string[] = [info(`message: ${report.variant} (${report.source})`), info(`end of data: ${endShown(report)}`)];
  if (report.payload === undefined && report.finalReply) {
    out.push(info(`refused before the message was sent: ${replyText(chalk, report.finalReply)}`));
  } else if (report.finalReply) {
    const outcome = report.accepted ? chalk.green('accepted') : chalk.red('not accepted');
    out.push(info(`${outcome}: ${replyText(chalk, report.finalReply)}${report.queueId ? `; queue id ${chalk.bold(report.queueId)}` : ''}`));
  }
  if (report.verdict) {
    const colour = report.verdict.classification === 'smuggled' ? chalk.red.bold : chalk.bold;
    out.push(info(`classification: ${colour(report.verdict.classification)}: ${report.verdict.detail}`));
    if (report.verdict.smuggledQueueId) out.push(info(`smuggled message queue id ${chalk.bold(report.verdict.smuggledQueueId)}`));
    if (!report.eod.producibleThroughRelay) out.push(info(`${report.eod.name} is not producible through a relay: a compliant relay dot-stuffs its "." (RFC 5321 §4.5.2)`));
  }
  if (report.error) out.push(chalk.red.bold(Markers.error) + chalk.red(report.error.message));
  return out;
}

export function formatAttempts(attempts: readonly Attempt[], chalk: ChalkInstance): string[] {
  if (attempts.length < 2) return [];
  return attempts.map((a) => {
    const outcome = a.report.accepted
      ? `accepted${a.report.queueId ? ` (queue id ${a.report.queueId})` : ''}`
      : a.report.error?.message ?? (a.report.finalReply ? formatReplyShort(a.report.finalReply) : 'no reply');
    return chalk.dim(Markers.info) + `attempt ${a.attempt}: ${outcome}${a.retry ? `; retried after ${a.retry.delayMs} ms` : ''}`;
  });
}

/** The row of an exchange in the matrix: the verb, or "end of data". */
const stageOf = (command: string) => (command.startsWith('end of data') ? 'end of data' : command.split(' ')[0] ?? command);

/** `--matrix`: one column per terminator, one row per stage. */
export function formatMatrix(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const stages: string[] = [];
  for (const report of reports) {
    for (const exchange of report.exchanges) {
      const stage = stageOf(exchange.command);
      if (!stages.includes(stage)) stages.push(stage);
    }
  }
  const cell = (report: TransactionReport, stage: string) => {
    const exchange = report.exchanges.findLast((e) => stageOf(e.command) === stage);
    return exchange ? shorten(formatReplyShort(exchange.reply), 44) : '';
  };
  const rows = [
    ['stage', ...reports.map((r) => `--term ${r.term}${r.termAfter ? ` --term-after ${r.termAfter}` : ''}`)],
    ...stages.map((stage) => [stage, ...reports.map((r) => cell(r, stage))]),
    ['queue id', ...reports.map((r) => r.queueId ?? '')],
  ];
  if (reports.some((r) => r.error)) rows.push(['error', ...reports.map((r) => (r.error ? shorten(r.error.message, 44) : ''))]);
  return formatTable(rows, chalk);
}

/** `--eod all`: one row per variant. */
export function formatEodTable(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const rows = [
    ['variant', 'bytes', 'through a relay', 'classification', 'replies after the data'],
    ...reports.map((r) => [
      r.eod.name,
      showBytes(r.eod.bytes),
      r.eod.producibleThroughRelay ? 'producible' : 'not producible through a relay',
      r.verdict?.classification ?? (r.error ? `error: ${shorten(r.error.message, 40)}` : r.finalReply ? `refused: ${r.finalReply.code}` : ''),
      r.exchanges.filter((e) => e.command === 'end of data' || e.command.includes('(smuggled)') || e.command === 'after the end of data').map((e) => e.reply.code).join(' '),
    ]),
  ];
  return formatTable(rows, chalk).map((line, i) => (i > 0 && reports[i - 1]?.verdict?.classification === 'smuggled' ? chalk.red(line) : line));
}

export function formatCount(result: CountResult, chalk: ChalkInstance): string[] {
  const info = (text: string) => chalk.dim(Markers.info) + text;
  const seconds = (result.elapsedMs / 1000).toFixed(2);
  const codes = Object.entries(result.byCode).map(([code, n]) => `${colourForReply(chalk, Number(code))(code)} ×${n}`).join(', ');
  const out = [
    info(`${result.completed} of ${result.requested} messages over ${result.concurrency} connection${result.concurrency > 1 ? 's' : ''} in ${seconds} s: ${chalk.bold(result.messagesPerSecond.toFixed(0))} messages/s${result.pipelining ? ' (pipelined)' : ''}`),
    info(`accepted ${result.accepted}; replies by code: ${codes || 'none'}`),
  ];
  for (const error of result.errors) out.push(chalk.red.bold(Markers.error) + chalk.red(`connection ${error.connection}: ${error.message}`));
  return out;
}

/** The stored messages (with `content`, line by line, each with its terminator; bare CR and LF highlighted). */
export function formatStored(stored: readonly StoredMessage[], chalk: ChalkInstance, options: { content: boolean } = { content: true }): string[] {
  const out: string[] = [];
  const info = (text: string) => chalk.dim(Markers.info) + text;
  out.push(info(`the embedded capture server stored ${stored.length} message${stored.length === 1 ? '' : 's'}:`));
  for (const { message, findings } of stored) {
    const flags = [
      message.bareCrLines.length ? chalk.red(`bare CR in line ${message.bareCrLines.join(', ')}`) : '',
      message.bareLfLines.length ? chalk.red(`bare LF in line ${message.bareLfLines.join(', ')}`) : '',
    ].filter(Boolean);
    out.push(info(`message ${message.id}: ${message.data.length} octets from <${message.from}> to ${message.to.map((t) => `<${t}>`).join(', ')}${flags.length ? `; ${flags.join('; ')}` : '; every line ended by CRLF'}`));
    if (!options.content) continue;
    const data = message.data;
    let from = 0;
    for (let at = data.indexOf('\r\n'); from < data.length; at = data.indexOf('\r\n', from)) {
      const end = at === -1 ? data.length : at + 2;
      out.push(`    ${segmentBytes(data.subarray(from, end)).map((s) => colourSegment(chalk, s, (t) => t)).join('')}`);
      from = end;
    }
    if (findings === undefined) continue;
    if (findings.length === 0) out.push(info('lint-mbox: no findings for the stored message'));
    for (const f of findings) {
      const severity = f.severity === 'error' ? chalk.red(f.severity) : f.severity === 'warning' ? chalk.yellow(f.severity) : f.severity;
      out.push(info(`lint-mbox ${severity} ${chalk.bold(f.rule)} line ${f.line}: ${f.detail}`));
    }
  }
  return out;
}

