import { ErrorCode, SmtpdbgError, TimeoutError, UsageError } from '../../errors.js';
import { ExitCode, exitCodeForError } from '../../exit-codes.js';
import { runOpening } from '../../session/opening.js';
import { everyReplySucceeded, LineRunner } from '../../session/script-runner.js';
import { SmtpSession, type SessionSettings } from '../../session/smtp-session.js';
import { formatTarget } from '../../session/target.js';
import { redactAuthLine } from '../../smtp/auth.js';
import type { ClientMechanism } from '../../smtp/sasl/client.js';
import type { ProxyAttribute } from '../../smtp/xclient.js';
import type { TerminatorName } from '../../smtp/terminators.js';
import type { SessionEvent } from '../../transcript/events.js';
import { localEchoMarker, ScrollbackModel, type ScrollLine } from './scrollback-model.js';

export interface InteractiveOptions {
  settings: SessionSettings;
  /**
   * `password` is never called: the UI asks with its own masked prompt (or takes
   * SMTPDBG_PASSWORD), since a terminal prompt outside ink would fight it for stdin.
   */
  auth?: { mechanism: ClientMechanism | 'auto'; user: string; password?: () => Promise<string> };
  /** The user of an :auth that names none (`--user`). */
  user?: string;
  /** The XOAUTH2 bearer token (SMTPDBG_OAUTH_TOKEN): for --auth and :auth alike. */
  token?: () => string | undefined;
  /** `--xclient` / `--xforward` attributes, sent after EHLO as in a scripted session. */
  xclient?: ProxyAttribute[];
  xforward?: ProxyAttribute[];
  embedded: boolean;
  /** RFC 5321 §4.5.2 transparency for typed DATA lines (false: --no-dot-stuff); default on. */
  dotStuff?: boolean;
  /** Each line of the conversation starts with the milliseconds since the start. */
  timestamps?: boolean;
}

export type Phase = 'connecting' | 'opening' | 'ready' | 'busy' | 'quitting' | 'ended';

export interface StatusInfo {
  target: string;
  tls?: { protocol: string | null; cipher: string | null; verified: boolean; verifyError: string | null };
  lastReply?: number;
  terminator: TerminatorName;
  inData: boolean;
}

export interface ViewState {
  readonly lines: readonly ScrollLine[];
  readonly status: StatusInfo;
  readonly phase: Phase;
  /** Set while the masked password prompt is up. */
  readonly passwordFor?: string;
  /** Typed lines waiting for the current command to finish. */
  readonly queued: number;
  readonly exitCode?: number;
}

export interface ControllerOptions {
  /** Where SMTPDBG_PASSWORD is looked up. */
  env?: NodeJS.ProcessEnv;
  /** How many scrollback lines stay in memory. */
  keepLines?: number;
}

/**
 * Drives one interactive conversation for the ink UI, and is its store (subscribe /
 * getSnapshot for useSyncExternalStore). It owns no terminal: the components feed it typed
 * lines and interrupts, and render its state. Typed lines run one after another through
 * the same LineRunner as scripted mode; lines typed while a reply is awaited wait their turn.
 */
export class InteractiveController {
  readonly finished: Promise<number>;
  private readonly options: InteractiveOptions;
  private readonly env: NodeJS.ProcessEnv;
  private readonly scrollback: ScrollbackModel;
  private readonly listeners = new Set<() => void>();
  private state: ViewState;
  private session: SmtpSession | undefined;
  private runner: LineRunner | undefined;
  private readonly typed: string[] = [];
  private draining = false;
  /** Ctrl-C came while the password prompt was up: QUIT once the interrupted command is over. */
  private leaveWhenIdle = false;
  private prompt: { resolve: (password: string) => void; reject: (error: Error) => void } | undefined;
  /** The worst exit code of an error that did not end the conversation (e.g. credentials refused). */
  private errorCode: number = ExitCode.ok;
  private resolveFinished!: (code: number) => void;
  private rejectFinished!: (error: unknown) => void;
  private unsubscribe: (() => void) | undefined;
  private notifyScheduled = false;

