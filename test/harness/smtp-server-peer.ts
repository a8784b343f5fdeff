/**
 * nodemailer's `smtp-server` in-process: an independent ESMTP implementation to test
 * smtpdbg against, so that passing tests do not just mean "agrees with itself".
 *
 *   const peer = await startSmtpServerPeer();
 *   … smtpdbg session 127.0.0.1:${peer.port} --ca fixtures/certs/ca.pem --auth plain --user alice …
 *   const [message] = await peer.waitForMessages(1);
 *   expect(message.raw.toString('latin1')).toContain('Subject: hi\r\n');
 *   await peer.close();
 *
 * - 127.0.0.1, port 0; STARTTLS with fixtures/certs/server.pem (trust fixtures/certs/ca.pem);
 *   ENHANCEDSTATUSCODES on (RFC 2034), as on real servers.
 * - AUTH PLAIN and LOGIN; only `alice` / `s3cret` (PEER_USER / PEER_PASSWORD) is accepted,
 *   anything else gets `535 5.7.8 Error: Authentication credentials invalid`.
 *   As on a real submission server, AUTH is refused before STARTTLS (538) unless
 *   `allowInsecureAuth`, and is optional for MAIL unless `authRequired`.
 * - Each message: `raw` is the DATA content exactly as smtp-server hands it over (after
 *   dot-unstuffing, line endings untouched), with its envelope and session facts.
 * - `lmtp: true`: smtp-server's LMTP mode (LHLO; one reply per recipient after the data,
 *   `250 2.6.0 <address> delivered as N`, or `550 5.1.1 <address>: no such user` for the addresses in
 *   `failAfterData`). `path`: listen on that Unix-domain socket instead of a TCP port.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { waitFor } from './raw-server.js';

export const PEER_USER = 'alice';
export const PEER_PASSWORD = 's3cret';

const CERT_DIR = fileURLToPath(new URL('../../fixtures/certs/', import.meta.url));

export interface PeerMessage {
  /** DATA content as received, dot-unstuffed, without the final CRLF.CRLF. */
  raw: Buffer;
  mailFrom: string | false;
  rcptTo: string[];
  /** Authenticated user name, if the client authenticated. */
  user: string | undefined;
  /** Whether the message came over TLS (STARTTLS done). */
  secure: boolean;
  /** The EHLO/HELO argument. */
  ehloName: string;
}

export interface PeerAuthAttempt {
  method: string;
  username: string | undefined;
  accepted: boolean;
  secure: boolean;
}

export interface SmtpServerPeer {
  host: '127.0.0.1';
  port: number;
  messages: PeerMessage[];
  authAttempts: PeerAuthAttempt[];
  /** The underlying SMTPServer, for tests that need to reach into it. */
  server: SMTPServer;
  waitForMessages(n: number, timeoutMs?: number): Promise<PeerMessage[]>;
  /** Stops listening and destroys open connections at once (no 30 s grace period). */
  close(): Promise<void>;
}

export interface SmtpServerPeerOptions {
  /** Offer and accept AUTH on a plaintext connection (default false: 538 before STARTTLS). */
  allowInsecureAuth?: boolean;
  /** Refuse MAIL FROM until authenticated (default false). */
  authRequired?: boolean;
  /** Certificate and key file names in fixtures/certs (default server.pem / server-key.pem). */
  cert?: string;
  key?: string;
  /** Any other smtp-server option, applied last. */
  options?: Partial<SMTPServerOptions>;
  /** LMTP mode (RFC 2033). */
  lmtp?: boolean;
  /** LMTP: recipients whose own reply after the data is a 550. */
  failAfterData?: string[];
  /** Listen on this Unix-domain socket (`port` is then 0). */
  path?: string;
}

export async function startSmtpServerPeer(peerOptions: SmtpServerPeerOptions = {}): Promise<SmtpServerPeer> {
  const messages: PeerMessage[] = [];
  const authAttempts: PeerAuthAttempt[] = [];
  const sockets = new Set<Socket>();
  // smtp-server's SMTPServerOptions extends TlsOptions through a default import that
  // does not resolve without esModuleInterop, hence the explicit intersection.
  const options: SMTPServerOptions & Pick<TlsOptions, 'key' | 'cert'> = {
    name: 'peer.localhost',
    logger: false,
    secure: false,
    key: readFileSync(CERT_DIR + (peerOptions.key ?? 'server-key.pem')),
    cert: readFileSync(CERT_DIR + (peerOptions.cert ?? 'server.pem')),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: peerOptions.allowInsecureAuth ?? false,
    authOptional: !(peerOptions.authRequired ?? false),
    disableReverseLookup: true,
    // smtp-server hides these by default; real servers (and the 535 5.7.8 incident
    // smtpdbg exists for) send them, so the peer does too.
    hideENHANCEDSTATUSCODES: false,
    closeTimeout: 100,
    onAuth(auth, session, callback) {
      const accepted = auth.username === PEER_USER && auth.password === PEER_PASSWORD;
      authAttempts.push({ method: auth.method, username: auth.username, accepted, secure: session.secure });
      if (!accepted) return callback(new Error('Error: Authentication credentials invalid'));
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        messages.push({
          raw: Buffer.concat(chunks),
          mailFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          ehloName: session.hostNameAppearsAs,
        });
        if (!peerOptions.lmtp) return callback(null, `queued as ${messages.length}`);
        const failing = new Set(peerOptions.failAfterData ?? []);
        callback(null, session.envelope.rcptTo.map((r) => (failing.has(r.address)
          ? Object.assign(new Error(`<${r.address}>: no such user`), { responseCode: 550 })
          : `<${r.address}> delivered as ${messages.length}`)));
      });
    },
    ...(peerOptions.lmtp ? { lmtp: true } : {}),
    ...peerOptions.options,
  };
  const server = new SMTPServer(options);
  // smtp-server's own close() waits up to closeTimeout and then sends 421 to each
  // client; tests want the sockets gone at once so that nothing keeps them waiting.
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('error', () => {
    // Client-side resets in hostile tests surface here; they are not test failures.
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    if (peerOptions.path !== undefined) server.listen(peerOptions.path, () => resolve());
    else server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = peerOptions.path !== undefined ? 0 : (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    messages,
    authAttempts,
    server,
    waitForMessages: async (n, timeoutMs = 5_000) => {
      await waitFor(() => messages.length >= n, timeoutMs, `${n} message(s) at the smtp-server peer on port ${port}`);
      return messages;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
