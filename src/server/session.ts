import { randomInt } from 'node:crypto';
import { IdleTimer } from '../inbound/idle-timer.js';
import { InputHolds } from '../inbound/input-holds.js';
import { discardAfterStartTls, recordedLine } from '../inbound/recording.js';
import type { InboundSocket, InboundTls } from '../net/inbound-socket.js';
import { parseBdatArgument } from '../smtp/bdat-command.js';
import { splitCommandLine } from '../smtp/command-verb.js';
import { dotUnstuff } from '../smtp/dot-stuffing.js';
import { COMMAND_LINE_LIMIT, ServerReader, TEXT_LINE_LIMIT, type ChunkEnd, type CommandLine, type DataEnd } from '../smtp/server-reader.js';
import type { EventInput } from '../transcript/events.js';
import type { ConnectionContext, Decision, MessageDecision, ReplySpec, SessionState } from './behaviour.js';
import { DotUnstuffer } from './dot-unstuffer.js';
import type { AuthExchange, ForwardedAttributes, HandlerContext, HandlerSettings } from './handler-context.js';
import { authResponse, commandHandlers, unrecognized, type CommandHandler } from './handlers.js';
import type { MboxrdBody } from './mboxrd.js';
import { formatReply, reply } from './replies.js';
import { StorageFailure } from './storage.js';

