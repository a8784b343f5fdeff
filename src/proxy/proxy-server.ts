import { startInboundEngine, type BoundListener } from '../inbound/engine.js';
import { serverCertificate, type ListenAddress } from '../net/listener.js';
import { EventStream } from '../transcript/events.js';
import { ProxyConnection, type ProxySettings } from './proxy-connection.js';

export interface ProxyServerOptions extends Omit<ProxySettings, 'clientTls' | 'events'> {
  /** Default 127.0.0.1: the proxy is for the local machine unless asked otherwise. */
  listenHost?: string;
  /** Default 0 (an ephemeral port). */
  listenPort?: number;
  /**
   * Listen on these instead of listenHost:listenPort: TCP or Unix sockets, in plain text
   * (the application may STARTTLS) or with implicit TLS (an application configured for SMTPS).
   */
  listen?: ReadonlyArray<{ address: ListenAddress; implicitTls: boolean }>;
  /** The proxy's certificate and key (PEM), both or neither; generated when absent. */
  cert?: string | Buffer;
  key?: string | Buffer;
  events?: EventStream;
}

export interface ProxyServer {
  /** The first listener's host and port (for a Unix socket: its `unix:` address and 0). */
  host: string;
  port: number;
  /** Every listener, as bound. */
  listeners: readonly BoundListener[];
  /** The certificate offered to applications (PEM), given or generated. */
  certificate: string;
  certificateGenerated: boolean;
  events: EventStream;
  /** Connections accepted so far (each got the next id, from 1). */
  readonly accepted: number;
  /** Stops accepting, ends every connection (421 to applications), resolves once all are closed. */
  close(): Promise<void>;
}

/** How long close() waits for connections to finish before their sockets are destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * Listens for applications and gives each connection its own ProxyConnection with the next
 * connection id. It forwards only to the one configured upstream server.
 */
export async function startProxy(options: ProxyServerOptions): Promise<ProxyServer> {
  const events = options.events ?? new EventStream();
  const server = serverCertificate(options.cert, options.key, options.hostname);
  const clientTls = { context: server.context, handshakeTimeoutMs: options.timeoutMs, ...(options.tls.keylogPath ? { keylogPath: options.tls.keylogPath } : {}) };
  const settings: ProxySettings = { ...options, clientTls, events };
  const live = new Set<ProxyConnection>();
  const engine = await startInboundEngine({
    listen: (options.listen ?? [{ address: { kind: 'tcp', host: options.listenHost ?? '127.0.0.1', port: options.listenPort ?? 0 }, implicitTls: false }])
      .map((l) => ({ address: l.address, implicitTls: l.implicitTls ? clientTls : undefined })),
    // The proxy takes every connection: its upstream server applies its own limits.
    maxConnections: 0,
    closeGraceMs: CLOSE_GRACE_MS,
    accept: (socket, slot, listener) => {
      const connection = new ProxyConnection(slot.conn, socket, settings);
      live.add(connection);
      void connection.done.then(() => {
        live.delete(connection);
        slot.release();
      });
      connection.start({ implicitTls: listener.implicitTls, unixPath: listener.address.kind === 'unix' ? listener.address.path : undefined }).catch((error: unknown) => {
        events.emit({ type: 'error', t: events.now(), tls: false, conn: connection.conn, leg: 'client', code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
        connection.shutdown();
      });
      return connection;
    },
  });
  const first = engine.listeners[0]!;
  let closing: Promise<void> | undefined;
  return {
    host: first.address.kind === 'tcp' ? first.address.host : first.text,
    port: first.address.kind === 'tcp' ? first.address.port : 0,
    listeners: engine.listeners,
    certificate: server.certificate,
    certificateGenerated: server.generated,
    events,
    get accepted() {
      return engine.accepted;
    },
    close() {
      closing ??= (async () => {
        const connections = [...live];
        await Promise.all([engine.close(CLOSE_GRACE_MS), ...connections.map((c) => c.done)]);
      })();
      return closing;
    },
  };
}
