import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { ConnectionError, TlsError } from '../errors.js';
import { generateSelfSignedCertificate } from '../tls/self-signed.js';
import type { TlsSummary } from '../tls/summary.js';
import { waitForHandshake, type HandshakeFailure } from './tls-handshake.js';

/**
 * The listening side of the network: the only code that creates a server socket or wraps an
 * accepted one in TLS (serve and proxy use it). It owns the accepted sockets so that
 * closing the listener can end every connection instead of waiting for clients to leave.
 */

export interface ListenOptions {
  host: string;
  port: number;
  onConnection: (socket: Socket) => void;
}

export interface Listener {
  host: string;
  port: number;
  /** Accepted sockets that are still open. */
  readonly sockets: ReadonlySet<Socket>;
  /** Stops accepting, destroys what is still open after `graceMs`, resolves once closed. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    options.onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new ConnectionError(`cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    sockets,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Not unref'd: a socket that is not being read (paused, nothing left to write) does
        // not keep the process alive, and without this timer the process would end with
        // the close still pending.
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        if (sockets.size === 0) clearTimeout(timer);
        server.once('close', () => clearTimeout(timer));
      }),
  };
}

function createServerTlsContext(cert: string | Buffer, key: string | Buffer): SecureContext {
  try {
    return createSecureContext({ cert, key });
  } catch (error) {
    throw new TlsError(`cannot use the certificate and key: ${(error as Error).message}`, { cause: error });
  }
}

export interface ServerCertificate {
  context: SecureContext;
  /** The certificate offered to clients (PEM), given or generated. */
  certificate: string;
  generated: boolean;
}

/** The given certificate and key (PEM, both or neither), or a self-signed pair for `hostname`. */
export function serverCertificate(cert: string | Buffer | undefined, key: string | Buffer | undefined, hostname: string): ServerCertificate {
  const generated = cert === undefined || key === undefined;
  const pair = generated ? generateSelfSignedCertificate({ hostnames: [hostname] }) : { cert, key };
  return { context: createServerTlsContext(pair.cert, pair.key), certificate: pair.cert.toString(), generated };
}

export interface ServerTlsUpgrade {
  socket: TLSSocket;
  /** Resolves with the negotiated parameters, rejects when the handshake fails or times out. */
  secured: Promise<TlsSummary>;
}

/**
 * Wraps an accepted plain socket for STARTTLS (RFC 3207). The caller must have stopped
 * reading from `socket` first: from here on its bytes belong to the TLS layer. The wrap is
 * synchronous so that no plaintext chunk can be read between the 220 and the handshake.
 */
export function upgradeServerSocket(socket: Socket, secureContext: SecureContext, handshakeTimeoutMs: number, requestCert = false): ServerTlsUpgrade {
  const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext, requestCert, rejectUnauthorized: false });
  const secured = waitForHandshake(tlsSocket, 'secure', handshakeTimeoutMs).then(
    (): TlsSummary => {
      const cipher = tlsSocket.getCipher();
      const servername = (tlsSocket as TLSSocket & { servername?: string | false }).servername;
      return {
        protocol: tlsSocket.getProtocol(),
        cipher: cipher ? cipher.standardName || cipher.name : null,
        servername: typeof servername === 'string' ? servername : null,
        alpn: tlsSocket.alpnProtocol || null,
        // The server asks no client certificate, so there is no peer chain to verify.
        chain: [],
        verified: false,
        verifyError: null,
        verifyCode: null,
      };
    },
    (failure: HandshakeFailure) => {
      if (failure.kind === 'timeout') throw new TlsError(`TLS handshake not finished after ${handshakeTimeoutMs} ms`);
      const error = failure.kind === 'closed' ? new Error('connection closed during the handshake') : failure.error;
      throw new TlsError(`TLS handshake failed: ${error.message}`, { cause: error });
    },
  );
  return { socket: tlsSocket, secured };
}