/** A stored message, without its content (what a long-running server reports). */
export interface MessageSummary {
  conn: number;
  /** The queue id given in the 250 reply. */
  id: string;
  /** The envelope sender ("" for the null reverse-path). */
  from: string;
  to: string[];
  /** Octets of the content after dot-unstuffing, as stored. */
  size: number;
  /** How the content came: DATA, or BDAT chunks (RFC 3030) with their sizes in order. */
  transfer: 'data' | 'bdat';
  chunks?: number[];
  /** XCLIENT / XFORWARD attributes in force for this message (Postfix), when given. */
  xclient?: ForwardedAttributes;
  xforward?: ForwardedAttributes;
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

/** A stored message with its content, kept in memory (tests, and the server embedded in session and inject). */
export interface ReceivedMessage extends MessageSummary {
  /** The content after dot-unstuffing, as stored (a behaviour may have changed it). */
  data: Buffer;
  /** The DATA bytes as received, end-of-data indicator included (BDAT: the chunks' octets, concatenated). */
  raw: Buffer;
}

/**
 * What the session hands over to be stored: the content in memory, a body built while it
 * arrived, or nothing (a behaviour said not to store it, or there is no mbox).
 */
export type StoredContent = Buffer | MboxrdBody | undefined;

export interface SessionOptions extends HandlerSettings {
  conn: number;
  /** The certificate for STARTTLS; undefined when TLS is not offered. */
  tls: InboundTls | undefined;
  /** How long a client gets to close after the server's close before its socket is destroyed. */
  closeGraceMs: number;
  emit: (event: EventInput) => void;
  /**
   * Stores a message; the 250 is sent when it resolves. A StorageFailure rejection is
   * answered 451/452; `message` carries data and raw when `keepContent` is on.
   */
  deliver: (message: MessageSummary | ReceivedMessage, content: StoredContent) => Promise<void>;
  /** A body to stream the next message into, or undefined when messages are not stored. */
  openBody: (name: string) => MboxrdBody | undefined;
  /**
   * Hold each message whole in memory (bounded by maxMessageSize): for kept messages and for
   * a behaviour that reads or rewrites the content. Off, a message streams to `openBody`.
   */
  keepContent: boolean;
  /** The connection no longer takes a slot (closed by either side). */
  released: () => void;
  idleTimeoutMs: number;
  /** A command line must be complete this long after its first octet arrived; 0: no limit. */
  lineTimeoutMs: number;
  /** How far DATA may fall behind `dataMinRate` octets/s (see armDataTimer); 0: no limit. */
  dataTimeoutMs: number;
  /** The DATA rate that never runs out of time; 0: `dataTimeoutMs` is a fixed deadline for the whole message. */
  dataMinRate: number;
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

/** A reader holding this much unread input stops reading the socket until it catches up. */
const HIGH_WATER = 256 * 1024;
/** Octets a client sends after the server closed the connection that are shown; the rest is read and dropped. */
const LATE_INPUT_SHOWN = 4096;
/** Items (command lines, DATA chunks) a session handles in a row before it lets others run. */
const YIELD_EVERY = 64;
/** Recv events for DATA are cut at line ends, or at this size for a line that never ends. */
const DATA_EVENT_LIMIT = 4096;
/** A BDAT chunk being read. */
interface IncomingChunk {
  /** 1-based within the transaction. */
  number: number;
  size: number;
  last: boolean;
  /** The answer when the chunk is read and dropped (503, 501: RFC 3030 §2, the stream stays in step). */
  refusal: ReplySpec | undefined;
  decision: Decision | undefined;
  /** The chunk's unfinished line for recv events. */
  line: Buffer;
  /** What the DATA progress rule counts: the message's, or the chunk's own when it is refused. */
  progress: Progress;
}

/** The end-of-data indicator (RFC 5321 §4.1.1.4) that ends the stored raw message. */
const DOT_CRLF = Buffer.from('.\r\n');

/** The octets announced by a BDAT argument (0 when it cannot be read). */
function chunkSize(argument: string): number {
  const parsed = parseBdatArgument(argument);
  return parsed.ok ? parsed.size : (parsed.size ?? 0);
}

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

/** Content arriving under the DATA progress rule (see armDataTimer). */
interface Progress {
  startedAt: number;
  /** When DATA ends the connection unless more octets arrive (the DATA progress rule). */
  deadline: number;
  /** Octets received, still dot-stuffed: what the size limit and the DATA rate count. */
  received: number;
}

/** A message being received (from the 354 to the end of data, or from the first BDAT to the LAST). */
interface IncomingMessage extends Progress {
  transfer: 'data' | 'bdat';
  /** BDAT: the size of each chunk so far. */
  chunkSizes: number[];
  oversize: boolean;
  /** The stuffed content, when it is held whole (`keepContent`). */
  chunks: Buffer[] | undefined;
  /** DATA only: BDAT content is not dot-stuffed (RFC 3030 §2). */
  unstuffer: DotUnstuffer | undefined;
  /** Where the content streams to, when it is stored and not held whole. */
  body: MboxrdBody | undefined;
  /** Octets of content after dot-unstuffing. */
  size: number;
  /** The current DATA line for recv events, up to DATA_EVENT_LIMIT. */
  line: Buffer;
}

/**
 * One SMTP conversation on the server side: the state machine of RFC 5321 §4.1.4's
 * ordering rules. It reads through a ServerReader, answers through its InboundSocket and
 * reports through events; each verb's handling lives in handlers.ts, which sees it only as
 * a HandlerContext.
 *
 * Reading is flow-controlled from three sides: the reader's backlog (HIGH_WATER), the
 * client's reading of our replies (a client that does not read them is not read either,
 * as Postfix does: its replies would otherwise pile up in memory), and the server's own
 * output (`holdInput`).
 */
export class ServerSession implements HandlerContext {
  readonly conn: number;
  readonly settings: SessionOptions;
  state: SessionState = 'greeting';
  helo: string | undefined;
  authenticatedAs: string | undefined;
  from: string | undefined;
  to: string[] = [];
  auth: AuthExchange | undefined;
  binaryMime = false;
  xforward: ForwardedAttributes = {};
  xclient: ForwardedAttributes = {};
  private readonly reader = new ServerReader();
  private readonly counts = new Map<string, number>();
  /** `closed` once either side ended the conversation; the socket may still linger. */
  private phase: 'serving' | 'closed' = 'serving';
  private busy = false;
  /** Why reading is paused: the reader is full, replies are not drained, the server's output is. */
  private readonly holds: InputHolds<'backlog' | 'replies' | 'output'>;
  private readonly idle: IdleTimer;
  private lineTimer: NodeJS.Timeout | undefined;
  private dataTimer: NodeJS.Timeout | undefined;
  private lastReplyAt = Date.now();
  private errors = 0;
  private lateInputSeen = false;
  private lateInputShown = 0;
  private messageCount = 0;
  private data: IncomingMessage | undefined;
  private chunk: IncomingChunk | undefined;
  /** The last item was a BDAT chunk's end: the next line should be a command (RFC 3030 §2). */
  private afterChunk = false;

  constructor(private readonly socket: InboundSocket, settings: SessionOptions) {
    this.conn = settings.conn;
    this.settings = settings;
    this.holds = new InputHolds(socket);
    this.idle = new IdleTimer(settings.idleTimeoutMs, () => void this.onIdle());
    socket.serve({
      data: (chunk) => this.receive(chunk),
      peerEnded: () => this.closedBy('peer', 'the client closed the connection'),
      closed: (loss) => this.closedBy(loss.kind, loss.kind === 'error' ? (loss.error.code ?? loss.error.message) : 'connection closed'),
      lingered: (graceMs) => this.lingered(graceMs),
    });
  }

