import { AcceptedSocket, type AcceptedSocketTls } from '../net/accepted-socket.js';
import { listen, serverCertificate, type Listener, type ListenOptions } from '../net/listener.js';
import { EventStream, type EventInput, type SessionEvent } from '../transcript/events.js';
import { defaultBehaviour, type ServerBehaviour } from './behaviour.js';
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_ERRORS, DEFAULT_MAX_MESSAGE_SIZE } from './defaults.js';
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

/** Wires a ServerSession to its accepted connection; the socket itself stays in src/net. */
function sessionIo(accepted: AcceptedSocket, tls: AcceptedSocketTls | undefined, session: () => ServerSession): SessionIo {
  return accepted.serve(
    {
      data: (chunk) => session().receive(chunk),
      end: () => session().closedBy('peer', 'the client closed the connection'),
      error: (error) => session().closedBy('error', error.code ?? error.message),
      close: () => session().closedBy('peer', 'connection closed'),
    },
    tls,
  );
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
  let tls: AcceptedSocketTls | undefined;
  if (tlsEnabled) {
    const server = serverCertificate(options.cert, options.key, hostname);
    certificate = server.certificate;
    tls = { context: server.context, handshakeTimeoutMs };
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

  const onConnection: ListenOptions['onConnection'] = (socket) => {
    const accepted = new AcceptedSocket(socket);
    const conn = nextConn++;
    const { remoteAddress, remotePort } = accepted;
    if (maxConnections > 0 && sessions.size >= maxConnections) {
      // RFC 5321 §3.1: a server that cannot take the connection may answer 421 and close.
      accepted.refuse(formatReply(reply(421, '4.7.0', `${hostname} Error: too many connections`)));
      emit({ type: 'info', conn, message: `refused ${remoteAddress}:${remotePort}: ${sessions.size} connections open (--max-connections ${maxConnections})` });
      return;
    }
    const session: ServerSession = new ServerSession(sessionIo(accepted, tls, () => session), {
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
    accepted.onceClosed(() => sessions.delete(session));
    emit({
      type: 'connect',
      conn,
      host: remoteAddress,
      port: remotePort,
      remoteAddress,
      ...(accepted.localAddress !== undefined ? { localAddress: accepted.localAddress } : {}),
      ...(accepted.localPort !== undefined ? { localPort: accepted.localPort } : {}),
    });
    session.start().catch((error: unknown) => {
      emit({ type: 'error', conn, code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
      accepted.destroy();
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
