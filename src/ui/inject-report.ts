import type { ChalkInstance } from 'chalk';
import { findingClasses, Role } from '../inject/classify.js';
import type { CountProgress, CountResult } from '../inject/count.js';
import { termWords } from '../inject/payload.js';
import { closingReply, positive, recipientOutcomes, type Attempt, type TransactionReport } from '../inject/transaction.js';
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

function replyText(chalk: ChalkInstance, reply: Pick<Reply, 'code' | 'lines'> | undefined): string {
  return reply ? colourForReply(chalk, reply.code)(formatReplyShort(reply)) : chalk.dim('(none)');
}

/** How the end of the payload looked on the wire: the end of data, then the standard one if it followed. */
function endShown(report: TransactionReport): string {
  const end = showBytes(report.eod.bytes);
  return report.eod.standard ? end : `${end} (${report.eod.name}), then ␍␊.␍␊`;
}

/** `--bdat`: each chunk's size and reply, in order (no end of data: the sizes delimit the message). */
function chunksShown(report: TransactionReport, chalk: ChalkInstance): string {
  const chunks = report.chunks ?? [];
  const octets = chunks.reduce((n, c) => n + c.octets, 0);
  const each = chunks.map((c) => `${c.command} → ${c.reply ? replyText(chalk, c.reply) : chalk.dim('(no reply)')}`);
  return `BDAT: ${octets} octets in ${chunks.length} chunk${chunks.length === 1 ? '' : 's'}, no dot-stuffing: ${each.join('; ')}`;
}

export interface TransactionView {
  /** Error messages the conversation already showed as it happened: not repeated. */
  shownErrors?: ReadonlySet<string>;
  /** All the attempts of a `--retry` run, for where each recipient ended up. */
  attempts?: readonly Attempt[];
}

/** The command an opening reply answered ("EHLO", "STARTTLS", "AUTH"…), from the exchanges. */
function commandOf(report: TransactionReport, reply: Reply): string {
  const exchange = report.exchanges.find((e) => e.reply === reply);
  return exchange ? (exchange.command.split(' ')[0] ?? exchange.command) : 'a command';
}

/** Why the message was never written, in one line. */
function notSent(report: TransactionReport, chalk: ChalkInstance): string {
  const closing = closingReply(report);
  if (closing) return `not sent: the server ended the conversation: ${replyText(chalk, closing)}`;
  const reply = report.finalReply;
  switch (report.stoppedAt) {
    case 'connect': return 'not sent: no connection';
    case 'opening': return reply ? `not sent: ${commandOf(report, reply)} refused: ${replyText(chalk, reply)}` : 'not sent: the conversation failed before MAIL';
    case 'size': return 'not sent: the message is larger than the server accepts';
    case 'MAIL': return reply ? `not sent: MAIL FROM refused: ${replyText(chalk, reply)}` : 'not sent: the conversation failed at MAIL';
    case 'RCPT': return reply ? 'not sent: no recipient was accepted' : 'not sent: the conversation failed at RCPT';
    case 'DATA': return reply ? `not sent: DATA refused: ${replyText(chalk, reply)}` : 'not sent: the conversation failed at DATA';
    case 'BDAT': return 'not sent with BDAT';
    default: return 'not sent';
  }
}

function recipientLines(report: TransactionReport, chalk: ChalkInstance, attempts: readonly Attempt[] | undefined): string[] {
  const several = attempts !== undefined && attempts.length > 1;
  const outcomes = several
    ? recipientOutcomes(attempts)
    : report.recipients.map((r) => ({ address: r.address, reply: r.reply, attempt: 1, delivered: report.accepted && positive(r.reply) && (r.delivery === undefined || positive(r.delivery)), ...(r.delivery ? { delivery: r.delivery } : {}) }));
  // LMTP: each recipient has its own outcome after the data (RFC 2033 §4.2), always worth a line.
  const worthShowing = report.lmtp || outcomes.length > 1 || several || outcomes.some((o) => o.reply !== undefined && !positive(o.reply));
  if (!worthShowing) return [];
  return outcomes.map((o) => {
    const when = several ? ` (attempt ${o.attempt})` : '';
    if (o.reply === undefined) return `recipient <${o.address}>: ${chalk.yellow('not tried')} (the conversation ended before its RCPT)${when}`;
    if (o.delivery) {
      const after = positive(o.delivery) ? chalk.green('delivered') : chalk.red('refused after the data');
      return `recipient <${o.address}>: ${after}: ${replyText(chalk, o.delivery)} (RCPT: ${replyText(chalk, o.reply)})${when}`;
    }
    const status = positive(o.reply) ? chalk.green(o.delivered || report.payload === undefined ? 'accepted' : 'accepted at RCPT, message not accepted') : chalk.red('refused');
    return `recipient <${o.address}>: ${status}: ${replyText(chalk, o.reply)}${when}`;
  });
}

