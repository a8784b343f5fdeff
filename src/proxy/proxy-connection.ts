import { ErrorCode, ProtocolError, SmtpdbgError, TimeoutError } from '../errors.js';
import { closingReply } from '../inbound/engine.js';
import { IdleTimer } from '../inbound/idle-timer.js';
import { InputHolds } from '../inbound/input-holds.js';
import { discardAfterStartTls, recordedLine } from '../inbound/recording.js';
import type { InboundSocket, InboundSocketLoss, InboundTls } from '../net/inbound-socket.js';
import { SmtpClient } from '../net/smtp-client.js';
import { parseBdatArgument } from '../smtp/bdat-command.js';
import { splitCommandLine } from '../smtp/command-verb.js';
import { hasExtension, parseCapabilities } from '../smtp/capabilities.js';
import { formatReply, reply } from '../smtp/reply-format.js';
import { formatReplyShort, type Reply } from '../smtp/reply.js';
import { ServerReader, type CommandLine, type ReaderItem } from '../smtp/server-reader.js';
import { Terminators } from '../smtp/terminators.js';
import type { TlsSettings } from '../tls/options.js';
import type { EventInput, EventStream, Leg, SessionEvent } from '../transcript/events.js';
import { AcceptedMessages } from './accepted-messages.js';
import { rewriteEhloReply } from './ehlo-rewrite.js';

/** How the proxy talks to the upstream server. */
export const UpstreamTls = {
  /** Plain connect, then STARTTLS before the first relayed command (RFC 3207); required. */
  starttls: 'starttls',
  /** TLS from the first byte (SMTPS, RFC 8314 §3.3). */
  implicit: 'implicit',
  /** Plain text all the way. */
  none: 'none',
} as const;
export type UpstreamTls = (typeof UpstreamTls)[keyof typeof UpstreamTls];

export interface ProxySettings {
  upstreamHost: string;
  upstreamPort: number;
  /** `--upstream unix:/path`: the server's Unix-domain socket (host and port are then unused). */
  upstreamPath?: string;
  family?: 4 | 6;
  upstreamTls: UpstreamTls;
  /** SNI, CA and name for verifying the upstream certificate, built as `session` builds them. */
  tls: TlsSettings;
  /** Relay even when the upstream certificate fails verification (said loudly). */
  insecureUpstream: boolean;
  /** The proxy's own certificate, offered to the application (STARTTLS, implicit TLS). */
  clientTls: InboundTls;
  /** Bound on connecting upstream, on each TLS handshake and on every upstream reply. */
  timeoutMs: number;
  /** An application silent this long gets 421 4.4.2 and is disconnected. */
  idleTimeoutMs: number;
  showSecrets: boolean;
  /** The name in the proxy's own replies (its 220 to STARTTLS, its 421s). */
  hostname: string;
  events: EventStream;
}

const END_OF_DATA = Buffer.from('.\r\n');
/** A client that pipelines faster than the upstream answers is paused past this many octets. */
const MAX_BUFFERED = 256 * 1024;
/** How long a client leg closed by the proxy may linger before its socket is destroyed. */
const CLIENT_CLOSE_GRACE_MS = 500;

/**
 * Where one relayed connection stands, as seen from the application's side.
 * `connecting`: the upstream connection and its banner are awaited; `relaying`: commands go
 * up one at a time and replies come back; `draining`: the server closed first, the
 * application got our FIN and what it still sends is recorded for a bounded time; `closed`:
 * the application's connection is over (the upstream one is closed with it).
 */
export type RelayState = 'connecting' | 'relaying' | 'draining' | 'closed';

/**
 * What the application's next bytes are: command lines, the response to a 334 of an AUTH
 * exchange (RFC 4954 §4, a secret to redact), message content after a 354, or the octets of
 * a BDAT chunk (RFC 3030 §2).
 */
type ClientInput = 'commands' | 'auth-response' | 'content' | 'chunk';

/** A BDAT chunk being relayed (RFC 3030 §2): its octets are counted, never parsed. */
interface RelayedChunk {
  number: number;
  size: number;
  last: boolean;
}

