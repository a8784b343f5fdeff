import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TlsaRecord } from '../../../src/net/dns-client.js';
import { describeTlsa, matchDane } from '../../../src/tls/dane.js';
import { hasStrayNullMx, planMx } from '../../../src/probe/mx.js';

const der = (name: string) => new X509Certificate(readFileSync(new URL(`../../../fixtures/certs/${name}.pem`, import.meta.url))).raw;
const server = der('server');
const ca = der('ca');
const spki = (bytes: Buffer) => new X509Certificate(bytes).publicKey.export({ type: 'spki', format: 'der' });
const hash = (algorithm: 'sha256' | 'sha512', bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');
const tlsa = (usage: number, selector: number, matchingType: number, data: string): TlsaRecord => ({ usage, selector, matchingType, data });
const now = new Date('2026-12-05T12:00:00Z');

describe('planMx', () => {
  it('orders by preference, keeping the received order for ties, and drops the trailing dot', () => {
    const plan = planMx('example.test', [
      { preference: 20, exchange: 'b.example.test.' },
      { preference: 10, exchange: 'A.example.test' },
      { preference: 20, exchange: 'c.example.test' },
    ]);
    expect(plan).toEqual({ kind: 'mx', hosts: [{ name: 'a.example.test', preference: 10 }, { name: 'b.example.test', preference: 20 }, { name: 'c.example.test', preference: 20 }] });
  });

  it('no MX: the domain itself at preference 0 (RFC 5321 §5.1); a lone "0 ." is a null MX (RFC 7505)', () => {
    expect(planMx('Example.test.', [])).toEqual({ kind: 'implicit', hosts: [{ name: 'example.test', preference: 0 }] });
    expect(planMx('example.test', [{ preference: 0, exchange: '' }])).toEqual({ kind: 'null', hosts: [] });
    expect(planMx('example.test', [{ preference: 0, exchange: '.' }])).toEqual({ kind: 'null', hosts: [] });
  });

  it('a null MX among others is flagged and the others are still checked', () => {
    const records = [{ preference: 0, exchange: '.' }, { preference: 10, exchange: 'mx.example.test' }];
    expect(hasStrayNullMx(records)).toBe(true);
    expect(planMx('example.test', records).hosts).toEqual([{ name: 'mx.example.test', preference: 10 }]);
  });
});

describe('matchDane (RFC 7672)', () => {
  it('DANE-EE matches the leaf by SPKI or whole certificate, with SHA-256, SHA-512 or the full bytes', () => {
    for (const record of [
      tlsa(3, 1, 1, hash('sha256', spki(server))),
      tlsa(3, 0, 1, hash('sha256', server)),
      tlsa(3, 1, 2, hash('sha512', spki(server))),
      tlsa(3, 0, 0, server.toString('hex')),
      tlsa(3, 1, 0, spki(server).toString('hex').toUpperCase()),
    ]) {
      const verdict = matchDane([record], [server, ca], 'not-the-name.example', now);
      expect(verdict.matched, describeTlsa(record)).toBe(true);
      expect(verdict.records[0]!.reason).toContain('names and dates are not checked for DANE-EE');
    }
  });

  it('a DANE-EE record for another key says what the server key hashes to', () => {
    const verdict = matchDane([tlsa(3, 1, 1, 'ab'.repeat(32))], [server, ca], 'mx.localhost', now);
    expect(verdict.matched).toBe(false);
    expect(verdict.records[0]!.reason).toBe(`does not match the server certificate (its SPKI SHA2-256 is ${hash('sha256', spki(server)).slice(0, 16)}…)`);
  });

  it('DANE-TA matches the CA, checks that it signed the leaf and that the leaf is for the MX host', () => {
    const record = tlsa(2, 0, 1, hash('sha256', ca));
    expect(matchDane([record], [server, ca], 'mx.localhost', now)).toMatchObject({ matched: true, records: [{ reason: expect.stringContaining('matches the trust anchor') }] });
    expect(matchDane([record], [server, ca], 'other.example', now).records[0]!.reason).toBe('matches a trust anchor, but the certificate is not for other.example (RFC 7672 §3.2.2)');
    expect(matchDane([record], [der('expired'), ca], 'mx.localhost', now).records[0]!.reason).toBe('matches a trust anchor, but the certificate expired on 2021-01-01T00:00:00.000Z');
    expect(matchDane([record], [der('self-signed'), ca], 'mx.localhost', now).records[0]!.reason).toContain('but the chain does not verify up to it');
    expect(matchDane([record], [server], 'mx.localhost', now).records[0]!.reason).toBe('matches no issuer certificate in the chain the server presented');
  });

  it('PKIX usages and unknown parameters are unusable for SMTP; one match is enough', () => {
    const verdict = matchDane([
      tlsa(1, 1, 1, hash('sha256', spki(server))),
      tlsa(3, 1, 3, '00'),
      tlsa(3, 1, 1, hash('sha256', spki(server))),
    ], [server, ca], 'mx.localhost', now);
    expect(verdict.matched).toBe(true);
    expect(verdict.records.map((r) => r.matched)).toEqual([false, false, true]);
    expect(verdict.records[0]!.reason).toBe('usage 1 (PKIX-EE) is not used for SMTP (RFC 7672 §3.1.3)');
    expect(verdict.records[1]!.reason).toBe('unknown usage, selector or matching type: unusable (RFC 6698 §4.1)');
    expect(matchDane([tlsa(3, 1, 1, '00')], [], 'mx.localhost', now).records[0]!.reason).toBe('the server presented no certificate');
  });

  it('names the record fields in RFC 7218 words', () => {
    expect(describeTlsa(tlsa(2, 0, 2, 'ff'.repeat(64)))).toBe('2 0 2 (DANE-TA Cert SHA2-512) ffffffffffffffff…');
  });
});
