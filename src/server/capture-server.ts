import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInboundEngine } from '../inbound/engine.js';
import { describeAttributes } from '../smtp/xclient.js';
import type { InboundTls } from '../net/inbound-socket.js';
import type { BoundListener, InboundListen } from '../inbound/engine.js';
import { serverCertificate, type ListenAddress } from '../net/listener.js';
import { EventStream, type EventInput, type SessionEvent } from '../transcript/events.js';
import type { AuthUsers } from './auth-users.js';
import { defaultBehaviour, type ServerBehaviour } from './behaviour.js';
import {
  DEFAULT_DATA_MIN_RATE,
  DEFAULT_DATA_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_LINE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_ERRORS,
  DEFAULT_MAX_MESSAGE_SIZE,
} from './defaults.js';
import { MboxrdBody, MboxrdWriter } from './mboxrd.js';
import { MessageSpool } from './message-spool.js';
import { ServerSession, type MessageSummary, type ReceivedMessage } from './session.js';
import { StorageFailure } from './storage.js';

export type { MessageSummary, ReceivedMessage } from './session.js';

/**
 * After the server ends a connection (221, 421, a refusal) the client gets this long to read
 * the last reply and close its side; then the socket is destroyed, so a client that never
 * closes holds no descriptor. Long enough for any client that reads at all, short enough that
 * silent ones cannot pile up.
 */
const CLOSE_GRACE_MS = 2000;

/** A message streamed to the mbox keeps this much in memory before it goes to a temporary file. */
const SPOOL_THRESHOLD = 256 * 1024;

export interface CaptureServerOptions {
  /** Default 127.0.0.1: the server is for the local machine unless asked otherwise. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /**
   * Listen on these instead of host:port: TCP or Unix sockets, each in plain text or with
   * implicit TLS (the handshake before the banner, RFC 8314 §3.3).
   */
  listen?: ReadonlyArray<{ address: ListenAddress; implicitTls: boolean }>;
  /** Ask TLS clients for a certificate, and describe the one they send (none is verified). */
  requestClientCert?: boolean;
  /** Append every accepted message here, in mboxrd format. */
  mboxPath?: string;
  /** Sync the mbox to the disk before acknowledging what was written (default false). */
  fsync?: boolean;
  /** PEM; both or neither. Without them a self-signed certificate is generated. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name in the banner and EHLO reply, and in the generated certificate. Default "localhost". */
  hostname?: string;
  events?: EventStream;
  behaviour?: ServerBehaviour;
  /** Default 300000 (RFC 5321 §4.5.3.2.7 asks at least 5 minutes); 0 disables. */
  idleTimeoutMs?: number;
  /** A command line must be complete this long after it began. Default 60000; 0 disables. */
  lineTimeoutMs?: number;
  /** How far DATA may fall behind `dataMinRate` octets/s. Default 300000; 0 disables. */
  dataTimeoutMs?: number;
  /** Default 1024 octets/s; 0 makes `dataTimeoutMs` a fixed deadline for the whole message. */
  dataMinRate?: number;
  /** How long a client gets to close after the server's close before its socket is destroyed. Default 2000. */
  closeGraceMs?: number;
  /** Advertised in SIZE and enforced with 552. Default 25 MiB. */
  maxMessageSize?: number;
  /** Offer STARTTLS (default true). */
  tls?: boolean;
  /** Show AUTH payloads in events instead of redacting them. */
  showSecrets?: boolean;
  /** Check AUTH against these accounts (and offer SCRAM-SHA-256); default: any credentials. */
  authUsers?: AuthUsers;
  /** How long a TLS handshake may take. Default 10000. */
  handshakeTimeoutMs?: number;
  /** Connections served at once; one more gets 421 4.7.0 and is closed. Default 100; 0: no limit. */
  maxConnections?: number;
  /** Error replies (4xx/5xx) per connection before 421 4.7.0 and a close. Default 20; 0: no cap. */
  maxErrors?: number;
  /**
   * Keep every accepted message, content included, in `messages` (default true, for tests
   * and embedding): each message is then held whole in memory. A long-running server turns
   * this off: then messages stream to the mbox, and `onMessage` gets their summary.
   */
  keepMessages?: boolean;
  /**
   * Lints each accepted message as it is stored (`serve --lint`): its findings are shown as
   * info lines under the message. The content is then held whole in memory, up to the size
   * limit. Given by the caller, so that the server does not load the linter otherwise.
   */
  lint?: (content: Buffer) => ReadonlyArray<{ severity: string; rule: string; line: number; detail: string }>;
  /**
   * Emit send/recv events for every command, reply and DATA line (default true). Off, only
   * connections, TLS, closes, errors and notes (one per stored message) are emitted.
   */
  byteEvents?: boolean;
  /** Speak LMTP (RFC 2033) instead of SMTP: LHLO, and one reply per recipient after the data. */
  lmtp?: boolean;
  /** Advertise and accept XCLIENT and XFORWARD (Postfix); off by default. */
  xclient?: boolean;
}