/** The upstream leg: not yet connected, connected, or gone (closed by either side, or failed). */
type UpstreamLeg = 'connecting' | 'open' | 'gone';

/**
 * One application connection and its upstream connection. Commands are relayed one at a
 * time, in order, each with its exact bytes; replies come back as the upstream sent them,
 * except the EHLO reply (see ehlo-rewrite.ts) and STARTTLS, which the proxy answers itself
 * on the client leg and does on its own on the upstream leg. DATA content is relayed as it
 * arrives. Both legs are recorded on one event stream with `conn` and `leg`.
 *
 * Direction on each leg is the proxy's: on the client leg `recv` is what the application
 * sent and `send` what the proxy answered; on the upstream leg `send` is what the proxy
 * relayed and `recv` the server's replies.
 */
export class ProxyConnection {
  readonly conn: number;
  readonly done: Promise<void>;
  private readonly settings: ProxySettings;
  private readonly client: InboundSocket;
  private readonly reader = new ServerReader();
  private upstream: SmtpClient | undefined;
  private state: RelayState = 'connecting';
  private upstreamLeg: UpstreamLeg = 'connecting';
  private upstreamClosedAt: number | undefined;
  private input: ClientInput = 'commands';
  /** Replies go out while the application reads them; past its socket buffer they wait. */
  private replies: 'flowing' | 'waiting-for-client' = 'flowing';
  /** Reentrancy guard of process(): one pass at a time takes items from the reader. */
  private busy = false;
  /** Why the client leg is paused: too much unread from it, or the upstream server not reading. */
  private readonly holds: InputHolds<'backlog' | 'upstream-not-reading'>;
  private readonly accepted = new AcceptedMessages();
  private lastRelayed: Reply | undefined;
  /**
   * Message content handed out by the reader and not yet relayed: written once per received
   * chunk, together with the end of data when it is there. Two small writes in a row would
   * wait for the server's delayed ACK (Nagle, RFC 896), some 40 ms per message.
   */
  private content: Buffer[] = [];
  /**
   * The one upstream reply the relay waits for (commands are relayed one at a time); a
   * reply that comes while nothing waits is relayed as it came.
   */
  private expected: ((reply: Reply | undefined) => void) | undefined;
  /**
   * LMTP (RFC 2033 §4.2): after the end of data one reply per accepted recipient. Replies
   * still owed for the current command beyond the one awaited, and those that came before
   * the relay asked for them (kept in order instead of being taken as unsolicited).
   */
  private owed = 0;
  private early: Reply[] = [];
  /** The application spoke LMTP (LHLO accepted). */
  private lmtp = false;
  /** Recipients accepted in the current transaction: how many replies an LMTP end of data gets. */
  private recipients = 0;
  /** BDAT chunks relayed in the current transaction, and the one being relayed. */
  private chunks = 0;
  private chunk: RelayedChunk | undefined;
  private readonly idle: IdleTimer;
  private graceTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;

  constructor(conn: number, client: InboundSocket, settings: ProxySettings) {
    this.conn = conn;
    this.settings = settings;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.client = client;
    this.holds = new InputHolds(client);
    this.idle = new IdleTimer(settings.idleTimeoutMs, () => this.onIdle());
    client.serve({
      data: (chunk) => this.onClientData(chunk),
      // Node ends our side too once the application's FIN arrives; 'closed' follows.
      peerEnded: () => undefined,
      closed: (loss) => this.onClientClosed(loss),
      lingered: () => undefined,
    });
  }

