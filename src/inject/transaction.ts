import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, InputError, ProtocolError, SmtpdbgError, TimeoutError, UsageError } from '../errors.js';
import { envelopeOrNote } from '../session/opening-steps.js';
import { runOpening, type OpeningPlan } from '../session/opening.js';
import { SmtpSession, type Exchange, type SessionSettings } from '../session/smtp-session.js';
import { capabilityList, hasExtension, sizeLimit, type Capabilities } from '../smtp/capabilities.js';
import { bdatCommand, bdatProbe, chunkBytes, splitChunks, type BdatProbeName, type Chunk, type ChunkPlan } from '../smtp/bdat.js';
import { endOfData, type EndOfData } from '../smtp/eod.js';
import { formatReplyShort, type Reply } from '../smtp/reply.js';
import { Terminators, type TerminatorName } from '../smtp/terminators.js';
import type { TlsSummary } from '../tls/summary.js';
import { classifyAfterData, classifyBdatProbe, queueIdOf, type AfterData, type Verdict } from './classify.js';
import { EventStream } from '../transcript/events.js';
import type { MessageLines } from './message.js';
import { dataPayload, describeVariant, messageWithEnd, smuggledTransaction, type LineEnds } from './payload.js';
import { pauseBeforeCommands, type Pauses } from './pause.js';
import { MisbehavingConnection, type Misbehaviour, type MisbehaviourLog } from '../session/misbehaviour.js';
import { TlsMode } from '../session/tls-mode.js';

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
  /** `--pause STAGE=MS`: waits before commands (and before the message content). */
  pauses?: Pauses;
  /**
   * The user's own `--max-size`: a message above the server's SIZE is then sent anyway.
   * Without it, a message the server's SIZE (RFC 1870) says is too large is not sent.
   */
  explicitMaxSize?: number;
  /** `--close-after`, `--stall-after`, `--tls-abort`: acted out by misbehaviour.ts at each stage. */
  misbehaviour?: Misbehaviour;
}

/**
 * BDAT needs CHUNKING (RFC 3030 §2); the one-line error when the server does not offer it.
 * (BODY=BINARYMIME, which also needs BINARYMIME, is checked with the other MAIL parameters.)
 */
export function missingExtension(capabilities: Capabilities | undefined, target: string, hello: string): ProtocolError | undefined {
  if (hasExtension(capabilities, 'CHUNKING')) return undefined;
  return new ProtocolError(`${target} does not offer CHUNKING (RFC 3030) in its ${hello} reply: --bdat cannot be used (leave it out to send with DATA)`);
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
  /** `--bdat`: the message goes in BDAT chunks (RFC 3030) instead of DATA; `eod` is then unused. */
  bdat?: ChunkPlan;
  /** `--bdat --eod all`: one BDAT smuggling probe in place of the message (see bdatProbe). */
  bdatProbe?: BdatProbeName;
}

export interface RecipientResult {
  address: string;
  /** The reply to its RCPT; undefined when the RCPT was never sent. */
  reply: Reply | undefined;
  /** LMTP (RFC 2033 §4.2): this recipient's own reply after the end of the message. */
  delivery?: Reply;
}

/** Where a transaction stopped before its message was written. */
export type Stage = 'connect' | 'opening' | 'size' | 'MAIL' | 'RCPT' | 'DATA' | 'BDAT';

/** One BDAT chunk as sent and answered. */
export interface ChunkResult {
  command: string;
  octets: number;
  last: boolean;
  /** Undefined when the chunk was not answered (the conversation ended first). */
  reply: Reply | undefined;
}

