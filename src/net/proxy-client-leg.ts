import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { TlsSummary } from '../tls/summary.js';
import { drained } from '../io/drained.js';
import { attachKeylog } from './keylog.js';
import { upgradeServerSocket } from './listener.js';

export interface ClientLegHandlers {
  /** Bytes from the application, in order, exactly as received. */
  data(chunk: Buffer): void;
  /** The connection is gone: the application closed it, reset it, or we destroyed it. */
  closed(by: 'peer' | 'error', reason: string): void;
}

/**
 * The proxy's side of the application's connection (an accepted socket): the only owner of
 * that socket. It moves bytes and does the server half of STARTTLS; what the bytes mean is
 * the relay's business (src/proxy/).
 */
export class ProxyClientLeg {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  private socket: Socket | TLSSocket;
  private readonly handlers: ClientLegHandlers;
  private gone = false;
  private sentFin = false;

  constructor(socket: Socket, handlers: ClientLegHandlers) {
    this.socket = socket;
    this.handlers = handlers;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    this.attach(socket);
  }

  get closed(): boolean {
    return this.gone;
  }

  /** True once we sent our FIN (`end()`), while the application may still be writing. */
  get ending(): boolean {
    return this.sentFin;
  }

  /** False when the bytes had to be queued: the application reads more slowly than we write. */
  write(bytes: Buffer): boolean {
    if (this.gone || this.sentFin) return true;
    return this.socket.write(bytes);
  }

  /** Resolves once what was queued for the application has been handed to the system, or the connection is gone. */
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
   * Half-closes (FIN) and keeps reading, so that what the application does after the server
   * went away — a QUIT nobody will answer, waiting, closing — is still seen.
   */
  end(): void {
    if (this.gone || this.sentFin) return;
    this.sentFin = true;
    this.socket.end();
  }

  /** Ends the connection from our side at once; the caller records why. */
  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.detach(this.socket);
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }

  /**
   * The server half of STARTTLS (RFC 3207 §4), after the caller sent its 220. The plain
   * socket is detached and wrapped synchronously, so no plaintext byte can be read in between.
   * On failure the connection is destroyed and the error rethrown for the caller to record.
   */
  async startTls(context: SecureContext, handshakeTimeoutMs: number, keylogPath: string | undefined): Promise<TlsSummary> {
    const plain = this.socket;
    this.detach(plain);
    const upgrade = upgradeServerSocket(plain as Socket, context, handshakeTimeoutMs);
    if (keylogPath) attachKeylog(upgrade.socket, { keylogPath });
    this.socket = upgrade.socket;
    try {
      const summary = await upgrade.secured;
      if (!this.gone) this.attach(upgrade.socket);
      return summary;
    } catch (error) {
      // The caller records the failure; the connection is over either way.
      this.destroy();
      throw error;
    }
  }

  private readonly onData = (chunk: Buffer) => this.handlers.data(chunk);
  private readonly onError = (error: NodeJS.ErrnoException) => this.finish('error', error.code === 'ECONNRESET' ? 'the client reset the connection' : (error.code ?? error.message));
  private readonly onClose = () => this.finish('peer', this.sentFin ? 'the client closed its side' : 'the client closed the connection');

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private finish(by: 'peer' | 'error', reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    this.handlers.closed(by, reason);
  }
}