  /**
   * Records the application's connection, does the TLS handshake first on an implicit-TLS
   * listener (RFC 8314 §3.3: the application expects TLS before the banner), then connects
   * upstream and relays its banner. `unixPath`: the Unix socket the application came in on.
   */
  async start(listener: { implicitTls?: InboundTls | undefined; unixPath?: string | undefined } = {}): Promise<void> {
    const { client, settings } = this;
    // A Unix-socket client has no address: the connection is named by the socket it came in on.
    const unix = listener.unixPath !== undefined ? `unix:${listener.unixPath}` : undefined;
    this.emitClient({
      type: 'connect',
      host: unix ?? client.remoteAddress,
      port: client.remotePort,
      remoteAddress: unix ?? client.remoteAddress,
      ...(unix !== undefined ? { localAddress: unix } : client.localAddress !== undefined ? { localAddress: client.localAddress } : {}),
      ...(client.localPort !== undefined ? { localPort: client.localPort } : {}),
    });
    if (listener.implicitTls && !(await this.clientHandshake(listener.implicitTls))) return;
    let upstream: SmtpClient;
    try {
      upstream = await SmtpClient.connect({
        host: settings.upstreamHost,
        port: settings.upstreamPort,
        ...(settings.upstreamPath !== undefined ? { path: settings.upstreamPath } : {}),
        ...(settings.family ? { family: settings.family } : {}),
        timeoutMs: settings.timeoutMs,
        ...(settings.upstreamTls === UpstreamTls.implicit ? { implicitTls: settings.tls } : {}),
        events: settings.events,
        tags: { conn: this.conn, leg: 'upstream' },
        // A reply the server sent unasked is reported on the upstream leg and relayed as it came.
        keepUnsolicited: true,
      });
    } catch (error) {
      const failure = error instanceof SmtpdbgError ? error : new SmtpdbgError(ErrorCode.connection, String(error));
      this.emitLeg('upstream', false, { type: 'error', code: failure.code, message: failure.message });
      this.refuse('4.4.1', 'cannot reach the upstream server');
      return;
    }
    if (this.state === 'closed') {
      upstream.close('the client closed its connection before the upstream one was open');
      return;
    }
    this.upstream = upstream;
    this.upstreamLeg = 'open';
    if (settings.upstreamTls === UpstreamTls.implicit && !this.acceptUpstreamCertificate(upstream)) return;
    const banner = this.nextUpstreamReply('the banner');
    void this.pumpUpstream(upstream);
    const reply = await banner;
    if (!reply) return;
    this.relayReply(reply);
    if (this.state === 'connecting') this.state = 'relaying';
    this.idle.arm();
    void this.process();
  }

  /** SIGINT/SIGTERM: tell the application (RFC 5321 §3.8), close both legs. */
  shutdown(): void {
    this.upstream?.close('the proxy is shutting down');
    if (this.state !== 'closed') {
      this.clientWrite(closingReply('4.3.2', `${this.settings.hostname} smtpdbg proxy shutting down`));
      this.closeClient('local', 'the proxy is shutting down');
    }
  }

  // ---------------------------------------------------------------- events

  private emitLeg(leg: Leg, tls: boolean, event: EventInput): void {
    const events = this.settings.events;
    events.emit({ ...event, t: events.now(), tls: event.tls ?? tls, conn: this.conn, leg } as SessionEvent);
  }

  private emitClient(event: EventInput): void {
    this.emitLeg('client', this.client.tls, event);
  }

  private emitUpstream(event: EventInput): void {
    if (this.upstream) this.upstream.emit(event);
    else this.emitLeg('upstream', false, event);
  }

  private clientWrite(bytes: Buffer): void {
    if (this.state === 'closed' || this.client.state === 'ending') return;
    this.emitClient({ type: 'send', data: bytes });
    if (this.client.write(bytes) || this.replies === 'waiting-for-client') return;
    // The application does not read its replies: stop reading the server's until it does.
    this.replies = 'waiting-for-client';
    this.upstream?.pauseReading();
    void this.client.drained().then(() => {
      this.replies = 'flowing';
      this.upstream?.resumeReading();
      void this.process();
    });
  }

  private relayReply(reply: Reply): void {
    this.lastRelayed = reply;
    this.clientWrite(reply.raw);
    this.idle.arm();
  }

  // ---------------------------------------------------------------- upstream side

  /** Reads every upstream reply, in order, for as long as the upstream connection lives. */
  private async pumpUpstream(upstream: SmtpClient): Promise<void> {
    for (;;) {
      let reply: Reply | undefined;
      try {
        reply = await upstream.readReplyIfAny(this.settings.timeoutMs);
      } catch (error) {
        // The upstream leg recorded the violation (a bad reply code, an endless reply…).
        if (error instanceof ProtocolError) this.refuse('4.5.0', 'the upstream server broke the SMTP protocol');
        this.onUpstreamGone();
        return;
      }
      if (reply) this.onUpstreamReply(reply);
    }
  }

