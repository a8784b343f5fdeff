import { describe, expect, it } from 'vitest';
import { evaluate, unresolvable, worstStatus } from '../../../src/probe/checks.js';
import type { AddressProbe, HostFacts, Lookup, ProbeFacts } from '../../../src/probe/probe.js';
import type { OcspReport } from '../../../src/tls/ocsp.js';
import { formatProbeReport, probeJson } from '../../../src/ui/probe-report.js';
import { loadChalk } from '../../../src/ui/colors.js';

const now = new Date('2026-12-05T12:00:00Z');
const answer = <T>(records: T[], extra: Partial<Lookup<T>> = {}): Lookup<T> => ({ rcode: 'NOERROR', authenticated: false, records, error: null, ...extra });

function address(overrides: Partial<AddressProbe> = {}): AddressProbe {
  return {
    address: '192.0.2.1', port: 25, error: null, reached: 'done', connectMs: 1, bannerMs: 2, banner: '220 mx.example.test ESMTP',
    ehlo: { lines: ['STARTTLS'], starttls: true, size: null, pipelining: true, chunking: false, smtputf8: false, requiretls: false, auth: [] },
    starttlsReply: '220 go', ehloAfterTls: null, chainDer: [], versions: [], ciphers: [], dane: null, ocsp: null,
    tls: {
      protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', servername: 'mx.example.test', alpn: null, verified: true, verifyError: null, verifyCode: null,
      chain: [{ subject: 'CN=mx.example.test', issuer: 'CN=Test CA', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2026-12-15T12:00:00.000Z', subjectAltNames: ['DNS:mx.example.test'], fingerprint256: 'AA', serialNumber: '01', selfSigned: false }],
    },
    ...overrides,
  };
}

function facts(hosts: HostFacts[], mx: Partial<ProbeFacts['mx']> = {}): ProbeFacts {
  return {
    domain: 'example.test', dnsServer: '127.0.0.1:53', checkedAt: now.toISOString(), smtpPort: 25,
    mx: { ...answer(hosts.map((h) => ({ preference: h.preference, exchange: h.name }))), kind: 'mx', strayNullMx: false, ...mx },
    hosts,
    mtaSts: { txt: answer([], { rcode: 'NXDOMAIN' }), record: null, fetch: null, policy: null },
    tlsRpt: { txt: answer(['v=TLSRPTv1; rua=mailto:r@example.test']), record: { ok: true, value: { rua: ['mailto:r@example.test'], text: '' } } },
  };
}

const host = (probes: AddressProbe[], name = 'mx.example.test'): HostFacts => ({ name, preference: 10, a: answer(probes.map((p) => p.address)), aaaa: answer([]), tlsa: answer([], { rcode: 'NXDOMAIN' }), probes });

describe('evaluate', () => {
  it('warns about a certificate that expires within two weeks, old TLS versions and AUTH before STARTTLS', () => {
    const checks = evaluate(facts([host([address({
      ehlo: { lines: [], starttls: true, size: 1000, pipelining: false, chunking: true, smtputf8: true, requiretls: true, auth: ['PLAIN'] },
      versions: [{ version: 'TLSv1', accepted: true, detail: '' }, { version: 'TLSv1.1', accepted: false, detail: '' }, { version: 'TLSv1.2', accepted: true, detail: '' }, { version: 'TLSv1.3', accepted: true, detail: '' }],
    })])]), now);
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId.expiry).toMatchObject({ status: 'warn', reason: '10 days left (until 2026-12-15T12:00:00.000Z)' });
    expect(byId['tls-versions']).toMatchObject({ status: 'warn', reason: 'accepts TLSv1, TLSv1.2, TLSv1.3: TLSv1 is deprecated (RFC 8996)' });
    expect(byId['auth-plaintext']).toMatchObject({ status: 'warn' });
    expect(byId.ehlo).toMatchObject({ status: 'pass', reason: 'offers SIZE, CHUNKING, SMTPUTF8, REQUIRETLS (SIZE 1000)' });
    expect(byId.dane).toMatchObject({ status: 'warn', subject: 'mx.example.test' });
    expect(byId['mta-sts-record']).toMatchObject({ status: 'warn' });
    expect(worstStatus(checks)).toBe('warn');
  });

  it('--ciphers: weak suites are named (the e2e peers cannot offer them: this OpenSSL has none)', () => {
    const checks = evaluate(facts([host([address({ ciphers: [
      { version: 'TLSv1.2', accepted: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_RSA_WITH_RC4_128_SHA'] },
      { version: 'TLSv1.3', accepted: ['TLS_AES_128_GCM_SHA256'] },
    ] })])]), now);
    expect(checks.find((c) => c.id === 'ciphers')).toMatchObject({ status: 'warn', reason: 'accepts weak suites: TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_RC4_128_SHA (suites per version: TLSv1.2 3, TLSv1.3 1)' });
  });

  const ocsp = (report: Partial<OcspReport>): OcspReport => ({
    stapled: true, responseStatus: 'successful', status: 'good', producedAt: '2026-12-05T00:00:00.000Z', thisUpdate: '2026-12-05T00:00:00.000Z', nextUpdate: '2026-12-12T00:00:00.000Z',
    revokedAt: null, revocationReason: null, matchesLeaf: true, signature: 'verified: signed by the issuer (CN=Test CA)', signatureVerified: true, problems: [], ...report,
  });
  it.each([
    ['good, signed by the issuer', ocsp({}), 'pass', 'stapled: good, next update 2026-12-12T00:00:00.000Z; signature verified: signed by the issuer (CN=Test CA)'],
    ['none stapled', ocsp({ stapled: false, status: null }), 'warn', 'no OCSP response stapled'],
    ['revoked', ocsp({ status: 'revoked', revokedAt: '2026-01-01T00:00:00.000Z', revocationReason: 'keyCompromise', problems: ['revoked'] }), 'fail', 'the stapled OCSP response says REVOKED since 2026-01-01T00:00:00.000Z (keyCompromise)'],
    ['about another certificate', ocsp({ status: null, matchesLeaf: false, problems: ['the response is not about this certificate'] }), 'warn', 'stapled response: the response is not about this certificate'],
  ])('--ocsp: %s', (_name, report, status, reason) => {
    const checks = evaluate(facts([host([address({ ocsp: report })])]), now);
    expect(checks.find((c) => c.id === 'ocsp')).toMatchObject({ status, reason });
  });

  it('fails when no MX host accepts a connection, and when a null MX stands with others', () => {
    const down = address({ reached: 'connect', error: 'connection to 192.0.2.1:25 refused', connectMs: null, ehlo: null, tls: null, bannerMs: null, banner: null });
    const checks = evaluate(facts([host([down])], { strayNullMx: true }), now);
    expect(checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.reason}`)).toEqual([
      'null-mx: a null MX "0 ." is published with other MX records (RFC 7505 §3 says it must stand alone)',
      'connect: connection to 192.0.2.1:25 refused',
      'reachable: no MX host accepted a connection: mail to the domain cannot be delivered',
    ]);
  });

  it('an IPv6 address this machine cannot route to is a warning, not a server failure', () => {
    const v6 = address({ address: '2001:db8::25', reached: 'connect', error: '[2001:db8::25]:25 is unreachable (ENETUNREACH)', connectMs: null, ehlo: null, tls: null, bannerMs: null, banner: null });
    const checks = evaluate(facts([host([address(), v6])]), now);
    expect(checks.find((c) => c.id === 'connect')).toEqual({ id: 'connect', subject: 'mx.example.test [2001:db8::25]:25', status: 'warn', reason: '[2001:db8::25]:25 is unreachable (ENETUNREACH): this machine has no IPv6 route, so the address is not checked' });
  });

  it('a host without addresses fails with the lookup failure in words', () => {
    const checks = evaluate(facts([{ ...host([]), a: answer([], { rcode: 'SERVFAIL' }) }]), now);
    expect(checks.find((c) => c.id === 'address')).toMatchObject({ status: 'fail', reason: 'mx.example.test has no address: SERVFAIL: the resolver could not get an answer (a broken delegation, or DNSSEC validation failed)' });
    expect(checks.filter((c) => c.subject === 'mx.example.test').map((c) => c.id)).toEqual(['address']);
  });

  it('an unanswered MX question makes the domain unresolvable, with the reason', () => {
    const f = facts([], { rcode: null, error: 'timed out after 1000 ms waiting for the DNS answer to MX example.test from 127.0.0.1:53', kind: null });
    expect(unresolvable(f)).toBe(true);
    expect(evaluate(f, now)).toEqual([{ id: 'mx', subject: 'example.test', status: 'fail', reason: 'cannot resolve example.test: timed out after 1000 ms waiting for the DNS answer to MX example.test from 127.0.0.1:53' }]);
  });
});

describe('the report', () => {
  it('groups checks by subject, counts them, and the JSON leaves out certificate bytes', async () => {
    const f = facts([host([address({ chainDer: [Buffer.from('secret-bytes')] })])]);
    const checks = evaluate(f, now);
    const lines = formatProbeReport(f, checks, await loadChalk(false));
    expect(lines[0]).toBe('probe example.test (DNS server 127.0.0.1:53, SMTP port 25, 2026-12-05T12:00:00.000Z)');
    expect(lines).toContain('mx.example.test 192.0.2.1:25');
    expect(lines.at(-1)).toBe(`${checks.length} checks: ${checks.filter((c) => c.status === 'pass').length} pass, ${checks.filter((c) => c.status === 'warn').length} warn, 0 fail`);
    const json = probeJson(f, checks, 0);
    expect(json).not.toContain('chainDer');
    expect(JSON.parse(json)).toMatchObject({ domain: 'example.test', exitCode: 0, summary: { fail: 0 }, hosts: [{ probes: [{ tls: { protocol: 'TLSv1.3' } }] }] });
  });
});
