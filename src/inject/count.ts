import { SmtpdbgError, UsageError } from '../errors.js';
import { runOpening } from '../session/opening.js';
import { envelopeOrNote } from '../session/opening-steps.js';
import { SmtpSession } from '../session/smtp-session.js';
import { hasExtension } from '../smtp/capabilities.js';
import { chunkBytes, splitChunks } from '../smtp/bdat.js';
import type { Reply } from '../smtp/reply.js';
import { Terminators } from '../smtp/terminators.js';
import { dataPayload, describeVariant } from './payload.js';
import { bdatContent, connectionSettings, missingExtension, type InjectPlan, type Variant } from './transaction.js';

export interface CountResult {
  requested: number;
  concurrency: number;
  /** Messages that got a final reply (accepted or not). */
  completed: number;
  accepted: number;
  /** The deciding reply code of each message (the end of data's, or the first refusal) → how many. */
  byCode: Record<string, number>;
  /** RCPT refusals (a message still goes to the recipients that were accepted). */
  refusedRecipients: number;
  /** Connections that ended in an error, with the error; their unsent messages are not retried. */
  errors: Array<{ connection: number; code: string; message: string }>;
  elapsedMs: number;
  messagesPerSecond: number;
  pipelining: boolean;
}

const ok = (reply: Reply) => reply.code >= 200 && reply.code < 300;

/** How far a `--count` run is, for a progress line; updated as replies come. */
export interface CountProgress {
  completed: number;
  accepted: number;
}

/**
 * `--count N --concurrency C`: N copies of one message over C connections, RSET between
 * transactions. Where the server advertises PIPELINING (RFC 2920), RSET, MAIL, RCPT and
 * DATA go in one write, and the message content of one transaction leads the next group
 * (RFC 2920 §3.1 allows content as the first "command" of a group): one round trip per
 * message after the 354.
 */