  private onUpstreamReply(reply: Reply): void {
    const accepted = this.accepted.reply(reply);
    if (accepted) {
      this.emitClient({
        type: 'error',
        code: 'ESMUGGLED',
        message: `${accepted.length} transactions accepted for one DATA: the server ended the message before the client's end of data (CRLF.CRLF) and took what followed as another transaction (SMTP smuggling); accepted: ${accepted.map(formatReplyShort).join('; ')}`,
      });
    }
    const waiter = this.upstream?.isUnsolicited(reply) ? undefined : this.expected;
    if (waiter) {
      this.expected = undefined;
      waiter(reply);
      return;
    }
    if (this.early.length < this.owed) {
      this.early.push(reply);
      return;
    }
    // Nobody asked: a 421 before the server closes (RFC 5321 §3.8), or the replies to an end
    // of data that the server saw and the proxy did not. Relayed as they are.
    this.relayReply(reply);
    if (this.input === 'content') {
      this.input = 'commands';
      this.reader.feed(this.reader.discardBuffered());
      this.emitClient({ type: 'info', message: `the server replied ${formatReplyShort(reply)} inside DATA: it took an end of data that is not CRLF.CRLF (a bare LF?); reading commands again` });
    }
  }

  /**
   * Relays the `count` replies owed for one command (several only for an LMTP end of data)
   * as they come; returns the first, or undefined when the upstream connection is gone.
   */
  private async relayReplies(count: number, waitingFor: string): Promise<Reply | undefined> {
    let first: Reply | undefined;
    try {
      for (let i = 0; i < count; i++) {
        this.owed = count - i - 1;
        const reply = this.early.shift() ?? (await this.nextUpstreamReply(waitingFor));
        if (!reply) return first;
        first ??= reply;
        this.relayReply(reply);
      }
      return first;
    } finally {
      this.owed = 0;
      this.early = [];
    }
  }

