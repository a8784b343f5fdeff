import { AuthError, ConnectionError, InputError, UsageError } from '../errors.js';
import type { MessageLines } from '../inject/message.js';
import { lineTerminators, type LineEnds } from '../inject/payload.js';
import type { ImapOptions } from '../net/imap-store.js';
import { describeSource, lineEndsOf, parseObserveSource, watchMailbox, type MailboxWatch, type ObserveSource } from '../observe/mailbox-sources.js';
import type { Observation } from '../observe/observe.js';
import { traceHeaderName } from '../observe/trace.js';
import type { EndOfData } from '../smtp/eod.js';
import { terminateLines } from '../smtp/terminators.js';
import { readPemFile } from '../tls/options.js';
import { ExitCode } from './exit-codes.js';
import { readPassword } from './password.js';

/**
 * `inject --observe SOURCE`: the options, the trace put into each message, the store watched
 * from before the send, and the exit code the observation gives.
 */

export interface ObserveCliOptions {
  observe?: string;
  observeTimeout?: number;
  observeDelete?: boolean;
  traceHeader: boolean;
  expect?: 'unchanged' | 'no-smuggling';
}

/** What the IMAP connection takes from the connection options, as for the SMTP one. */
export interface ObserveConnection {
  ca?: string;
  insecure?: boolean;
  timeoutMs: number;
}

export interface ObservePlan {
  source: ObserveSource;
  watch: MailboxWatch;
  timeoutMs: number;
  header: boolean;
  expect: ObserveCliOptions['expect'];
}

/** Checks the options that go with --observe, before anything is read or sent. */
export function checkObserveOptions(options: ObserveCliOptions, modes: { count: boolean }): ObserveSource | undefined {
  if (options.observe === undefined) {
    for (const [given, name] of [
      [options.observeTimeout !== undefined, '--observe-timeout'],
      [options.observeDelete, '--observe-delete'],
      [!options.traceHeader, '--no-trace-header'],
      [options.expect !== undefined, '--expect'],
    ] as const) {
      if (given) throw new UsageError(`${name} goes with --observe`);
    }
    return undefined;
  }
  if (modes.count) throw new UsageError('--count and --observe exclude each other: --observe follows one message at a time');
  const source = parseObserveSource(options.observe);
  if (options.observeDelete && source.kind !== 'imap') throw new UsageError('--observe-delete is for imap:// and imaps:// sources');
  return source;
}

/**
 * A store that cannot be read (refused login, no such mailbox or file, a certificate not
 * trusted) ends the run with exit 3, like a server that cannot be reached: it is the far
 * end of the round trip, not the user's input.
 */
async function unreadableSourceFails<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof AuthError || error instanceof InputError) throw new ConnectionError(error.message, { cause: error });
    throw error;
  }
}

/**
 * Opens the store now, before anything is sent: the mailbox snapshot is taken, an IMAP login
 * is made (so a wrong password costs nothing sent). The IMAP password comes from
 * SMTPDBG_IMAP_PASSWORD or a prompt, never from the command line.
 */
export async function openObservePlan(source: ObserveSource, options: ObserveCliOptions, connection: ObserveConnection, env: NodeJS.ProcessEnv = process.env): Promise<ObservePlan> {
  let imap: ImapOptions | undefined;
  if (source.kind === 'imap') {
    const user = source.location.user;
    imap = {
      password: () => readPassword(user, { SMTPDBG_PASSWORD: env.SMTPDBG_IMAP_PASSWORD }),
      ...(connection.ca ? { ca: readPemFile(connection.ca, '--ca') } : {}),
      insecure: connection.insecure === true,
      timeoutMs: connection.timeoutMs,
      deleteAfter: options.observeDelete === true,
    };
  }
  return {
    source,
    watch: await unreadableSourceFails(() => watchMailbox(source, imap)),
    timeoutMs: options.observeTimeout ?? 30_000,
    header: options.traceHeader,
    expect: options.expect,
  };
}

/**
 * The message with the trace id in a header field at the end of its header (unless
 * --no-trace-header), where it changes least what the message's own first lines do, and on
 * a last body line.
 */
