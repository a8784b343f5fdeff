import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { ConnectionError, ProtocolError, SmtpdbgError, TimeoutError, TlsError } from '../errors.js';
import { CommandTracker, type ReplyVerdict } from '../smtp/command-tracker.js';
import { ReplyParser } from '../smtp/reply-parser.js';
import { formatReplyShort, type Reply } from '../smtp/reply.js';
import { describeTlsSocket } from '../tls/describe.js';
import { readPeerDetails, type TlsPeerDetails } from '../tls/peer-details.js';
import { drained } from '../io/drained.js';
import { describeTlsFailure } from '../tls/handshake-failure.js';
import { attachKeylog } from './keylog.js';
import { waitForHandshake, type HandshakeFailure } from './tls-handshake.js';
import type { TlsSettings } from '../tls/options.js';
import type { TlsSummary } from '../tls/summary.js';
import type { EventInput, EventStream, Leg } from '../transcript/events.js';

export interface ClientConnectOptions {
  host: string;
  port: number;
  /** Connect to this Unix-domain socket instead of host:port (which are then only labels). */
  path?: string;
  family?: 4 | 6;
  /** Bound on connecting, on the TLS handshake and on every reply. */
  timeoutMs: number;
  /** Connect with TLS from the first byte (SMTPS, RFC 8314 §3.3) instead of plain TCP. */
  implicitTls?: TlsSettings;
  events: EventStream;
  /** Added to every event (proxy legs). */
  tags?: { conn?: number; leg?: Leg };
  /**
   * Record AUTH secrets as `[redacted]`, whichever way they are sent (a command, raw bytes,
   * a pipelined group): an AUTH command's initial response and every line answering a 334.
   */
  redactSecrets?: boolean;
  /**
   * Hand unsolicited replies to `readReplyIfAny` too (marked, see isUnsolicited), for a
   * caller that relays everything it receives (the proxy). They never answer `readReply`.
   */
  keepUnsolicited?: boolean;
  /**
   * LMTP (RFC 2033 §4.2): the end of data is answered once per accepted recipient, which the
   * reply count must know so that those replies are not taken as unsolicited.
   */
  lmtp?: boolean;
}

/**
 * More unsolicited replies than this on one connection is a flood, not a slip: the
 * connection is ended (each one is kept for the report, so they must not be endless).
 */
export const MAX_UNSOLICITED_REPLIES = 100;

export interface SendOptions {
  /** What events (transcripts, screen) show instead of the bytes sent: redacted secrets. */
  shown?: Buffer;
}

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (error: SmtpdbgError) => void;
  timer: NodeJS.Timeout;
  /** readReplyIfAny with keepUnsolicited: takes unsolicited replies too. */
  any: boolean;
}