export async function sendCopies(plan: InjectPlan, variant: Variant, count: number, concurrency: number, progress: CountProgress = { completed: 0, accepted: 0 }): Promise<CountResult> {
  const lines = plan.message(describeVariant(variant)).lines;
  const payload = dataPayload(lines, { ...variant, dotStuff: plan.dotStuff });
  const content = variant.bdat ? bdatContent(lines, variant) : undefined;
  const chunks = content && variant.bdat ? splitChunks(content, variant.bdat) : undefined;
  const lmtp = plan.settings.lmtp ?? false;
  const byCode = new Map<number, number>();
  const errors: CountResult['errors'] = [];
  let claimed = 0;
  let refusedRecipients = 0;
  let pipelining = false;
  const claim = () => (claimed < count ? ++claimed : 0);
  const record = (reply: Reply) => {
    progress.completed++;
    if (ok(reply)) progress.accepted++;
    byCode.set(reply.code, (byCode.get(reply.code) ?? 0) + 1);
  };
  /**
   * The envelope's replies: true when DATA got its 354 (the content must follow, whatever
   * some RCPTs got). Otherwise the refusal that decided is recorded: MAIL's, the last RCPT
   * refusal when none was accepted, or DATA's.
   */
  const settleEnvelope = (mail: Reply, rcpts: readonly Reply[], data: Reply | undefined): boolean => {
    // After a refused MAIL, the RCPTs' refusals (503, bad sequence) say nothing of the recipients.
    if (ok(mail)) refusedRecipients += rcpts.filter((reply) => !ok(reply)).length;
    if (data?.code === 354) return true;
    record(!ok(mail) ? mail : rcpts.some(ok) ? data ?? mail : rcpts.findLast((reply) => !ok(reply)) ?? mail);
    return false;
  };
  const started = performance.now();

  const worker = async (connection: number): Promise<void> => {
    if (claimed >= count) return;
    let session: SmtpSession | undefined;
    try {
      session = await SmtpSession.connect(connectionSettings(plan, connection));
      const term = Terminators[plan.cmdTerm];
      session.commandTerminator = term;
      const opening = await runOpening(session, plan.opening);
      if (opening.failedReply) {
        // Nothing can be sent on this connection: every message it would have sent counts the refusal.
        for (let n = claim(); n; n = claim()) record(opening.failedReply);
        await session.quit();
        return;
      }
      const client = session.client;
      // The client, not the session: a long run would otherwise keep every reply in session.exchanges.
      const send = (command: string) => client.command(command, { terminator: term });
      const line = (text: string) => Buffer.concat([Buffer.from(text, 'latin1'), term]);
      const envelopeLines = envelopeOrNote(plan.opening, plan.opening.to, session.capabilities, content?.length ?? payload.length, chunks ? 'BDAT' : 'DATA');
      // A parameter the server cannot take is the user's to fix: the run stops (exit 2).
      if (envelopeLines instanceof UsageError) throw envelopeLines;
      const mailLine = envelopeLines.mail;
      const rcptCommands = envelopeLines.rcpt;
      // The only writes a pipelined run makes, built once per connection rather than per message.
      const envelope = Buffer.concat([mailLine, ...rcptCommands, 'DATA'].map(line));
      const rsetEnvelope = Buffer.concat([line('RSET'), envelope]);
      const contentRsetEnvelope = Buffer.concat([payload, rsetEnvelope]);
      const replyCount = 2 + plan.opening.to.length;
      const pipelined = hasExtension(session.capabilities, 'PIPELINING');
      pipelining ||= pipelined;
      const missing = chunks ? missingExtension(session.capabilities, client.target, lmtp ? 'LHLO' : 'EHLO') : undefined;
      if (missing) throw missing;
      let pendingContent = false;
      /** Recipients accepted for the message whose end is awaited: LMTP answers each (RFC 2033 §4.2). */
      let accepted = 0;
      let first = true;
      /** The replies to the end of a message (one; in LMTP one per accepted recipient): the first refusal decides. */
      const readEnd = async (what: string): Promise<Reply> => {
        const replies: Reply[] = [];
        for (let i = 0; i < (lmtp ? accepted : 1); i++) replies.push(await client.readReply(what));
        return replies.find((reply) => !ok(reply)) ?? replies[0]!;
      };
      /** Reads the pipelined envelope's replies; true when DATA got its 354. */
      const readEnvelope = async (): Promise<boolean> => {
        const replies: Reply[] = [];
        for (let i = 0; i < replyCount; i++) replies.push(await client.readReply(i === replyCount - 1 ? 'DATA' : i === 0 ? 'MAIL' : 'RCPT'));
        accepted = ok(replies[0]!) ? replies.slice(1, -1).filter(ok).length : 0;
        return settleEnvelope(replies[0]!, replies.slice(1, -1), replies[replyCount - 1]);
      };
      const mailRcpts = Buffer.concat([mailLine, ...rcptCommands].map(line));
      const chunkStream = chunks ? Buffer.concat(chunks.map((chunk) => chunkBytes(chunk, term))) : undefined;
      /**
       * One message with BDAT (RFC 3030): where PIPELINING is offered, RSET, MAIL, RCPT and
       * every chunk in one write (RFC 3030 §2 lets BDAT be pipelined), one round trip per
       * message.
       */
      const sendChunked = async (): Promise<void> => {
        const rcpts: Reply[] = [];
        let mail: Reply;
        if (pipelined) {
          client.write(first ? Buffer.concat([mailRcpts, chunkStream!]) : Buffer.concat([line('RSET'), mailRcpts, chunkStream!]));
          if (!first) await client.readReply('RSET');
          mail = await client.readReply('MAIL');
          for (let i = 0; i < rcptCommands.length; i++) rcpts.push(await client.readReply('RCPT'));
        } else {
          if (!first) await send('RSET');
          mail = await send(mailLine);
          if (ok(mail)) for (const command of rcptCommands) rcpts.push(await send(command));
        }
        accepted = ok(mail) ? rcpts.filter(ok).length : 0;
        if (ok(mail)) refusedRecipients += rcpts.filter((reply) => !ok(reply)).length;
        // Unpipelined, nothing is sent for a message no recipient was accepted for.
        if (!pipelined && accepted === 0) return record(!ok(mail) ? mail : rcpts.findLast((reply) => !ok(reply)) ?? mail);
        let refused: Reply | undefined;
        let end: Reply | undefined;
        for (const chunk of chunks!) {
          // RFC 3030 §2: after a refused chunk, no more BDAT in this transaction.
          if (!pipelined && refused) break;
          if (!pipelined) client.write(chunkBytes(chunk, term));
          if (chunk.last && !refused && accepted > 0) end = await readEnd('BDAT LAST');
          else {
            const reply = await client.readReply('BDAT');
            if (!ok(reply)) refused ??= reply;
          }
        }
        record(!ok(mail) ? mail : accepted === 0 ? rcpts.findLast((reply) => !ok(reply)) ?? mail : refused ?? end!);
      };
      for (let n = claim(); n; n = claim()) {
        if (chunks) {
          await sendChunked();
        } else if (pipelined) {
          client.write(first ? envelope : pendingContent ? contentRsetEnvelope : rsetEnvelope);
          if (pendingContent) record(await readEnd('end of data'));
          if (!first) await client.readReply('RSET');
          pendingContent = await readEnvelope();
        } else {
          if (!first) await send('RSET');
          const mail = await send(mailLine);
          const rcpts: Reply[] = [];
          // Every recipient is tried; DATA only when one was accepted.
          if (ok(mail)) for (const command of rcptCommands) rcpts.push(await send(command));
          const data = rcpts.some(ok) ? await send('DATA') : undefined;
          accepted = rcpts.filter(ok).length;
          if (settleEnvelope(mail, rcpts, data)) {
            client.write(payload);
            record(await readEnd('end of data'));
          }
        }
        first = false;
      }
      if (pendingContent) {
        client.write(payload);
        record(await readEnd('end of data'));
      }
      await session.quit();
    } catch (error) {
      session?.close();
      if (!(error instanceof SmtpdbgError) || error instanceof UsageError) throw error;
      errors.push({ connection, code: error.code, message: error.message });
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, (_, i) => worker(i + 1)));
  const elapsedMs = performance.now() - started;
  return {
    requested: count,
    concurrency,
    completed: progress.completed,
    accepted: progress.accepted,
    refusedRecipients,
    byCode: Object.fromEntries([...byCode.entries()].sort(([a], [b]) => a - b).map(([code, n]) => [String(code), n])),
    errors,
    elapsedMs,
    messagesPerSecond: elapsedMs > 0 ? (progress.completed * 1000) / elapsedMs : 0,
    pipelining,
  };
}
