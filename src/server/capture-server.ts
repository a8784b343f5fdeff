import type { Socket } from 'node:net';
import { createServerTlsContext, listen, upgradeServerSocket, type Listener, type ServerTlsUpgrade } from '../net/listener.js';
import { generateSelfSignedCertificate } from '../tls/self-signed.js';
import { EventStream, type EventInput, type SessionEvent } from '../transcript/events.js';
import { defaultBehaviour, type ServerBehaviour } from './behaviour.js';
import { MboxrdWriter } from './mboxrd.js';
import { formatReply, reply } from './replies.js';
import { ServerSession, type ReceivedMessage, type SessionIo } from './session.js';

export type { ReceivedMessage } from './session.js';

export interface CaptureServerOptions {
  /** Default 127.0.0.1: the server is for the local machine unless asked otherwise. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Append every accepted message here, in mboxrd format. */
  mboxPath?: string;
  /** PEM; both or neither. Without them a self-signed certificate is generated. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name in the banner and EHLO reply, and in the generated certificate. Default "localhost". */
  hostname?: string;
  events?: EventStream;
  behaviour?: ServerBehaviour;
  /** Default 300000 (RFC 5321 §4.5.3.2.7 asks at least 5 minutes); 0 disables. */
  idleTimeoutMs?: number;
  /** Advertised in SIZE and enforced with 552. Default 25 MiB. */
  maxMessageSize?: number;
  /** Offer STARTTLS (default true). */
  tls?: boolean;
  /** Show AUTH payloads in events instead of redacting them. */
  showSecrets?: boolean;
  /** How long a TLS handshake may take. Default 10000. */
  handshakeTimeoutMs?: number;
  /** Connections served at once; one more gets 421 4.7.0 and is closed. Default 100; 0: no limit. */
  maxConnections?: number;
  /** Error replies (4xx/5xx) per connection before 421 4.7.0 and a close. Default 20; 0: no cap. */
  maxErrors?: number;
  /**
   * Keep every accepted message in `messages` (default true, for tests and embedding). A
   * long-running server turns this off: then messages only go to the mbox and `onMessage`.
   */
  keepMessages?: boolean;
  /**
   * Emit send/recv events for every command, reply and DATA line (default true). Off, only
   * connections, TLS, closes, errors and notes (one per stored message) are emitted.
   */
  byteEvents?: boolean;
}

