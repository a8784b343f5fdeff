import { lstat, rm, unlink } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { ConnectionError, TlsError } from '../errors.js';
import { describePeerChain } from '../tls/describe.js';
import { generateSelfSignedCertificate } from '../tls/self-signed.js';
import type { TlsSummary } from '../tls/summary.js';
import { waitForHandshake, type HandshakeFailure } from './tls-handshake.js';

/**
 * The listening side of the network: the only code that creates a server socket or wraps an
 * accepted one in TLS (serve and proxy use it). It owns the accepted sockets so that
 * closing the listener can end every connection instead of waiting for clients to leave.
 */

/** Where a listener listens: a TCP address, or a Unix-domain socket's path. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `127.0.0.1:2525`, `[::1]:2525`, `unix:/run/smtp.sock`: how addresses are written everywhere. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export interface ListenOptions {
  address: ListenAddress;
  onConnection: (socket: Socket) => void;
}

export interface Listener {
  /** Where it listens, with the port the system chose for port 0. */
  address: ListenAddress;
  /** Accepted sockets that are still open. */
  readonly sockets: ReadonlySet<Socket>;
  /** Stops accepting, destroys what is still open after `graceMs`, resolves once closed (a Unix socket's file removed). */
  close(graceMs?: number): Promise<void>;
}

/**
 * A path can be listened on when nothing is there, or when a socket is there that nobody
 * accepts on any more (a server that died without removing it). Anything else is refused:
 * a regular file is never unlinked, and a live socket belongs to another server.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConnectionError(`cannot listen on unix:${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  if (!stat.isSocket()) throw new ConnectionError(`cannot listen on unix:${path}: it exists and is not a socket (not removed)`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new ConnectionError(`cannot listen on unix:${path}: another server is listening on it`);
  await unlink(path);
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const { address } = options;
  const text = formatListenAddress(address);
  if (address.kind === 'unix') await clearStaleSocket(address.path);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    options.onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new ConnectionError(`cannot listen on ${text}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen({ path: address.path }, done);
    else server.listen({ host: address.host, port: address.port }, done);
  });
  const bound = server.address();
  const actual: ListenAddress = address.kind === 'unix' || bound === null || typeof bound === 'string'
    ? address
    : { kind: 'tcp', host: (bound as AddressInfo).address, port: (bound as AddressInfo).port };
  return {
    address: actual,
    sockets,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => {
          // Node removes the file of a Unix socket it listened on; a file left is removed here.
          if (address.kind === 'unix') rm(address.path, { force: true }).then(() => resolve(), () => resolve());
          else resolve();
        });
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

/** The client's certificate chain and what was made of it, when one was asked for. */
function clientCertificate(socket: TLSSocket, requested: boolean): Pick<TlsSummary, 'chain' | 'verifyError'> {
  if (!requested) return { chain: [], verifyError: null };
  const chain = describePeerChain(socket);
  return { chain, verifyError: chain.length === 0 ? 'the client sent no certificate' : 'not verified: any client certificate is accepted' };
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
        // A client certificate is described when one was asked for, never verified: the
        // server takes any (it is a debugging aid, not an access control).
        ...clientCertificate(tlsSocket, requestCert),
        verified: false,
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