  constructor(options: InteractiveOptions, controllerOptions: ControllerOptions = {}) {
    this.options = options;
    this.env = controllerOptions.env ?? process.env;
    this.scrollback = new ScrollbackModel(controllerOptions.keepLines, { timestamps: options.timestamps ?? false });
    this.state = { lines: [], status: { target: formatTarget(options.settings.target), terminator: 'crlf', inData: false }, phase: 'connecting', queued: 0 };
    this.finished = new Promise<number>((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ViewState => this.state;

  private get ended(): boolean {
    return this.state.phase === 'ended';
  }

  /** Connects and runs the opening (banner, EHLO, STARTTLS, EHLO, XCLIENT/XFORWARD, AUTH), then takes typed lines. */
  async start(): Promise<void> {
    const { settings, embedded } = this.options;
    this.unsubscribe = settings.events.subscribe((event) => this.onEvent(event));
    if (embedded) {
      settings.events.emit({ type: 'info', t: settings.events.now(), tls: false, message: `no target given: talking to the embedded capture server on ${formatTarget(settings.target)}` });
    }
    let session: SmtpSession;
    try {
      session = await SmtpSession.connect(settings);
    } catch (error) {
      this.onFailure(error);
      return;
    }
    if (this.ended) {
      session.client.close('interrupted by the user');
      return;
    }
    this.session = session;
    this.runner = new LineRunner(session, {
      pipeline: false,
      password: (user) => this.password(user),
      ...(this.options.user !== undefined ? { user: this.options.user } : {}),
      ...(this.options.token ? { token: this.options.token } : {}),
      ...(this.options.dotStuff === false ? { dotStuff: false } : {}),
      reconnect: async () => {
        const next = await SmtpSession.connect(settings);
        this.session = next;
        try {
          await this.open(next);
        } catch (error) {
          // As for the first connection: a refused AUTH is shown and the new connection stays in use.
          this.onFailure(error);
        }
        return next;
      },
    });
    this.update({ phase: 'opening' });
    try {
      await this.open(session);
    } catch (error) {
      // Credentials refused or the prompt interrupted: shown, and the user can go on typing.
      this.onFailure(error);
    }
    if (this.ended) return;
    this.scrollback.addLocal('type SMTP commands (each sent with CRLF); :help lists local commands; Ctrl-C or Ctrl-D sends QUIT and leaves');
    this.becomeIdle();
  }

  /** The opening of one connection (the first, or one of :reconnect). */
  private async open(session: SmtpSession): Promise<void> {
    const { auth, token, xclient, xforward } = this.options;
    // A silent server is reported and the person decides what to do next: the session goes on.
    session.client.keepOpenOnReplyTimeout = true;
    await runOpening(session, {
      ...(auth ? { auth: { mechanism: auth.mechanism, user: auth.user, password: () => this.password(auth.user), ...(token ? { token } : {}) } } : {}),
      ...(xclient ? { xclient } : {}),
      ...(xforward ? { xforward } : {}),
      from: '',
      to: [],
    });
  }

  /** A line from the input: the password when the prompt is up, otherwise a line to run. */
  submit(line: string): void {
    if (this.state.phase === 'ended') return;
    if (this.prompt) {
      const { resolve } = this.prompt;
      this.prompt = undefined;
      this.update({ passwordFor: undefined });
      resolve(line);
      return;
    }
    this.typed.push(line);
    this.update({ queued: this.typed.length });
    void this.drain();
  }

  /**
   * Ctrl-C or Ctrl-D. When idle: QUIT, then leave. When a reply is awaited, in DATA, or on
   * a second press: close at once — QUIT cannot be sent in the middle of another command,
   * and inside DATA it would become part of the message.
   */
  interrupt(): void {
    const phase = this.state.phase;
    if (phase === 'ended') return;
    this.typed.length = 0;
    if (this.prompt) {
      // Nothing has been sent for the AUTH yet: once it is given up, QUIT can go out cleanly.
      const { reject } = this.prompt;
      this.prompt = undefined;
      this.leaveWhenIdle = true;
      this.update({ passwordFor: undefined, queued: 0 });
      reject(new UsageError('password prompt interrupted'));
      return;
    }
    const session = this.session;
    if (!session) {
      this.scrollback.addLocal('interrupted while connecting');
      this.finish(ExitCode.failure);
      return;
    }
    if (phase === 'ready' && !this.runner?.inData && !session.client.closed) {
      this.quitWhenIdle(session);
      return;
    }
    if (this.runner?.inData) this.scrollback.addLocal('interrupted inside DATA: the message was not sent');
    session.client.close('interrupted by the user');
    // Given up before the server even greeted: the conversation never worked.
    this.finish(session.banner ? this.exitCodeFromReplies() : ExitCode.failure);
  }

  /** Back at the input line after the opening or a command: run what was typed meanwhile, or leave. */
  private becomeIdle(): void {
    const session = this.session;
    if (this.leaveWhenIdle && session && !this.runner?.inData) {
      this.quitWhenIdle(session);
      return;
    }
    this.update({ phase: 'ready' });
    void this.drain();
  }

  private quitWhenIdle(session: SmtpSession): void {
    this.update({ phase: 'quitting', queued: 0 });
    void this.quitAndFinish(session);
  }

  private async quitAndFinish(session: SmtpSession): Promise<void> {
    try {
      await session.quit();
    } catch (error) {
      this.onFailure(error);
    }
    this.finish(this.exitCodeFromReplies());
  }

  private password(user: string): Promise<string> {
    // Ask only when the credentials may be sent at all: a refusal after typing the password is rude.
    this.session?.assertCredentialsAllowed();
    const fromEnv = this.env.SMTPDBG_PASSWORD;
    if (fromEnv !== undefined) return Promise.resolve(fromEnv);
    return new Promise<string>((resolve, reject) => {
      this.prompt = { resolve, reject };
      this.update({ passwordFor: user });
    });
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.typed.length && this.state.phase === 'ready') {
        const line = this.typed.shift()!;
        await this.runLine(line);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runLine(line: string): Promise<void> {
    const runner = this.runner;
    const session = this.session;
    if (!runner || !session) return;
    if (line.startsWith(':') && !runner.inData) this.scrollback.addLocal(this.echoOf(line), localEchoMarker);
    this.update({ phase: 'busy', queued: this.typed.length });
    try {
      await runner.run(line);
      if (runner.finished) {
        // A typed QUIT has its reply; the server should now close. Wait a bounded moment.
        if (!session.client.closed) await session.client.waitForClose();
        this.finish(this.exitCodeFromReplies());
        return;
      }
    } catch (error) {
      this.onFailure(error);
    }
    if (this.state.phase === 'busy') this.becomeIdle();
  }

  /**
   * What the screen shows of a typed local command: `:raw AUTH PLAIN <payload>`, or a `:raw`
   * answer to a 334, holds the secret that the transcript redacts, so it is redacted here too.
   */
  private echoOf(line: string): string {
    const raw = /^(:raw\s+)(.*)$/is.exec(line);
    if (!raw || this.options.settings.showSecrets) return line;
    const shown = redactAuthLine(Buffer.from(raw[2]!, 'latin1'), Buffer.alloc(0), this.state.status.lastReply === 334, '[redacted]');
    return shown ? `${raw[1]}${shown.toString('latin1')}` : line;
  }

  private onEvent(event: SessionEvent): void {
    const closeExpected = this.session?.quitSent === true || this.state.phase === 'quitting';
    this.scrollback.addEvent(event, closeExpected);
    const status = { ...this.state.status };
    if (event.type === 'tls') {
      const s = event.summary;
      status.tls = { protocol: s.protocol, cipher: s.cipher, verified: s.verified, verifyError: s.verifyError };
    }
    if (event.type === 'reply') status.lastReply = event.code;
    this.update({ status });
    // The server (or an error) ended the connection: say so now and leave, never wait on a dead socket.
    if (event.type === 'close' && event.by !== 'local') {
      queueMicrotask(() => this.finish(closeExpected ? this.exitCodeFromReplies() : ExitCode.failure));
    }
  }

  /** Shows an error that did not come through the event stream and decides whether to go on. */
  private onFailure(error: unknown): void {
    if (!(error instanceof SmtpdbgError)) {
      this.unsubscribe?.();
      this.session?.client.close('internal error');
      this.rejectFinished(error);
      return;
    }
    const client = this.session?.client;
    // Errors that ended the connection were already shown by the client's own events.
    if (!client || client.endedBy !== error) {
      this.options.settings.events.emit({ type: 'error', t: this.options.settings.events.now(), tls: client?.tls ?? false, code: error.code, message: error.message });
    }
    if (!client || client.closed) {
      this.finish(exitCodeForError[error.code]);
      return;
    }
    if (error instanceof TimeoutError) {
      this.scrollback.addLocal(`the connection stays open: if ${error.waitingFor.replace(/ from \S+$/, '')} comes later, it is shown as a late reply`);
    }
    // A typo in a local command or an unreadable :data file is the user's to fix, not a
    // result of the conversation; anything else (credentials refused) counts at the end.
    if (error.code !== ErrorCode.usage && error.code !== ErrorCode.input) {
      this.errorCode = Math.max(this.errorCode, exitCodeForError[error.code]);
    }
  }

  private exitCodeFromReplies(): number {
    const sessions = this.runner?.sessions ?? [];
    const replies = sessions.every(everyReplySucceeded) ? ExitCode.ok : ExitCode.problems;
    return Math.max(replies, this.errorCode);
  }

  private finish(code: number): void {
    if (this.state.phase === 'ended') return;
    this.typed.length = 0;
    if (this.prompt) {
      this.prompt.reject(new UsageError('the session ended'));
      this.prompt = undefined;
    }
    this.session?.close();
    this.update({ phase: 'ended', exitCode: code, queued: 0, passwordFor: undefined });
    this.unsubscribe?.();
    this.resolveFinished(code);
  }

  private update(change: Partial<ViewState>): void {
    const runner = this.runner;
    const status = change.status ?? this.state.status;
    const next: ViewState = {
      ...this.state,
      ...change,
      lines: this.scrollback.lines,
      status: runner ? { ...status, terminator: runner.terminator, inData: runner.inData } : status,
    };
    this.state = next;
    // One redraw per turn of the event loop, however many events a chunk of bytes produced:
    // a pasted batch of commands would otherwise redraw the screen several times per line.
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}
