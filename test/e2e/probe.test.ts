/**
 * `smtpdbg probe` end to end, on loopback only: NSD serves a signed test zone, Unbound
 * validates it with the zone's key as trust anchor, the MX hosts are the built `serve` with
 * the fixture certificates (proper, wrong name, expired, self-signed), a server without
 * STARTTLS, one that speaks only TLS 1.0/1.1, and a host where nothing listens; the MTA-STS
 * policies come from an HTTPS server with a certificate from the test CA.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dnsServersUnavailableReason, signZone, startNsd, startUnbound, type DnsServer } from '../harness/dns-servers.js';
import { certFile, issueCertificate, makeOcspResponse, sharedFreePort, startLegacyTlsPeer, startPlainPeer, startPolicyServer, startServePeer, startSilentPeer, startStaplingPeer, type Peer } from '../harness/probe-peers.js';
import { runCli } from '../harness/run-cli.js';

const spki = (pem: string) => createHash('sha256').update(new X509Certificate(readFileSync(certFile(pem))).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

const hosts = { mx: '127.0.0.2', wrong: '127.0.0.3', expired: '127.0.0.4', self: '127.0.0.5', plain: '127.0.0.6', legacy: '127.0.0.7', stapled: '127.0.0.10' } as const;

const zoneText = `$ORIGIN localhost.
$TTL 60
@ SOA ns.localhost. admin.localhost. 1 3600 600 86400 60
@ NS ns
ns A 127.0.0.1
${Object.entries(hosts).map(([name, address]) => `${name} A ${address}`).join('\n')}
down A 127.0.0.9
v6 AAAA ::1
six MX 10 v6
silent A 127.0.0.8
quiet MX 10 silent
_25._tcp.mx TLSA 3 1 1 ${spki('server.pem')}
_25._tcp.wrong TLSA 3 1 1 ${'ab'.repeat(32)}
good MX 10 mx
_mta-sts.good TXT "v=STSv1; id=20261205T1;"
mta-sts.good A 127.0.0.1
_smtp._tls.good TXT "v=TLSRPTv1; " "rua=mailto:tlsrpt@good.localhost"
mixed MX 30 down
mixed MX 10 mx
mixed MX 20 wrong
mixed MX 40 plain
mixed MX 50 expired
mixed MX 60 self
_mta-sts.mixed TXT "v=STSv1; id=abc;"
mta-sts.mixed A 127.0.0.1
_smtp._tls.mixed TXT "v=TLSRPTv1; rua=ftp://reports.localhost"
three MX 10 mx
three MX 20 wrong
three MX 30 self
_mta-sts.three TXT "v=STSv1; id=3;"
mta-sts.three A 127.0.0.1
implicit A 127.0.0.2
null MX 0 .
old MX 10 legacy
_mta-sts.nopolicy TXT "v=STSv1; id=gone1;"
mta-sts.nopolicy A 127.0.0.1
nopolicy MX 10 mx
ocsp MX 10 stapled
ocsp MX 20 mx
`;

const policy = (mode: string, mx: string[]) => `version: STSv1\r\nmode: ${mode}\r\n${mx.map((m) => `mx: ${m}\r\n`).join('')}max_age: 86400\r\n`;

let nsd: DnsServer;
let unbound: DnsServer;
let bogusResolver: DnsServer;
let peers: Peer[] = [];
let smtpPort: number;
let policyPort: number;

beforeAll(async () => {
  const reason = await dnsServersUnavailableReason();
  if (reason) throw new Error(`NSD, Unbound and ldns are needed for these tests: ${reason}`);
  const signed = await signZone({ name: 'localhost', text: zoneText });
  // A zone served unsigned while the resolver holds a key for it: validation fails (SERVFAIL).
  const bogus = await signZone({ name: 'bogus.example', text: '$ORIGIN bogus.example.\n$TTL 60\n@ SOA ns admin 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n@ MX 10 mx.localhost.\n' });
  nsd = await startNsd([signed, { name: 'bogus.example', text: bogus.text.split('\n').filter((l) => !/RRSIG|DNSKEY|NSEC/.test(l)).join('\n') }]);
  unbound = await startUnbound([signed], nsd.port);
  bogusResolver = await startUnbound([bogus], nsd.port);
  smtpPort = await sharedFreePort([...Object.values(hosts), '127.0.0.8', '::1']);
  peers = await Promise.all([
    startServePeer(hosts.mx, smtpPort, 'server', 'mx.localhost'),
    startServePeer(hosts.wrong, smtpPort, 'wrong-name', 'wrong.localhost'),
    startServePeer(hosts.expired, smtpPort, 'expired', 'expired.localhost'),
    startServePeer(hosts.self, smtpPort, 'self-signed', 'self.localhost'),
    startPlainPeer(hosts.plain, smtpPort, 'plain.localhost'),
    startLegacyTlsPeer(hosts.legacy, smtpPort, 'legacy.localhost'),
    startSilentPeer('127.0.0.8', smtpPort),
    startServePeer('::1', smtpPort, 'server', 'v6.localhost'),
    makeOcspResponse('server', 'good').then((ocsp) => startStaplingPeer(hosts.stapled, smtpPort, 'stapled.localhost', { cert: readFileSync(certFile('server.pem')), key: readFileSync(certFile('server-key.pem')), ocsp })),
  ]);
  const names = ['good', 'mixed', 'three', 'nopolicy'].map((d) => `mta-sts.${d}.localhost`);
  const policyServer = await startPolicyServer('127.0.0.1', {
    'mta-sts.good.localhost': { body: policy('enforce', ['mx.localhost']) },
    'mta-sts.mixed.localhost': { body: policy('testing', ['mx.localhost']) },
    'mta-sts.three.localhost': { body: policy('enforce', ['mx.localhost', '*.localhost.example', 'wrong.localhost']) },
  }, await issueCertificate(names));
  peers.push(policyServer);
  policyPort = policyServer.port;
}, 90_000);

afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  await Promise.all([nsd, unbound, bogusResolver].filter(Boolean).map((s) => s.stop()));
}, 30_000);

const probe = (domain: string, dns: DnsServer, ...extra: string[]) =>
  runCli(['probe', domain, '--dns-server', dns.address, '--smtp-port', String(smtpPort), '--mta-sts-port', String(policyPort), '--ca', certFile('ca.pem'), '--timeout', '5000', ...extra], { timeoutMs: 60_000 });

interface JsonCheck { id: string; subject: string; status: string; reason: string }
const checksOf = (stdout: string) => (JSON.parse(stdout) as { checks: JsonCheck[] }).checks;
const find = (checks: JsonCheck[], id: string, subject: string) => {
  const found = checks.find((c) => c.id === id && c.subject.startsWith(subject));
  if (!found) throw new Error(`no ${id} check for ${subject} in ${JSON.stringify(checks, null, 1)}`);
  return found;
};

describe('probe against real DNS and SMTP servers on loopback', () => {
  it('a domain that does everything right passes, DANE authenticated by the validating resolver', async () => {
    const result = await probe('good.localhost', unbound);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`probe good.localhost (DNS server ${unbound.address}, SMTP port ${smtpPort}`);
    expect(out).toMatch(/pass {2}mx +10 mx\.localhost/);
    expect(out).toMatch(/pass {2}address +127\.0\.0\.2/);
    expect(out).toMatch(/pass {2}dane-dnssec +1 TLSA record, DNSSEC-authenticated by the resolver you named/);
    expect(out).toMatch(new RegExp(`mx\\.localhost 127\\.0\\.0\\.2:${smtpPort}\\n  pass  banner +220 `));
    expect(out).toMatch(/pass {2}starttls +TLSv1\.3 TLS_[A-Z0-9_]+, key exchange X25519, RSA 2048 bits key \(certificate signed with sha256WithRSAEncryption\)\n/);
    expect(out).toMatch(/pass {2}certificate +valid for mx\.localhost, issued by .*CN=smtpdbg test CA/);
    expect(out).toMatch(/pass {2}expiry +\d+ days left/);
    expect(out).toMatch(/pass {2}tls-versions +accepts TLSv1\.2, TLSv1\.3/);
    expect(out).toMatch(/pass {2}dane +TLSA 3 1 1 \(DANE-EE SPKI SHA2-256\) .* matches the server certificate/);
    expect(out).toMatch(/pass {2}mta-sts-record +id 20261205T1/);
    expect(out).toMatch(/pass {2}mta-sts-policy +mode enforce \(enforced\), max_age 86400 s, mx mx\.localhost/);
    expect(out).toMatch(/pass {2}mta-sts-mx +listed in the MTA-STS policy \(mx\.localhost\)/);
    expect(out).toMatch(/pass {2}tls-rpt +reports to mailto:tlsrpt@good\.localhost/);
    expect(out).not.toMatch(/^ {2}fail/m);
    expect(out).toMatch(/\n\d+ checks: \d+ pass, 1 warn, 0 fail\n$/);
  }, 60_000);

  it('the same TLSA answer straight from the authoritative server has no AD bit: DANE does not count', async () => {
    const result = await probe('good.localhost', nsd, '--json', '--no-versions');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { hosts: Array<{ tlsa: { authenticated: boolean; records: unknown[] } }>; exitCode: number };
    expect(json.exitCode).toBe(1);
    expect(json.hosts[0]!.tlsa.authenticated).toBe(false);
    expect(json.hosts[0]!.tlsa.records).toHaveLength(1);
    expect(find(checksOf(result.stdout), 'dane-dnssec', 'mx.localhost')).toMatchObject({ status: 'fail', reason: expect.stringContaining('not DNSSEC-authenticated: DANE senders ignore them') });
    expect(find(checksOf(result.stdout), 'dane', 'mx.localhost 127.0.0.2')).toMatchObject({ status: 'warn' });
  }, 60_000);

  it('--ocsp: a host that staples a good response passes, one that staples none is warned about', async () => {
    const result = await probe('ocsp.localhost', unbound, '--json', '--no-versions', '--ocsp');
    const checks = checksOf(result.stdout);
    expect(find(checks, 'ocsp', 'stapled.localhost 127.0.0.10')).toMatchObject({ status: 'pass', reason: expect.stringMatching(/^stapled: good, next update 20[\d-]+T[\d:.]+Z; signature verified: signed by the issuer \(O=smtpdbg test, CN=smtpdbg test CA\)$/) });
    expect(find(checks, 'ocsp', 'mx.localhost 127.0.0.2')).toMatchObject({ status: 'warn', reason: 'no OCSP response stapled' });
    const json = JSON.parse(result.stdout) as { hosts: Array<{ probes: Array<{ ocsp: { status: string; matchesLeaf: boolean } | null }> }> };
    expect(json.hosts[0]!.probes[0]!.ocsp).toMatchObject({ status: 'good', matchesLeaf: true });
    const without = await probe('ocsp.localhost', unbound, '--json', '--no-versions');
    expect(checksOf(without.stdout).some((c) => c.id === 'ocsp')).toBe(false);
  }, 60_000);

  it('six MX hosts in preference order: down, no STARTTLS, wrong name, expired, self-signed, wrong TLSA, testing policy', async () => {
    const result = await probe('mixed.localhost', unbound, '--json', '--no-versions');
    expect(result.code).toBe(1);
    const checks = checksOf(result.stdout);
    expect(find(checks, 'mx', 'mixed.localhost')).toMatchObject({ status: 'pass', reason: '10 mx.localhost, 20 wrong.localhost, 30 down.localhost, 40 plain.localhost, 50 expired.localhost, 60 self.localhost' });
    expect(find(checks, 'connect', 'down.localhost 127.0.0.9')).toMatchObject({ status: 'fail', reason: expect.stringContaining('refused') });
    expect(find(checks, 'starttls', 'plain.localhost')).toMatchObject({ status: 'fail', reason: 'STARTTLS is not offered: mail to this host travels in plain text' });
    expect(find(checks, 'auth-plaintext', 'plain.localhost')).toMatchObject({ status: 'warn', reason: expect.stringContaining('AUTH PLAIN LOGIN is offered before STARTTLS') });
    expect(find(checks, 'certificate', 'wrong.localhost 127.0.0.3')).toMatchObject({ status: 'warn', reason: 'not valid for wrong.localhost: name mismatch: certificate is for DNS:wrong.example, not wrong.localhost' });
    expect(find(checks, 'dane', 'wrong.localhost 127.0.0.3')).toMatchObject({ status: 'fail', reason: expect.stringContaining('no TLSA record matches: 3 1 1 (DANE-EE SPKI SHA2-256) abababababababab… does not match the server certificate') });
    expect(find(checks, 'certificate', 'expired.localhost')).toMatchObject({ status: 'warn', reason: expect.stringContaining('certificate expired on 2021-01-01') });
    expect(find(checks, 'expiry', 'expired.localhost')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/^expired \d+ days ago \(2021-01-01T00:00:00\.000Z\)$/) });
    expect(find(checks, 'certificate', 'self.localhost')).toMatchObject({ status: 'warn', reason: expect.stringContaining('self-signed') });
    expect(find(checks, 'dane', 'self.localhost')).toMatchObject({ status: 'warn', reason: 'no TLSA record at _25._tcp.self.localhost: DANE is not deployed' });
    expect(find(checks, 'mta-sts-policy', 'mixed.localhost')).toMatchObject({ status: 'warn', reason: expect.stringContaining('mode testing') });
    expect(find(checks, 'mta-sts-mx', 'wrong.localhost')).toMatchObject({ status: 'warn', reason: expect.stringContaining('not listed in the MTA-STS policy (mx: mx.localhost)') });
    expect(find(checks, 'tls-rpt', 'mixed.localhost')).toMatchObject({ status: 'fail', reason: expect.stringContaining('"ftp://reports.localhost" is neither mailto: nor https:') });
    // Nothing beyond EHLO, STARTTLS and QUIT: the report has no MAIL or RCPT reply because none is sent.
    expect(result.stdout).not.toMatch(/MAIL FROM|RCPT TO/);
  }, 60_000);

  it('an enforce policy that leaves out an MX, and one whose certificate fails, fail', async () => {
    const result = await probe('three.localhost', unbound, '--json', '--no-versions');
    expect(result.code).toBe(1);
    const checks = checksOf(result.stdout);
    expect(find(checks, 'mta-sts-mx', 'self.localhost')).toMatchObject({ status: 'fail', reason: expect.stringContaining('senders will not deliver to it') });
    expect(find(checks, 'mta-sts-mx', 'wrong.localhost')).toMatchObject({ status: 'pass', reason: 'listed in the MTA-STS policy (wrong.localhost)' });
    expect(find(checks, 'mta-sts-certificate', 'wrong.localhost')).toMatchObject({ status: 'fail', reason: expect.stringContaining('needs a valid certificate for wrong.localhost') });
  }, 60_000);

  it('the policy host is verified: without the test CA its certificate is not trusted', async () => {
    const result = await runCli(['probe', 'good.localhost', '--dns-server', unbound.address, '--smtp-port', String(smtpPort), '--mta-sts-port', String(policyPort), '--no-versions', '--json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    const checks = checksOf(result.stdout);
    expect(find(checks, 'mta-sts-policy', 'good.localhost')).toMatchObject({ status: 'fail', reason: expect.stringMatching(/gives none: certificate not valid for mta-sts\.good\.localhost: (unable to get local issuer|cannot verify)/) });
    expect(find(checks, 'certificate', 'mx.localhost 127.0.0.2')).toMatchObject({ status: 'warn', reason: expect.stringContaining('not valid for mx.localhost') });
  }, 60_000);

  it('a TXT record that announces a policy nobody serves', async () => {
    const result = await probe('nopolicy.localhost', unbound, '--json', '--no-versions');
    expect(result.code).toBe(1);
    expect(find(checksOf(result.stdout), 'mta-sts-policy', 'nopolicy.localhost')).toMatchObject({ status: 'fail', reason: expect.stringContaining('announces policy id gone1, but https://mta-sts.nopolicy.localhost:') });
    expect(find(checksOf(result.stdout), 'mta-sts-policy', 'nopolicy.localhost').reason).toContain('HTTP 404');
  }, 60_000);

  it('TLS 1.0 and 1.1 only: each version tried, the modern ones refused', async () => {
    const result = await probe('old.localhost', unbound, '--json');
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { hosts: Array<{ probes: Array<{ versions: Array<{ version: string; accepted: boolean }> }> }> };
    expect(json.hosts[0]!.probes[0]!.versions.map((v) => [v.version, v.accepted])).toEqual([['TLSv1', true], ['TLSv1.1', true], ['TLSv1.2', false], ['TLSv1.3', false]]);
    expect(find(checksOf(result.stdout), 'tls-versions', 'legacy.localhost')).toMatchObject({ status: 'fail', reason: 'accepts TLSv1, TLSv1.1: neither TLS 1.2 nor 1.3' });
    // The handshake failure in words (the alert named), OpenSSL's text kept after it.
    expect(find(checksOf(result.stdout), 'starttls', 'legacy.localhost')).toMatchObject({
      status: 'fail',
      reason: `TLS handshake with 127.0.0.7:${smtpPort} failed: the server refused TLS 1.2 to 1.3 (alert 70 protocol_version) (OpenSSL: ssl3_read_bytes: tlsv1 alert protocol version)`,
    });
  }, 60_000);

  it('an MX host with only an AAAA record is probed over IPv6', async () => {
    const result = await probe('six.localhost', unbound, '--json', '--no-versions');
    const json = JSON.parse(result.stdout) as { hosts: Array<{ a: { records: string[] }; aaaa: { records: string[] }; probes: Array<{ address: string; banner: string }> }> };
    expect(json.hosts[0]!.a.records).toEqual([]);
    expect(json.hosts[0]!.aaaa.records).toEqual(['::1']);
    expect(json.hosts[0]!.probes[0]).toMatchObject({ address: '::1', banner: expect.stringMatching(/^220 v6\.localhost ESMTP/) });
    expect(find(checksOf(result.stdout), 'starttls', `v6.localhost [::1]:${smtpPort}`).status).toBe('pass');
    expect(find(checksOf(result.stdout), 'address', 'v6.localhost')).toMatchObject({ status: 'pass', reason: '::1' });
  }, 60_000);

  it('--ciphers finds the suites accepted per version, also where the default handshake fails', async () => {
    const good = await probe('good.localhost', unbound, '--json', '--ciphers');
    const json = JSON.parse(good.stdout) as { hosts: Array<{ probes: Array<{ ciphers: Array<{ version: string; accepted: string[] }> }> }> };
    const ciphers = json.hosts[0]!.probes[0]!.ciphers;
    expect(ciphers.map((c) => c.version)).toEqual(['TLSv1.2', 'TLSv1.3']);
    // Node's default server suites: the three TLS 1.3 ones, and ECDHE with AES-GCM among the TLS 1.2 ones.
    expect([...ciphers[1]!.accepted].sort()).toEqual(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(ciphers[0]!.accepted).toContain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(new Set(ciphers[0]!.accepted).size).toBe(ciphers[0]!.accepted.length);
    expect(find(checksOf(good.stdout), 'ciphers', 'mx.localhost 127.0.0.2')).toMatchObject({ status: 'pass', reason: expect.stringMatching(/^suites per version: TLSv1\.2 \d+, TLSv1\.3 3 /) });
    const old = await probe('old.localhost', unbound, '--json', '--ciphers');
    const oldCiphers = (JSON.parse(old.stdout) as typeof json).hosts[0]!.probes[0]!.ciphers;
    expect(oldCiphers.map((c) => c.version)).toEqual(['TLSv1', 'TLSv1.1']);
    expect(oldCiphers[0]!.accepted).toContain('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA');
    expect(find(checksOf(old.stdout), 'ciphers', 'legacy.localhost')).toMatchObject({ status: 'pass', reason: `suites per version: TLSv1 ${oldCiphers[0]!.accepted.length}, TLSv1.1 ${oldCiphers[1]!.accepted.length} (see --json for the names)` });
  }, 90_000);

  it('no MX: the implicit MX; a null MX is reported as such', async () => {
    const implicit = await probe('implicit.localhost', unbound, '--json', '--no-versions');
    expect(find(checksOf(implicit.stdout), 'mx', 'implicit.localhost')).toMatchObject({ status: 'warn', reason: "no MX record: senders use implicit.localhost's own address (implicit MX, RFC 5321 §5.1)" });
    expect(find(checksOf(implicit.stdout), 'banner', 'implicit.localhost 127.0.0.2').status).toBe('pass');
    const nullMx = await probe('null.localhost', unbound);
    expect(nullMx.code).toBe(0);
    expect(nullMx.stdout).toMatch(/pass {2}mx +null MX \(RFC 7505\): the domain says it accepts no mail/);
    expect(nullMx.stdout).toMatch(/\n1 check: 1 pass, 0 warn, 0 fail\n$/);
  }, 60_000);

  it('a server that never sends its banner is given up after --timeout, and the other checks still run', async () => {
    const started = Date.now();
    const result = await runCli(['probe', 'quiet.localhost', '--dns-server', unbound.address, '--smtp-port', String(smtpPort), '--mta-sts-port', String(policyPort), '--timeout', '1500', '--json'], { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(find(checksOf(result.stdout), 'banner', 'silent.localhost 127.0.0.8')).toMatchObject({ status: 'fail', reason: `timed out after 1500 ms waiting for the banner from 127.0.0.8:${smtpPort}` });
    expect(find(checksOf(result.stdout), 'tls-rpt', 'quiet.localhost').status).toBe('warn');
  }, 60_000);

  it('a domain that cannot be resolved exits 3 and says why in words', async () => {
    const nx = await probe('nx.localhost', unbound);
    expect(nx.code).toBe(3);
    expect(nx.stdout).toBe('');
    expect(nx.stderr).toBe(`smtpdbg: cannot resolve nx.localhost (MX) with the DNS server ${unbound.address}: NXDOMAIN: the domain does not exist\n`);
    const servfail = await probe('bogus.example', bogusResolver);
    expect(servfail.code).toBe(3);
    expect(servfail.stderr).toContain('SERVFAIL: the resolver could not get an answer (a broken delegation, or DNSSEC validation failed)');
  }, 60_000);
});