  get tls(): boolean {
    return this.socket.tls;
  }

  private get closed(): boolean {
    return this.phase === 'closed';
  }

  get connection(): ConnectionContext {
    return { conn: this.conn, hostname: this.settings.hostname, remoteAddress: this.socket.remoteAddress, remotePort: this.socket.remotePort, tls: this.tls };
  }

  /** Greets the client; on an implicit-TLS listener after the handshake (RFC 8314 §3.3). */
  async start(implicitTls?: InboundTls): Promise<void> {
    this.idle.arm();
    if (implicitTls) {
      try {
        const summary = await this.socket.startTls(implicitTls);
        // Shut down (or timed out) while the handshake ran: nothing more to say.
        if (this.closed) return;
        this.settings.emit({ type: 'tls', conn: this.conn, tls: true, summary });
      } catch (error) {
        if (this.closed) return;
        const message = error instanceof Error ? error.message : String(error);
        this.settings.emit({ type: 'error', conn: this.conn, tls: false, code: 'ETLS', message });
        this.close('error', message, 'destroy');
        return;
      }
    }
    const decision = await this.settings.behaviour.onConnect?.(this.connection);
    await this.act(decision, this.greeting());
  }

  greeting(): ReplySpec {
    return reply(220, undefined, `${this.settings.hostname} ${this.settings.lmtp ? 'LMTP' : 'ESMTP'} smtpdbg capture server: accepts any recipient, relays nothing`);
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.closed) {
      // After the server's own close (535 then close, 421) a client may still write — the
      // QUIT a client sends after a 535 it did not expect to end the session. Show it; it is
      // never answered.
      if (!this.lateInputSeen) this.info('the client wrote after the server closed the connection; nothing is answered');
      this.lateInputSeen = true;
      // Shown up to a point: the socket is still read only to see the client close.
      if (this.settings.byteEvents && this.lateInputShown < LATE_INPUT_SHOWN) {
        const shown = chunk.subarray(0, LATE_INPUT_SHOWN - this.lateInputShown);
        this.lateInputShown += shown.length;
        this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: shown });
      }
      return;
    }
    this.reader.feed(chunk);
    this.idle.arm();
    if (this.reader.buffered > HIGH_WATER) this.holds.set('backlog', true);
    void this.pump();
  }

  /** The server's output cannot keep up: stop reading (true) until it drains (false). */
  holdInput(held: boolean): void {
    this.holds.set('output', held);
  }

  /** The connection is gone (by the peer, an error, or our own close). */
  closedBy(by: 'peer' | 'local' | 'error', reason: string): void {
    if (this.closed) return;
    this.phase = 'closed';
    this.idle.stop();
    clearTimeout(this.lineTimer);
    clearTimeout(this.dataTimer);
    if (this.data?.body) void this.data.body.dispose();
    this.data = undefined;
    this.holds.release();
    this.settings.emit({ type: 'close', conn: this.conn, tls: this.tls, by, reason });
    this.settings.released();
  }

  /** The client kept its side open through the grace period after our close. */
  lingered(graceMs: number): void {
    this.info(`the client had not closed its side ${graceMs} ms after the server closed; the connection is dropped`);
  }

  /** Server shutdown (RFC 5321 §3.8: 421 before closing). */
  shutdown(): void {
    if (this.closed) return;
    this.sendReply(reply(421, '4.3.2', `${this.settings.hostname} Service shutting down`));
    this.close('local', 'server shutting down', 'end');
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    let handled = 0;
    try {
      while (!this.closed) {
        // A client that pipelines without end must not keep the other connections (and the
        // output) waiting: every few items, the event loop gets a turn.
        if (++handled % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
        if (this.holds.has('replies')) {
          // The client is not reading its replies: read nothing more from it until it does.
          await this.socket.drained();
          this.holds.set('replies', false);
          continue;
        }
        const item = this.reader.next();
        if (!item) break;
        if (item.type === 'line') {
          // The line is complete: the next one gets a deadline of its own.
          clearTimeout(this.lineTimer);
          this.lineTimer = undefined;
          await this.handleLine(item);
          this.afterChunk = false;
        } else if (item.type === 'data') await this.collect(item.bytes);
        else if (item.type === 'chunk-end') {
          await this.finishChunk(item);
          this.afterChunk = true;
        } else await this.finishData(item);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.settings.emit({ type: 'error', conn: this.conn, tls: this.tls, code: 'EINTERNAL', message });
      this.close('error', message, 'destroy');
    } finally {
      this.busy = false;
    }
    if (this.closed) return;
    if (this.holds.has('backlog')) this.holds.set('backlog', false);
    this.armLineTimer();
  }

  /** The content being read under the DATA progress rule: a BDAT chunk's, or DATA's. */
  private get progress(): Progress | undefined {
    return this.chunk?.progress ?? (this.state === 'data' ? this.data : undefined);
  }

  /** After a 354 or a BDAT command the bytes are content, not command lines. */
  private get readingContent(): boolean {
    return this.state === 'data' || this.chunk !== undefined;
  }

  private async onIdle(): Promise<void> {
    this.info(`idle for ${this.settings.idleTimeoutMs} ms`);
    const chunk = this.chunk;
    if (chunk) {
      // RFC 3030 §2: the server waits for exactly the announced octets; a client that sent
      // fewer waits for a reply that cannot come.
      this.info(`BDAT chunk ${chunk.number} still expects ${this.reader.chunkRemaining} of its ${chunk.size} announced octets: if the client is waiting for a reply, its announced size was larger than what it sent`);
    }
    const decision = await this.settings.behaviour.onIdle?.(this.connection);
    // RFC 5321 §4.5.3.2: a server may close an idle connection, after a 421.
    await this.act({ close: 'after-reply', ...decision }, this.timeoutReply());
  }

  /** Postfix's words for every timeout, so that clients see what they would see there. */
  private timeoutReply(): ReplySpec {
    return reply(421, '4.4.2', `${this.settings.hostname} Error: timeout exceeded`);
  }

  /**
   * The whole-line deadline: a command line still incomplete `lineTimeoutMs` after the server
   * started waiting for its end (its first octet, or the reply before it) ends the connection.
   * The idle timer alone cannot: each octet of a line dripped slowly resets it.
   */
  private armLineTimer(): void {
    const ms = this.settings.lineTimeoutMs;
    if (ms <= 0 || this.readingContent || this.reader.buffered === 0 || this.lineTimer) return;
    this.lineTimer = setTimeout(() => {
      this.lineTimer = undefined;
      if (this.closed || this.busy || this.readingContent || this.reader.buffered === 0) return;
      this.info(`a command line was not complete ${ms} ms after it began (${this.reader.buffered} octets so far; --line-timeout)`);
      this.sendReply(this.timeoutReply());
      this.close('local', 'command line too slow', 'end');
    }, ms);
    this.lineTimer.unref();
  }

  /**
   * The DATA progress rule, Postfix 3.7's `smtpd_min_data_rate` with its per-request deadline:
   * DATA starts with `dataTimeoutMs` to go; time passing uses it up, and every `dataMinRate`
   * octets received give a second back, never more than `dataTimeoutMs` ahead of now. A client
   * sending at that rate or faster is never cut off, however large its message; one that
   * drips its message (each octet resetting the idle timer) is, and a fast start cannot be
   * banked for a slow finish.
   */
  private armDataTimer(): void {
    const message = this.progress;
    if (!message) return;
    this.dataTimer = setTimeout(() => {
      if (this.closed || this.progress !== message) return;
      if (Date.now() < message.deadline) {
        this.armDataTimer();
        return;
      }
      const { dataTimeoutMs, dataMinRate } = this.settings;
      const rule = dataMinRate > 0
        ? `it may fall at most ${dataTimeoutMs} ms behind ${dataMinRate} octets/s (--data-timeout, --data-min-rate)`
        : `the limit is ${dataTimeoutMs} ms (--data-timeout)`;
      const what = this.chunk ? `BDAT chunk of ${this.chunk.size} octets` : 'DATA';
      this.info(`${what} too slow: ${message.received} octets in ${Date.now() - message.startedAt} ms; ${rule}`);
      this.sendReply(this.timeoutReply());
      this.close('local', 'DATA too slow', 'end');
    }, Math.max(1, message.deadline - Date.now()));
    this.dataTimer.unref();
  }

  private async handleLine(item: CommandLine): Promise<void> {
    if (this.state === 'auth') {
      this.emitLine(item, true);
      await authResponse(this, item.line.toString('latin1'));
      return;
    }
    // The verb ends at any white space, as Postfix reads it: `AUTH<TAB>PLAIN …` is AUTH.
    const { verb, argument, word: given } = splitCommandLine(item.line.toString('latin1'));
    this.emitLine(item, verb === 'AUTH');
    const occurrence = (this.counts.get(verb) ?? 0) + 1;
    this.counts.set(verb, occurrence);
    const sinceLastReplyMs = Date.now() - this.lastReplyAt;
    const onCommand = this.settings.behaviour.onCommand;
    // Without a hook there is nothing to build, nor to wait for: this is the hot path under load.
    const decision = onCommand ? await onCommand({
      ...this.connection,
      verb,
      argument,
      line: item.line,
      terminator: item.terminator,
      afterChunk: this.afterChunk,
      state: this.state,
      occurrence,
      // A BDAT's own chunk follows it at once (RFC 3030 §2): only what lies beyond it was sent ahead.
      pipelined: this.reader.buffered > (verb === 'BDAT' ? chunkSize(argument) : 0),
      sinceLastReplyMs,
      helo: this.helo,
      from: this.from,
      to: this.to,
      authenticated: this.authenticatedAs !== undefined,
    }) : undefined;
    // BDAT's octets follow its line whatever the answer: its handler applies the decision once
    // they are read (RFC 3030 §2), so that they are never taken for commands.
    if (verb !== 'BDAT' && decision && await this.preempt(decision)) return;
    if (this.afterChunk && !commandHandlers[verb]) {
      this.info(`the line after BDAT chunk ${this.chunkCount} is not a command: the chunk's announced size was probably smaller than the octets the client sent (RFC 3030 §2), and the rest is being read as commands`);
    }
    if (item.length > COMMAND_LINE_LIMIT && verb !== 'AUTH' && verb !== 'BDAT') {
      // RFC 5321 §4.5.3.1.4 and §4.2.2 (500 "line too long").
      this.finish(decision, reply(500, '5.5.2', `Line too long (${item.length} octets, limit ${COMMAND_LINE_LIMIT})`));
      return;
    }
    const handler: CommandHandler | undefined = commandHandlers[verb];
    if (!handler) {
      this.finish(decision, verb === '' ? reply(500, '5.5.2', 'Error: bad syntax') : unrecognized(given));
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
    if (!this.socket.write(bytes)) this.holds.set('replies', true);
    this.lastReplyAt = Date.now();
    if (this.settings.byteEvents) this.settings.emit({ type: 'send', conn: this.conn, tls: this.tls, data: bytes });
    // Like Postfix's smtpd_hard_error_limit: a client that collects error after error is
    // stuck in a loop (or probing), and holding its connection open helps nobody.
    const { maxErrors, hostname } = this.settings;
    if (spec.code >= 400 && spec.code !== 421 && maxErrors > 0 && ++this.errors >= maxErrors) {
      this.sendReply(reply(421, '4.7.0', `${hostname} Error: too many errors`));
      this.close('local', `closed after ${this.errors} error replies`, 'end');
    }
  }

  info(message: string): void {
    this.settings.emit({ type: 'info', conn: this.conn, tls: this.tls, message });
  }

  close(by: 'local' | 'error', reason: string, how: 'end' | 'destroy'): void {
    if (this.closed) return;
    if (how === 'end') this.socket.end(this.settings.closeGraceMs);
    else this.socket.destroy();
    this.closedBy(by, reason);
  }

  closeAfterReply(reason: string): void {
    this.close('local', reason, 'end');
  }

  resetTransaction(): void {
    this.from = undefined;
    this.to = [];
    this.binaryMime = false;
    this.xforward = {};
    if (this.data?.transfer === 'bdat') {
      void this.data.body?.dispose();
      this.data = undefined;
    }
    if (this.state === 'mail' || this.state === 'rcpt' || this.state === 'bdat') this.state = 'ready';
  }

  /** RFC 3207 §4.2: after the handshake the client starts over with EHLO. */
  async upgradeToTls(abort: boolean): Promise<void> {
    discardAfterStartTls(this.reader, (discarded, note) => {
      this.settings.emit({ type: 'recv', conn: this.conn, tls: false, data: discarded });
      this.info(note);
    });
    if (abort) {
      this.info('closing in the middle of the TLS handshake, as the scenario asks');
      this.socket.abortTls();
      this.closedBy('local', 'TLS handshake aborted by the scenario');
      return;
    }
    const tls = this.settings.tls;
    if (!tls) throw new Error('STARTTLS without a certificate');
    try {
      const summary = await this.socket.startTls(tls);
      this.state = 'greeting';
      this.helo = undefined;
      this.authenticatedAs = undefined;
      this.resetTransaction();
      this.settings.emit({ type: 'tls', conn: this.conn, tls: true, summary });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.settings.emit({ type: 'error', conn: this.conn, tls: false, code: 'ETLS', message });
      this.close('error', message, 'destroy');
    }
  }

  beginData(): void {
    this.state = 'data';
    this.data = this.openMessage('data');
    if (this.settings.dataTimeoutMs > 0) this.armDataTimer();
    this.reader.startData();
  }

  private openMessage(transfer: 'data' | 'bdat'): IncomingMessage {
    const { keepContent, dataTimeoutMs } = this.settings;
    const now = Date.now();
    return {
      transfer,
      chunkSizes: [],
      startedAt: now,
      deadline: dataTimeoutMs > 0 ? now + dataTimeoutMs : Infinity,
      received: 0,
      oversize: false,
      chunks: keepContent ? [] : undefined,
      unstuffer: transfer === 'data' ? new DotUnstuffer() : undefined,
      body: keepContent ? undefined : this.settings.openBody(`${this.conn}-${this.messageCount + 1}`),
      size: 0,
      line: Buffer.alloc(0),
    };
  }

  /** Chunks of the BDAT transaction in progress, the one being read included. */
  private get chunkCount(): number {
    return this.data?.transfer === 'bdat' ? this.data.chunkSizes.length : 0;
  }

  beginChunk(size: number, last: boolean, refusal: ReplySpec | undefined, decision: Decision | undefined): void {
    let number = 0;
    const { dataTimeoutMs } = this.settings;
    const now = Date.now();
    let progress: Progress = { startedAt: now, deadline: dataTimeoutMs > 0 ? now + dataTimeoutMs : Infinity, received: 0 };
    if (!refusal) {
      const first = this.data === undefined;
      if (first) this.data = this.openMessage('bdat');
      const message = this.data!;
      number = message.chunkSizes.push(size);
      this.state = 'bdat';
      // The DATA progress rule holds for each chunk (a refused one too, so that no chunk can
      // be dripped forever); between chunks the idle timer does.
      message.deadline = progress.deadline;
      progress = message;
      this.reader.startChunk(size, first);
    } else {
      this.reader.startChunk(size, false);
    }
    this.chunk = { number, size, last, refusal, decision, line: Buffer.alloc(0), progress };
    if (dataTimeoutMs > 0) this.armDataTimer();
    if (this.settings.byteEvents) {
      this.info(refusal
        ? `BDAT chunk of ${size} octets${last ? ' (LAST)' : ''}, refused with ${refusal.code}: its octets are read and dropped (RFC 3030 §2)`
        : `BDAT chunk ${number}: ${size} octets${last ? ' (LAST)' : ''}`);
    }
  }

  private async collect(bytes: Buffer): Promise<void> {
    const chunk = this.chunk;
    if (this.settings.byteEvents) this.emitDataLines(chunk ?? this.data, bytes);
    const progress = this.progress;
    if (progress) {
      progress.received += bytes.length;
      const { dataTimeoutMs, dataMinRate } = this.settings;
      if (dataTimeoutMs > 0 && dataMinRate > 0) {
        const now = Date.now();
        progress.deadline = Math.min(now + dataTimeoutMs, progress.deadline + (bytes.length * 1000) / dataMinRate);
      }
    }
    if (chunk?.refusal) return;
    const message = this.data;
    if (!message) return;
    if (message.oversize) return;
    if (message.received > this.settings.maxMessageSize) {
      // The rest is read and counted, not kept: the 552 comes at the end of data.
      message.oversize = true;
      message.chunks = undefined;
      void message.body?.dispose();
      message.body = undefined;
      return;
    }
    if (message.chunks) {
      message.chunks.push(bytes);
      return;
    }
    // RFC 3030 §2: BDAT content is taken as it is, with no dot-stuffing to undo.
    const content = message.unstuffer ? message.unstuffer.push(bytes) : [bytes];
    for (const piece of content) message.size += piece.length;
    // Awaited: a disk slower than the client holds the client back (the reader fills, and
    // reading pauses) instead of filling memory.
    if (message.body) await message.body.write(content);
  }

  /**
   * Recv events go out line by line so a reporter can show each line with its terminator;
   * `holder` keeps the unfinished line (the message's for DATA, the chunk's for BDAT).
   */
  private emitDataLines(holder: { line: Buffer } | undefined, bytes: Buffer): void {
    if (!holder) return;
    let pending = holder.line.length > 0 ? Buffer.concat([holder.line, bytes]) : bytes;
    for (let crlf = pending.indexOf('\r\n'); crlf !== -1; crlf = pending.indexOf('\r\n')) {
      this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from(pending.subarray(0, crlf + 2)) });
      pending = pending.subarray(crlf + 2);
    }
    if (pending.length > DATA_EVENT_LIMIT) {
      this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from(pending) });
      pending = Buffer.alloc(0);
    }
    holder.line = Buffer.from(pending);
  }

  private async finishData(end: DataEnd): Promise<void> {
    const message = this.data;
    this.data = undefined;
    clearTimeout(this.dataTimer);
    if (!message) return;
    if (this.settings.byteEvents) {
      if (message.line.length > 0) this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: message.line });
      this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: Buffer.from('.\r\n') });
    }
    try {
      await this.answerMessage(message, end, undefined);
    } finally {
      await message.body?.dispose();
    }
  }

  /** A BDAT chunk's octets are all read: answered now (RFC 3030 §2: one reply per BDAT). */
  private async finishChunk(end: ChunkEnd): Promise<void> {
    const chunk = this.chunk;
    this.chunk = undefined;
    clearTimeout(this.dataTimer);
    if (!chunk) return;
    // The chunk's last line is shown on its own: a chunk boundary is not a line end.
    if (this.settings.byteEvents && chunk.line.length > 0) this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, data: chunk.line });
    if (chunk.refusal) {
      await this.act(chunk.decision, chunk.refusal);
      return;
    }
    const message = this.data;
    if (!message) return;
    // A reply the behaviour puts in place of the default ends the transaction: what the
    // client does next is its answer to that reply, not more of this message.
    if (await this.preempt(chunk.decision)) {
      this.resetTransaction();
      return;
    }
    if (message.oversize && !chunk.last) {
      // RFC 3030 §2: after a failed chunk the client sends no more; chunks it had already
      // pipelined get 503 (no transaction) and are dropped.
      this.resetTransaction();
      this.finish(chunk.decision, this.oversizeReply());
      return;
    }
    if (!chunk.last) {
      this.finish(chunk.decision, reply(250, '2.0.0', `Ok: ${chunk.size} octets received (chunk ${chunk.number})`));
      return;
    }
    this.data = undefined;
    try {
      await this.answerMessage(message, end, chunk.decision);
    } finally {
      await message.body?.dispose();
    }
  }

  private oversizeReply(): ReplySpec {
    // RFC 1870 §6.3 and RFC 5321 §4.5.3.1.10: the whole message is refused.
    return reply(552, '5.3.4', `Message size exceeds fixed maximum message size (${this.settings.maxMessageSize})`);
  }

  /**
   * The answer to a complete message: one reply in SMTP; in LMTP one per accepted recipient,
   * in RCPT order (RFC 2033 §4.2). `commandDecision` is BDAT LAST's (its close still applies).
   */
  private async answerMessage(message: IncomingMessage, end: DataEnd | ChunkEnd, commandDecision: Decision | undefined): Promise<void> {
    const from = this.from ?? '';
    // Handed over, not copied: this.to gets a new array below and the old one is not touched again.
    const to = this.to;
    const { xclient } = this;
    const xforward = this.xforward;
    this.state = 'ready';
    this.from = undefined;
    this.to = [];
    this.binaryMime = false;
    this.xforward = {};
    const where = message.transfer === 'data' ? 'DATA line(s)' : 'line(s) of the BDAT content';
    if (end.bareCrLines.length > 0) this.info(`bare CR in ${where} ${end.bareCrLines.join(', ')} (RFC 5321 §2.3.8: only CRLF ends a line)`);
    if (end.bareLfLines.length > 0) this.info(`bare LF in ${where} ${end.bareLfLines.join(', ')} (RFC 5321 §2.3.8: only CRLF ends a line)`);
    if (end.longLines.length > 0) this.info(`${where} ${end.longLines.join(', ')} longer than ${TEXT_LINE_LIMIT} octets (RFC 5321 §4.5.3.1.6)`);
    const answerAll = (decision: Decision | undefined, spec: ReplySpec) => {
      if (this.settings.lmtp) for (let i = 1; i < to.length; i++) this.sendReply(spec);
      this.finish(decision, spec);
    };
    if (message.oversize) return answerAll(commandDecision, this.oversizeReply());
    // LMTP: each recipient's fate is decided before storing, so that the stored envelope
    // holds only the recipients that got a 250.
    const results: Array<ReplySpec | undefined> = [];
    if (this.settings.lmtp && this.settings.behaviour.onRecipientResult) {
      for (const [i, recipient] of to.entries()) results.push(await this.settings.behaviour.onRecipientResult({ ...this.connection, recipient, position: i + 1, from }));
    }
    const refused = (i: number) => (results[i]?.code ?? 250) >= 400;
    const delivered = to.filter((_, i) => !refused(i));
    const summary = {
      conn: this.conn,
      from,
      to: delivered,
      tls: this.tls,
      helo: this.helo,
      authenticatedAs: this.authenticatedAs,
      transfer: message.transfer,
      ...(message.transfer === 'bdat' ? { chunks: message.chunkSizes } : {}),
      ...(Object.keys(xclient).length > 0 ? { xclient } : {}),
      ...(Object.keys(xforward).length > 0 ? { xforward } : {}),
      // The reader makes these arrays anew for every message, so they can be handed over.
      bareCrLines: end.bareCrLines,
      bareLfLines: end.bareLfLines,
      longLines: end.longLines,
    };
    const occurrence = ++this.messageCount;
    let decision: MessageDecision | undefined;
    let stored: { message: MessageSummary | ReceivedMessage; content: StoredContent } | undefined;
    if (message.chunks) {
      // One copy of the message: the stored raw bytes, with the content (still dot-stuffed) a view of it.
      const raw = message.transfer === 'data' ? Buffer.concat([...message.chunks, DOT_CRLF]) : Buffer.concat(message.chunks);
      const stuffed = message.transfer === 'data' ? raw.subarray(0, raw.length - DOT_CRLF.length) : raw;
      const content = message.transfer === 'data' ? dotUnstuff(stuffed) : raw;
      decision = await this.settings.behaviour.onMessage?.({ ...this.connection, from, to, data: content, stuffed, occurrence, transfer: message.transfer, bareCrLines: end.bareCrLines, bareLfLines: end.bareLfLines, longLines: end.longLines });
      if (decision && await this.preempt(decision)) {
        // In LMTP the replacement reply stands for every recipient (preempt sent the first).
        if (decision.reply && this.settings.lmtp) for (let i = 1; i < to.length; i++) this.sendReply(decision.reply);
        return;
      }
      if (decision?.store !== false && delivered.length > 0) {
        const data = decision?.store ?? content;
        stored = { message: { ...summary, id: nextQueueId(), size: data.length, receivedAt: new Date(), data, raw }, content: data };
      }
    } else {
      await message.body?.end();
      if (delivered.length > 0) stored = { message: { ...summary, id: nextQueueId(), size: message.size, receivedAt: new Date() }, content: message.body };
    }
    decision ??= commandDecision;
    const id = stored?.message.id ?? nextQueueId();
    let failure: ReplySpec | undefined;
    if (stored) {
      try {
        if (message.body?.failure) throw message.body.failure;
        await this.settings.deliver(stored.message, stored.content);
      } catch (error) {
        if (!(error instanceof StorageFailure)) throw error;
        failure = this.refuseUnstored(stored.message, error);
      }
    }
    if (!this.settings.lmtp) return this.finish(decision, failure ?? reply(250, '2.0.0', `Ok: queued as ${id} (kept here, never relayed)`));
    to.forEach((recipient, i) => {
      const spec = results[i] ?? failure ?? reply(250, '2.1.5', `<${recipient}> Ok: queued as ${id} (kept here, never relayed)`);
      if (i === to.length - 1) this.finish(decision, spec);
      else this.sendReply(spec);
    });
  }

  /**
   * A message that could not be written whole is not acknowledged: 452 when there is no room
   * (RFC 5321 §4.2.2 "insufficient system storage", RFC 3463 X.3.1), else 451 (X.3.0), so the
   * client keeps it and tries again later.
   */
  private refuseUnstored(message: MessageSummary, failure: StorageFailure): ReplySpec {
    const answer = failure.noSpace
      ? reply(452, '4.3.1', 'Insufficient system storage: message not stored, try again later')
      : reply(451, '4.3.0', 'Error: local write error, message not stored, try again later');
    this.settings.emit({ type: 'error', conn: this.conn, tls: this.tls, code: failure.errno, message: `message from <${message.from}> (${message.size} octets) not stored: ${failure.message}; answered ${answer.code} ${answer.enhanced}` });
    return answer;
  }

  /** `mayHoldSecret`: an AUTH command or a line of its exchange (the only lines redacted). */
  private emitLine(item: CommandLine, mayHoldSecret: boolean): void {
    if (!this.settings.byteEvents) return;
    const recorded = recordedLine(item, { mayHoldSecret, inAuthExchange: this.state === 'auth', showSecrets: this.settings.showSecrets });
    this.settings.emit({ type: 'recv', conn: this.conn, tls: this.tls, ...recorded });
  }
}