export interface CaptureServer {
  /** The first listener's host and port (for a Unix socket: its `unix:` address and 0). */
  host: string;
  port: number;
  /** Every listener, as bound. */
  listeners: readonly BoundListener[];
  hostname: string;
  /** The certificate offered for STARTTLS and implicit TLS (PEM), generated or given; undefined without TLS. */
  certificate: string | undefined;
  /** Every message accepted so far, in order (empty with `keepMessages: false`). */
  readonly messages: ReceivedMessage[];
  events: EventStream;
  /** Called for each message once it is stored; returns an unsubscribe function. */
  onMessage(callback: (message: MessageSummary) => void): () => void;
  /**
   * Stops reading from every connection (true) until called with false: for an owner whose
   * output of the events cannot keep up, so that it fills no memory.
   */
  holdInput(held: boolean): void;
  /** Sends 421 to open connections, stops listening, finishes mbox writes. */
  close(): Promise<void>;
}

/** How the message came, when not by plain DATA: its BDAT chunks, and the XCLIENT/XFORWARD attributes in force. */
function describeHandover(message: MessageSummary): string {
  const chunks = message.chunks;
  return [
    chunks ? `, by BDAT in ${chunks.length} chunk${chunks.length === 1 ? '' : 's'} (${chunks.join(' + ')} octets)` : '',
    message.xclient ? `, XCLIENT ${describeAttributes(message.xclient)}` : '',
    message.xforward ? `, XFORWARD ${describeAttributes(message.xforward)}` : '',
  ].join('');
}

