import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TlsSummary } from '../tls/summary.js';
import { drained } from '../io/drained.js';
import { attachKeylog } from './keylog.js';
import { upgradeServerSocket } from './listener.js';

/**
 * Where an accepted connection stands. `open`: bytes flow both ways (in plain text or, after
 * STARTTLS or on an implicit-TLS listener, in TLS); `tls-handshake`: STARTTLS was answered
 * and the handshake runs, nothing is read meanwhile; `ending`: we sent our FIN and still read
 * what the client sends until it closes (or the grace period ends); `closed`: gone.
 */
export type InboundSocketState = 'open' | 'tls-handshake' | 'ending' | 'closed';

/** Why the connection is gone, as the socket saw it. */
export type InboundSocketLoss = { kind: 'peer' } | { kind: 'error'; error: NodeJS.ErrnoException };

export interface InboundSocketHandlers {
  /** Bytes from the client, in order, exactly as received. */
  data(chunk: Buffer): void;
  /** The client sent its FIN: it will send nothing more. */
  peerEnded(): void;
  /** The connection is gone (once): closed by the client, reset, or destroyed by us. */
  closed(loss: InboundSocketLoss): void;
  /** The client had not closed its side `graceMs` after our FIN; the socket is being destroyed. */
  lingered(graceMs: number): void;
}

/** What the server half of a TLS handshake needs (STARTTLS, or an implicit-TLS listener). */
export interface InboundTls {
  context: SecureContext;
  handshakeTimeoutMs: number;
  /** Ask the client for a certificate (it may send none; none is verified). */
  requestCert?: boolean;
  /** Append the handshake's secrets here (NSS key log), for Wireshark. */
  keylogPath?: string;
}

/**
 * One accepted connection of `serve` or `proxy`, the only owner of its socket: it moves
 * bytes, applies backpressure (write/drained, pause/resume), does the server half of
 * STARTTLS, and ends connections with a grace period for the client to close. What the bytes
 * mean is the business of src/server and src/proxy.
 */
export class InboundSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  private socket: Socket | TLSSocket;
  private handlers: InboundSocketHandlers | undefined;
  private current: InboundSocketState = 'open';
  private inTls: boolean;
  private graceTimer: NodeJS.Timeout | undefined;

  /** `secured`: the socket is already a TLSSocket whose handshake is done (implicit TLS). */
  constructor(socket: Socket | TLSSocket, secured = false) {
    this.socket = socket;
    this.inTls = secured;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
  }

  get state(): InboundSocketState {
    return this.current;
  }

  /** True once TLS is active on the connection (STARTTLS done, or implicit TLS). */
  get tls(): boolean {
    return this.inTls;
  }

  /** Starts delivering the connection's events to `handlers`. */
  serve(handlers: InboundSocketHandlers): void {
    this.handlers = handlers;
    this.attach(this.socket);
  }

  /**
   * Writes `bytes` (a 421, say) and ends the connection without serving it. What the client
   * sends meanwhile is read and dropped: a socket nobody reads never sees the client's close.
   */
  refuse(bytes: Buffer, graceMs: number): void {
    this.socket.on('error', () => undefined);
    this.socket.on('data', () => undefined);
    this.socket.write(bytes);
    this.end(graceMs);
  }

  /** False when the bytes had to be queued beyond the socket's buffer (the client is not reading). */
  write(bytes: Buffer): boolean {
    if (this.current === 'ending' || this.current === 'closed' || this.socket.destroyed) return true;
    return this.socket.write(bytes);
  }

  /** Resolves once what was written has gone to the kernel, or the connection is gone. */
  drained(): Promise<void> {
    return drained(this.socket);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /**
   * Sends our FIN after the pending writes and keeps reading, so that what the client does
   * next (a QUIT nobody answers, closing) is still seen. With `graceMs` the socket is
   * destroyed that long after unless the client closed first, so a client that never
   * closes holds no descriptor.
   */
  end(graceMs?: number): void {
    const socket = this.socket;
    if (this.current === 'closed' || socket.destroyed) return;
    if (this.current !== 'ending') {
      this.current = 'ending';
      socket.end();
    }
    if (graceMs === undefined || this.graceTimer) return;
    const timer = setTimeout(() => {
      if (!socket.destroyed) this.handlers?.lingered(graceMs);
      socket.destroy();
    }, graceMs);
    timer.unref();
    this.graceTimer = timer;
    socket.once('close', () => clearTimeout(timer));
  }

  /** Ends the connection from our side at once; `closed` follows. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The server half of STARTTLS (RFC 3207 §4), after the caller sent its 220. The plain
   * socket is detached and wrapped synchronously, so no plaintext byte can be read in
   * between. On failure the connection is destroyed and the error rethrown for the caller.
   */
  async startTls(tls: InboundTls): Promise<TlsSummary> {
    const plain = this.socket as Socket;
    this.detach(plain);
    // Errors of the plain socket now surface on the TLS socket; one left unheard would throw.
    plain.on('error', () => undefined);
    this.current = 'tls-handshake';
    const upgrade = upgradeServerSocket(plain, tls.context, tls.handshakeTimeoutMs, tls.requestCert ?? false);
    if (tls.keylogPath) attachKeylog(upgrade.socket, { keylogPath: tls.keylogPath });
    this.socket = upgrade.socket;
    try {
      const summary = await upgrade.secured;
      this.inTls = true;
      if (this.current === 'tls-handshake') this.current = 'open';
      this.attach(upgrade.socket);
      return summary;
    } catch (error) {
      upgrade.socket.on('error', () => undefined);
      upgrade.socket.destroy();
      this.lose({ kind: 'error', error: error as NodeJS.ErrnoException }, false);
      throw error;
    }
  }

  /** Lets the client's ClientHello arrive, then closes: a handshake that cannot finish. */
  abortTls(): void {
    const socket = this.socket;
    this.detach(socket);
    this.current = 'tls-handshake';
    socket.on('error', () => undefined);
    socket.once('data', () => socket.destroy());
    socket.once('close', () => this.lose({ kind: 'peer' }, false));
  }

  private readonly onData = (chunk: Buffer) => this.handlers?.data(chunk);
  private readonly onEnd = () => this.handlers?.peerEnded();
  private readonly onError = (error: NodeJS.ErrnoException) => {
    this.lose({ kind: 'error', error }, true);
    this.socket.destroy();
  };
  private readonly onClose = () => this.lose({ kind: 'peer' }, true);

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private lose(loss: InboundSocketLoss, report: boolean): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    if (report) this.handlers?.closed(loss);
  }
}
