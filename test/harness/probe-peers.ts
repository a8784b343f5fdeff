/**
 * The MX hosts and the MTA-STS policy host of the probe tests, all on loopback: the built
 * `smtpdbg serve` with chosen certificates, a server without STARTTLS, a server that speaks
 * only TLS 1.0 and 1.1 after STARTTLS, and an HTTPS server for policies. The MX hosts share
 * one port on different 127.0.0.x addresses (Linux routes all of 127/8 to loopback), which is
 * what the test zone's A records point at and what `probe --smtp-port` connects to.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BIN, REPO_ROOT } from './run-cli.js';

const run = promisify(execFile);
export const CERT_DIR = fileURLToPath(new URL('../../fixtures/certs/', import.meta.url));
export const certFile = (name: string) => join(CERT_DIR, name);

export interface Peer {
  address: string;
  port: number;
  stop(): Promise<void>;
}

/** A port that is free on every one of `addresses`. */
export async function sharedFreePort(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const servers: net.Server[] = [];
    let port = 0;
    try {
      for (const address of addresses) {
        const server = net.createServer();
        servers.push(server);
        port = await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, address, () => resolve((server.address() as net.AddressInfo).port));
        });
      }
      return port;
    } catch {
      // Taken on one of the addresses: try another port.
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  }
  throw new Error(`no port free on all of ${addresses.join(', ')}`);
}

async function waitForListening(address: string, port: number, child: ChildProcess | undefined, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, address, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${address}:${port} after ${timeoutMs} ms: ${log()}`);
    await sleep(50);
  }
}

/** The built `smtpdbg serve` on ADDRESS:PORT with a certificate from fixtures/certs. */
export async function startServePeer(address: string, port: number, cert: string, hostname: string): Promise<Peer> {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  const args = ['serve', '--listen', address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`, '--cert', certFile(`${cert}.pem`), '--key', certFile(`${cert}-key.pem`), '--hostname', hostname, '--quiet'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  try {
    await waitForListening(address, port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, port, stop };
}

/** Answers SMTP lines on a socket: EHLO with `extensions`, STARTTLS when given a handler, QUIT. */
function converse(socket: net.Socket, name: string, extensions: string[], starttls?: (socket: net.Socket) => void): void {
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    let end: number;
    while ((end = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, end).trim();
      buffered = buffered.slice(end + 1);
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') socket.write([`250-${name}`, ...extensions.map((e, i) => `250${i === extensions.length - 1 ? ' ' : '-'}${e}`)].join('\r\n') + '\r\n');
      else if (verb === 'STARTTLS' && starttls) {
        socket.off('data', onData);
        socket.write('220 2.0.0 go ahead\r\n');
        starttls(socket);
        return;
      } else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
      else socket.write('502 5.5.1 not here\r\n');
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

function listen(address: string, port: number, onConnection: (socket: net.Socket) => void): Promise<Peer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve({
      address,
      port,
      stop: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((done) => server.close(done));
      },
    }));
  });
}

/** A server that accepts connections and never says anything. */
export function startSilentPeer(address: string, port: number): Promise<Peer> {
  return listen(address, port, (socket) => socket.on('error', () => socket.destroy()));
}

/** A server that offers no STARTTLS, and AUTH in plain text. */
export function startPlainPeer(address: string, port: number, name: string): Promise<Peer> {
  return listen(address, port, (socket) => {
    socket.write(`220 ${name} ESMTP no TLS here\r\n`);
    converse(socket, name, ['PIPELINING', 'SIZE 10240000', 'AUTH PLAIN LOGIN']);
  });
}

/**
 * A server whose STARTTLS speaks only TLS 1.0 and 1.1: Node's OpenSSL allows them at
 * security level 0 only, as old servers still configured that way do.
 */