export async function startCaptureServer(options: CaptureServerOptions = {}): Promise<CaptureServer> {
  const hostname = options.hostname ?? 'localhost';
  const events = options.events ?? new EventStream();
  const behaviour = options.behaviour ?? defaultBehaviour;
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const keepMessages = options.keepMessages ?? true;
  const tlsEnabled = options.tls ?? true;
  const wanted = options.listen ?? [{ address: { kind: 'tcp' as const, host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, implicitTls: false }];
  let certificate: string | undefined;
  let tls: InboundTls | undefined;
  if (tlsEnabled || wanted.some((l) => l.implicitTls)) {
    const server = serverCertificate(options.cert, options.key, hostname);
    certificate = server.certificate;
    tls = { context: server.context, handshakeTimeoutMs, requestCert: options.requestClientCert ?? false };
  }
  const listen: InboundListen[] = wanted.map((l) => ({ address: l.address, implicitTls: l.implicitTls ? tls : undefined }));
  const mbox = options.mboxPath !== undefined ? await MboxrdWriter.open(options.mboxPath, { sync: options.fsync ?? false }) : undefined;
  const messages: ReceivedMessage[] = [];
  const callbacks = new Set<(message: MessageSummary) => void>();
  const emit = (event: EventInput) => {
    events.emit({ ...event, t: events.now(), tls: event.tls ?? false } as SessionEvent);
  };

  // Large messages wait in temporary files of their own, in a directory made at the first one.
  let spoolDirectory: Promise<string> | undefined;
  const spoolPrefix = join(tmpdir(), 'smtpdbg-serve-');
  const directory = () => (spoolDirectory ??= mkdtemp(spoolPrefix).catch((error: unknown) => {
    // Not kept: the next large message tries again (the disk may have room by then).
    spoolDirectory = undefined;
    // Named by its pattern: the directory mkdtemp would have made does not exist.
    throw new StorageFailure(`${spoolPrefix}*`, error);
  }));
  const openBody = (name: string) => (mbox ? new MboxrdBody(new MessageSpool(directory, name, SPOOL_THRESHOLD)) : undefined);

  const deliver = async (message: MessageSummary | ReceivedMessage, content: Buffer | MboxrdBody | undefined) => {
    if (mbox && content) {
      if (Buffer.isBuffer(content)) await mbox.append(message.from, message.receivedAt, content);
      else await mbox.appendBody(message.from, message.receivedAt, content);
    }
    if (keepMessages && 'data' in message) messages.push(message);
    emit({ type: 'info', conn: message.conn, tls: message.tls, message: `message ${message.id}: ${message.size} octets from <${message.from}> to ${message.to.map((r) => `<${r}>`).join(', ')}${describeHandover(message)}${mbox ? `, appended to ${mbox.path}` : ''}` });
    if (options.lint && Buffer.isBuffer(content)) {
      const findings = options.lint(content);
      if (findings.length === 0) emit({ type: 'info', conn: message.conn, tls: message.tls, message: `message ${message.id}: lint-mbox: no findings` });
      for (const f of findings) emit({ type: 'info', conn: message.conn, tls: message.tls, message: `message ${message.id}: lint-mbox ${f.severity} ${f.rule} line ${f.line}: ${f.detail}` });
    }
    for (const callback of callbacks) callback(message);
  };

  const closeGraceMs = options.closeGraceMs ?? CLOSE_GRACE_MS;
  const engine = await startInboundEngine({
    listen,
    maxConnections,
    closeGraceMs,
    refusal: (conn, socket, open) => {
      emit({ type: 'info', conn, message: `refused ${socket.remoteAddress}:${socket.remotePort}: ${open} connections open (--max-connections ${maxConnections})` });
      return { text: `${hostname} Error: too many connections` };
    },
    accept: (socket, slot, listener) => {
      const { conn } = slot;
      const session = new ServerSession(socket, {
        conn,
        hostname,
        behaviour,
        emit,
        deliver,
        openBody,
        // Content is held whole only where something needs it whole: kept messages, and a
        // behaviour that reads or rewrites it.
        keepContent: keepMessages || behaviour.onMessage !== undefined || options.lint !== undefined,
        released: () => slot.release(),
        maxMessageSize,
        idleTimeoutMs,
        lineTimeoutMs: options.lineTimeoutMs ?? DEFAULT_LINE_TIMEOUT_MS,
        dataTimeoutMs: options.dataTimeoutMs ?? DEFAULT_DATA_TIMEOUT_MS,
        dataMinRate: options.dataMinRate ?? DEFAULT_DATA_MIN_RATE,
        tlsAvailable: tlsEnabled,
        tls: tlsEnabled ? tls : undefined,
        closeGraceMs,
        showSecrets: options.showSecrets ?? false,
        ...(options.authUsers ? { authUsers: options.authUsers } : {}),
        maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS,
        byteEvents: options.byteEvents ?? true,
        lmtp: options.lmtp ?? false,
        xclient: options.xclient ?? false,
      });
      const { remoteAddress, remotePort, localAddress, localPort } = socket;
      // A Unix-socket client has no address: the connection is named by the socket it came in on.
      const unix = listener.address.kind === 'unix' ? `unix:${listener.address.path}` : undefined;
      emit({
        type: 'connect',
        conn,
        host: unix ?? remoteAddress,
        port: remotePort,
        remoteAddress: unix ?? remoteAddress,
        ...(unix !== undefined ? { localAddress: unix } : localAddress !== undefined ? { localAddress } : {}),
        ...(localPort !== undefined ? { localPort } : {}),
      });
      session.start(listener.implicitTls).catch((error: unknown) => {
        emit({ type: 'error', conn, code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
        socket.destroy();
      });
      return session;
    },
  });
  const first = engine.listeners[0]!;
  let closing: Promise<void> | undefined;
  return {
    host: first.address.kind === 'tcp' ? first.address.host : first.text,
    port: first.address.kind === 'tcp' ? first.address.port : 0,
    listeners: engine.listeners,
    hostname,
    certificate,
    messages,
    events,
    onMessage(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    holdInput: (held) => engine.holdInput(held),
    close() {
      closing ??= (async () => {
        // A client gets a moment to read the 421 before its socket is destroyed.
        await engine.close(500);
        await mbox?.close();
        const spool = await spoolDirectory?.catch(() => undefined);
        if (spool) await rm(spool, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
