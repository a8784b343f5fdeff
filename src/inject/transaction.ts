import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, SmtpdbgError, TimeoutError } from '../errors.js';
import { runOpening, type OpeningPlan } from '../session/opening.js';
import { SmtpSession, type Exchange, type SessionSettings } from '../session/smtp-session.js';
import type { EndOfData } from '../smtp/eod.js';
import { isSuccess, type Reply } from '../smtp/reply.js';
import { Terminators, type TerminatorName } from '../smtp/terminators.js';
import { classifyAfterData, queueIdOf, type AfterData, type Verdict } from './classify.js';
import { EventStream } from '../transcript/events.js';
import type { MessageLines } from './message.js';
import { dataPayload, describeVariant, type LineEnds } from './payload.js';

/** Everything about one inject that stays the same across variants, attempts and copies. */
export interface InjectPlan {
  settings: SessionSettings;
  opening: Omit<OpeningPlan, 'quitAfter'>;
  cmdTerm: TerminatorName;
  dotStuff: boolean;
  /** The message for a variant (the template names the variant in its Subject). */
  message: (variant: string) => MessageLines;
  /** The second message of `--smuggle`. */
  smuggled: () => MessageLines;
  /**
   * Tag each connection's events with its number (`[#2]` in transcripts) when several
   * connections share the event stream; left off when nothing records them, as it costs a
   * copy per event.
   */
  tagConnections?: boolean;
}

/** The settings for connection `conn`: its events carry `conn` on their way to the shared stream. */
export function connectionSettings(plan: InjectPlan, conn: number): SessionSettings {
  if (!plan.tagConnections) return plan.settings;
  const shared = plan.settings.events;
  const events = new EventStream(shared.startedAt);
  events.subscribe((event) => shared.emit({ ...event, conn }));
  return { ...plan.settings, events };
}

export interface Variant extends LineEnds {
  eod: EndOfData;
  smuggle: boolean;
}

export interface TransactionReport {
  variant: string;
  term: TerminatorName;
  termAfter: string | undefined;
  eod: { name: string; bytes: Buffer; standard: boolean; producibleThroughRelay: boolean };
  source: string;
  /** Every command (or stage) and its reply, in order: banner, EHLO, …, end of data, QUIT. */
  exchanges: Exchange[];
  /** The reply that decided the outcome: the end of data's, or the first refusal. */
  finalReply: Reply | undefined;
  accepted: boolean;
  queueId: string | undefined;
  /** Only for a non-standard end of data. */
  verdict: Verdict | undefined;
  /** The payload written after the 354. */
  payload: Buffer | undefined;
  error: SmtpdbgError | undefined;
}

/**
 * After a non-standard end: the first reply, then QUIT, and every reply up to the 221 — so a
 * server that took the fake end shows what it made of the rest, with no guessing at delays.
 */
async function collectAfterData(session: SmtpSession, smuggle: boolean, smuggledTo: number): Promise<AfterData> {
  const replies: Reply[] = [];
  const labels = smuggle
    ? ['MAIL (smuggled)', ...Array.from({ length: smuggledTo }, () => 'RCPT (smuggled)'), 'DATA (smuggled)', 'end of data (smuggled)']
    : [];
  try {
    replies.push(await session.readReply('end of data'));
    session.expectQuit();
    session.write(Buffer.concat([Buffer.from('QUIT', 'latin1'), session.commandTerminator]));
    for (;;) {
      const reply = await session.client.readReply('QUIT');
      if (reply.code === 221) {
        session.exchanges.push({ command: 'QUIT', reply });
        await session.client.waitForClose();
        return { replies, end: 'quit' };
      }
      session.exchanges.push({ command: labels[replies.length - 1] ?? 'after the end of data', reply });
      replies.push(reply);
    }
  } catch (error) {
    if (error instanceof TimeoutError) return { replies, end: 'timeout' };
    if (error instanceof ConnectionError) return { replies, end: 'closed' };
    throw error;
  } finally {
    session.close();
  }
}