export function formatTransaction(report: TransactionReport, chalk: ChalkInstance, view: TransactionView = {}): string[] {
  const info = (text: string) => chalk.dim(Markers.info) + text;
  const out: string[] = [];
  const sent = report.payload !== undefined;
  if (sent) out.push(info(`message: ${report.variant} (${report.source})`), info(report.chunks ? chunksShown(report, chalk) : `end of data: ${endShown(report)}`));
  out.push(...recipientLines(report, chalk, view.attempts).map(info));
  if (!sent) {
    out.push(info(notSent(report, chalk)));
  } else if (report.finalReply) {
    const outcome = report.accepted ? chalk.green('accepted') : chalk.red('not accepted');
    const taken = report.recipients.filter((r) => positive(r.reply) && (r.delivery === undefined || positive(r.delivery))).length;
    const forWhom = report.accepted && taken < report.recipients.length ? ` for ${taken} of ${report.recipients.length} recipients` : '';
    out.push(info(`${outcome}${forWhom}: ${replyText(chalk, report.finalReply)}${report.queueId ? `; queue id ${chalk.bold(report.queueId)}` : ''}`));
  }
  if (report.verdict) {
    const colour = findingClasses.has(report.verdict.classification) ? chalk.red.bold : chalk.bold;
    out.push(info(`classification: ${colour(report.verdict.classification)}: ${report.verdict.detail}`));
    if (report.verdict.smuggledQueueId) out.push(info(`smuggled message queue id ${chalk.bold(report.verdict.smuggledQueueId)}`));
    if (!report.eod.producibleThroughRelay) out.push(info(`${report.eod.name} is not producible through a relay: a compliant relay dot-stuffs its "." (RFC 5321 §4.5.2)`));
  }
  if (report.error && !view.shownErrors?.has(report.error.message)) out.push(chalk.red.bold(Markers.error) + chalk.red(report.error.message));
  return out;
}

export function formatAttempts(attempts: readonly Attempt[], chalk: ChalkInstance): string[] {
  if (attempts.length < 2) return [];
  return attempts.map((a) => {
    const outcome = a.report.accepted
      ? `accepted${a.report.queueId ? ` (queue id ${a.report.queueId})` : ''}`
      : a.report.error?.message ?? (a.report.finalReply ? formatReplyShort(a.report.finalReply) : 'no reply');
    const retry = a.retry
      ? `; retried after ${a.retry.delayMs} ms${a.retry.asked !== undefined ? ` (the server asked for ${a.retry.asked / 1000} s)` : ''} for ${a.retry.recipients.map((r) => `<${r}>`).join(', ')}`
      : '';
    return chalk.dim(Markers.info) + `attempt ${a.attempt}: ${outcome}${retry}`;
  });
}

/** For the modes that do not show the conversation: the TLS outcome of the connections, in one line each distinct one. */
export function formatTlsLine(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const seen = new Map<string, boolean>();
  for (const { tls } of reports) {
    if (!tls) continue;
    const verification = tls.verified ? `certificate verified${tls.pinned ? ` (pinned: SHA-256 ${tls.pinned})` : ''}` : `certificate verification FAILED: ${tls.verifyError ?? 'unknown reason'}`;
    seen.set(`TLS: ${tls.protocol ?? 'unknown protocol'}, ${tls.cipher ?? 'unknown cipher'}; ${verification}`, tls.verified);
  }
  return [...seen].map(([text, verified]) => (verified ? chalk.dim(Markers.info) + text : chalk.red.bold(Markers.error) + chalk.red(text)));
}

const afterDataRoles: ReadonlySet<string> = new Set(Object.values(Role).filter((role) => role !== Role.endOfData));

/** The row of an exchange in the matrix: the verb, or "end of data"; none for what followed a fake end. */
const stageOf = (command: string) => (afterDataRoles.has(command) ? undefined : command.startsWith('end of data') ? 'end of data' : command.split(' ')[0] ?? command);