  /** The next upstream reply, or undefined once the upstream connection is gone; bounded. */
  private nextUpstreamReply(waitingFor: string): Promise<Reply | undefined> {
    if (this.upstreamLeg === 'gone') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = (reply: Reply | undefined) => {
        clearTimeout(timer);
        resolve(reply);
      };
      const timer = setTimeout(() => {
        if (this.expected === waiter) this.expected = undefined;
        const error = new TimeoutError(`the reply to ${waitingFor}`, this.settings.timeoutMs);
        this.emitUpstream({ type: 'error', code: error.code, message: error.message });
        this.refuse('4.4.2', `no reply from the upstream server within ${this.settings.timeoutMs} ms`);
        resolve(undefined);
      }, this.settings.timeoutMs);
      this.expected = waiter;
    });
  }

  private onUpstreamGone(): void {
    if (this.upstreamLeg === 'gone') return;
    this.upstreamLeg = 'gone';
    this.upstreamClosedAt = Date.now();
    const waiter = this.expected;
    this.expected = undefined;
    waiter?.(undefined);
    if (this.state === 'closed' || this.client.state === 'ending') return;
    this.state = 'draining';
    // Mirror the server: FIN to the application, then keep reading for a bounded time, so
    // that what it does next (a QUIT after a 535, waiting for a 221 that cannot come) is seen.
    const graceMs = this.graceMs();
    const after = this.lastRelayed ? ` after ${formatReplyShort(this.lastRelayed)}` : '';
    this.emitClient({ type: 'info', message: `the server closed first${after}; closing the client's connection (FIN) and recording what it still sends for up to ${graceMs} ms` });
    this.client.end();
    this.graceTimer = setTimeout(() => {
      this.closeClient('local', `the client had not closed ${graceMs} ms after the server did (waiting for a reply that cannot come?)`);
    }, graceMs);
  }

  private graceMs(): number {
    return Math.min(this.settings.timeoutMs, 5000);
  }

  /**
   * Verification as `session` does it: always run, shown with its reason; a failure stops
   * the relay (credentials would follow) unless --insecure-upstream, which is said aloud.
   */
  private acceptUpstreamCertificate(upstream: SmtpClient): boolean {
    const summary = upstream.tlsSummary;
    if (!summary || summary.verified) return true;
    const reason = `${summary.verifyError ?? 'unknown reason'}${summary.verifyCode ? ` (${summary.verifyCode})` : ''}`;
    if (this.settings.insecureUpstream) {
      upstream.emit({ type: 'info', message: `--insecure-upstream: relaying although the upstream certificate failed verification: ${reason}` });
      return true;
    }
    upstream.emit({ type: 'error', code: ErrorCode.tls, message: `upstream certificate verification failed: ${reason}; not relaying (trust its CA with --ca FILE, or accept anything with --insecure-upstream)` });
    this.refuse('4.7.0', 'upstream certificate verification failed');
    return false;
  }

  /**
   * STARTTLS with the upstream server before the first relayed command (RFC 3207 §4): the
   * application's own EHLO line when that is the command, so the server sees its name.
   * RFC 3207 §4.2: the pre-TLS EHLO reply is forgotten; the caller's command follows over TLS.
   */
  private async upgradeUpstream(upstream: SmtpClient, ehloLine: Buffer): Promise<boolean> {
    this.writeUpstream(upstream, ehloLine);
    const ehlo = await this.nextUpstreamReply('EHLO');
    if (!ehlo) return false;
    if (ehlo.code !== 250) {
      // What the server said is the answer to the application's own EHLO (or to the one sent
      // for its HELO): passed on as it is, and TLS with the server waits for an accepted EHLO.
      upstream.emit({ type: 'info', message: `the server refused EHLO (${formatReplyShort(ehlo)}) before STARTTLS: its reply is passed on to the client as it is` });
      this.relayReply(ehlo);
      return false;
    }
    if (!hasExtension(parseCapabilities(ehlo), 'STARTTLS')) {
      upstream.emit({ type: 'error', code: ErrorCode.tls, message: `the server does not offer STARTTLS (EHLO: ${formatReplyShort(ehlo)}); use --upstream-tls none to relay in plain text` });
      this.refuse('4.7.0', 'the upstream server does not offer STARTTLS');
      return false;
    }
    this.writeUpstream(upstream, Buffer.from('STARTTLS\r\n', 'latin1'));
    const ready = await this.nextUpstreamReply('STARTTLS');
    if (!ready) return false;
    if (ready.code !== 220) {
      upstream.emit({ type: 'error', code: ErrorCode.tls, message: `the server answered STARTTLS with ${formatReplyShort(ready)}` });
      this.refuse('4.7.0', 'STARTTLS with the upstream server failed');
      return false;
    }
    try {
      await upstream.upgradeToTls(this.settings.tls);
    } catch {
      // SmtpClient recorded the handshake failure and closed the upstream connection.
      this.refuse('4.7.0', 'TLS handshake with the upstream server failed');
      return false;
    }
    return this.acceptUpstreamCertificate(upstream);
  }

  private writeUpstream(upstream: SmtpClient, bytes: Buffer, shown?: Buffer): boolean {
    if (this.upstreamLeg === 'gone' || upstream.closed) return false;
    upstream.write(bytes, shown ? { shown } : {});
    return true;
  }

  // ---------------------------------------------------------------- client side

  private onClientData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.reader.feed(chunk);
    this.idle.arm();
    this.updateClientFlow();
    void this.process();
  }

  /** Read anew each time: an await may have closed the client leg. */
  private get clientClosed(): boolean {
    return this.state === 'closed';
  }

  private async process(): Promise<void> {
    // A command is relayed only once the replies before it have been taken by the client.
    if (this.busy || this.state === 'connecting' || this.replies === 'waiting-for-client') return;
    this.busy = true;
    try {
      // Content is relayed once per pass; what arrived meanwhile is taken by the next pass.
      while (!this.clientClosed) {
        // Checked before an item is taken: a stalled client's next command stays in the reader.
        while (!this.clientClosed && this.replies === 'flowing') {
          const item = this.reader.next();
          if (!item) break;
          await this.handle(item);
        }
        if (this.content.length === 0 || this.clientClosed) break;
        await this.relayContent();
      }
    } catch (error) {
      this.emitClient({ type: 'error', code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
      this.closeClient('error', 'internal error in the proxy');
      this.upstream?.close('internal error in the proxy');
    } finally {
      this.busy = false;
    }
    this.updateClientFlow();
  }

  /** Reads from the client only while it has not sent too much ahead and the server reads what is relayed. */
  private updateClientFlow(): void {
    if (this.state === 'closed') return;
    this.holds.set('backlog', this.reader.buffered > MAX_BUFFERED);
  }

  /**
   * Relays the message content taken so far. When the server does not read it as fast as the
   * client sends it, the client leg is paused until the server has read it (both sockets'
   * buffers then fill, and the client's writes wait), so memory holds one socket buffer per
   * leg however large the message. A server that reads nothing for --timeout ends the relay.
   */
  private async relayContent(): Promise<void> {
    const upstream = this.upstream;
    if (!this.relayOrNote(Buffer.concat(this.content.splice(0))) || !upstream?.writeBacklogged) return;
    this.holds.set('upstream-not-reading', true);
    const timeoutMs = this.settings.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const read = await Promise.race([
      upstream.drained().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.holds.set('upstream-not-reading', false);
    if (read || upstream.closed) return;
    upstream.emit({ type: 'error', code: ErrorCode.timeout, message: `the server stopped reading the message content relayed to it: none of it was taken for ${timeoutMs} ms` });
    this.refuse('4.4.2', `the upstream server stopped reading for ${timeoutMs} ms`);
  }

  private async handle(item: ReaderItem): Promise<void> {
    switch (item.type) {
      case 'data':
        this.emitClient({ type: 'recv', data: item.bytes });
        this.content.push(item.bytes);
        return;
      case 'data-end': {
        this.input = 'commands';
        this.emitClient({ type: 'recv', data: END_OF_DATA });
        if (!this.relayOrNote(Buffer.concat([...this.content.splice(0), END_OF_DATA]))) return;
        await this.relayReplies(this.oweEndOfDataReplies(), 'the end of data');
        this.recipients = 0;
        return;
      }
      case 'chunk-end': {
        const chunk = this.chunk;
        this.chunk = undefined;
        this.input = 'commands';
        if (this.content.length > 0 && !this.relayOrNote(Buffer.concat(this.content.splice(0)))) return;
        if (!chunk) return;
        const first = await this.relayReplies(chunk.last ? this.oweEndOfDataReplies() : 1, `BDAT chunk ${chunk.number}`);
        // RFC 3030 §2: after LAST, or a chunk refused, the transaction is over.
        if (chunk.last || !first || first.code >= 300) {
          this.chunks = 0;
          this.recipients = 0;
        }
        return;
      }
      case 'line':
        await this.handleLine(item);
    }
  }

  /** Relays content bytes; after the server closed they are only recorded, and said so. */
  private relayOrNote(bytes: Buffer, shown?: Buffer): boolean {
    if (this.upstream && this.writeUpstream(this.upstream, bytes, shown)) return true;
    this.emitClient({ type: 'info', message: 'not relayed: the upstream connection is closed' });
    return false;
  }

  private async handleLine(item: CommandLine): Promise<void> {
    const bytes = Buffer.concat([item.line, Terminators[item.terminator]]);
    const inAuthExchange = this.input === 'auth-response';
    const recorded = recordedLine(item, { mayHoldSecret: true, inAuthExchange, showSecrets: this.settings.showSecrets });
    const shown = recorded.redacted ? recorded.data : undefined;
    this.emitClient({ type: 'recv', ...recorded });
    if (item.truncated) {
      this.emitClient({ type: 'info', message: `line of ${item.length} octets: only its first ${item.line.length} are kept and relayed` });
    }
    const upstream = this.upstream;
    if (!upstream || this.upstreamLeg === 'gone' || upstream.closed) {
      this.emitClient({ type: 'info', message: 'not relayed: the upstream connection is closed' });
      return;
    }
    const text = item.line.toString('latin1');
    const verb = inAuthExchange ? '' : splitCommandLine(text).verb;
    if (verb === 'STARTTLS') {
      await this.startClientTls();
      return;
    }
    if (this.settings.upstreamTls === UpstreamTls.starttls && !upstream.tls && verb !== 'QUIT') {
      const heloName = verb === 'HELO' ? text.slice(5).trim() : '';
      // An LMTP client's LHLO goes up as it is: an LMTP server answers EHLO with 500 (RFC 2033 §4.1).
      const ehloLine = verb === 'EHLO' || verb === 'LHLO' ? bytes : Buffer.from(`EHLO ${heloName || this.settings.hostname}\r\n`, 'latin1');
      if (!(await this.upgradeUpstream(upstream, ehloLine))) return;
    }
    if (verb === 'DATA') this.accepted.dataCommand();
    if (verb === 'MAIL' || verb === 'RSET' || verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') {
      this.recipients = 0;
      this.chunks = 0;
    }
    if (verb === 'BDAT' && this.startChunk(text, bytes, shown)) return;
    if (!this.relayOrNote(bytes, shown)) return;
    const reply = await this.nextUpstreamReply(verb || 'the AUTH response');
    if (!reply) return;
    if (verb === 'LHLO' && reply.code === 250 && !this.lmtp) {
      this.lmtp = true;
      this.upstream?.speakLmtp();
    }
    if (verb === 'RCPT' && reply.code >= 200 && reply.code < 300) this.recipients++;
    this.input = (verb === 'AUTH' || inAuthExchange) && reply.code === 334 ? 'auth-response' : 'commands';
    if ((verb === 'EHLO' || verb === 'LHLO') && reply.code === 250) this.relayEhlo(reply);
    else this.relayReply(reply);
    // RFC 5321 §4.1.1.4: only after 354 are the following bytes message content.
    if (verb === 'DATA' && reply.code === 354) {
      this.input = 'content';
      this.reader.startData();
    }
  }

  /**
   * One reply to an end of data in SMTP; in LMTP one per accepted recipient (RFC 2033 §4.2),
   * which the upstream leg's reply tracker counts too, so that it takes none as out of step.
   */
  private oweEndOfDataReplies(): number {
    return this.lmtp ? Math.max(1, this.recipients) : 1;
  }

  /**
   * BDAT (RFC 3030 §2): the command and exactly its announced octets go up as they are,
   * counted by the reader so that nothing in them is taken for a command; the reply is
   * awaited once they are all relayed. False when the size is not a number: the line is then
   * relayed as any other (the server will refuse it, and the chunk cannot be found anyway).
   */
  private startChunk(text: string, bytes: Buffer, shown: Buffer | undefined): boolean {
    const parsed = parseBdatArgument(splitCommandLine(text).argument);
    // A readable size with a bad rest (`BDAT 7 FIRST`) is still followed by 7 octets.
    if (parsed.size === undefined) return false;
    const chunk: RelayedChunk = { number: ++this.chunks, size: parsed.size, last: parsed.ok && parsed.last };
    this.emitClient({ type: 'info', message: `BDAT chunk ${chunk.number}: ${chunk.size} octets${chunk.last ? ' (LAST)' : ''}` });
    // Its octets are read (and recorded) even when they cannot be relayed, so never taken for commands.
    this.chunk = this.relayOrNote(bytes, shown) ? chunk : undefined;
    this.input = 'chunk';
    this.reader.startChunk(chunk.size, chunk.number === 1);
    return true;
  }

  private relayEhlo(reply: Reply): void {
    this.lastRelayed = reply;
    const rewritten = rewriteEhloReply(reply, this.client.tls);
    if (rewritten.changes.length > 0) {
      this.emitClient({ type: 'info', message: `EHLO reply passed on with changes: ${rewritten.changes.join('; ')}` });
    }
    this.clientWrite(rewritten.bytes);
    this.idle.arm();
  }

  /** The server half of STARTTLS (RFC 3207 §4), answered by the proxy with its own certificate. */
  private async startClientTls(): Promise<void> {
    if (this.client.tls) {
      this.clientWrite(formatReply(reply(503, '5.5.1', 'TLS already active'), 'latin1'));
      return;
    }
    this.clientWrite(formatReply(reply(220, '2.0.0', 'Ready to start TLS'), 'latin1'));
    discardAfterStartTls(this.reader, (discarded, note) => {
      this.emitClient({ type: 'recv', data: discarded });
      this.emitClient({ type: 'info', message: note });
    });
    if (await this.clientHandshake(this.settings.clientTls)) this.input = 'commands';
  }

  /** The server half of the handshake with the application; false (recorded, closed) when it fails. */
  private async clientHandshake(tls: InboundTls): Promise<boolean> {
    try {
      const summary = await this.client.startTls(tls);
      // Shut down while the handshake ran: the connection is already over.
      if (this.state === 'closed') return false;
      this.emitClient({ type: 'tls', summary });
      return true;
    } catch (error) {
      if (this.state === 'closed') return false;
      const message = error instanceof Error ? error.message : String(error);
      this.emitClient({ type: 'error', code: ErrorCode.tls, message: `TLS handshake with the client failed: ${message}` });
      this.finishClient('error', 'TLS handshake with the client failed');
      return false;
    }
  }

  private onIdle(): void {
    if (this.state === 'closed' || this.expected || this.holds.has('upstream-not-reading')) return;
    const { idleTimeoutMs } = this.settings;
    this.emitClient({ type: 'info', message: this.replies === 'waiting-for-client' ? `the client read none of its replies for ${idleTimeoutMs} ms` : `the client was silent for ${idleTimeoutMs} ms` });
    this.refuse('4.4.2', 'idle timeout');
  }

  /** Ends the session with a 421 from the proxy itself (RFC 5321 §3.8) and closes both legs. */
  private refuse(enhanced: string, text: string): void {
    this.clientWrite(closingReply(enhanced, `${this.settings.hostname} smtpdbg proxy: ${text}`));
    this.upstream?.close(text);
    this.closeClient('local', text);
  }

  /** Ends the client leg from our side: FIN now, destroyed shortly after if it lingers. */
  private closeClient(by: 'local' | 'error', reason: string): void {
    if (this.state === 'closed') return;
    this.finishClient(by, reason);
    this.client.end(CLIENT_CLOSE_GRACE_MS);
  }

  private onClientClosed(loss: InboundSocketLoss): void {
    if (this.state === 'closed') return;
    if (loss.kind === 'error') {
      const { error } = loss;
      this.finishClient('error', error.code === 'ECONNRESET' ? 'the client reset the connection' : (error.code ?? error.message));
      return;
    }
    // The client leg is 'ending' once the proxy sent its FIN (the server closed first).
    this.finishClient('peer', this.state === 'draining' ? 'the client closed its side' : 'the client closed the connection');
  }

  private finishClient(by: 'peer' | 'local' | 'error', reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.idle.stop();
    clearTimeout(this.graceTimer);
    // Reading again (and dropping what comes) keeps the socket alive until the client closes
    // or the grace period destroys it: a paused socket would not even hold the process open for it.
    this.holds.release();
    // Whatever the application sent that was not handed out yet (a line without its end).
    const leftover = this.reader.discardBuffered();
    if (leftover.length > 0) this.emitClient({ type: 'recv', data: leftover });
    if (this.upstreamClosedAt !== undefined) {
      if (by === 'peer') this.emitClient({ type: 'info', message: `the client closed ${Date.now() - this.upstreamClosedAt} ms after the server did` });
    } else if (by === 'peer') {
      this.emitClient({ type: 'info', message: 'the client closed first; closing the upstream connection' });
    }
    this.emitClient({ type: 'close', by, reason });
    if (this.upstreamLeg !== 'gone') this.upstream?.close(by === 'peer' ? 'the client closed its connection' : reason);
    this.resolveDone();
  }
}
