import { randomInt } from 'node:crypto';
import { redactAuthLine, type AuthMechanism } from '../smtp/auth.js';
import { splitCommandLine } from '../smtp/command-verb.js';
import { dotUnstuff } from '../smtp/dot-stuffing.js';
import { COMMAND_LINE_LIMIT, ServerReader, TEXT_LINE_LIMIT, type CommandLine, type DataEnd } from '../smtp/server-reader.js';
import { Terminators } from '../smtp/terminators.js';
import type { EventInput } from '../transcript/events.js';
import type { TlsSummary } from '../tls/summary.js';
import type {
  CommandContext,
  ConnectionContext,
  Decision,
  MessageDecision,
  ReplySpec,
  ServerBehaviour,
  SessionState,
} from './behaviour.js';
import { authResponse, commandHandlers, type CommandHandler } from './handlers.js';
import { formatReply, reply } from './replies.js';

/** What the session needs from its connection; the capture server implements it over a socket. */
export interface SessionIo {
  write(bytes: Buffer): void;
  /** Half-closes after the pending writes (QUIT, 421). */
  end(): void;
  destroy(): void;
  /**
   * Stops reading plaintext and wraps the connection in TLS (RFC 3207); resolves once the
   * handshake is done, rejects when it fails.
   */
  startTls(): Promise<TlsSummary>;
  /** Lets the handshake begin, then closes the connection before it can finish. */
  abortTls(): void;
  pause(): void;
  resume(): void;
}

export interface ReceivedMessage {
  conn: number;
  /** The queue id given in the 250 reply. */
  id: string;
  /** The envelope sender ("" for the null reverse-path). */
  from: string;
  to: string[];
  /** The content after dot-unstuffing, as stored (a behaviour may have changed it). */
  data: Buffer;
  /** The DATA bytes as received, end-of-data indicator included. */
  raw: Buffer;
  tls: boolean;
  helo: string | undefined;
  /** The authentication identity, when the client authenticated (never the secret). */
  authenticatedAs: string | undefined;
  receivedAt: Date;
  /** 1-based line numbers holding a bare CR / a bare LF, and lines over 1000 octets. */
  bareCrLines: number[];
  bareLfLines: number[];
  longLines: number[];
}

export interface SessionOptions {
  conn: number;
  hostname: string;
  remoteAddress: string;
  remotePort: number;
  behaviour: ServerBehaviour;
  emit: (event: EventInput) => void;
  /** Stores a message; the 250 is sent when it resolves. */
  deliver: (message: ReceivedMessage) => Promise<void>;
  maxMessageSize: number;
  idleTimeoutMs: number;
  tlsAvailable: boolean;
  showSecrets: boolean;
  /** Error replies (4xx/5xx) after which the connection gets 421 and is closed; 0: no cap. */
  maxErrors: number;
  /**
   * Emit send/recv events for every command, reply and DATA line. Off, only connections,
   * TLS, closes, errors and notes are emitted (the message itself is reported on delivery):
   * what `serve --quiet` shows, at a fraction of the cost under load.
   */
  byteEvents: boolean;
}

/** RFC 5321 §4.5.3.1.8 asks for at least 100 recipients; more than this is refused (452). */
export const MAX_RECIPIENTS = 1000;
/** A reader holding this much unread input stops reading the socket until it catches up. */
const HIGH_WATER = 1 << 20;
/** Recv events for DATA are cut at line ends, or at this size for a line that never ends. */
const DATA_EVENT_LIMIT = 4096;
/** The end-of-data indicator (RFC 5321 §4.1.1.4) that ends the stored raw message. */
const DOT_CRLF = Buffer.from('.\r\n');

/**
 * Queue ids (shown in the 250 after DATA) are 12 hex digits: 24 random bits per process and
 * a 24-bit counter, unique within a run without a random draw per message.
 */
const QUEUE_ID_BASE = randomInt(2 ** 24) * 2 ** 24;
let queueCounter = 0;
function nextQueueId(): string {
  queueCounter = (queueCounter + 1) % 2 ** 24;
  return (QUEUE_ID_BASE + queueCounter).toString(16).toUpperCase().padStart(12, '0');
}

export interface AuthExchange {
  mechanism: AuthMechanism;
  /** Responses received so far (decoded); LOGIN needs two. */
  responses: string[];
}

/**
 * One SMTP conversation on the server side: the state machine of RFC 5321 §4.1.4's
 * ordering rules. It reads through a ServerReader, answers through SessionIo and reports
 * through events; each verb's handling lives in handlers.ts.
 */
