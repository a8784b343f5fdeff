import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { QuitAfter } from './opening.js';
import type { SessionSettings, SmtpSession } from './smtp-session.js';
import { TlsMode } from './tls-mode.js';
import { clientHello } from '../net/client-hello.js';

/**
 * `--close-after STAGE`, `--stall-after STAGE=MS`, `--tls-abort`: a client that misbehaves on
 * purpose, to see how a server copes with what real clients do (hang up mid-conversation,
 * go silent, give up in the TLS handshake). Stages, in the order a conversation reaches them:
 * after the banner, after the last EHLO, after the STARTTLS handshake, after MAIL, after the
 * last RCPT, after the 354 to DATA, and after half the message's octets.
 */
export const MisbehaviourStages = ['banner', 'ehlo', 'tls', 'mail', 'rcpt', 'data-start', 'mid-data'] as const;
export type MisbehaviourStage = (typeof MisbehaviourStages)[number];

export interface Misbehaviour {
  closeAfter?: MisbehaviourStage;
  /** Send a TLS ClientHello where the handshake would start, then close. */
  tlsAbort: boolean;
  stalls: ReadonlyMap<MisbehaviourStage, number>;
}

/** One connection's record of what was done on purpose, for the screen and --json. */
export interface MisbehaviourLog {
  /** Each act, in order: "stalled 2000 ms after RCPT", "closed the connection after RCPT, without QUIT". */
  done: string[];
  /** The close (--close-after) or the aborted handshake (--tls-abort) was carried out as asked. */
  carriedOut: boolean;
  /** Why it could not be, when the conversation never reached the stage asked for. */
  notReached?: string;
}

const MAX_STALL_MS = 86_400_000;

const stageList = MisbehaviourStages.join(', ');

export function parseStage(value: string, option: string): MisbehaviourStage {
  const stage = value.toLowerCase() as MisbehaviourStage;
  if (!MisbehaviourStages.includes(stage)) throw new UsageError(`${option} ${value}: expected one of ${stageList}`);
  return stage;
}

/** The repeated `--stall-after STAGE=MS` values. */
export function parseStalls(values: readonly string[]): Map<MisbehaviourStage, number> {
  const stalls = new Map<MisbehaviourStage, number>();
  for (const value of values) {
    const match = /^([a-z-]+)=(\d+)$/i.exec(value);
    if (!match) throw new UsageError(`--stall-after ${value}: expected STAGE=MS, STAGE one of ${stageList}`);
    const stage = parseStage(match[1]!, '--stall-after');
    const ms = Number(match[2]);
    if (ms > MAX_STALL_MS) throw new UsageError(`--stall-after ${value}: at most ${MAX_STALL_MS} ms`);
    if (stalls.has(stage)) throw new UsageError(`--stall-after ${stage} given twice`);
    stalls.set(stage, ms);
  }
  return stalls;
}

/** The stages of the opening, before a session's script (or inject's transaction) starts. */
export const OpeningMisbehaviourStages = ['banner', 'ehlo', 'tls'] as const satisfies readonly MisbehaviourStage[];

export interface MisbehaviourOptions {
  closeAfter?: string;
  stallAfter?: string[];
  tlsAbort?: boolean;
  plain?: boolean;
}

/**
 * The misbehaviour the options ask for, or undefined. `stages` are those the command itself
 * reaches (`session` hands over to its script after the opening); `elsewhere` says what to
 * use instead for the other stages.
 */
export function misbehaviourFromOptions(options: MisbehaviourOptions, stages: readonly MisbehaviourStage[] = MisbehaviourStages, elsewhere = ''): Misbehaviour | undefined {
  const closeAfter = options.closeAfter !== undefined ? parseStage(options.closeAfter, '--close-after') : undefined;
  const stalls = parseStalls(options.stallAfter ?? []);
  const tlsAbort = options.tlsAbort ?? false;
  if (!closeAfter && !stalls.size && !tlsAbort) return undefined;
  for (const [option, stage] of [['--close-after', closeAfter], ...[...stalls.keys()].map((s) => ['--stall-after', s] as const)] as const) {
    if (stage && !stages.includes(stage)) throw new UsageError(`${option} ${stage}: here the stages are ${stages.join(', ')}${elsewhere}`);
  }
  if (closeAfter && tlsAbort) throw new UsageError('--close-after and --tls-abort exclude each other: --tls-abort closes after its ClientHello');
  if (tlsAbort && options.plain) throw new UsageError('--tls-abort sends a ClientHello: not with --plain');
  return { ...(closeAfter ? { closeAfter } : {}), tlsAbort, stalls };
}

const stageWords: Record<MisbehaviourStage, string> = {
  banner: 'the banner',
  ehlo: 'EHLO',
  tls: 'the TLS handshake',
  mail: 'MAIL',
  rcpt: 'RCPT',
  'data-start': 'the 354 to DATA',
  'mid-data': 'half the message',
};

/** `--tls-abort` with STARTTLS stops the opening once the ClientHello went out. */
const openingStops: Partial<Record<MisbehaviourStage, QuitAfter>> = { banner: 'banner', ehlo: 'ehlo', tls: 'tls' };

/**
 * One connection's misbehaviour. `attach` wraps the session's opening steps (as --pause
 * does) for the stalls and the aborted handshake; the transaction calls `after` at the
 * stages it runs itself and stops when it returns true (the connection was closed on purpose).
 */
