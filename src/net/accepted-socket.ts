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
}

/** What a server session may do with its connection; it never sees the socket itself. */
export interface AcceptedSocketIo {
  write(bytes: Buffer): void;
  end(): void;
  destroy(): void;
  pause(): void;
  resume(): void;
  startTls(): Promise<TlsSummary>;
  abortTls(): void;
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

  constructor(socket: Socket) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
  }

  /** Writes `bytes` (a 421, say) and closes without serving the connection. */
  refuse(bytes: Buffer): void {
    this.socket.on('error', () => undefined);
    this.socket.end(bytes);
  }

  /** Called once the accepted (plain) socket is closed. */
  onceClosed(callback: () => void): void {
    this.socket.once('close', callback);
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
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      end: () => socket.end(),
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
