/**
 * `session --dane` on loopback: NSD serves a signed "localhost" zone with TLSA records at
 * _PORT._tcp.localhost for several STARTTLS servers (one port each), Unbound validates it
 * with the zone's key as trust anchor (so the AD bit is real), and the servers present the
 * fixture certificates. The records: DANE-EE that matches, DANE-EE that does not, DANE-TA
 * of the test CA (the server sends the CA after its own certificate), none at all.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsServersUnavailableReason, signZone, startNsd, startUnbound, type DnsServer } from '../harness/dns-servers.js';
import { certFile, sharedFreePort, startPlainPeer, startStaplingPeer, type Peer } from '../harness/probe-peers.js';
import { runCli } from '../harness/run-cli.js';

const serverPem = readFileSync(certFile('server.pem'));
const caPem = readFileSync(certFile('ca.pem'));
const key = readFileSync(certFile('server-key.pem'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const spki = (pem: Buffer) => sha256(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));

let nsd: DnsServer;
let unbound: DnsServer;
const peers: Record<'ee' | 'wrong' | 'ta' | 'none' | 'plain', Peer> = {} as never;

beforeAll(async () => {
  const reason = await dnsServersUnavailableReason();
  if (reason) throw new Error(`NSD, Unbound and ldns are needed for these tests: ${reason}`);
  const start = (cert: Buffer) => startStaplingPeer('127.0.0.1', 0, 'localhost', { cert, key, ocsp: null });
  peers.ee = await start(serverPem);
  peers.wrong = await start(serverPem);
  peers.ta = await start(Buffer.concat([serverPem, caPem]));
  peers.none = await start(serverPem);
  peers.plain = await startPlainPeer('127.0.0.1', await sharedFreePort(['127.0.0.1']), 'localhost');
  const zone = `$ORIGIN localhost.
$TTL 60
@ SOA ns.localhost. admin.localhost. 1 3600 600 86400 60
@ NS ns
ns A 127.0.0.1
@ A 127.0.0.1
_${peers.ee.port}._tcp TLSA 3 1 1 ${spki(serverPem)}
_${peers.wrong.port}._tcp TLSA 3 1 1 ${'ab'.repeat(32)}
_${peers.wrong.port}._tcp TLSA 1 1 1 ${spki(serverPem)}
_${peers.plain.port}._tcp TLSA 3 1 1 ${spki(serverPem)}
_${peers.ta.port}._tcp TLSA 2 0 1 ${sha256(new X509Certificate(caPem).raw)}
`;
  const signed = await signZone({ name: 'localhost', text: zone });
  nsd = await startNsd([signed]);
  unbound = await startUnbound([signed], nsd.port);
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(peers).map((p) => p.stop()));
  await Promise.all([nsd, unbound].filter(Boolean).map((s) => s.stop()));
}, 30_000);

const session = (peer: Peer, dns: DnsServer | string, ...extra: string[]) =>
  runCli(['session', `localhost:${peer.port}`, '-4', '--dane', '--dns-server', typeof dns === 'string' ? dns : dns.address, '--quit-after', 'tls', '--timeout', '5000', ...extra], { timeoutMs: 40_000 });

interface DaneJson { name: string; result: string; authenticated: boolean; records: unknown[]; verdict: { matched: boolean; records: Array<{ matched: boolean; reason: string; record: { usage: number } }> } | null }
const daneOf = (stdout: string) => (JSON.parse(stdout) as { dane: DaneJson }).dane;

describe('session --dane against a signed zone and a validating resolver', () => {
  it('a DANE-EE record that matches the server key: verified, exit 0 (even without --ca: DANE-EE needs no CA)', async () => {
    const result = await session(peers.ee, unbound);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== DANE: 1 TLSA record at _${peers.ee.port}._tcp.localhost, DNSSEC-authenticated by ${unbound.address} (its AD bit)`);
    expect(result.stdout).toContain("=== DANE: verified: a DNSSEC-authenticated TLSA record matches the server's chain");
    expect(result.stdout).toMatch(/=== DANE: {3}TLSA 3 1 1 \(DANE-EE SPKI SHA2-256\) [0-9a-f]{16}… MATCHES: matches the server certificate/);
  }, 60_000);

  it('authenticated records that match nothing: each says why, exit 1', async () => {
    const result = await session(peers.wrong, unbound);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("=== DANE: FAILED: no TLSA record matches the server's chain");
    expect(result.stdout).toMatch(/TLSA 3 1 1 \(DANE-EE SPKI SHA2-256\) abababababababab… no match: does not match the server certificate \(its SPKI SHA2-256 is [0-9a-f]{16}…\)/);
    expect(result.stdout).toContain('TLSA 1 1 1 (PKIX-EE SPKI SHA2-256)');
    expect(result.stdout).toContain('no match: usage 1 (PKIX-EE) is not used for SMTP (RFC 7672 §3.1.3)');
    expect(result.stderr).toContain(`DANE: no TLSA record at _${peers.wrong.port}._tcp.localhost matches the server's chain`);
    const json = await session(peers.wrong, unbound, '--json');
    expect(json.code).toBe(1);
    expect(daneOf(json.stdout)).toMatchObject({ result: 'mismatch', authenticated: true, verdict: { matched: false } });
  }, 60_000);

  it('the same records straight from the authoritative server (no AD bit): information only, exit 0', async () => {
    const result = await session(peers.wrong, nsd, '--json');
    expect(result.code).toBe(0);
    expect(daneOf(result.stdout)).toMatchObject({ result: 'unauthenticated', authenticated: false });
    const text = await session(peers.wrong, nsd);
    expect(text.stdout).toContain(`NOT DNSSEC-authenticated by ${nsd.address} (no AD bit): DANE does not apply (RFC 7672 §2.2), matched for information only`);
    expect(text.stdout).toContain("=== DANE (not authenticated, for information): no record matches the server's chain");
  }, 60_000);

  it('a DANE-TA record of the CA the server sends after its own certificate: matched, and which certificate it matched', async () => {
    const result = await session(peers.ta, unbound, '--json');
    expect(result.code).toBe(0);
    const dane = daneOf(result.stdout);
    expect(dane.result).toBe('matched');
    expect(dane.verdict!.records[0]).toMatchObject({ matched: true, reason: 'matches the trust anchor O=smtpdbg test, CN=smtpdbg test CA' });
  }, 60_000);

  it('no TLSA record: DANE does not apply, exit 0', async () => {
    const result = await session(peers.none, unbound);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== DANE: no TLSA record at _${peers.none.port}._tcp.localhost (NXDOMAIN from ${unbound.address}): DANE does not apply`);
  }, 60_000);

  it('a TLSA lookup that gets no answer: a DANE client would not deliver, exit 1', async () => {
    const silent = await sharedFreePort(['127.0.0.1']);
    const result = await session(peers.ee, `127.0.0.1:${silent}`);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`=== DANE: TLSA _${peers.ee.port}._tcp.localhost lookup failed with 127.0.0.1:${silent}`);
    expect(result.stderr).toContain('a DANE client does not deliver to this server (RFC 7672 §2.2)');
  }, 60_000);

  it('authenticated TLSA records and a server that offers no STARTTLS: a DANE client would not deliver, exit 1', async () => {
    const result = await runCli(['session', `localhost:${peers.plain.port}`, '-4', '--dane', '--dns-server', unbound.address, '--timeout', '5000'], { timeoutMs: 40_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`DANE: _${peers.plain.port}._tcp.localhost has DNSSEC-authenticated TLSA records, but the session never started TLS (RFC 7672 §2.2 requires it)`);
    const stopped = await session(peers.ee, unbound, '--quit-after', 'ehlo');
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain('need the TLS handshake: --quit-after ehlo stops before STARTTLS (use --quit-after tls)');
  }, 60_000);

  it('--dane with an IP address target, and --dns-server without --dane, are usage errors', async () => {
    const ip = await runCli(['session', `127.0.0.1:${peers.ee.port}`, '--dane', '--quit-after', 'tls'], { timeoutMs: 30_000 });
    expect(ip.code).toBe(2);
    expect(ip.stderr).toContain("--dane needs the server's host name: TLSA records are found under _PORT._tcp.HOST, not under an IP address (127.0.0.1)");
    const stray = await runCli(['session', `localhost:${peers.ee.port}`, '--dns-server', unbound.address, '--quit-after', 'tls'], { timeoutMs: 30_000 });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--dns-server is for --dane (the TLSA lookup)');
  }, 60_000);
});