export class ServerSession {
  readonly conn: number;
  readonly options: SessionOptions;
  state: SessionState = 'greeting';
  helo: string | undefined;
  tls = false;
  authenticatedAs: string | undefined;
  from: string | undefined;
  to: string[] = [];
  auth: AuthExchange | undefined;
  private readonly reader = new ServerReader();
  private readonly counts = new Map<string, number>();
  private busy = false;
  private closed = false;
  private paused = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastReplyAt = Date.now();
  private errors = 0;
  private lateInputSeen = false;
  private messageCount = 0;
  private data: { chunks: Buffer[]; size: number; oversize: boolean; line: Buffer } | undefined;

  constructor(private readonly io: SessionIo, options: SessionOptions) {
    this.conn = options.conn;
    this.options = options;
  }

  get context(): ConnectionContext {
    return { conn: this.conn, hostname: this.options.hostname, remoteAddress: this.options.remoteAddress, remotePort: this.options.remotePort, tls: this.tls };
  }

  async start(): Promise<void> {
    this.armIdleTimer();
    const decision = await this.options.behaviour.onConnect?.(this.context);
    const banner = reply(220, undefined, `${this.options.hostname} ESMTP smtpdbg capture server: accepts any recipient, relays nothing`);
    await this.act(decision, banner);
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.closed) {
      // After the server's own close (535 then close, 421) a client may still write — the
      // QUIT of design.md's incident 2. Show it; it is never answered.
      if (!this.lateInputSeen) this.info('the client wrote after the server closed the connection; nothing is answered');
      this.lateInputSeen = true;
      if (this.options.byteEvents) this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: chunk });
      return;
    }
    this.reader.feed(chunk);
    this.armIdleTimer();
    if (this.reader.buffered > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.io.pause();
    }
    void this.pump();
  }

  /** The connection is gone (by the peer, an error, or our own close). */
  closedBy(by: 'peer' | 'local' | 'error', reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.options.emit({ type: 'close', conn: this.conn, tls: this.tls, by, reason });
  }

  /** Server shutdown (RFC 5321 §3.8: 421 before closing). */
  shutdown(): void {
    if (this.closed) return;
    this.sendReply(reply(421, '4.3.2', `${this.options.hostname} Service shutting down`));
    this.close('local', 'server shutting down', 'end');
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let item = this.reader.next(); item && !this.closed; item = this.reader.next()) {
        if (item.type === 'line') await this.handleLine(item);
        else if (item.type === 'data') this.collect(item.bytes);
        else await this.finishData(item);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.emit({ type: 'error', conn: this.conn, tls: this.tls, code: 'EINTERNAL', message });
      this.close('error', message, 'destroy');
    } finally {
      this.busy = false;
    }
    if (this.paused && !this.closed) {
      this.paused = false;
      this.io.resume();
    }
  }

  private armIdleTimer(): void {
    if (this.closed || this.options.idleTimeoutMs <= 0) return;
    // refresh() re-arms the same timer: cheaper than a new one for every chunk received.
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => void this.onIdle(), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private async onIdle(): Promise<void> {
    this.info(`idle for ${this.options.idleTimeoutMs} ms`);
    const decision = await this.options.behaviour.onIdle?.(this.context);
    // RFC 5321 §4.5.3.2: a server may close an idle connection, after a 421.
    const timeout = reply(421, '4.4.2', `${this.options.hostname} Error: timeout exceeded`);
    await this.act({ close: 'after-reply', ...decision }, timeout);
  }

  private async handleLine(item: CommandLine): Promise<void> {
    if (this.state === 'auth') {
      this.emitLine(item, true);
      await authResponse(this, item.line.toString('latin1'));
      return;
    }
    const { verb, argument } = splitCommandLine(item.line.toString('latin1'));
    this.emitLine(item, verb === 'AUTH');
    const occurrence = (this.counts.get(verb) ?? 0) + 1;
    this.counts.set(verb, occurrence);
    const sinceLastReplyMs = Date.now() - this.lastReplyAt;
    const onCommand = this.options.behaviour.onCommand;
    // Without a hook there is nothing to build, nor to wait for: this is the hot path under load.
    const decision = onCommand ? await onCommand({
      ...this.context,
      verb,
      argument,
      line: item.line,
      terminator: item.terminator,
      state: this.state,
      occurrence,
      pipelined: this.reader.buffered > 0,
      sinceLastReplyMs,
      helo: this.helo,
      from: this.from,
      to: this.to,
      authenticated: this.authenticatedAs !== undefined,
    }) : undefined;
    if (decision && await this.preempt(decision)) return;
    if (item.length > COMMAND_LINE_LIMIT && verb !== 'AUTH') {
      // RFC 5321 §4.5.3.1.4 and §4.2.2 (500 "line too long").
      this.finish(decision, reply(500, '5.5.2', `Line too long (${item.length} octets, limit ${COMMAND_LINE_LIMIT})`));
      return;
    }
    const handler: CommandHandler | undefined = commandHandlers[verb];
    if (!handler) {
      this.finish(decision, verb === '' ? reply(500, '5.5.2', 'Error: bad syntax') : reply(500, '5.5.1', `Command unrecognized: ${JSON.stringify(verb.slice(0, 40))}`));
      return;
    }
    const pending = handler(this, argument, decision);
    if (pending) await pending;
  }

  /**
   * Applies the parts of a decision that come before the default reply: the delay, and a
   * close or a replacement reply, which take the place of the default handling (true).
   */
  async preempt(decision: Decision | undefined): Promise<boolean> {
    if (!decision) return false;
    if (decision.delayMs) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    if (decision.close === 'now') {
      this.close('local', 'closed by the scenario without a reply', 'destroy');
      return true;
    }
    if (decision.reply) {
      this.finish(decision, decision.reply);
      return true;
    }
    return false;
  }

  /** Sends the reply, then closes when the decision says so. */
  finish(decision: Decision | undefined, spec: ReplySpec): void {
    this.sendReply(spec);
    if (decision?.close === 'after-reply') this.close('local', `closed after ${spec.code}`, 'end');
  }

  /** preempt + finish for places where the default is a single reply. */
  async act(decision: Decision | undefined, spec: ReplySpec): Promise<void> {
    if (await this.preempt(decision)) return;
    this.finish(decision, spec);
  }

  sendReply(spec: ReplySpec): void {
    if (this.closed) return;
    const bytes = formatReply(spec);
    this.io.write(bytes);
    this.lastReplyAt = Date.now();
    if (this.options.byteEvents) this.options.emit({ type: 'send', conn: this.conn, tls: this.tls, data: bytes });
    // Like Postfix's smtpd_hard_error_limit: a client that collects error after error is
    // stuck in a loop (or probing), and holding its connection open helps nobody.
    const { maxErrors, hostname } = this.options;
    if (spec.code >= 400 && spec.code !== 421 && maxErrors > 0 && ++this.errors >= maxErrors) {
      this.sendReply(reply(421, '4.7.0', `${hostname} Error: too many errors`));
      this.close('local', `closed after ${this.errors} error replies`, 'end');
    }
  }

  info(message: string): void {
    this.options.emit({ type: 'info', conn: this.conn, tls: this.tls, message });
  }

  close(by: 'local' | 'error', reason: string, how: 'end' | 'destroy'): void {
    if (this.closed) return;
    if (how === 'end') this.io.end();
    else this.io.destroy();
    this.closedBy(by, reason);
  }

  resetTransaction(): void {
    this.from = undefined;
    this.to = [];
    if (this.state === 'mail' || this.state === 'rcpt') this.state = 'ready';
  }

  /** RFC 3207 §4.2: after the handshake the client starts over with EHLO. */
  async upgradeToTls(abort: boolean): Promise<void> {
    const discarded = this.reader.discardBuffered();
    if (discarded.length > 0) {
      // RFC 3207 §6: bytes pipelined behind STARTTLS must not be acted on.
      this.options.emit({ type: 'recv', conn: this.conn, tls: false, data: discarded });
      this.info(`discarded ${discarded.length} octets sent after STARTTLS before the handshake (RFC 3207 §6)`);
    }
    if (abort) {
      this.info('closing in the middle of the TLS handshake, as the scenario asks');
      this.io.abortTls();
      this.closedBy('local', 'TLS handshake aborted by the scenario');
      return;
    }
    try {
      const summary = await this.io.startTls();
      this.tls = true;
      this.state = 'greeting';
      this.helo = undefined;
      this.authenticatedAs = undefined;
      this.resetTransaction();
      this.options.emit({ type: 'tls', conn: this.conn, tls: true, summary });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.emit({ type: 'error', conn: this.conn, tls: false, code: 'ETLS', message });
      this.close('error', message, 'destroy');
    }
  }

  beginData(): void {
    this.state = 'data';
    this.data = { chunks: [], size: 0, oversize: false, line: Buffer.alloc(0) };
    this.reader.startData();
  }

  private collect(bytes: Buffer): void {
    const data = this.data;
    if (!data) return;
    data.size += bytes.length;
    if (data.size > this.options.maxMessageSize) {
      data.oversize = true;
      data.chunks = [];
    } else {
      data.chunks.push(bytes);
    }
    if (!this.options.byteEvents) return;
    // Recv events go out line by line so a reporter can show each line with its terminator.
    let pending = data.line.length > 0 ? Buffer.concat([data.line, bytes]) : bytes;
    for (let crlf = pending.indexOf('\r\n'); crlf !== -1; crlf = pending.indexOf('\r\n')) {
      this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from(pending.subarray(0, crlf + 2)) });
      pending = pending.subarray(crlf + 2);
    }
    if (pending.length > DATA_EVENT_LIMIT) {
      this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from(pending) });
      pending = Buffer.alloc(0);
    }
    data.line = Buffer.from(pending);
  }

  private async finishData(end: DataEnd): Promise<void> {
    const data = this.data;
    this.data = undefined;
    if (!data) return;
    if (this.options.byteEvents) {
      if (data.line.length > 0) this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: data.line });
      this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from('.\r\n') });
    }
    const from = this.from ?? '';
    // Handed over, not copied: this.to gets a new array below and the old one is not touched again.
    const to = this.to;
    this.state = 'ready';
    this.from = undefined;
    this.to = [];
    if (end.bareCrLines.length > 0) this.info(`bare CR in DATA line(s) ${end.bareCrLines.join(', ')} (RFC 5321 §2.3.8: only CRLF ends a line)`);
    if (end.bareLfLines.length > 0) this.info(`bare LF in DATA line(s) ${end.bareLfLines.join(', ')} (RFC 5321 §2.3.8: only CRLF ends a line)`);
    if (end.longLines.length > 0) this.info(`DATA line(s) ${end.longLines.join(', ')} longer than ${TEXT_LINE_LIMIT} octets (RFC 5321 §4.5.3.1.6)`);
    if (data.oversize) {
      // RFC 1870 §6.3 and RFC 5321 §4.5.3.1.10: the whole message is refused.
      this.sendReply(reply(552, '5.3.4', `Message size exceeds fixed maximum message size (${this.options.maxMessageSize})`));
      return;
    }
    // One copy of the message: the stored raw bytes, with the content (still dot-stuffed) a view of it.
    const raw = Buffer.concat([...data.chunks, DOT_CRLF]);
    const stuffed = raw.subarray(0, raw.length - DOT_CRLF.length);
    const content = dotUnstuff(stuffed);
    const decision: MessageDecision | undefined = await this.options.behaviour.onMessage?.({
      ...this.context,
      from,
      to,
      data: content,
      stuffed,
      occurrence: ++this.messageCount,
      bareCrLines: end.bareCrLines,
      bareLfLines: end.bareLfLines,
      longLines: end.longLines,
    });
    if (decision && await this.preempt(decision)) return;
    const id = nextQueueId();
    if (decision?.store !== false) {
      await this.options.deliver({
        conn: this.conn,
        id,
        from,
        to,
        data: decision?.store ?? content,
        raw,
        tls: this.tls,
        helo: this.helo,
        authenticatedAs: this.authenticatedAs,
        receivedAt: new Date(),
        // The reader makes these arrays anew for every message, so they can be handed over.
        bareCrLines: end.bareCrLines,
        bareLfLines: end.bareLfLines,
        longLines: end.longLines,
      });
    }
    this.finish(decision, reply(250, '2.0.0', `Ok: queued as ${id} (kept here, never relayed)`));
  }

  /** `mayHoldSecret`: an AUTH command or a line of its exchange (the only lines redacted). */
  private emitLine(item: CommandLine, mayHoldSecret: boolean): void {
    if (!this.options.byteEvents) return;
    const terminator = Terminators[item.terminator];
    const shown = mayHoldSecret && !this.options.showSecrets ? redactAuthLine(item.line, terminator, this.state === 'auth') : undefined;
    const data = shown ?? Buffer.concat([item.line, terminator]);
    this.options.emit({ type: 'recv', conn: this.conn, tls: this.tls, data, ...(shown ? { redacted: true } : {}) });
  }
}
