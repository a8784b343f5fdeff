import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileError, SmtpdbgError, UsageError } from '../errors.js';
import { sendCopies, type CountResult } from '../inject/count.js';
import { messageFromData, parseHeaderOption, smuggledMessage, templateMessage, type MessageLines } from '../inject/message.js';
import { lineTerminators } from '../inject/payload.js';
import { sendTransaction, sendWithRetry, type Attempt, type InjectPlan, type TransactionReport, type Variant } from '../inject/transaction.js';
import { formatTarget } from '../session/target.js';
import { nonStandardEods, parseEod, type EndOfData } from '../smtp/eod.js';
import { formatEscaped } from '../smtp/escapes.js';
import { parseTerminatorName, type TerminatorName } from '../smtp/terminators.js';
import { EventStream } from '../transcript/events.js';
import { TranscriptRecorder } from '../transcript/recorder.js';
import { chalkFor } from '../ui/colors.js';
import { formatAttempts, formatCount, formatEodTable, formatMatrix, formatStored, formatTransaction, type StoredMessage } from '../ui/inject-report.js';
import { printError, printEvents } from '../ui/line-printer.js';
import { authFromOptions, resolveConnection } from './connection-options.js';
import { ExitCode, exitCodeForError } from './exit-codes.js';
import type { InjectCliOptions } from './inject.js';
import { readPassword } from './password.js';

type Mode = 'single' | 'matrix' | 'eod-all' | 'count';

interface Choices {
  mode: Mode;
  term: TerminatorName;
  eod: EndOfData | 'all';
}

