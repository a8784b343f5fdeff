/**
 * `session --ocsp` against a STARTTLS server on loopback whose tls.Server staples OCSP
 * responses made by `openssl ocsp` as the test CA's responder: good, revoked, none, one
 * about another certificate, and one signed by a key the CA never authorized.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certFile, makeOcspResponse, startStaplingPeer, type Peer } from '../harness/probe-peers.js';
import { runCli } from '../harness/run-cli.js';

const serverCert = readFileSync(certFile('server.pem'));
const serverKey = readFileSync(certFile('server-key.pem'));
const caCert = readFileSync(certFile('ca.pem'));

interface StaplingPeer extends Peer { ocspRequests(): number }
const peers: Record<string, StaplingPeer> = {};

beforeAll(async () => {
  const [good, revoked, other, forged] = await Promise.all([
    makeOcspResponse('server', 'good'),
    makeOcspResponse('server', 'revoked'),
    makeOcspResponse('wrong-name', 'good'),
    makeOcspResponse('server', 'good', 'self-signed'),
  ]);
  const start = (ocsp: Buffer | null, cert = serverCert) => startStaplingPeer('127.0.0.1', 0, 'mx.localhost', { cert, key: serverKey, ocsp });
  Object.assign(peers, Object.fromEntries(await Promise.all(Object.entries({
    good: start(good),
    goodWithChain: start(good, Buffer.concat([serverCert, caCert])),
    revoked: start(revoked),
    none: start(null),
    other: start(other),
    forged: start(forged),
  }).map(async ([name, peer]) => [name, await peer] as const))));
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(peers).map((p) => p.stop()));
});

const session = (peer: StaplingPeer, ...extra: string[]) =>
  runCli(['session', `127.0.0.1:${peer.port}`, '--servername', 'mx.localhost', '--ca', certFile('ca.pem'), '--quit-after', 'tls', '--timeout', '10000', ...extra], { timeoutMs: 30_000 });

interface OcspJson { stapled: boolean; status: string | null; producedAt: string | null; thisUpdate: string | null; nextUpdate: string | null; matchesLeaf: boolean; signatureVerified: boolean; signature: string; problems: string[]; revokedAt: string | null }

describe('session --ocsp', () => {
  it('reports a good stapled response, its dates, that it is about this certificate and signed by the issuer', async () => {
    const result = await session(peers.good!, '--ocsp');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/=== OCSP: stapled response: good; produced 20\d\d-\d\d-\d\dT[\d:.]+Z, this update 20\d\d-[\d:T.-]+Z, next update 20\d\d-[\d:T.-]+Z\n/);
    expect(result.stdout).toContain('=== OCSP: the response is for this certificate; signature verified: signed by the issuer (O=smtpdbg test, CN=smtpdbg test CA)');
    // The summary comes first, then the OCSP lines, then the conversation goes on.
    expect(result.stdout.indexOf('=== certificate verified')).toBeLessThan(result.stdout.indexOf('=== OCSP'));
    expect(peers.good!.ocspRequests()).toBeGreaterThan(0);
  }, 40_000);

  it('--json carries the parsed response; the issuer may come from the chain instead of --ca', async () => {
    const result = await runCli(['session', `127.0.0.1:${peers.goodWithChain!.port}`, '--servername', 'mx.localhost', '--quit-after', 'tls', '--ocsp', '--json'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const ocsp = (JSON.parse(result.stdout) as { ocsp: OcspJson }).ocsp;
    expect(ocsp).toMatchObject({ stapled: true, status: 'good', matchesLeaf: true, signatureVerified: true, problems: [] });
    const next = Date.parse(ocsp.nextUpdate!) - Date.parse(ocsp.thisUpdate!);
    expect(next).toBe(7 * 24 * 3600 * 1000);
  }, 40_000);

  it('a revoked certificate: the revocation time and reason, exit 1', async () => {
    const result = await session(peers.revoked!, '--ocsp');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('=== OCSP: stapled response: revoked (revoked 2026-01-01T00:00:00.000Z, keyCompromise)');
    expect(result.stdout).toContain('=== OCSP: the certificate is REVOKED since 2026-01-01T00:00:00.000Z (keyCompromise)');
    expect(result.stderr).toContain('OCSP: the server\'s certificate is revoked (2026-01-01T00:00:00.000Z)');
  }, 40_000);

  it('no response stapled is said so, and is not a failure', async () => {
    const result = await session(peers.none!, '--ocsp', '--json');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { ocsp: OcspJson }).ocsp).toMatchObject({ stapled: false, status: null });
    const text = await session(peers.none!, '--ocsp');
    expect(text.stdout).toContain('=== OCSP: no response stapled (the server sent none to the status request)');
  }, 40_000);

  it('a response about another certificate does not count for this one', async () => {
    const result = await session(peers.other!, '--ocsp', '--json');
    const ocsp = (JSON.parse(result.stdout) as { ocsp: OcspJson }).ocsp;
    expect(ocsp.matchesLeaf).toBe(false);
    expect(ocsp.status).toBeNull();
    expect(ocsp.problems.join('\n')).toMatch(/the response is not about this certificate \(serial [0-9A-F]+; the response names [0-9A-F]+\)/);
  }, 40_000);

  it('a response signed by a key the issuer never authorized: the signature is INVALID', async () => {
    const result = await session(peers.forged!, '--ocsp');
    expect(result.stdout).toContain('signature INVALID: neither the issuer nor a responder it authorized signed this response');
    expect(result.stdout).toContain('=== OCSP: the response signature is invalid');
  }, 40_000);

  it('without --ocsp no status is requested', async () => {
    const before = peers.none!.ocspRequests();
    const result = await session(peers.none!);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('OCSP');
    expect(peers.none!.ocspRequests()).toBe(before);
  }, 40_000);
});
