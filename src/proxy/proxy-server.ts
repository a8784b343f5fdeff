import { startInboundEngine } from '../inbound/engine.js';
import { serverCertificate } from '../net/listener.js';
import { EventStream } from '../transcript/events.js';
import { ProxyConnection, type ProxySettings } from './proxy-connection.js';

export interface ProxyServerOptions extends Omit<ProxySettings, 'clientTlsContext' | 'events'> {
  /** Default 127.0.0.1: the proxy is for the local machine unless asked otherwise. */
  listenHost?: string;
  /** Default 0 (an ephemeral port). */
  listenPort?: number;
  /** The proxy's certificate and key (PEM), both or neither; generated when absent. */
  cert?: string | Buffer;
  key?: string | Buffer;
  events?: EventStream;
}

export interface ProxyServer {
  host: string;
  port: number;
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
  const settings: ProxySettings = { ...options, clientTlsContext: server.context, events };
  const live = new Set<ProxyConnection>();
  const engine = await startInboundEngine({
    host: options.listenHost ?? '127.0.0.1',
    port: options.listenPort ?? 0,
    // The proxy takes every connection: its upstream server applies its own limits.
    maxConnections: 0,
    closeGraceMs: CLOSE_GRACE_MS,
    accept: (socket, slot) => {
      const connection = new ProxyConnection(slot.conn, socket, settings);
      live.add(connection);
      void connection.done.then(() => {
        live.delete(connection);
        slot.release();
      });
      connection.start().catch((error: unknown) => {
        events.emit({ type: 'error', t: events.now(), tls: false, conn: connection.conn, leg: 'client', code: 'EINTERNAL', message: error instanceof Error ? error.message : String(error) });
        connection.shutdown();
      });
      return connection;
    },
  });
  let closing: Promise<void> | undefined;
  return {
    host: engine.host,
    port: engine.port,
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