export class MisbehavingConnection {
  readonly log: MisbehaviourLog = { done: [], carriedOut: false };
  private session: SmtpSession | undefined;

  constructor(private readonly plan: Misbehaviour) {}

  /** The settings to connect with: --tls-abort on an implicit-TLS port connects in plain TCP and sends the ClientHello itself. */
  connectSettings(settings: SessionSettings): SessionSettings {
    return this.plan.tlsAbort && settings.tlsMode === TlsMode.implicit ? { ...settings, tlsMode: TlsMode.plain } : settings;
  }

  /** Where the shared opening stops for a close after the banner, EHLO or TLS, or for --tls-abort. */
  get openingStop(): { quitAfter?: QuitAfter } {
    const stop = this.plan.tlsAbort ? 'tls' : this.plan.closeAfter && openingStops[this.plan.closeAfter];
    return stop ? { quitAfter: stop } : {};
  }

  /**
   * Starts on a new connection. Returns true when it is already over: --tls-abort on an
   * implicit-TLS port, where the ClientHello is the first thing sent.
   */
  async attach(session: SmtpSession, implicitTls: boolean): Promise<boolean> {
    this.session = session;
    if (this.plan.tlsAbort && implicitTls) {
      await this.abortHandshake('on connecting (implicit TLS)');
      return true;
    }
    if (this.plan.closeAfter === 'tls' && implicitTls) {
      await this.closeAt('tls');
      return true;
    }
    const readBanner = session.readBanner.bind(session);
    session.readBanner = async () => {
      const reply = await readBanner();
      await this.stall('banner');
      return reply;
    };
    const ehlo = session.ehlo.bind(session);
    session.ehlo = async () => {
      const reply = await ehlo();
      // The opening upgrades after this EHLO when it can: the stall is for the last EHLO.
      const upgrading = !session.client.tls && session.settings.tlsMode !== TlsMode.plain && session.canStartTls();
      if (!upgrading) await this.stall('ehlo');
      return reply;
    };
    const starttls = session.starttls.bind(session);
    session.starttls = async () => {
      if (!this.plan.tlsAbort) {
        const result = await starttls();
        if (result.summary) await this.stall('tls');
        return result;
      }
      const reply = await session.command('STARTTLS');
      if (reply.code === 220) await this.abortHandshake('after the 220 to STARTTLS');
      return { reply };
    };
    return false;
  }

  /**
   * The opening stopped where `openingStop` asked: close there, or say why the stage was
   * never reached (no STARTTLS offered: no handshake to abort or close after).
   */
  async afterOpening(): Promise<void> {
    const session = this.session!;
    if (this.log.carriedOut) return;
    const stage = this.plan.tlsAbort ? 'tls' : this.plan.closeAfter!;
    if (stage === 'tls' && !session.client.tls) {
      this.log.notReached = session.settings.tlsMode === TlsMode.plain
        ? 'no TLS handshake: --plain was given'
        : 'no TLS handshake: the server does not advertise STARTTLS';
      await this.hangUp(`closed the connection after EHLO, without QUIT (${this.log.notReached})`, false, 'the stage asked for was never reached');
      return;
    }
    await this.closeAt(stage);
  }

  /** At a stage the transaction runs itself: the stall, then the close if it is the one asked for. */
  async after(stage: MisbehaviourStage): Promise<boolean> {
    await this.stall(stage);
    if (this.plan.closeAfter !== stage) return false;
    await this.closeAt(stage);
    return true;
  }

  /** Whether the message is written in two halves (a stall or a close between them). */
  get splitsData(): boolean {
    return this.plan.closeAfter === 'mid-data' || this.plan.stalls.has('mid-data');
  }

  private async stall(stage: MisbehaviourStage): Promise<void> {
    const ms = this.plan.stalls.get(stage);
    if (ms === undefined) return;
    const what = `stalled ${ms} ms after ${stageWords[stage]} (--stall-after ${stage}=${ms})`;
    this.session!.client.emit({ type: 'info', message: `${what.replace(/^stalled/, 'stalling')}: nothing is sent meanwhile` });
    // No reply is awaited while stalling, so no timeout of ours runs: only the server's can fire.
    await sleep(ms);
    this.log.done.push(what);
  }

  private closeAt(stage: MisbehaviourStage): Promise<void> {
    return this.hangUp(`closed the connection after ${stageWords[stage]}, without QUIT (--close-after ${stage})`, true, `on purpose (--close-after ${stage})`);
  }

  private async abortHandshake(when: string): Promise<void> {
    const session = this.session!;
    const hello = await clientHello(session.settings.tls);
    session.write(hello);
    session.client.emit({ type: 'info', message: `sent a TLS ClientHello (${hello.length} octets) ${when}` });
    await this.hangUp(`sent a TLS ClientHello ${when}, then closed the connection without finishing the handshake (--tls-abort)`, true, 'on purpose, in the TLS handshake (--tls-abort)');
  }

  /** Hangs up without QUIT, once what was written has gone out: the server sees the end of the stream (FIN). */
  private async hangUp(what: string, asAsked: boolean, reason: string): Promise<void> {
    const session = this.session!;
    // A server that hung up first (during a stall, say) ended the conversation, not us.
    const ended = session.client.closed ? session.client.endedBy : undefined;
    if (ended) throw ended;
    await session.client.hangUp(reason);
    session.close();
    this.log.done.push(what);
    this.log.carriedOut = asAsked;
  }
}