export function traceMessage(message: MessageLines, traceId: string, header: boolean): MessageLines {
  const lines = [...message.lines];
  let blank = lines.findIndex((line) => line.length === 0);
  // A message without a body gets the empty line that starts one, so the trace is body, not header.
  if (blank === -1) {
    lines.push(Buffer.alloc(0));
    blank = lines.length - 1;
  }
  if (header) lines.splice(blank, 0, Buffer.from(`${traceHeaderName}: ${traceId}`, 'latin1'));
  lines.push(Buffer.from(`smtpdbg-trace: ${traceId}`, 'latin1'));
  return { ...message, lines };
}

/**
 * The message as the server was to see it: every line with its terminator, no dot-stuffing,
 * no end of data. An end of data that starts with a line end ends the last line with it
 * (RFC 5321 §4.1.1.4: the first CRLF of CRLF.CRLF is the last line's own), so the last line
 * keeps the bytes before the end's ".".
 */
export function sentMessage(message: MessageLines, ends: LineEnds, eod: EndOfData): Buffer {
  const terminators = lineTerminators(message.lines, ends);
  const lead = eod.bytes[0];
  const dot = eod.bytes.indexOf(0x2e);
  if ((lead === 0x0d || lead === 0x0a) && dot > 0 && terminators.length > 0) terminators[terminators.length - 1] = eod.bytes.subarray(0, dot);
  return terminateLines(message.lines, (i) => terminators[i]!);
}

/**
 * The content of a whole DATA payload as a server that reads it to the standard end sees it:
 * the final CRLF "." CRLF taken off (its CRLF is the last line's own, RFC 5321 §4.1.1.4)
 * and dot-stuffing undone at each line start after CRLF (§4.5.2).
 */
export function contentOfPayload(payload: Buffer): Buffer {
  const end = payload.length >= 5 && payload.subarray(-5).toString('latin1') === '\r\n.\r\n' ? payload.length - 3 : payload.length;
  const out: Buffer[] = [];
  let lineStart = 0;
  while (lineStart < end) {
    const crlf = payload.indexOf('\r\n', lineStart, 'latin1');
    const lineEnd = crlf === -1 || crlf + 2 > end ? end : crlf + 2;
    out.push(payload.subarray(payload[lineStart] === 0x2e ? lineStart + 1 : lineStart, lineEnd));
    lineStart = lineEnd;
  }
  return Buffer.concat(out);
}

/** Waits for the copies in the store, with the time waited shown on a terminal. */
export async function observeSent(plan: ObservePlan, sent: Buffer, traceId: string, progress: NodeJS.WriteStream = process.stderr): Promise<Observation> {
  const where = describeSource(plan.source);
  const onWait = progress.isTTY ? (ms: number) => progress.write(`\r=== waiting for the message in ${where}: ${(ms / 1000).toFixed(1)} s of ${(plan.timeoutMs / 1000).toFixed(0)} s`) : undefined;
  // The diff and lint-mbox load only when there is something to compare.
  const { observe } = await import('../observe/observe.js');
  try {
    return await observe(plan.watch, plan.source, { sent, traceId, timeoutMs: plan.timeoutMs, ...(onWait ? { onWait } : {}) });
  } finally {
    if (onWait) progress.write('\r\u001b[2K');
  }
}

/** Whether the store keeps lines with LF (so CRLF → LF is not the server's doing). */
export const lfStore = (plan: ObservePlan) => lineEndsOf(plan.source) === 'lf';

/**
 * 3 when the message did not show up (the store was read, but nothing came: say which);
 * 1 when a split was found or what --expect asked for did not hold; otherwise 0.
 */
export function observeExitCode(observations: readonly Observation[], expect: ObserveCliOptions['expect']): number {
  if (observations.some((o) => o.verdict.kind === 'not-found')) return ExitCode.failure;
  if (observations.some((o) => o.verdict.kind === 'split')) return ExitCode.problems;
  if (expect === 'unchanged' && observations.some((o) => o.verdict.kind !== 'unchanged')) return ExitCode.problems;
  return ExitCode.ok;
}