const describeTarget = (host: string, port: number, path?: string) => (path !== undefined ? `unix:${path}` : host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function connectFailure(error: NodeJS.ErrnoException, target: string, unix: boolean): SmtpdbgError {
  if (unix) {
    // The socket's path is the whole target: say what is wrong with it, in one line.
    switch (error.code) {
      case 'ENOENT': return new ConnectionError(`cannot connect to ${target}: ENOENT (no such socket)`, { cause: error });
      case 'ECONNREFUSED': return new ConnectionError(`connection to ${target} refused: ECONNREFUSED (nothing listens on that socket)`, { cause: error });
      case 'EACCES': return new ConnectionError(`cannot connect to ${target}: EACCES (permission denied)`, { cause: error });
      case 'ENOTSOCK': return new ConnectionError(`cannot connect to ${target}: ENOTSOCK (not a socket)`, { cause: error });
      default: return new ConnectionError(`cannot connect to ${target}: ${error.code ?? error.message}`, { cause: error });
    }
  }
  switch (error.code) {
    case 'ECONNREFUSED': return new ConnectionError(`connection to ${target} refused`, { cause: error });
    case 'ENOTFOUND': case 'EAI_AGAIN': return new ConnectionError(`cannot resolve ${target.replace(/:\d+$/, '')} (${error.code})`, { cause: error });
    case 'ECONNRESET': return new ConnectionError(`connection to ${target} reset by the peer`, { cause: error });
    case 'EHOSTUNREACH': case 'ENETUNREACH': return new ConnectionError(`${target} is unreachable (${error.code})`, { cause: error });
    default: return new ConnectionError(`connection to ${target} failed: ${error.message}`, { cause: error });
  }
}

/**
 * The client side of one SMTP connection: the only owner of its socket. It is fed replies
 * by a sans-I/O ReplyParser and hands them out one `readReply()` at a time, in order. A
 * closed, reset or silent connection turns every pending and later wait into an error at
 * once — nothing ever waits on a dead socket.
 *
 * Every byte written goes through a CommandTracker, which reads it as the server does, so
 * that a reply nothing asked for (a server out of step) is reported as such and never
 * taken as the answer to the next command, however the bytes were sent.
 */
export class SmtpClient {
  readonly host: string;
  readonly port: number;
  /** The Unix-domain socket connected to, if that is what the target is. */
  readonly path: string | undefined;
  readonly target: string;
  readonly timeoutMs: number;
  private readonly events: EventStream;
  private readonly tags: { conn?: number; leg?: Leg };
  private socket: Socket | TLSSocket;
  private parser = new ReplyParser();
  private readonly tracker: CommandTracker;
  private readonly keepUnsolicited: boolean;
  private queue: Array<{ reply: Reply; unsolicited: boolean }> = [];
  private readonly unsolicitedReplies = new WeakSet<Reply>();
  private readonly arrivals = new WeakMap<Reply, number>();
  private readonly following = new WeakMap<Reply, number>();
  private arrived = 0;
  private unsolicitedCount = 0;
  private readonly unsolicitedListeners: Array<(reply: Reply) => void> = [];
  /**
   * A reply wait that times out leaves the connection open instead of ending it (the
   * interactive UI: the person decides what to do next). The reply may still come.
   */
  keepOpenOnReplyTimeout = false;
  /** What the replies still owed to timed-out waits answer, oldest first ("the reply to NOOP"). */
  private readonly lateOwed: string[] = [];
  private readonly lateListeners: Array<(reply: Reply, answers: string) => void> = [];
  private tlsSettings: TlsSettings | undefined;
  private waiter: Waiter | undefined;
  private failure: SmtpdbgError | undefined;
  private closeExpected = false;
  private closedFlag = false;
  private closedByWhom: 'peer' | 'local' | 'error' | undefined;
  private closeWaiters: Array<() => void> = [];
  private inTls = false;
  tlsSummary: TlsSummary | undefined;
  lastReply: Reply | undefined;
  /** The address actually connected to (after name resolution). */
  remoteAddress: string | undefined;

  private constructor(options: ClientConnectOptions, socket: Socket | TLSSocket) {
    this.host = options.host;
    this.port = options.port;
    this.path = options.path;
    this.target = describeTarget(options.host, options.port, options.path);
    this.timeoutMs = options.timeoutMs;
    this.events = options.events;
    this.tags = options.tags ?? {};
    this.socket = socket;
    this.tracker = new CommandTracker({ redact: options.redactSecrets ?? false, lmtp: options.lmtp ?? false });
    this.keepUnsolicited = options.keepUnsolicited ?? false;
    this.tlsSettings = options.implicitTls;
  }

  static async connect(options: ClientConnectOptions): Promise<SmtpClient> {
    const target = describeTarget(options.host, options.port, options.path);
    const tls = options.implicitTls;
    const where: NetConnectOpts = options.path !== undefined ? { path: options.path } : { host: options.host, port: options.port, ...(options.family ? { family: options.family } : {}) };
    const socket: Socket | TLSSocket = tls
      ? tlsConnect({ ...where, ...tlsConnectionOptions(tls) } as ConnectionOptions)
      : netConnect(where);
    const client = new SmtpClient(options, socket);
    if (tls) attachKeylog(socket as TLSSocket, tls);
    if (tls) client.watchStapledOcsp(socket as TLSSocket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TimeoutError(`${tls ? 'the TLS connection' : 'the connection'} to ${target}`, options.timeoutMs));
      }, options.timeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        socket.destroy();
        reject(tls && !error.syscall ? new TlsError(`TLS handshake with ${target} failed: ${describeTlsFailure(error, tls)}`, { cause: error }) : connectFailure(error, target, options.path !== undefined));
      });
    });
    // Commands are small writes that each wait for a reply: Nagle's algorithm would hold a
    // write behind an unacknowledged one (a delayed ACK costs ~40 ms), e.g. ".\r\n" after content.
    socket.setNoDelay(true);
    client.remoteAddress = socket.remoteAddress;
    client.emit({
      type: 'connect',
      host: options.host,
      port: options.port,
      ...(options.path !== undefined ? { path: options.path } : {}),
      remoteAddress: socket.remoteAddress,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
    });
    if (tls) {
      client.inTls = true;
      client.tlsSummary = describeTlsSocket(socket as TLSSocket, tls);
      client.emit({ type: 'tls', summary: client.tlsSummary });
      tls.onPeerDetails?.(client.tlsPeerDetails()!);
    }
    client.listen();
    return client;
  }

  get tls(): boolean {
    return this.inTls;
  }

  // The peer's TLS facts that TlsSummary does not carry (probe, --showcerts, --ocsp, --dane).
  private stapledOcsp: Buffer | null = null;

  /** Keeps the OCSP response a server staples in the handshake (RFC 6066 §8), when asked with requestOcsp. */
  private watchStapledOcsp(socket: TLSSocket): void {
    socket.on('OCSPResponse', (response: Buffer | undefined) => (this.stapledOcsp = response && response.length > 0 ? response : null));
  }

  /** The peer chain as DER, the cipher by OpenSSL's name and the ephemeral key; null before TLS. */
  tlsPeerDetails(): TlsPeerDetails | null {
    return this.inTls ? readPeerDetails(this.socket as TLSSocket, this.stapledOcsp) : null;
  }

  /**
   * LMTP (RFC 2033 §4.2): how many more replies, one per further recipient, follow this reply
   * to an end of data; 0 for any other reply.
   */
  repliesFollowing(reply: Reply): number {
    return this.following.get(reply) ?? 0;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Who ended the connection: the peer, us, or an error (reset, timeout, TLS). */
  get closedBy(): 'peer' | 'local' | 'error' | undefined {
    return this.closedByWhom;
  }

  /** True when the peer ended the connection after QUIT, as it should. */
  get closedAsExpected(): boolean {
    return this.closedByWhom === 'local' || (this.closedByWhom === 'peer' && this.closeExpected);
  }

  /** The error that ended the connection, if it has ended. */
  get endedBy(): SmtpdbgError | undefined {
    return this.failure;
  }

  /**
   * True while bytes written are still queued in this process because the server reads more
   * slowly than we write; a relay (the proxy) then waits for `drained()` before taking more.
   */
  get writeBacklogged(): boolean {
    return !this.closedFlag && this.socket.writableNeedDrain;
  }

  /** Resolves once the queued bytes have been handed to the system, or the connection has ended. */
  drained(): Promise<void> {
    return this.writeBacklogged ? drained(this.socket) : Promise.resolve();
  }

  /** Stops (and restarts) reading from the server: a relay whose client reads slowly stops taking replies. */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  emit(event: EventInput): void {
    this.events.emit({ ...event, t: this.events.now(), tls: event.tls ?? this.inTls, ...this.tags } as Parameters<EventStream['emit']>[0]);
  }

  /**
   * Sends bytes exactly as given; returns what the events recorded for them (secrets
   * redacted). Throws if the connection has already ended.
   */
  write(bytes: Buffer, options: SendOptions = {}): Buffer {
    if (this.failure) throw this.failure;
    const view = this.tracker.sent(bytes);
    const shown = options.shown ?? view.shown;
    this.emit({ type: 'send', data: shown ?? bytes, ...(shown ? { redacted: true } : {}) });
    this.socket.write(bytes);
    return shown ?? bytes;
  }

  /**
   * Writes made inside `writes` leave together, as one write to the socket (pipelining), while
   * each is still its own event: the screen and transcripts show where one part ends and the
   * next begins (a BDAT command after a chunk that does not end a line, say).
   */
  together(writes: () => void): void {
    this.socket.cork();
    try {
      writes();
    } finally {
      this.socket.uncork();
    }
  }

  /** Sends a command line with CRLF (or the given terminator) and waits for its reply. */
  async command(line: string, options: SendOptions & { terminator?: Buffer } = {}): Promise<Reply> {
    const shown = this.write(Buffer.concat([Buffer.from(line, 'latin1'), options.terminator ?? CRLF]), options);
    return this.readReply(`the reply to ${commandName(shown)}`);
  }

  /** The next reply, in order; rejects at once when the connection is gone. */
  readReply(waitingFor = 'a reply', timeoutMs = this.timeoutMs): Promise<Reply> {
    const queued = this.takeQueued(false);
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new ProtocolError('internal: two concurrent reply waits'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const error = new TimeoutError(`${waitingFor} from ${this.target}`, timeoutMs);
        if (this.keepOpenOnReplyTimeout) this.lateOwed.push(waitingFor);
        else this.fail(error, 'error', `timeout waiting for ${waitingFor}`);
        reject(error);
      }, timeoutMs);
      this.waiter = { resolve, reject, timer, any: false };
    });
  }

  /**
   * The next reply if one arrives within `waitMs`, otherwise undefined — without treating the
   * silence as a failure. For raw bytes, where the user may have sent no complete line.
   */
  async readReplyIfAny(waitMs: number): Promise<Reply | undefined> {
    const queued = this.takeQueued(this.keepUnsolicited);
    if (queued) return queued;
    if (this.failure) throw this.failure;
    return new Promise<Reply | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, waitMs);
      this.waiter = { resolve, reject, timer, any: this.keepUnsolicited };
    });
  }

  /** True for a reply that answered nothing we sent (only readReplyIfAny hands them out). */
  /**
   * The conversation is LMTP from now on (a relay learns it from the LHLO it passes on): an
   * end of data is answered once per accepted recipient (RFC 2033 §4.2), none of them out of step.
   */
  speakLmtp(): void {
    this.tracker.speakLmtp();
  }

  isUnsolicited(reply: Reply): boolean {
    return this.unsolicitedReplies.has(reply);
  }

  /** Called with every unsolicited reply as it arrives (after it was reported). */
  onUnsolicited(listener: (reply: Reply) => void): void {
    this.unsolicitedListeners.push(listener);
  }

  /**
   * Called with every reply that came after its wait timed out (keepOpenOnReplyTimeout),
   * after it was reported; such a reply never answers a later wait.
   */
  onLate(listener: (reply: Reply, answers: string) => void): void {
    this.lateListeners.push(listener);
  }

  /** The order in which a reply arrived on this connection (0 first), to keep records in order. */
  arrivalOf(reply: Reply): number {
    return this.arrivals.get(reply) ?? -1;
  }

  /** How many replies answered nothing we sent. */
  get unsolicited(): number {
    return this.unsolicitedCount;
  }

  private takeQueued(any: boolean): Reply | undefined {
    while (this.queue.length > 0) {
      const entry = this.queue.shift()!;
      if (!entry.unsolicited || any) return entry.reply;
    }
    return undefined;
  }

  /**
   * Upgrades the connection after a 220 to STARTTLS. RFC 3207 §6: anything the server sent
   * before the handshake is discarded (it could have been injected), and so must be what the
   * caller learnt from EHLO — the caller re-issues EHLO.
   */
  async upgradeToTls(settings: TlsSettings): Promise<TlsSummary> {
    if (this.failure) throw this.failure;
    const plain = this.socket;
    const discarded = this.parser.pendingBytes + this.queue.reduce((n, entry) => n + entry.reply.raw.length, 0);
    this.parser.reset();
    this.queue = [];
    this.tracker.restartAfterTls();
    this.tlsSettings = settings;
    if (discarded > 0) {
      this.emit({ type: 'info', message: `discarded ${discarded} bytes received before the TLS handshake (RFC 3207 §6)` });
    }
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    plain.removeAllListeners('end');
    const secure = tlsConnect({ socket: plain, ...tlsConnectionOptions(settings) });
    attachKeylog(secure, settings);
    this.watchStapledOcsp(secure);
    this.socket = secure;
    try {
      await waitForHandshake(secure, 'secureConnect', this.timeoutMs);
    } catch (caught) {
      const failure = caught as HandshakeFailure;
      const error = failure.kind === 'timeout'
        ? new TimeoutError(`the TLS handshake with ${this.target}`, this.timeoutMs)
        : new TlsError(`TLS handshake with ${this.target} failed: ${describeTlsFailure(failure.kind === 'error' ? failure.error : undefined, settings)}`, failure.kind === 'error' ? { cause: failure.error } : {});
      this.fail(error, 'error', failure.kind === 'timeout' ? 'timeout in the TLS handshake' : error.message);
      throw error;
    }
    this.inTls = true;
    this.tlsSummary = describeTlsSocket(secure, settings);
    this.emit({ type: 'tls', summary: this.tlsSummary });
    settings.onPeerDetails?.(this.tlsPeerDetails()!);
    this.listen();
    return this.tlsSummary;
  }

  /** Marks the coming close as the normal end (after QUIT), so it is reported as such. */
  expectClose(): void {
    this.closeExpected = true;
  }

  /** Waits (bounded) for the peer to close after QUIT, then makes sure the socket is gone. */
  async waitForClose(timeoutMs = Math.min(this.timeoutMs, 2000)): Promise<void> {
    if (this.closedFlag) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.close();
  }

  /**
   * Hangs up on purpose without QUIT (inject --close-after): the end of the stream once all
   * that was written has gone out — with TLS, the last handshake message and a close_notify
   * too, which closing at once would discard — then the socket is gone. Bounded by the timeout.
   */
  async hangUp(reason: string): Promise<void> {
    if (this.closedFlag) return;
    this.closeExpected = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      this.socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.close(reason);
  }

  /** Ends the connection from our side. */
  close(reason = 'closed by smtpdbg'): void {
    if (this.closedFlag) return;
    this.closeExpected = true;
    this.fail(new ConnectionError(`connection to ${this.target} closed`), 'local', reason);
  }

  private listen(): void {
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const failure = error.code === 'ECONNRESET'
        ? new ConnectionError(this.describeLoss('reset the connection'), { cause: error, ...(this.lastReply ? { lastReply: this.lastReply } : {}) })
        : this.inTls && !error.syscall
          ? new TlsError(`TLS error from ${this.target}: ${describeTlsFailure(error, this.tlsSettings ?? {})}`, { cause: error })
          : connectFailure(error, this.target, this.path !== undefined);
      this.fail(failure, 'error', failure.message);
    });
    // The server's FIN ('end') is the end: no reply can come after it, and a write made
    // before 'close' would fail as "socket has been ended by the other party" instead of
    // naming the reply the server closed after.
    const closedByPeer = () => {
      if (this.closedFlag) return;
      const failure = new ConnectionError(this.describeLoss('closed the connection'), this.lastReply ? { lastReply: this.lastReply } : {});
      this.fail(failure, 'peer', this.closeExpected ? 'server closed the connection' : failure.message);
    };
    socket.on('end', closedByPeer);
    socket.on('close', closedByPeer);
  }

  private describeLoss(what: string): string {
    const partial = this.parser.pendingLines;
    if (partial.length > 0) {
      return `server ${what} in the middle of a multi-line reply (${partial.length} line${partial.length > 1 ? 's' : ''} received, last: ${JSON.stringify(partial[partial.length - 1])})`;
    }
    if (this.lastReply) return `server ${what} after ${formatReplyShort(this.lastReply)}`;
    return `server ${what} before sending its banner`;
  }

  private onData(chunk: Buffer): void {
    this.emit({ type: 'recv', data: chunk });
    let replies: Reply[];
    try {
      replies = this.parser.feed(chunk);
    } catch (error) {
      const failure = error instanceof SmtpdbgError ? error : new ProtocolError(String(error));
      this.fail(failure, 'error', failure.message);
      return;
    }
    for (const reply of replies) {
      if (this.closedFlag) return;
      this.lastReply = reply;
      this.arrivals.set(reply, this.arrived++);
      this.emit({ type: 'reply', code: reply.code, lines: reply.lines, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}) });
      const verdict = this.tracker.received(reply);
      if (verdict.kind === 'expected' && verdict.moreForRecipients) this.following.set(reply, verdict.moreForRecipients);
      if (verdict.kind === 'unsolicited') this.onUnsolicitedReply(reply, verdict.why);
      else {
        if (verdict.kind === 'shutdown') {
          this.emit({ type: 'info', message: `${formatReplyShort(reply)} came with no command outstanding: the server is closing the connection (RFC 5321 §3.8 allows this at any time); it answers the next command` });
        }
        // Replies come in the order of the commands (RFC 5321 §4.2): the oldest timed-out wait owns this one.
        const answers = verdict.kind === 'shutdown' ? undefined : this.lateOwed.shift();
        if (answers !== undefined) this.onLateReply(reply, answers);
        else this.deliver(reply, false);
      }
    }
  }

  private onUnsolicitedReply(reply: Reply, why: Extract<ReplyVerdict, { kind: 'unsolicited' }>['why']): void {
    this.unsolicitedReplies.add(reply);
    this.unsolicitedCount++;
    const shown = formatReplyShort(reply);
    const message = why === 'after-starttls'
      ? `unsolicited reply ${shown} after the 220 to STARTTLS, before the TLS handshake (RFC 3207 §6: it may have been injected; discarded)`
      : `unsolicited reply ${shown} (no command outstanding: the server is out of step)`;
    this.emit({ type: 'error', code: 'EUNSOLICITED', message, reply: { code: reply.code, lines: reply.lines, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}) } });
    for (const listener of this.unsolicitedListeners) listener(reply);
    if (this.unsolicitedCount >= MAX_UNSOLICITED_REPLIES) {
      const failure = new ProtocolError(`${this.unsolicitedCount} unsolicited replies: the server is out of step and floods the connection; giving up`, { reply });
      this.fail(failure, 'error', failure.message);
      return;
    }
    // What came after the 220 to STARTTLS is discarded with the rest (RFC 3207 §6).
    if (why !== 'after-starttls' && this.keepUnsolicited) this.deliver(reply, true);
  }

  private onLateReply(reply: Reply, answers: string): void {
    this.emit({ type: 'info', message: `late reply ${formatReplyShort(reply)}: ${answers}, whose wait had timed out (not taken as the reply to anything sent after it)` });
    for (const listener of this.lateListeners) listener(reply, answers);
  }

  private deliver(reply: Reply, unsolicited: boolean): void {
    const waiter = this.waiter;
    if (waiter && (!unsolicited || waiter.any)) {
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(reply);
    } else {
      this.queue.push({ reply, unsolicited });
    }
  }

  private fail(failure: SmtpdbgError, by: 'peer' | 'local' | 'error', reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closedByWhom = by;
    this.failure ??= failure;
    if (by === 'error') this.emit({ type: 'error', code: failure.code, message: failure.message });
    this.emit({ type: 'close', by, reason });
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.reject(this.failure);
    }
    for (const done of this.closeWaiters.splice(0)) done();
  }
}

export const CRLF = Buffer.from('\r\n');

/** "NOOP", "AUTH", "[redacted]": how a sent line is named in "waiting for the reply to …". */
function commandName(shown: Buffer): string {
  return shown.toString('latin1').trim().split(/\s+/)[0] || 'an empty line';
}

function tlsConnectionOptions(settings: TlsSettings): ConnectionOptions {
  return {
    ...(settings.servername ? { servername: settings.servername } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
    ...(settings.cert ? { cert: settings.cert } : {}),
    ...(settings.key ? { key: settings.key } : {}),
    ...(settings.minVersion ? { minVersion: settings.minVersion } : {}),
    ...(settings.maxVersion ? { maxVersion: settings.maxVersion } : {}),
    ...(settings.ciphers ? { ciphers: settings.ciphers } : {}),
    ...(settings.requestOcsp ? { requestOCSP: true } : {}),
    // Verification is done by describeTlsSocket so that a failure can be shown with its
    // reason and the caller decides (warn, refuse credentials, or fail with --strict-tls).
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
}
