import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { TlsSummary } from '../tls/summary.js';
import { upgradeServerSocket } from './listener.js';

/** What STARTTLS needs on the server side; undefined when TLS is not offered. */
export interface AcceptedSocketTls {
  context: SecureContext;
  handshakeTimeoutMs: number;
}

export interface AcceptedSocketHandlers {
  data(chunk: Buffer): void;
  end(): void;
  error(error: NodeJS.ErrnoException): void;
  close(): void;
  /** The client had not closed its side `graceMs` after ours; the socket is being destroyed. */
  lingered(graceMs: number): void;
}

/** What a server session may do with its connection; it never sees the socket itself. */
export interface AcceptedSocketIo {
  /** False when the bytes had to be queued beyond the socket's buffer (the client is not reading). */
  write(bytes: Buffer): boolean;
  /** Resolves once what was written has gone to the kernel, or the connection is gone. */
  drained(): Promise<void>;
  /** Ends our side after the pending writes; the socket is destroyed if the client has not closed within the grace period. */
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  startTls(): Promise<TlsSummary>;
  abortTls(): void;
}

/**
 * After the server ends a connection (221, 421, a refusal) the client gets this long to read
 * the last reply and close its side; then the socket is destroyed, so a client that never
 * closes holds no descriptor. Long enough for any client that reads at all, short enough that
 * silent ones cannot pile up.
 */
export const CLOSE_GRACE_MS = 2000;

/** Ends `socket` now and destroys it after `graceMs` unless it closed before. */
function endWithGrace(socket: Socket, graceMs: number, lingered?: () => void): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = setTimeout(() => {
    lingered?.();
    socket.destroy();
  }, graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * An accepted connection of the capture server: the only owner of that socket. It moves
 * bytes and does the server half of STARTTLS; what the bytes mean is src/server's business.
 */
export class AcceptedSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  private readonly socket: Socket;

  constructor(socket: Socket, private readonly graceMs = CLOSE_GRACE_MS) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
  }

  /** Writes `bytes` (a 421, say) and closes without serving the connection. */
  refuse(bytes: Buffer): void {
    this.socket.on('error', () => undefined);
    // What the client sends is read and dropped: a socket nobody reads never sees the
    // client's close, and would stay open until the grace period ends.
    this.socket.on('data', () => undefined);
    this.socket.write(bytes);
    endWithGrace(this.socket, this.graceMs);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Starts delivering the connection's events to `handlers`; `tls` is used for STARTTLS. */
  serve(handlers: AcceptedSocketHandlers, tls: AcceptedSocketTls | undefined): AcceptedSocketIo {
    let socket: Socket = this.socket;
    const onData = (chunk: Buffer) => handlers.data(chunk);
    const onEnd = () => handlers.end();
    const onError = (error: NodeJS.ErrnoException) => handlers.error(error);
    const onClose = () => handlers.close();
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
      write: (bytes) => (socket.destroyed ? true : socket.write(bytes)),
      drained: () =>
        new Promise<void>((resolve) => {
          const current = socket;
          if (current.destroyed || !current.writableNeedDrain) {
            resolve();
            return;
          }
          const done = () => {
            current.off('drain', done);
            current.off('close', done);
            resolve();
          };
          current.on('drain', done);
          current.on('close', done);
        }),
      end: () => endWithGrace(socket, this.graceMs, () => handlers.lingered(this.graceMs)),
      destroy: () => socket.destroy(),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      startTls: async () => {
        if (!tls) throw new Error('TLS is not configured');
        detach(socket);
        const upgrade = upgradeServerSocket(socket, tls.context, tls.handshakeTimeoutMs);
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
}