/** One connection, one transaction: connect, opening, MAIL, RCPT, DATA, the payload, QUIT. */
export async function sendTransaction(plan: InjectPlan, variant: Variant, conn = 1): Promise<TransactionReport> {
  const description = describeVariant(variant);
  const message = plan.message(description);
  const report: TransactionReport = {
    variant: description,
    term: variant.term,
    termAfter: variant.termAfter,
    eod: { name: variant.eod.name, bytes: variant.eod.bytes, standard: variant.eod.standard, producibleThroughRelay: variant.eod.producibleThroughRelay },
    source: message.source,
    exchanges: [],
    finalReply: undefined,
    accepted: false,
    queueId: undefined,
    verdict: undefined,
    payload: undefined,
    error: undefined,
  };
  const smuggled = variant.smuggle && !variant.eod.standard
    ? { from: plan.opening.from, to: plan.opening.to, lines: plan.smuggled().lines }
    : undefined;
  const payload = dataPayload(message.lines, { ...variant, dotStuff: plan.dotStuff }, smuggled);
  let session: SmtpSession | undefined;
  try {
    session = await SmtpSession.connect(connectionSettings(plan, conn));
    report.exchanges = session.exchanges;
    session.commandTerminator = Terminators[plan.cmdTerm];
    const opening = await runOpening(session, plan.opening);
    if (opening.failedReply) {
      report.finalReply = opening.failedReply;
      await session.quit();
      return report;
    }
    for (const command of [`MAIL FROM:<${plan.opening.from}>`, ...plan.opening.to.map((to) => `RCPT TO:<${to}>`)]) {
      const reply = await session.command(command);
      if (!isSuccess(reply)) {
        report.finalReply = reply;
        await session.quit();
        return report;
      }
    }
    const data = await session.command('DATA');
    if (data.code !== 354) {
      report.finalReply = data;
      await session.quit();
      return report;
    }
    report.payload = payload;
    session.write(payload);
    if (variant.eod.standard) {
      const end = await session.readReply('end of data');
      report.finalReply = end;
      report.accepted = end.code >= 200 && end.code < 300;
      report.queueId = report.accepted ? queueIdOf(end) : undefined;
      await session.quit();
      return report;
    }
    const after = await collectAfterData(session, Boolean(smuggled), plan.opening.to.length);
    const first = after.replies[0];
    report.finalReply = first;
    report.accepted = first !== undefined && first.code >= 200 && first.code < 300;
    report.queueId = first && report.accepted ? queueIdOf(first) : undefined;
    report.verdict = classifyAfterData(after, Boolean(smuggled));
    return report;
  } catch (error) {
    if (!(error instanceof SmtpdbgError)) throw error;
    report.error = error;
    session?.close();
    return report;
  }
}

export interface Attempt {
  attempt: number;
  report: TransactionReport;
  /** Why another attempt followed, and after how long. */
  retry?: { reason: string; delayMs: number };
}

/** Backoff before attempt n+1: 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffMs(attempt: number, baseMs = 1000): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 30_000);
}

/** A 421 (RFC 5321 §3.8) or a lost connection before the message was accepted is worth another try. */
export function retryReason(report: TransactionReport): string | undefined {
  if (report.accepted) return undefined;
  if (report.finalReply?.code === 421) return `${report.finalReply.code} ${report.finalReply.lines[0] ?? ''}`.trim();
  if (report.error instanceof ConnectionError) return report.error.message;
  if (report.verdict?.classification === 'dropped') return report.verdict.detail;
  return undefined;
}

/**
 * `--retry N`: up to N more attempts, each on a new connection, after a backoff; every
 * attempt is kept for the report.
 */
export async function sendWithRetry(
  plan: InjectPlan,
  variant: Variant,
  retries: number,
  onRetry: (attempt: Attempt) => void = () => undefined,
  baseDelayMs = 1000,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (let n = 1; ; n++) {
    const report = await sendTransaction(plan, variant, n);
    const attempt: Attempt = { attempt: n, report };
    attempts.push(attempt);
    const reason = retryReason(report);
    if (!reason || n > retries) return attempts;
    attempt.retry = { reason, delayMs: backoffMs(n, baseDelayMs) };
    onRetry(attempt);
    await sleep(attempt.retry.delayMs);
  }
}
