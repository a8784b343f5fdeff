/**
 * `inject --showcerts`, `--save-certs DIR` and `--ocsp`: against a STARTTLS server on
 * loopback that takes the message and whose tls.Server staples OCSP responses made by
 * `openssl ocsp` as the test CA's responder (good, revoked, none), and against the embedded
 * capture server (STARTTLS with a generated certificate, no stapling).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certFile, makeOcspResponse } from '../harness/probe-peers.js';
import { runCli } from '../harness/run-cli.js';

const serverPem = readFileSync(certFile('server.pem'));
const caPem = readFileSync(certFile('ca.pem'));
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-inject-tls-facts-'));

interface Peer { port: number; messages: number; ocspRequests: number; close(): Promise<void> }

/**
 * SMTP over STARTTLS that accepts one message per transaction; the TLS side staples `ocsp`
 * (or nothing) when the client asks for the certificate status.
 */
async function startPeer(ocsp: Buffer | null, cert = serverPem): Promise<Peer> {
  const peer = { port: 0, messages: 0, ocspRequests: 0 } as Peer;
  const sockets = new Set<net.Socket>();
  const tlsServer = createTlsServer({ cert, key: readFileSync(certFile('server-key.pem')) }, (secure) => converse(secure, false));
  tlsServer.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
    peer.ocspRequests++;
    if (ocsp) callback(null, ocsp);
    else callback(null);
  });
  tlsServer.on('tlsClientError', () => undefined);
  function converse(socket: net.Socket, plain: boolean): void {
    let buffered = '';
    let inData = false;
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end === -1) return;
          buffered = buffered.slice(end + 5);
          inData = false;
          peer.messages++;
          socket.write('250 2.0.0 queued as TLSFACTS\r\n');
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol === -1) return;
        const verb = buffered.slice(0, eol).split(' ')[0]!.toUpperCase();
        buffered = buffered.slice(eol + 2);
        if (verb === 'EHLO') socket.write(`250-mx.localhost\r\n${plain ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
        else if (verb === 'STARTTLS' && plain) {
          socket.off('data', onData);
          socket.write('220 2.0.0 go ahead\r\n');
          tlsServer.emit('connection', socket);
          return;
        } else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET') socket.write('250 2.1.0 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') socket.end('221 2.0.0 bye\r\n');
        else socket.write('502 5.5.1 not here\r\n');
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.write('220 mx.localhost ESMTP stapling\r\n');
    converse(socket, true);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.address() as net.AddressInfo).port;
  peer.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return peer;
}

const peers: Record<'good' | 'goodWithChain' | 'revoked' | 'none', Peer> = {} as never;

beforeAll(async () => {
  const [good, revoked] = await Promise.all([makeOcspResponse('server', 'good'), makeOcspResponse('server', 'revoked')]);
  Object.assign(peers, {
    good: await startPeer(good),
    goodWithChain: await startPeer(good, Buffer.concat([serverPem, caPem])),
    revoked: await startPeer(revoked),
    none: await startPeer(null),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(peers).map((p) => p.close()));
});

const inject = (peer: Peer, ...extra: string[]) =>
  runCli(['inject', `127.0.0.1:${peer.port}`, '--servername', 'mx.localhost', '--ca', certFile('ca.pem'), '--timeout', '10000', ...extra], { timeoutMs: 30_000 });

const fingerprint = (pem: string | Buffer) => new X509Certificate(pem).fingerprint256;

interface OcspJson { stapled: boolean; status: string | null; revokedAt: string | null; revocationReason: string | null; matchesLeaf: boolean; signatureVerified: boolean; problems: string[] }
interface InjectJson {
  exitCode: number;
  transactions: Array<{ accepted: boolean; tls: { chain: Array<{ fingerprint256: string; spkiSha256: { base64: string; hex: string } }> } | null }>;
  peerCertificates?: string[];
  ocsp?: OcspJson | null;
}

describe('inject --ocsp', () => {
  it('a good stapled response: status and dates after the TLS summary, the message still delivered, exit 0', async () => {
    const before = peers.good.messages;
    const result = await inject(peers.good, '--ocsp');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/=== OCSP: stapled response: good; produced 20\d\d-[\d:T.-]+Z, this update 20\d\d-[\d:T.-]+Z, next update 20\d\d-[\d:T.-]+Z\n/);
    expect(result.stdout).toContain('=== OCSP: the response is for this certificate; signature verified: signed by the issuer (O=smtpdbg test, CN=smtpdbg test CA)');
    expect(result.stdout.indexOf('=== certificate verified')).toBeLessThan(result.stdout.indexOf('=== OCSP'));
    expect(result.stdout.indexOf('=== OCSP')).toBeLessThan(result.stdout.indexOf('MAIL FROM'));
    expect(peers.good.ocspRequests).toBeGreaterThan(0);
    expect(peers.good.messages).toBe(before + 1);
  }, 40_000);

  it('--json: the parsed response, the issuer taken from the chain when there is no --ca', async () => {
    const result = await runCli(['inject', `127.0.0.1:${peers.goodWithChain.port}`, '--servername', 'mx.localhost', '--ocsp', '--json', '--timeout', '10000'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as InjectJson;
    expect(json.ocsp).toMatchObject({ stapled: true, status: 'good', matchesLeaf: true, signatureVerified: true, problems: [] });
    expect(json.transactions[0]!.accepted).toBe(true);
    expect(json.peerCertificates).toBeUndefined();
  }, 40_000);

  it('a revoked certificate: time and reason, the *** line on stderr, exit 1 although the message was accepted', async () => {
    const result = await inject(peers.revoked, '--ocsp');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('=== OCSP: stapled response: revoked (revoked 2026-01-01T00:00:00.000Z, keyCompromise)');
    expect(result.stdout).toContain('=== OCSP: the certificate is REVOKED since 2026-01-01T00:00:00.000Z (keyCompromise)');
    expect(result.stdout).toContain('accepted: 250');
    expect(result.stderr).toContain('*** OCSP: the server\'s certificate is revoked (2026-01-01T00:00:00.000Z)');
    const json = await inject(peers.revoked, '--ocsp', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout) as InjectJson).toMatchObject({ ocsp: { status: 'revoked', revocationReason: 'keyCompromise' } });
  }, 40_000);

  it('no response stapled is said so and is not a failure; without --ocsp nothing is asked', async () => {
    const result = await inject(peers.none, '--ocsp');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('=== OCSP: no response stapled (the server sent none to the status request)');
    const before = peers.none.ocspRequests;
    const plain = await inject(peers.none);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('OCSP');
    expect(peers.none.ocspRequests).toBe(before);
  }, 40_000);
});

describe('inject --showcerts and --save-certs', () => {
  it('--showcerts prints the chain the server sent as PEM, leaf first, after the summary with its SPKI SHA-256', async () => {
    const result = await inject(peers.goodWithChain, '--showcerts');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("=== the server's chain as PEM (--showcerts): 2 certificates, the server's own first");
    expect(result.stdout).toContain("=== the server's chain as PEM (--showcerts): 2 certificates, the server's own first\n0 s:O=smtpdbg test, CN=localhost\n  i:O=smtpdbg test, CN=smtpdbg test CA\n-----BEGIN CERTIFICATE-----\n");
    const pems = result.stdout.match(/-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n/g) ?? [];
    expect(pems.map(fingerprint)).toEqual([fingerprint(serverPem), fingerprint(caPem)]);
    const spki = new X509Certificate(serverPem).publicKey.export({ type: 'spki', format: 'der' });
    const base64 = createHash('sha256').update(spki).digest('base64');
    expect(result.stdout).toContain(`SPKI SHA-256 ${base64} (hex ${Buffer.from(base64, 'base64').toString('hex')}, DANE 3 1 1)`);
    expect(result.stdout.indexOf('SPKI SHA-256')).toBeLessThan(result.stdout.indexOf('-----BEGIN CERTIFICATE-----'));
  }, 40_000);

  it('--json carries peerCertificates and, per certificate, the SPKI SHA-256 next to the fingerprint', async () => {
    const result = await inject(peers.goodWithChain, '--showcerts', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as InjectJson;
    expect(json.peerCertificates!.map(fingerprint)).toEqual([fingerprint(serverPem), fingerprint(caPem)]);
    const leaf = json.transactions[0]!.tls!.chain[0]!;
    expect(leaf.fingerprint256).toBe(fingerprint(serverPem));
    expect(leaf.spkiSha256.hex).toMatch(/^[0-9a-f]{64}$/);
  }, 40_000);

  it('--save-certs DIR writes DIR/0.pem and DIR/1.pem (creating DIR) and prints no PEM', async () => {
    const target = join(dir, 'saved', 'chain');
    const result = await inject(peers.goodWithChain, '--save-certs', target);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('BEGIN CERTIFICATE');
    expect(fingerprint(readFileSync(join(target, '0.pem')))).toBe(fingerprint(serverPem));
    expect(fingerprint(readFileSync(join(target, '1.pem')))).toBe(fingerprint(caPem));
  }, 40_000);

  it('a --save-certs file that cannot be written: the one write-error line, exit 2', async () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    symlinkSync('/dev/full', join(full, '0.pem'));
    const result = await inject(peers.good, '--save-certs', full);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`smtpdbg: cannot write ${join(full, '0.pem')}: ENOSPC (no space left on device)\n`);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const notDir = await inject(peers.good, '--save-certs', file, '--json');
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toBe(`smtpdbg: cannot write ${file}: EEXIST (file already exists)\n`);
  }, 40_000);

  it('the embedded capture server: its generated certificate as PEM; nothing stapled', async () => {
    const result = await runCli(['inject', '--showcerts', '--ocsp'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("=== the server's chain as PEM (--showcerts): 1 certificate, the server's own first");
    const pems = result.stdout.match(/-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n/g) ?? [];
    expect(pems).toHaveLength(1);
    expect(new X509Certificate(pems[0]!).subject).toBe('CN=localhost');
    expect(result.stdout).toContain('=== OCSP: no response stapled (the server sent none to the status request)');
    expect(result.stdout).toMatch(/stored|message 1/);
  }, 40_000);

  it('usage errors: with --plain, and with --matrix, --eod all or --count (several connections)', async () => {
    const plain = await runCli(['inject', '--plain', '--showcerts'], { timeoutMs: 30_000 });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('smtpdbg: --showcerts, --save-certs and --ocsp need TLS; they cannot be used with --plain\n');
    for (const mode of [['--matrix'], ['--eod', 'all'], ['--count', '2']]) {
      const result = await inject(peers.none, '--ocsp', ...mode);
      expect(result.code, mode.join(' ')).toBe(2);
      expect(result.stderr).toBe('smtpdbg: --showcerts, --save-certs and --ocsp are for single sends, not --matrix, --eod all or --count\n');
    }
  }, 60_000);
});