export interface CaptureServer {
  host: string;
  port: number;
  hostname: string;
  /** The certificate offered for STARTTLS (PEM), generated or given; undefined without TLS. */
  certificate: string | undefined;
  /** Every message accepted so far, in order (empty with `keepMessages: false`). */
  readonly messages: ReceivedMessage[];
  events: EventStream;
  /** Called for each message once it is stored; returns an unsubscribe function. */
  onMessage(callback: (message: ReceivedMessage) => void): () => void;
  /** Sends 421 to open connections, stops listening, finishes mbox writes. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Postfix's default process limit is 100 smtpd processes, hence 100 sessions. */
export const DEFAULT_MAX_CONNECTIONS = 100;
/** Postfix's smtpd_hard_error_limit default. */
export const DEFAULT_MAX_ERRORS = 20;

/** Wires a ServerSession to an accepted socket: the only place here that touches sockets. */
function socketIo(initial: Socket, tlsUpgrade: ((socket: Socket) => ServerTlsUpgrade) | undefined, session: () => ServerSession): SessionIo {
  let socket: Socket = initial;
  const onData = (chunk: Buffer) => session().receive(chunk);
  const onEnd = () => session().closedBy('peer', 'the client closed the connection');
  const onError = (error: NodeJS.ErrnoException) => session().closedBy('error', error.code ?? error.message);
  const onClose = () => session().closedBy('peer', 'connection closed');
  const attach = (s: Socket) => {
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('error', onError);
    s.on('close', onClose);
  };
  const detach = (s: Socket) => {
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('close', onClose);
  };
  attach(socket);
  return {
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    startTls: async () => {
      if (!tlsUpgrade) throw new Error('TLS is not configured');
      detach(socket);
      const upgrade = tlsUpgrade(socket);
      socket = upgrade.socket;
      const summary = await upgrade.secured;
      attach(socket);
      return summary;
    },
    abortTls: () => {
      detach(socket);
      // Wait for the ClientHello so that the close lands inside the handshake.
      socket.once('data', () => socket.destroy());
      socket.on('error', () => undefined);
    },
  };
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
  let certificate: string | undefined;
  let upgrade: ((socket: Socket) => ServerTlsUpgrade) | undefined;
  if (tlsEnabled) {
    const pair = options.cert !== undefined && options.key !== undefined
      ? { cert: options.cert, key: options.key }
      : generateSelfSignedCertificate({ hostnames: [hostname] });
    const context = createServerTlsContext(pair.cert, pair.key);
    certificate = pair.cert.toString();
    upgrade = (socket) => upgradeServerSocket(socket, context, handshakeTimeoutMs);
  }
  const mbox = options.mboxPath !== undefined ? await MboxrdWriter.open(options.mboxPath) : undefined;
  const messages: ReceivedMessage[] = [];
  const callbacks = new Set<(message: ReceivedMessage) => void>();
  const sessions = new Set<ServerSession>();
  let nextConn = 1;
  const emit = (event: EventInput) => {
    events.emit({ ...event, t: events.now(), tls: event.tls ?? false } as SessionEvent);
  };

  const deliver = async (message: ReceivedMessage) => {
    if (mbox) await mbox.append(message.from, message.receivedAt, message.data);
    if (keepMessages) messages.push(message);
    emit({ type: 'info', conn: message.conn, tls: message.tls, message: `message ${message.id}: ${message.data.length} octets from <${message.from}> to ${message.to.map((r) => `<${r}>`).join(', ')}${mbox ? `, appended to ${mbox.path}` : ''}` });
    for (const callback of callbacks) callback(message);
  };

  const onConnection = (socket: Socket) => {
    const conn = nextConn++;
    const remoteAddress = socket.remoteAddress ?? '';
    const remotePort = socket.remotePort ?? 0;
    if (maxConnections > 0 && sessions.size >= maxConnections) {
      // RFC 5321 §3.1: a server that cannot take the connection may answer 421 and close.
      socket.on('error', () => undefined);
      socket.end(formatReply(reply(421, '4.7.0', `${hostname} Error: too many connections`)));
      emit({ type: 'info', conn, message: `refused ${remoteAddress}:${remotePort}: ${sessions.size} connections open (--max-connections ${maxConnections})` });
      return;
    }
    const session: ServerSession = new ServerSession(socketIo(socket, upgrade, () => session), {
      conn,
      hostname,
      remoteAddress,
      remotePort,
      behaviour,
      emit,
      deliver,
      maxMessageSize,
      idleTimeoutMs,
      tlsAvailable: tlsEnabled,
      showSecrets: options.showSecrets ?? false,
      maxErrors: options.maxErrors ?? DEFAULT_MAX_ERRORS,
      byteEvents: options.byteEvents ?? true,
    });
    sessions.add(session);
    socket.once('close', () => sessions.delete(session));
    emit({
      type: 'connect',
      conn,
      host: remoteAddress,
      port: remotePort,
      remoteAddress,
      ...(socket.localAddress !== undefined ? { localAddress: socket.localAddress } : {}),
      ...(socket.localPort !== undefined ? { localPort: socket.localPort } : {}),
    });
    session.start().catch((error: unknown) => {
      emit({ type: 'error', conn, code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
      socket.destroy();
    });
  };

  const listener: Listener = await listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, onConnection });
  let closing: Promise<void> | undefined;
  return {
    host: listener.host,
    port: listener.port,
    hostname,
    certificate,
    messages,
    events,
    onMessage(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    close() {
      closing ??= (async () => {
        for (const session of sessions) session.shutdown();
        // A client gets a moment to read the 421 before its socket is destroyed.
        await listener.close(500);
        await mbox?.close();
      })();
      return closing;
    },
  };
}