/** `--matrix`: one column per terminator, one row per stage. */
export function formatMatrix(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const stages: string[] = [];
  for (const report of reports) {
    for (const exchange of report.exchanges) {
      const stage = stageOf(exchange.command);
      if (stage !== undefined && !stages.includes(stage)) stages.push(stage);
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

const passName = (report: TransactionReport) => `${termWords[report.term]} lines`;

/** "250 250 250 503 502×7": the codes after the data, runs of one code shortened. */
function codesShort(report: TransactionReport): string {
  const codes = report.verdict?.replies.map((r) => r.reply.code) ?? [];
  const runs: string[] = [];
  for (let i = 0; i < codes.length; ) {
    let j = i;
    while (j < codes.length && codes[j] === codes[i]) j++;
    runs.push(j - i > 3 ? `${codes[i]}×${j - i}` : codes.slice(i, j).join(' '));
    i = j;
  }
  return runs.join(' ');
}

function eodCell(report: TransactionReport | undefined): string {
  if (!report) return '';
  if (report.verdict) {
    const codes = codesShort(report);
    return `${report.verdict.classification}${codes ? ` (${codes})` : ''}`;
  }
  if (report.error) return `error: ${shorten(report.error.message, 40)}`;
  return report.finalReply ? `refused: ${report.finalReply.code}` : '';
}

/**
 * `--eod all`: one row per variant, one column per pass (the message's lines ended by
 * CRLF, then by LF), each cell the classification and the codes of the replies after the data.
 */
export function formatEodTable(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const passes = [...new Set(reports.map(passName))];
  const variants = [...new Set(reports.map((r) => r.eod.name))];
  const find = (name: string, pass: string) => reports.find((r) => r.eod.name === name && passName(r) === pass);
  const rows = [
    ['variant', 'bytes', 'through a relay', ...passes],
    ...variants.map((name) => {
      const any = find(name, passes[0]!) ?? reports.find((r) => r.eod.name === name)!;
      return [name, showBytes(any.eod.bytes), any.eod.producibleThroughRelay ? 'producible' : 'not producible through a relay', ...passes.map((pass) => eodCell(find(name, pass)))];
    }),
  ];
  const finding = (name: string) => passes.some((pass) => {
    const verdict = find(name, pass)?.verdict?.classification;
    return verdict !== undefined && findingClasses.has(verdict);
  });
  return formatTable(rows, chalk).map((line, i) => (i > 0 && finding(variants[i - 1]!) ? chalk.red(line) : line));
}

/** The line after the `--eod all` table: what smuggled, what the server ended early, out of how many runs. */
export function formatEodSummary(reports: readonly TransactionReport[], chalk: ChalkInstance): string[] {
  const runs = reports.length;
  const named = (list: readonly TransactionReport[]) => list.map((r) => `${r.eod.name} (${passName(r)})`).join(', ');
  const of = (classification: string) => reports.filter((r) => r.verdict?.classification === classification);
  const smuggled = of('smuggled');
  const refused = of('ended-early-refused');
  const out = [smuggled.length === 0 ? chalk.dim(Markers.info) + 'no variant smuggled' : chalk.red.bold(Markers.error) + chalk.red(`${smuggled.length} of ${runs} smuggled: ${named(smuggled)}`)];
  if (refused.length > 0) {
    out.push(chalk.red.bold(Markers.error) + chalk.red(`${refused.length} of ${runs} ended at the fake end of data, the second transaction refused: ${named(refused)}`));
  }
  return out;
}

export function formatCount(result: CountResult, chalk: ChalkInstance): string[] {
  const info = (text: string) => chalk.dim(Markers.info) + text;
  const seconds = (result.elapsedMs / 1000).toFixed(2);
  const codes = Object.entries(result.byCode).map(([code, n]) => `${colourForReply(chalk, Number(code))(code)} ×${n}`).join(', ');
  const out = [
    info(`${result.completed} of ${result.requested} messages over ${result.concurrency} connection${result.concurrency > 1 ? 's' : ''} in ${seconds} s: ${chalk.bold(result.messagesPerSecond.toFixed(0))} messages/s${result.pipelining ? ' (pipelined)' : ''}`),
    info(`accepted ${result.accepted}; replies by code: ${codes || 'none'}${result.refusedRecipients ? `; ${chalk.red(`${result.refusedRecipients} RCPT refused`)}` : ''}`),
  ];
  for (const error of result.errors) out.push(chalk.red.bold(Markers.error) + chalk.red(`connection ${error.connection}: ${error.message}`));
  return out;
}

/** The `--count` progress line (stderr, on a terminal only). */
export function formatCountProgress(progress: CountProgress, requested: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (progress.completed * 1000) / elapsedMs : 0;
  return `${progress.completed} of ${requested} messages, ${progress.accepted} accepted, ${rate.toFixed(0)} messages/s`;
}

/** The stored messages (with `content`, line by line, each with its terminator; bare CR and LF highlighted). */
export function formatStored(stored: readonly StoredMessage[], chalk: ChalkInstance, options: { content: boolean } = { content: true }): string[] {
  const out: string[] = [];
  const info = (text: string) => chalk.dim(Markers.info) + text;
  out.push(info(`the embedded capture server stored ${stored.length} message${stored.length === 1 ? '' : 's'}:`));
  // The capture server keeps every byte: its copy is the truth about what we sent, not about
  // what a real server would make of it.
  out.push(info("this is smtpdbg's own byte-exact storage; a real server rewrites such bytes (bare CR and LF, missing fields): see what one stored with --observe"));
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