export interface TransactionReport {
  variant: string;
  term: TerminatorName;
  termAfter: string | undefined;
  eod: { name: string; bytes: Buffer; standard: boolean; producibleThroughRelay: boolean };
  source: string;
  /** Every command (or stage) and its reply, in order: banner, EHLO, …, end of data, QUIT. */
  exchanges: Exchange[];
  /** Each recipient and the reply to its RCPT. */
  recipients: RecipientResult[];
  /**
   * The reply that decided the outcome: the end of data's; or, the message unsent, the
   * refusal that stopped it (the last RCPT refusal when no recipient was accepted).
   */
  finalReply: Reply | undefined;
  /** Set while the message is not written: the stage reached, where it stopped if it did. */
  stoppedAt: Stage | undefined;
  accepted: boolean;
  queueId: string | undefined;
  /** Only for a non-standard end of data. */
  verdict: Verdict | undefined;
  /** The payload written after the 354. */
  payload: Buffer | undefined;
  error: SmtpdbgError | undefined;
  tls: TlsSummary | undefined;
  capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
  /** Replies that answered nothing we sent: the server was out of step. */
  unsolicited: number;
  /** What was done on purpose (--close-after, --stall-after, --tls-abort). */
  misbehaviour?: MisbehaviourLog;
  /** `--bdat`: each chunk sent, with its reply; undefined for DATA. */
  chunks: ChunkResult[] | undefined;
  /** LMTP: one reply per accepted recipient after the data, in RCPT order (see RecipientResult.delivery). */
  lmtp: boolean;
}

export const positive = (reply: Pick<Reply, 'code'> | undefined): boolean => reply !== undefined && reply.code >= 200 && reply.code < 300;

export const recipientAccepted = (r: RecipientResult) => positive(r.reply);
export const recipientRefused = (r: RecipientResult) => r.reply !== undefined && !positive(r.reply);
/** LMTP: accepted at RCPT, then refused in its own reply after the data. */
export const deliveryRefused = (r: RecipientResult) => r.delivery !== undefined && !positive(r.delivery);

/** The message as BDAT carries it: every line with its terminator, no dot-stuffing, no end of data. */
export function bdatContent(lines: readonly Buffer[], ends: LineEnds): Buffer {
  return messageWithEnd(lines, { ...ends, dotStuff: false, eod: endOfData('none', Buffer.alloc(0)) });
}

/**
 * Reads the replies to the end of a message: one, or in LMTP one per recipient accepted at
 * RCPT, in RCPT order (RFC 2033 §4.2), each recorded under its recipient. `first` names
 * the exchange of the first reply (`end of data`, `BDAT 7 LAST`). Returns the reply that
 * says whether the message was taken: in LMTP the first success, else the first reply
 * (each refusal stays on its recipient).
 */
async function readEndReplies(session: SmtpSession, report: TransactionReport, first: string): Promise<Reply> {
  if (!report.lmtp) return session.readReply(first);
  const accepted = report.recipients.filter(recipientAccepted);
  for (const [i, recipient] of accepted.entries()) {
    recipient.delivery = await session.readReply(`${i === 0 ? first : 'end of data'} (<${recipient.address}>)`);
  }
  return accepted.find((r) => positive(r.delivery))?.delivery ?? accepted[0]!.delivery!;
}

/**
 * Sends the chunks: all in one write where the server offers PIPELINING (RFC 3030 §2 lets
 * BDAT be pipelined), otherwise one at a time, stopping after a refused chunk (RFC 3030
 * §2: no more BDAT in that transaction). Returns the reply that decides, or undefined when a chunk was refused
 * (then in `report.finalReply`).
 */
async function sendChunks(session: SmtpSession, report: TransactionReport, chunks: readonly Chunk[]): Promise<Reply | undefined> {
  const results: ChunkResult[] = chunks.map((chunk) => ({ command: bdatCommand(chunk), octets: chunk.bytes.length, last: chunk.last, reply: undefined }));
  report.chunks = results;
  const term = session.commandTerminator;
  const pipelined = hasExtension(session.capabilities, 'PIPELINING');
  // Each chunk is announced on screen and in transcripts as serve shows the chunks it takes:
  // a chunk need not end a line, and the next BDAT line would otherwise read as its content.
  const send = (chunk: Chunk, i: number) => {
    session.client.emit({ type: 'info', message: `BDAT chunk ${i + 1} of ${chunks.length}: ${chunk.bytes.length} octets${chunk.last ? ' (LAST)' : ''}` });
    session.write(chunkBytes(chunk, term));
  };
  // RFC 3030 §4.2 allows BDAT commands to be pipelined: then every chunk leaves in one write.
  if (pipelined) session.client.together(() => chunks.forEach(send));
  let refused: Reply | undefined;
  for (const [i, chunk] of chunks.entries()) {
    if (!pipelined) send(chunk, i);
    const result = results[i]!;
    if (chunk.last && !refused) {
      const reply = await readEndReplies(session, report, result.command);
      result.reply = report.lmtp ? report.recipients.find(recipientAccepted)?.delivery : reply;
      return reply;
    }
    result.reply = await session.readReply(result.command);
    if (!positive(result.reply)) {
      refused ??= result.reply;
      if (!pipelined) break;
    }
  }
  report.finalReply = refused;
  return undefined;
}

