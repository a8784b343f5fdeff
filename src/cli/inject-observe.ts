import { UsageError } from '../errors.js';
import type { MessageLines } from '../inject/message.js';
import { lineTerminators, type LineEnds } from '../inject/payload.js';
import type { ImapOptions } from '../net/imap-store.js';
import { describeSource, parseObserveSource, watchMailbox, type MailboxWatch, type ObserveSource } from '../observe/mailbox-sources.js';
import { lineEndsOf, observe, type Observation } from '../observe/observe.js';
import { traceHeaderName } from '../observe/trace.js';
import { terminateLines } from '../smtp/terminators.js';
import { readPemFile } from '../tls/options.js';
import { ExitCode } from './exit-codes.js';
import { milliseconds } from './option-parsers.js';
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
  ca?: string;
  insecure?: boolean;
  timeout?: number;
}

export const parseObserveTimeout = milliseconds('--observe-timeout');

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
 * Opens the store now, before anything is sent: the mailbox snapshot is taken, an IMAP login
 * is made (so a wrong password costs nothing sent). The IMAP password comes from
 * SMTPDBG_IMAP_PASSWORD or a prompt, never from the command line.
 */
export async function openObservePlan(source: ObserveSource, options: ObserveCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<ObservePlan> {
  let imap: ImapOptions | undefined;
  if (source.kind === 'imap') {
    const user = source.location.user;
    imap = {
      password: () => readPassword(user, { SMTPDBG_PASSWORD: env.SMTPDBG_IMAP_PASSWORD }),
      ...(options.ca ? { ca: readPemFile(options.ca, '--ca') } : {}),
      insecure: options.insecure === true,
      timeoutMs: options.timeout ?? 30_000,
      deleteAfter: options.observeDelete === true,
    };
  }
  return {
    source,
    watch: await watchMailbox(source, imap),
    timeoutMs: options.observeTimeout ?? 30_000,
    header: options.traceHeader,
    expect: options.expect,
  };
}

/** The message with the trace id in a header field (unless --no-trace-header) and on a last body line. */
export function traceMessage(message: MessageLines, traceId: string, header: boolean): MessageLines {
  const blank = message.lines.findIndex((line) => line.length === 0);
  const lines = [...message.lines];
  if (header) lines.unshift(Buffer.from(`${traceHeaderName}: ${traceId}`, 'latin1'));
  // A message without a body gets the empty line that starts one, so the trace is body, not header.
  if (blank === -1) lines.push(Buffer.alloc(0));
  lines.push(Buffer.from(`smtpdbg-trace: ${traceId}`, 'latin1'));
  return { ...message, lines };
}

/** The message as the server was to see it: every line with its terminator, no dot-stuffing, no end of data. */
export function sentMessage(message: MessageLines, ends: LineEnds): Buffer {
  const terminators = lineTerminators(message.lines, ends);
  return terminateLines(message.lines, (i) => terminators[i]!);
}

/** Waits for the copies in the store, with the time waited shown on a terminal. */
export async function observeSent(plan: ObservePlan, sent: Buffer, traceId: string, progress: NodeJS.WriteStream = process.stderr): Promise<Observation> {
  const where = describeSource(plan.source);
  const onWait = progress.isTTY ? (ms: number) => progress.write(`\r=== waiting for the message in ${where}: ${(ms / 1000).toFixed(1)} s of ${(plan.timeoutMs / 1000).toFixed(0)} s`) : undefined;
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
