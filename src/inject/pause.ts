import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { SendOptions } from '../net/smtp-client.js';
import type { SmtpSession } from '../session/smtp-session.js';

/**
 * `--pause STAGE=MS`: where inject and scripted session may wait, each before the command of that name (before
 * every RCPT for `rcpt`) or, for `content`, between the 354 and the message: to meet a
 * server's idle timeout at a chosen point, as a slow client would.
 */
export const PauseStages = ['ehlo', 'starttls', 'auth', 'mail', 'rcpt', 'data', 'content', 'quit'] as const;
export type PauseStage = (typeof PauseStages)[number];
export type Pauses = ReadonlyMap<PauseStage, number>;

const MAX_PAUSE_MS = 86_400_000;

/** Parses the repeated `--pause STAGE=MS` values. */
export function parsePauses(values: readonly string[]): Pauses {
  const pauses = new Map<PauseStage, number>();
  for (const value of values) {
    const match = /^([a-z]+)=(\d+)$/i.exec(value);
    const stage = match?.[1]!.toLowerCase() as PauseStage | undefined;
    if (!match || !stage || !PauseStages.includes(stage)) {
      throw new UsageError(`--pause ${value}: expected STAGE=MS, STAGE one of ${PauseStages.join(', ')}`);
    }
    const ms = Number(match[2]);
    if (ms > MAX_PAUSE_MS) throw new UsageError(`--pause ${value}: at most ${MAX_PAUSE_MS} ms`);
    if (pauses.has(stage)) throw new UsageError(`--pause ${stage} given twice`);
    pauses.set(stage, ms);
  }
  return pauses;
}

/** The pause stage a command line belongs to, from its verb. */
function stageOf(line: string): PauseStage | undefined {
  const verb = /^([A-Za-z]+)(?: |$)/.exec(line)?.[1]?.toUpperCase();
  switch (verb) {
    case 'EHLO': case 'HELO': return 'ehlo';
    case 'STARTTLS': return 'starttls';
    case 'AUTH': return 'auth';
    case 'MAIL': return 'mail';
    case 'RCPT': return 'rcpt';
    case 'DATA': return 'data';
    case 'QUIT': return 'quit';
    default: return undefined;
  }
}

export type Pause = (stage: PauseStage, what: string) => Promise<void>;

/**
 * Makes `session` wait before the commands `pauses` names, and returns the wait for the
 * stages that are not commands. The opening (EHLO, STARTTLS, AUTH) is run by code shared
 * by inject and session, so the wait goes in front of the session's own `command`: every command
 * of this connection passes through it, whoever sends it. Each wait is announced in the
 * conversation as it starts.
 */
export function pauseBeforeCommands(session: SmtpSession, pauses: Pauses): Pause {
  const pause: Pause = async (stage, what) => {
    const ms = pauses.get(stage);
    if (ms === undefined) return;
    session.client.emit({ type: 'info', message: `pausing ${ms} ms before ${what} (--pause ${stage}=${ms})` });
    await sleep(ms);
  };
  const command = session.command.bind(session);
  session.command = async (line: string, options?: SendOptions) => {
    // A redacted AUTH line is recognised from what is shown: "[redacted]" is no command.
    const stage = stageOf(options?.shown ? options.shown.toString('latin1') : line);
    if (stage) await pause(stage, line.split(' ')[0]!.toUpperCase());
    return command(line, options);
  };
  return pause;
}
