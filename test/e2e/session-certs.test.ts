/**
 * `session --showcerts` and `--save-certs DIR` against a STARTTLS server on loopback that
 * sends its certificate and the test CA's after it: the PEM printed and written must be the
 * very certificates served, in order, and a file that cannot be written ends the run with
 * the one write-error line (exit 2).
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certFile, makeOcspResponse, startStaplingPeer, type Peer } from '../harness/probe-peers.js';
import { runCli } from '../harness/run-cli.js';

const serverPem = readFileSync(certFile('server.pem'));
const caPem = readFileSync(certFile('ca.pem'));
const fingerprint = (pem: string | Buffer) => new X509Certificate(pem).fingerprint256;
const blocks = (text: string) => text.match(/-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n/g) ?? [];

let peer: Peer;
let implicitPeer: Peer;
let dir: string;

beforeAll(async () => {
  peer = await startStaplingPeer('127.0.0.1', 0, 'mx.localhost', { cert: Buffer.concat([serverPem, caPem]), key: readFileSync(certFile('server-key.pem')), ocsp: null });
  implicitPeer = await startStaplingPeer('127.0.0.1', 0, 'mx.localhost', { cert: serverPem, key: readFileSync(certFile('server-key.pem')), ocsp: await makeOcspResponse('server', 'good'), implicit: true });
  dir = mkdtempSync(join(tmpdir(), 'smtpdbg-certs-'));
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  await implicitPeer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const session = (...extra: string[]) =>
  runCli(['session', `127.0.0.1:${peer.port}`, '--servername', 'mx.localhost', '--ca', certFile('ca.pem'), '--quit-after', 'tls', '--timeout', '10000', ...extra], { timeoutMs: 30_000 });

describe('session --showcerts and --save-certs', () => {
  it('--showcerts prints the chain served as PEM, leaf first, after the TLS summary', async () => {
    const result = await session('--showcerts');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    const pems = blocks(out);
    expect(pems.map(fingerprint)).toEqual([fingerprint(serverPem), fingerprint(caPem)]);
    expect(out).toContain("=== the server's chain as PEM (--showcerts): 2 certificates, the server's own first\n0 s:O=smtpdbg test, CN=localhost\n  i:O=smtpdbg test, CN=smtpdbg test CA\n-----BEGIN CERTIFICATE-----\n");
    expect(out.indexOf('=== certificate verified')).toBeLessThan(out.indexOf('-----BEGIN CERTIFICATE-----'));
    expect(out.indexOf('-----END CERTIFICATE-----')).toBeLessThan(out.indexOf('QUIT'));
    // RFC 7468 §2: base64 lines of 64 characters, as openssl writes them.
    expect(pems[0]!.split('\n').slice(1, -3).every((line) => line.length === 64)).toBe(true);
  }, 40_000);

  it('the summary shows the key exchange group, the key and the certificate\'s signature algorithm; --json too', async () => {
    const text = await session();
    expect(text.stdout).toMatch(/=== TLS started: TLSv1\.3, TLS_[A-Z0-9_]+, key exchange X25519, SNI mx\.localhost\n/);
    expect(text.stdout).toMatch(/=== {19}key RSA 2048 bits; certificate signed with sha256WithRSAEncryption\n/);
    const json = await session('--json', '--showcerts');
    const summary = JSON.parse(json.stdout) as { tls: { keyExchange: string; resumed: boolean; chain: Array<{ publicKey: string; signatureAlgorithm: string }> }; peerCertificates: string[] };
    expect(summary.tls).toMatchObject({ keyExchange: 'X25519', resumed: false });
    expect(summary.tls.chain[0]).toMatchObject({ publicKey: 'RSA 2048 bits', signatureAlgorithm: 'sha256WithRSAEncryption' });
    expect(summary.peerCertificates.map(fingerprint)).toEqual([fingerprint(serverPem), fingerprint(caPem)]);
    expect(blocks(json.stdout)).toEqual([]);
  }, 40_000);

  it('implicit TLS (--tls): the chain and the stapled OCSP status follow the summary, before the banner', async () => {
    const result = await runCli(['session', `127.0.0.1:${implicitPeer.port}`, '--tls', '--servername', 'mx.localhost', '--ca', certFile('ca.pem'), '--quit-after', 'ehlo', '--showcerts', '--ocsp', '--timeout', '10000'], { timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(blocks(out).map(fingerprint)).toEqual([fingerprint(serverPem), fingerprint(caPem)]);
    const order = ['=== TLS started', '=== certificate verified', '-----BEGIN CERTIFICATE-----', '=== OCSP: stapled response: good', '220 mx.localhost ESMTP stapling'].map((text) => out.indexOf(text));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  }, 40_000);

  it('--save-certs DIR writes DIR/0.pem and DIR/1.pem (creating DIR), and prints no PEM', async () => {
    const target = join(dir, 'new', 'chain');
    const result = await session('--save-certs', target);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fingerprint(readFileSync(join(target, '0.pem')))).toBe(fingerprint(serverPem));
    expect(fingerprint(readFileSync(join(target, '1.pem')))).toBe(fingerprint(caPem));
    expect(blocks(result.stdout)).toEqual([]);
  }, 40_000);

  it('a file of --save-certs that cannot be written: the one write-error line, exit 2', async () => {
    const full = join(dir, 'full');
    rmSync(full, { recursive: true, force: true });
    mkdirSync(full);
    symlinkSync('/dev/full', join(full, '0.pem'));
    const result = await session('--save-certs', full);
    expect(result.stderr).toBe(`smtpdbg: cannot write ${join(full, '0.pem')}: ENOSPC (no space left on device)\n`);
    expect(result.code).toBe(2);
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const notDir = await session('--save-certs', file);
    expect(notDir.stderr).toBe(`smtpdbg: cannot write ${file}: EEXIST (file already exists)\n`);
    expect(notDir.code).toBe(2);
  }, 40_000);

  it('with --plain the options have nothing to show: a usage error', async () => {
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--plain', '--showcerts', '--quit-after', 'ehlo'], { timeoutMs: 30_000 });
    expect(result.stderr).toContain('--showcerts, --save-certs, --ocsp and --dane need TLS; they cannot be used with --plain');
    expect(result.code).toBe(2);
  }, 40_000);
});