export function startLegacyTlsPeer(address: string, port: number, name: string): Promise<Peer> {
  const cert = readFileSync(certFile('server.pem'));
  const key = readFileSync(certFile('server-key.pem'));
  return listen(address, port, (socket) => {
    socket.write(`220 ${name} ESMTP old TLS\r\n`);
    converse(socket, name, ['STARTTLS', '8BITMIME'], (plain) => {
      const secure = new TLSSocket(plain, { isServer: true, cert, key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      secure.on('error', () => plain.destroy());
      converse(secure as unknown as net.Socket, name, ['8BITMIME']);
    });
  });
}

/** A certificate from the test CA for `names`, made with openssl (the fixtures have none for mta-sts.*). */
export async function issueCertificate(names: string[]): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-cert-'));
  try {
    const ext = join(dir, 'ext');
    await writeFile(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'req.pem')]);
    await run('openssl', ['x509', '-req', '-in', join(dir, 'req.pem'), '-CA', certFile('ca.pem'), '-CAkey', certFile('ca-key.pem'), '-CAcreateserial', '-CAserial', join(dir, 'serial'), '-days', '30', '-extfile', ext, '-out', join(dir, 'cert.pem')]);
    return { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface PolicyServer extends Peer {
  /** Hosts asked for, in order (the Host header). */
  requests: string[];
}

/** HTTPS on ADDRESS:free port: `policies` maps a host name to the policy text it serves. */
export async function startPolicyServer(address: string, policies: Record<string, { body: string; contentType?: string; status?: number }>, tls: { cert: Buffer; key: Buffer }): Promise<PolicyServer> {
  const requests: string[] = [];
  const server: HttpsServer = createHttpsServer(tls, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    requests.push(host);
    const policy = policies[host];
    if (!policy || req.url !== '/.well-known/mta-sts.txt') {
      res.writeHead(404).end('not found\n');
      return;
    }
    res.writeHead(policy.status ?? 200, { 'content-type': policy.contentType ?? 'text/plain' }).end(policy.body);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve((server.address() as net.AddressInfo).port));
  });
  return {
    address,
    port,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

/**
 * An SMTP server on ADDRESS:PORT (0: any) whose STARTTLS handshake is made by a tls.Server,
 * so that it can staple `ocsp` (RFC 6066 §8) to clients that ask for it; null staples
 * nothing. `cert` may hold the chain after the server's own certificate. With `implicit`,
 * TLS starts with the first byte (SMTPS, RFC 8314 §3.3) instead of after STARTTLS.
 */
export async function startStaplingPeer(address: string, port: number, name: string, tls: { cert: Buffer; key: Buffer; ocsp: Buffer | null; implicit?: boolean }): Promise<Peer & { ocspRequests(): number }> {
  let requests = 0;
  const listenPort = port || await sharedFreePort([address]);
  const tlsServer = createTlsServer({ cert: tls.cert, key: tls.key }, (secure) => {
    if (tls.implicit) secure.write(`220 ${name} ESMTP stapling, TLS from the first byte\r\n`);
    converse(secure, name, ['8BITMIME']);
  });
  tlsServer.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
    requests++;
    if (tls.ocsp) callback(null, tls.ocsp);
    else callback(null);
  });
  tlsServer.on('tlsClientError', () => undefined);
  return listen(address, listenPort, (socket) => {
    if (tls.implicit) return void tlsServer.emit('connection', socket);
    socket.write(`220 ${name} ESMTP stapling\r\n`);
    // The plain connection is handed to the TLS server after the 220 to STARTTLS.
    converse(socket, name, ['STARTTLS', '8BITMIME'], (plain) => tlsServer.emit('connection', plain));
  }).then((peer) => ({ ...peer, ocspRequests: () => requests }));
}

/**
 * An OCSP response made by `openssl ocsp` acting as the responder of the test CA: `status`
 * of the certificate `about` (a fixture name), signed by `signer` (default: the CA itself).
 */
export async function makeOcspResponse(about: string, status: 'good' | 'revoked', signer = 'ca'): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-ocsp-'));
  try {
    const cert = certFile(`${about}.pem`);
    const serial = (await run('openssl', ['x509', '-in', cert, '-noout', '-serial'])).stdout.trim().split('=')[1]!;
    const subject = (await run('openssl', ['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'compat'])).stdout.trim().replace(/^subject=/, '');
    // index.txt as `openssl ca` keeps it: status, expiry, revocation time, serial, file, subject.
    const line = status === 'good' ? `V\t301231000000Z\t\t${serial}\tunknown\t${subject}\n` : `R\t301231000000Z\t260101000000Z,keyCompromise\t${serial}\tunknown\t${subject}\n`;
    await writeFile(join(dir, 'index.txt'), line);
    await run('openssl', ['ocsp', '-index', join(dir, 'index.txt'), '-rsigner', certFile(`${signer}.pem`), '-rkey', certFile(`${signer}-key.pem`), '-CA', certFile('ca.pem'),
      '-issuer', certFile('ca.pem'), '-cert', cert, '-no_nonce', '-ndays', '7', '-respout', join(dir, 'resp.der')]);
    return await readFile(join(dir, 'resp.der'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