/** Option combinations that cannot mean anything are usage errors (exit 2), before any I/O. */
function choose(options: InjectCliOptions): Choices {
  const given = (flag: unknown) => flag !== undefined && flag !== false;
  if (given(options.data) && given(options.mbox)) throw new UsageError('--data and --mbox exclude each other');
  if (given(options.mbox) !== given(options.index)) throw new UsageError('--mbox and --index go together');
  if (options.header?.length && (given(options.data) || given(options.mbox))) throw new UsageError('--header adds to the built-in message; not with --data or --mbox');
  options.header?.forEach(parseHeaderOption);
  const eod = options.eod.toLowerCase() === 'all' ? 'all' : parseEod(options.eod);
  const term = options.term ? parseTerminatorName(options.term, '--term') : 'crlf';
  const exclusive = [options.matrix && '--matrix', eod === 'all' && '--eod all', options.count !== undefined && '--count'].filter(Boolean);
  if (exclusive.length > 1) throw new UsageError(`${exclusive.join(' and ')} exclude each other`);
  if (options.matrix && options.term) throw new UsageError('--matrix sends --term crlf, cr and lf itself; leave --term out');
  if (options.termAfter !== undefined && !options.matrix && term === 'crlf') {
    throw new UsageError('--term-after applies --term to one header line: give --term cr or lf (or --matrix)');
  }
  if (options.smuggle && eod !== 'all' && eod.standard) throw new UsageError('--smuggle needs a non-standard --eod (e.g. --eod lf, or --eod all)');
  if (options.concurrency !== undefined && options.count === undefined) throw new UsageError('--concurrency goes with --count');
  if (options.count !== undefined && eod !== 'all' && !eod.standard) throw new UsageError('--count sends standard transactions; a non-standard --eod is for single sends and --eod all');
  if (options.retry !== undefined && exclusive.length > 0) throw new UsageError(`--retry is for a single send, not ${exclusive[0]}`);
  const mode: Mode = options.matrix ? 'matrix' : eod === 'all' ? 'eod-all' : options.count !== undefined ? 'count' : 'single';
  return { mode, term, eod };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readInput(path: string): Promise<Buffer> {
  try {
    return path === '-' ? await readStdin() : await readFile(path);
  } catch (error) {
    throw fileError(path, 'read', error);
  }
}

/** The message source, read before anything connects so that a bad file costs nothing. */
async function messageSource(options: InjectCliOptions, to: string[]): Promise<(variant: string) => MessageLines> {
  if (options.data !== undefined) {
    const fixed = messageFromData(await readInput(options.data), options.data === '-' ? 'stdin' : options.data);
    return () => fixed;
  }
  if (options.mbox !== undefined) {
    // Loaded only here: splitting an mbox pulls in the mbox scanner, which no other send needs.
    const { messageFromMbox } = await import('../inject/mbox-message.js');
    const fixed = messageFromMbox(await readInput(options.mbox), options.index ?? 1, options.mbox);
    return () => fixed;
  }
  const date = new Date();
  return (variant) => templateMessage({ from: options.from, to, variant, date, messageId: newMessageId(), headers: options.header ?? [] });
}

const newMessageId = () => `${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@smtpdbg.invalid`;

interface InjectOutcome {
  transactions: TransactionReport[];
  attempts: Attempt[];
  count: CountResult | undefined;
}

function exitCodeFor(mode: Mode, outcome: InjectOutcome): number {
  const reports = outcome.transactions;
  const failure = (r: TransactionReport) => (r.error && !r.finalReply ? exitCodeForError[r.error.code] : undefined);
  switch (mode) {
    case 'count': {
      const result = outcome.count!;
      if (result.completed === 0 && result.errors.length > 0) return ExitCode.failure;
      return result.accepted === result.requested ? ExitCode.ok : ExitCode.problems;
    }
    case 'eod-all':
      if (reports.some((r) => r.verdict?.classification === 'smuggled')) return ExitCode.problems;
      return reports.every((r) => failure(r) !== undefined) ? failure(reports[0]!)! : ExitCode.ok;
    case 'matrix': {
      const failed = reports.map(failure).find((code) => code !== undefined);
      if (failed !== undefined) return failed;
      return reports.every((r) => r.accepted) ? ExitCode.ok : ExitCode.problems;
    }
    case 'single': {
      const report = reports[reports.length - 1]!;
      const verdict = report.verdict?.classification;
      if (verdict === 'smuggled') return ExitCode.problems;
      if (verdict === 'dropped' || verdict === 'timeout') return ExitCode.failure;
      const failed = failure(report);
      if (failed !== undefined) return failed;
      return report.accepted ? ExitCode.ok : ExitCode.problems;
    }
  }
}

const replyJson = (r: { code: number; lines: string[]; enhanced: string | undefined }) => ({ code: r.code, enhanced: r.enhanced ?? null, lines: r.lines });

function transactionJson(report: TransactionReport) {
  return {
    variant: report.variant,
    term: report.term,
    termAfter: report.termAfter ?? null,
    eod: { name: report.eod.name, bytes: formatEscaped(report.eod.bytes), standard: report.eod.standard, producibleThroughRelay: report.eod.producibleThroughRelay },
    source: report.source,
    replies: report.exchanges.map((e) => ({ command: e.command, ...replyJson(e.reply) })),
    finalReply: report.finalReply ? replyJson(report.finalReply) : null,
    accepted: report.accepted,
    queueId: report.queueId ?? null,
    classification: report.verdict?.classification ?? null,
    detail: report.verdict?.detail ?? null,
    smuggledQueueId: report.verdict?.smuggledQueueId ?? null,
    payloadOctets: report.payload?.length ?? null,
    error: report.error ? { code: report.error.code, message: report.error.message } : null,
  };
}

export async function runInjectCommand(targetText: string | undefined, options: InjectCliOptions): Promise<number> {
  const choices = choose(options);
  const auth = authFromOptions(options);
  const to = options.to?.length ? options.to : ['postmaster@localhost'];
  const cmdTerm = parseTerminatorName(options.cmdTerm, '--cmd-term');
  const message = await messageSource(options, to);
  // A --term-after naming a field the message lacks is an input error, found before connecting.
  if (options.termAfter !== undefined) lineTerminators(message('').lines, { term: choices.term, termAfter: options.termAfter });
  const events = new EventStream();

  const { settings, embedded } = await resolveConnection(targetText, options, events);
  const target = settings.target;
  const stdout = process.stdout;
  const chalk = chalkFor(stdout);
  const print = (lines: string[]) => {
    for (const line of lines) stdout.write(`${line}\n`);
  };
  let exitCode: number = ExitCode.ok;
  const outcome: InjectOutcome = { transactions: [], attempts: [], count: undefined };
  let transcript: TranscriptRecorder | undefined;
  let stopPrinting: (() => void) | undefined;
  let fatal: SmtpdbgError | undefined;
  try {
    transcript = options.transcript
      ? new TranscriptRecorder(options.transcript, { command: 'inject', target: `${target.host}:${target.port}` }, events.startedAt).attach(events)
      : undefined;
    if (choices.mode === 'single' && !options.json) stopPrinting = printEvents(events, stdout);
    if (embedded && !options.json) {
      events.emit({ type: 'info', t: 0, tls: false, message: `no target given: sending to the embedded capture server on ${formatTarget(target)}` });
    }
    // Asked once, however many connections --count, --matrix, --eod all or --retry open.
    let password: Promise<string> | undefined;
    const plan: InjectPlan = {
      settings,
      opening: {
        ...(auth ? { auth: { ...auth, password: () => (password ??= readPassword(auth.user)) } } : {}),
        from: options.from,
        to,
      },
      cmdTerm,
      dotStuff: options.dotStuff,
      message,
      smuggled: () => smuggledMessage({ from: options.from, to, date: new Date(), messageId: newMessageId() }),
      tagConnections: transcript !== undefined && choices.mode !== 'single',
    };
    const base = { term: choices.term, ...(options.termAfter !== undefined ? { termAfter: options.termAfter } : {}) };
    switch (choices.mode) {
      case 'single': {
        const variant: Variant = { ...base, eod: choices.eod as EndOfData, smuggle: options.smuggle ?? false };
        outcome.attempts = await sendWithRetry(plan, variant, options.retry ?? 0, (attempt) => {
          events.emit({ type: 'info', t: events.now(), tls: false, message: `attempt ${attempt.attempt} failed (${attempt.retry!.reason}): reconnecting in ${attempt.retry!.delayMs} ms` });
        });
        outcome.transactions = outcome.attempts.map((a) => a.report);
        break;
      }
      case 'matrix':
        for (const [i, term] of (['crlf', 'cr', 'lf'] as const).entries()) {
          outcome.transactions.push(await sendTransaction(plan, { ...base, term, eod: choices.eod as EndOfData, smuggle: options.smuggle ?? false }, i + 1));
        }
        break;
      case 'eod-all':
        for (const [i, eod] of nonStandardEods().entries()) outcome.transactions.push(await sendTransaction(plan, { ...base, eod, smuggle: true }, i + 1));
        break;
      case 'count':
        outcome.count = await sendCopies(plan, { ...base, eod: choices.eod as EndOfData, smuggle: false }, options.count!, options.concurrency ?? 1);
        break;
    }
    exitCode = exitCodeFor(choices.mode, outcome);
  } catch (caught) {
    if (!(caught instanceof SmtpdbgError)) throw caught;
    fatal = caught;
    exitCode = exitCodeForError[caught.code];
  } finally {
    stopPrinting?.();
    transcript?.close();
    await embedded?.server.close();
  }

  const lintMessage = embedded ? (await import('../mbox/index.js')).lintMessage : undefined;
  const stored: StoredMessage[] = (embedded?.server.messages ?? []).map((m) => ({ message: m, findings: lintMessage?.(m.data) }));
  if (options.json) {
    const json = {
      command: 'inject',
      target: `${target.host}:${target.port}`,
      embedded: embedded !== undefined,
      mode: choices.mode,
      transactions: outcome.transactions.map(transactionJson),
      attempts: outcome.attempts.map((a) => ({ attempt: a.attempt, accepted: a.report.accepted, retry: a.retry ?? null })),
      count: outcome.count ?? null,
      stored: embedded
        ? stored.map(({ message: m, findings }) => ({
          id: m.id,
          from: m.from,
          to: m.to,
          octets: m.data.length,
          data: m.data.toString('latin1'),
          bareCrLines: m.bareCrLines,
          bareLfLines: m.bareLfLines,
          findings: findings ?? [],
        }))
        : null,
      error: fatal ? { code: fatal.code, message: fatal.message } : null,
      exitCode,
    };
    stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return exitCode;
  }
  switch (choices.mode) {
    case 'single':
      print(formatAttempts(outcome.attempts, chalk));
      if (outcome.transactions.length > 0) print(formatTransaction(outcome.transactions[outcome.transactions.length - 1]!, chalk));
      break;
    case 'matrix':
      print(formatMatrix(outcome.transactions, chalk));
      break;
    case 'eod-all':
      print(formatEodTable(outcome.transactions, chalk));
      break;
    case 'count':
      if (outcome.count) print(formatCount(outcome.count, chalk));
      break;
  }
  if (embedded) print(formatStored(stored, chalk, { content: choices.mode !== 'eod-all' }));
  if (fatal) printError(process.stderr, fatal.message);
  return exitCode;
}