/**
 * The 421 with which the server ended the conversation (RFC 5321 §3.8), whether it came
 * as a reply or was waiting, unread, when the connection closed.
 */
export function closingReply(report: TransactionReport): Pick<Reply, 'code' | 'lines'> | undefined {
  if (report.finalReply?.code === 421) return report.finalReply;
  const rcpt = report.recipients.find((r) => r.reply?.code === 421)?.reply;
  if (rcpt) return rcpt;
  const afterData = report.verdict?.replies.find((r) => r.reply.code === 421)?.reply;
  if (afterData) return afterData;
  if (report.error instanceof ConnectionError && report.error.lastReply?.code === 421) return report.error.lastReply;
  return undefined;
}

/**
 * After a non-standard end: the first reply, then QUIT, and every reply up to the 221 — so a
 * server that took the fake end shows what it made of the rest, with no guessing at delays.
 */
async function collectAfterData(session: SmtpSession): Promise<AfterData> {
  const replies: Reply[] = [];
  try {
    replies.push(await session.client.readReply('the reply to the end of data'));
    session.expectQuit();
    session.write(Buffer.concat([Buffer.from('QUIT', 'latin1'), session.commandTerminator]));
    for (;;) {
      const reply = await session.client.readReply('the reply to QUIT');
      if (reply.code === 221) {
        await session.client.waitForClose();
        return { replies, end: 'quit', closing: reply };
      }
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

/** Records what a probe (a fake end of data, a BDAT probe) got back, and its verdict. */
function finishProbe(session: SmtpSession, report: TransactionReport, after: AfterData, verdict: Verdict): TransactionReport {
  report.verdict = verdict;
  for (const { role, reply } of verdict.replies) session.exchanges.push({ command: role, reply });
  // QUIT went out after the first reply, behind whatever followed the fake end: a server
  // still answering that may have hung up before it read QUIT (Postfix's 221 2.7.0).
  const readOn = verdict.replies.length > 1;
  if (after.closing) session.exchanges.push({ command: readOn ? "QUIT (or the server's own goodbye)" : 'QUIT', reply: after.closing });
  const first = after.replies[0];
  report.finalReply = first;
  report.accepted = positive(first);
  report.queueId = first && report.accepted ? queueIdOf(first) : undefined;
  return report;
}

/** QUIT after a refusal; a server that already closed (after a 421) is the report's error. */
async function quitAfterRefusal(session: SmtpSession, report: TransactionReport): Promise<TransactionReport> {
  await session.quit();
  return report;
}

/**
 * Replies that were received but never read because the connection ended first (a 421
 * sent while we paused, before the close): they belong in the report. Only for a closed
 * connection, where reading never waits.
 */
async function drainUnread(session: SmtpSession): Promise<void> {
  for (;;) {
    try {
      const reply = await session.client.readReply('nothing');
      session.exchanges.push({ command: '(received, unanswered: the connection ended)', reply });
    } catch {
      return;
    }
  }
}

/**
 * One connection, one transaction: connect, opening, MAIL, RCPT for every recipient, DATA
 * when at least one was accepted, the payload, QUIT. `recipients` defaults to the plan's.
 */
export async function sendTransaction(plan: InjectPlan, variant: Variant, conn = 1, recipients: readonly string[] = plan.opening.to): Promise<TransactionReport> {
  const description = describeVariant(variant);
  const message = plan.message(description);
  const report: TransactionReport = {
    variant: description,
    term: variant.term,
    termAfter: variant.termAfter,
    eod: { name: variant.eod.name, bytes: variant.eod.bytes, standard: variant.eod.standard, producibleThroughRelay: variant.eod.producibleThroughRelay },
    source: message.source,
    exchanges: [],
    recipients: recipients.map((address) => ({ address, reply: undefined })),
    finalReply: undefined,
    stoppedAt: 'connect',
    accepted: false,
    queueId: undefined,
    verdict: undefined,
    payload: undefined,
    error: undefined,
    tls: undefined,
    capabilities: { beforeTls: null, afterTls: null },
    unsolicited: 0,
    chunks: undefined,
    lmtp: plan.settings.lmtp ?? false,
  };
  // Every BDAT probe but zero-last and data-after-bdat writes the second transaction somewhere.
  const smuggled = variant.bdatProbe !== undefined || (variant.smuggle && !variant.eod.standard)
    ? { from: plan.opening.from, to: recipients, lines: plan.smuggled().lines }
    : undefined;
  const probe = variant.bdatProbe ? bdatProbe(variant.bdatProbe, bdatContent(message.lines, variant), smuggledTransaction(smuggled!), Terminators[plan.cmdTerm]) : undefined;
  const payload = probe ? probe.bytes : variant.bdat ? bdatContent(message.lines, variant) : dataPayload(message.lines, { ...variant, dotStuff: plan.dotStuff }, smuggled);
  // Cut before connecting: sizes that do not fit the message are the user's mistake, found before any byte goes out.
  const chunks = variant.bdat ? splitChunks(payload, variant.bdat) : undefined;
  let session: SmtpSession | undefined;
  const misbehave = plan.misbehaviour ? new MisbehavingConnection(plan.misbehaviour) : undefined;
  if (misbehave) report.misbehaviour = misbehave.log;
  try {
    const settings = connectionSettings(plan, conn);
    session = await SmtpSession.connect(misbehave?.connectSettings(settings) ?? settings);
    report.exchanges = session.exchanges;
    session.commandTerminator = Terminators[plan.cmdTerm];
    const pause = plan.pauses?.size ? pauseBeforeCommands(session, plan.pauses) : undefined;
    report.stoppedAt = 'opening';
    if (await misbehave?.attach(session, settings.tlsMode === TlsMode.implicit)) return report;
    const opening = await runOpening(session, { ...plan.opening, ...misbehave?.openingStop });
    if (opening.failedReply) {
      report.finalReply = opening.failedReply;
      return await quitAfterRefusal(session, report);
    }
    if (misbehave && opening.stopped) {
      await misbehave.afterOpening();
      return report;
    }
    const missing = variant.bdat || probe ? missingExtension(session.capabilities, session.client.target, report.lmtp ? 'LHLO' : 'EHLO') : undefined;
    if (missing) {
      report.stoppedAt = 'BDAT';
      report.error = missing;
      return await quitAfterRefusal(session, report);
    }
    const limit = sizeLimit(session.capabilities);
    if (plan.explicitMaxSize === undefined && limit && payload.length > limit) {
      report.stoppedAt = 'size';
      report.error = new InputError(
        `the message is ${payload.length} octets and ${session.client.target} accepts at most ${limit} (SIZE in its EHLO reply, RFC 1870): not sent (--max-size ${payload.length} sends it anyway)`,
      );
      return await quitAfterRefusal(session, report);
    }
    report.stoppedAt = 'MAIL';
    // A message sent above the server's SIZE on purpose (--max-size) declares no SIZE=, which would only get it refused at MAIL.
    const declared = limit && payload.length > limit ? undefined : payload.length;
    const envelope = envelopeOrNote(plan.opening, recipients, session.capabilities, declared, chunks || probe ? 'BDAT' : 'DATA');
    if (envelope instanceof UsageError) {
      report.error = envelope;
      return await quitAfterRefusal(session, report);
    }
    const mail = await session.command(envelope.mail);
    if (!positive(mail)) {
      report.finalReply = mail;
      return await quitAfterRefusal(session, report);
    }
    if (await misbehave?.after('mail')) return report;
    // Every recipient is tried, as MTAs do: one refusal does not decide for the others.
    report.stoppedAt = 'RCPT';
    for (const [i, recipient] of report.recipients.entries()) {
      recipient.reply = await session.command(envelope.rcpt[i]!);
      // RFC 5321 §3.8: a 421 means the server is closing; nothing more will be answered.
      if (recipient.reply.code === 421) break;
    }
    if (!report.recipients.some(recipientAccepted)) {
      report.finalReply = report.recipients.findLast((r) => r.reply !== undefined)?.reply;
      return await quitAfterRefusal(session, report);
    }
    if (await misbehave?.after('rcpt')) return report;
    if (probe) {
      report.stoppedAt = undefined;
      report.payload = payload;
      session.write(payload);
      const after = await collectAfterData(session);
      return finishProbe(session, report, after, classifyBdatProbe(probe.name, after, recipients.length));
    }
    if (chunks) {
      report.stoppedAt = 'BDAT';
      await pause?.('content', 'the message');
      report.stoppedAt = undefined;
      report.payload = payload;
      const end = await sendChunks(session, report, chunks);
      if (end) {
        report.finalReply = end;
        report.accepted = positive(end);
        report.queueId = report.accepted ? queueIdOf(end) : undefined;
      }
      await session.quit();
      return report;
    }
    report.stoppedAt = 'DATA';
    const data = await session.command('DATA');
    if (data.code !== 354) {
      report.finalReply = data;
      return await quitAfterRefusal(session, report);
    }
    await pause?.('content', 'the message');
    if (await misbehave?.after('data-start')) return report;
    report.stoppedAt = undefined;
    report.payload = payload;
    if (misbehave?.splitsData) {
      // --close-after/--stall-after mid-data: half the octets, then the stage.
      const half = Math.floor(payload.length / 2);
      report.payload = payload.subarray(0, half);
      session.write(report.payload);
      if (await misbehave.after('mid-data')) return report;
      report.payload = payload;
      session.write(payload.subarray(half));
    } else {
      session.write(payload);
    }
    if (variant.eod.standard) {
      const end = await readEndReplies(session, report, 'end of data');
      report.finalReply = end;
      report.accepted = positive(end);
      report.queueId = report.accepted ? queueIdOf(end) : undefined;
      await session.quit();
      return report;
    }
    const after = await collectAfterData(session);
    return finishProbe(session, report, after, classifyAfterData(after, Boolean(smuggled), recipients.length));
  } catch (error) {
    if (!(error instanceof SmtpdbgError)) throw error;
    report.error = error;
    if (session?.client.closed) await drainUnread(session);
    session?.close();
    return report;
  } finally {
    if (session) {
      report.unsolicited = session.client.unsolicited;
      report.tls = session.tlsSummary;
      report.capabilities = {
        beforeTls: session.capsBeforeTls ? capabilityList(session.capsBeforeTls) : null,
        afterTls: session.capsAfterTls ? capabilityList(session.capsAfterTls) : null,
      };
    }
  }
}

export interface Attempt {
  attempt: number;
  report: TransactionReport;
  /** Why another attempt followed, after how long, and for which recipients. */
  retry?: { reason: string; delayMs: number; recipients: string[]; asked?: number };
}

export interface RecipientOutcome {
  address: string;
  /** The last reply to its RCPT, in the last attempt that sent one. */
  reply: Reply | undefined;
  attempt: number;
  /** Its RCPT was accepted in an attempt whose message was accepted (and, in LMTP, its own reply after the data was a success). */
  delivered: boolean;
  /** LMTP: its own reply after the data. */
  delivery?: Reply;
}

/** Where each recipient ended up over the attempts of a `--retry` run (one attempt: that one). */
export function recipientOutcomes(attempts: readonly Attempt[]): RecipientOutcome[] {
  const outcomes = new Map<string, RecipientOutcome>();
  for (const { attempt, report } of attempts) {
    for (const r of report.recipients) {
      const known = outcomes.get(r.address);
      if (known?.delivered) continue;
      if (known && r.reply === undefined) continue;
      outcomes.set(r.address, { address: r.address, reply: r.reply, attempt, delivered: report.accepted && recipientAccepted(r) && !deliveryRefused(r), ...(r.delivery ? { delivery: r.delivery } : {}) });
    }
  }
  return [...outcomes.values()];
}

/** Backoff before attempt n+1: 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffMs(attempt: number, baseMs = 1000): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 30_000);
}

/** The longest wait a server can ask for before a retry (postgrey's default delay). */
export const MAX_ASKED_DELAY_MS = 300_000;

/**
 * The delay a temporary failure asks for, in milliseconds: "try again in 60 seconds",
 * "Greylisted for 5 minutes", "retry in 2 s". Undefined when the reply names none.
 */
export function askedDelayMs(reply: Pick<Reply, 'lines'>): number | undefined {
  const match = /\b(\d{1,6})\s*(seconds?|secs?|s|minutes?|mins?)\b/i.exec(reply.lines.join(' '));
  if (!match) return undefined;
  const n = Number(match[1]);
  return /^m/i.test(match[2]!) ? n * 60_000 : n * 1000;
}

export interface RetryDecision {
  reason: string;
  /** The recipients the next attempt is for: those not yet accepted nor refused for good. */
  recipients: string[];
  /** The reply whose text may say how long to wait. */
  reply: Pick<Reply, 'lines'> | undefined;
}

const temporary = (reply: Reply | undefined) => reply !== undefined && reply.code >= 400 && reply.code < 500;

/**
 * Whether a transaction is worth another attempt (a 4xx anywhere, RFC 5321 §4.2.5; a lost
 * connection), and for whom. A message accepted for some recipients is retried only for
 * those that got a 4xx; a 5xx is final for its recipient, or for everyone at MAIL, DATA or
 * the end of data.
 */
export function retryDecision(report: TransactionReport): RetryDecision | undefined {
  const describe = (reply: Pick<Reply, 'code' | 'lines'>) => formatReplyShort(reply);
  if (report.accepted) {
    const later = report.recipients.filter((r) => temporary(r.reply) || temporary(r.delivery));
    if (later.length === 0) return undefined;
    const reply = temporary(later[0]!.reply) ? later[0]!.reply! : later[0]!.delivery!;
    return { reason: `${describe(reply)} (for ${later.map((r) => `<${r.address}>`).join(', ')})`, recipients: later.map((r) => r.address), reply };
  }
  const open = report.recipients.filter((r) => r.reply === undefined || positive(r.reply) || temporary(r.reply)).map((r) => r.address);
  if (open.length === 0) return undefined;
  const tempRcpt = report.recipients.find((r) => temporary(r.reply))?.reply;
  if (temporary(report.finalReply)) return { reason: describe(report.finalReply!), recipients: open, reply: report.finalReply };
  if (report.stoppedAt === 'RCPT' && tempRcpt) return { reason: describe(tempRcpt), recipients: open, reply: tempRcpt };
  const closing = closingReply(report);
  if (closing) return { reason: describe(closing), recipients: open, reply: closing };
  if (report.error instanceof ConnectionError) return { reason: report.error.message, recipients: open, reply: undefined };
  if (report.verdict?.classification === 'dropped') return { reason: report.verdict.detail, recipients: open, reply: undefined };
  return undefined;
}

/**
 * `--retry N`: up to N more attempts, each on a new connection, after the delay the server
 * asked for (capped at MAX_ASKED_DELAY_MS) or a backoff; every attempt is kept for the report.
 */
export async function sendWithRetry(
  plan: InjectPlan,
  variant: Variant,
  retries: number,
  onRetry: (attempt: Attempt) => void = () => undefined,
  baseDelayMs = 1000,
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  let recipients: readonly string[] = plan.opening.to;
  for (let n = 1; ; n++) {
    const report = await sendTransaction(plan, variant, n, recipients);
    const attempt: Attempt = { attempt: n, report };
    attempts.push(attempt);
    const decision = n > retries ? undefined : retryDecision(report);
    if (!decision) return attempts;
    const asked = decision.reply ? askedDelayMs(decision.reply) : undefined;
    const delayMs = asked !== undefined ? Math.min(asked, MAX_ASKED_DELAY_MS) : backoffMs(n, baseDelayMs);
    attempt.retry = { reason: decision.reason, delayMs, recipients: decision.recipients, ...(asked !== undefined ? { asked } : {}) };
    onRetry(attempt);
    recipients = decision.recipients;
    await sleep(delayMs);
  }
}
