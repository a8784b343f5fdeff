import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { certificateFields, DerError } from '../../../src/tls/certificate-fields.js';
import { checkOcspResponse, describeOcsp, parseOcspResponse } from '../../../src/tls/ocsp.js';
import { keyExchangeName } from '../../../src/tls/peer-details.js';
import { generateSelfSignedCertificate } from '../../../src/tls/self-signed.js';
import { certFile, makeOcspResponse } from '../../harness/probe-peers.js';

const der = (name: string) => new X509Certificate(readFileSync(certFile(`${name}.pem`))).raw;
const caPem = readFileSync(certFile('ca.pem'), 'latin1');
const now = new Date();

let good: Buffer;
let revoked: Buffer;

beforeAll(async () => {
  [good, revoked] = await Promise.all([makeOcspResponse('server', 'good'), makeOcspResponse('server', 'revoked')]);
}, 30_000);

describe('certificate fields Node 20 does not expose', () => {
  it('the signature algorithm, and the issuer name as the issuer\'s subject', () => {
    const server = certificateFields(der('server'));
    expect(server.signatureAlgorithm).toEqual({ oid: '1.2.840.113549.1.1.11', name: 'sha256WithRSAEncryption', hash: 'sha256' });
    expect(server.issuerDer.equals(certificateFields(der('ca')).subjectDer)).toBe(true);
    const ec = new X509Certificate(generateSelfSignedCertificate({ hostnames: ['mx.smtpdbg.test'] }).cert);
    expect(certificateFields(ec.raw).signatureAlgorithm.name).toBe('ecdsa-with-SHA256');
  });

  it('the issuer name and key bits are the bytes the certificate holds (what the CertID hashes)', () => {
    const raw = der('server');
    const fields = certificateFields(raw);
    expect(raw.indexOf(fields.issuerDer)).toBeGreaterThan(0);
    expect(raw.indexOf(fields.publicKeyBits)).toBeGreaterThan(0);
    expect(fields.publicKeyBits.length).toBe(270);
  });

  it('bytes that are not a certificate are a DerError naming it', () => {
    expect(() => certificateFields(Buffer.from('300502010105', 'hex'))).toThrow(DerError);
    expect(() => certificateFields(der('server').subarray(0, 100))).toThrow(/^the certificate is not valid DER/);
  });
});

describe('key exchange names', () => {
  it.each([
    [{ type: 'ECDH', name: 'X25519', size: 253 }, 'X25519'],
    [{ type: 'ECDH', name: 'prime256v1', size: 256 }, 'ECDH P-256'],
    [{ type: 'ECDH', name: 'secp384r1', size: 384 }, 'ECDH P-384'],
    [{ type: 'DH', size: 2048 }, 'DH 2048 bits'],
    [null, null],
  ])('%j is %s', (key, name) => {
    expect(keyExchangeName(key)).toBe(name);
  });
});

describe('OCSP responses made by openssl ocsp', () => {
  it('parses status, dates and the CertID of a good response', () => {
    const parsed = parseOcspResponse(good);
    expect(parsed.responseStatus).toBe('successful');
    const single = parsed.basic!.responses[0]!;
    expect(single).toMatchObject({ hashAlgorithm: 'sha1', status: 'good', revokedAt: null, serialNumber: new X509Certificate(der('server')).serialNumber.toUpperCase() });
    expect(Date.parse(single.nextUpdate!) - Date.parse(single.thisUpdate)).toBe(7 * 86_400_000);
  });

  it('a good response for the leaf, signed by its issuer (taken from --ca when the chain lacks it)', () => {
    const report = checkOcspResponse(good, [der('server')], [caPem], now);
    expect(report).toMatchObject({ stapled: true, status: 'good', matchesLeaf: true, signatureVerified: true, problems: [] });
    const withoutIssuer = checkOcspResponse(good, [der('server')], [], now);
    expect(withoutIssuer).toMatchObject({ status: 'good', signatureVerified: false, signature: 'not verified: the issuer certificate is not in the chain nor in --ca' });
  });

  it('revoked: time and reason', () => {
    const report = checkOcspResponse(revoked, [der('server'), der('ca')], [], now);
    expect(report).toMatchObject({ status: 'revoked', revokedAt: '2026-01-01T00:00:00.000Z', revocationReason: 'keyCompromise', signatureVerified: true });
    expect(describeOcsp(report).map((l) => l.text)).toContain('OCSP: the certificate is REVOKED since 2026-01-01T00:00:00.000Z (keyCompromise)');
  });

  it('a response is out of date once its next update has passed', () => {
    const later = new Date(Date.now() + 8 * 86_400_000);
    expect(checkOcspResponse(good, [der('server'), der('ca')], [], later).problems.join('\n')).toMatch(/^the response is out of date \(next update was /);
  });

  it('a serial number whose first octet is below 0x10 (Node prints it with a leading 0) still matches', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-ocsp-serial-'));
    try {
      const file = (name: string) => join(dir, name);
      const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 20_000 });
      openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', file('key.pem'), '-subj', '/CN=serial.localhost', '-out', file('req.pem'));
      openssl('x509', '-req', '-in', file('req.pem'), '-CA', certFile('ca.pem'), '-CAkey', certFile('ca-key.pem'), '-set_serial', '0x0A1B2C3D', '-days', '2', '-out', file('cert.pem'));
      const cert = new X509Certificate(readFileSync(file('cert.pem')));
      expect(cert.serialNumber).toMatch(/^0A1B2C3D$/i);
      writeFileSync(file('index.txt'), `V\t301231000000Z\t\t0A1B2C3D\tunknown\t/CN=serial.localhost\n`);
      openssl('ocsp', '-index', file('index.txt'), '-rsigner', certFile('ca.pem'), '-rkey', certFile('ca-key.pem'), '-CA', certFile('ca.pem'), '-issuer', certFile('ca.pem'),
        '-cert', file('cert.pem'), '-no_nonce', '-ndays', '1', '-respout', file('resp.der'));
      const report = checkOcspResponse(readFileSync(file('resp.der')), [cert.raw, der('ca')], [], now);
      expect(report).toMatchObject({ status: 'good', matchesLeaf: true, signatureVerified: true, problems: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('a response about another certificate of the same issuer does not match', () => {
    const report = checkOcspResponse(good, [der('expired'), der('ca')], [], now);
    expect(report.matchesLeaf).toBe(false);
    expect(report.status).toBeNull();
  });

  it('every truncation is a DerError; no truncation is read as a response', () => {
    for (let length = 0; length < good.length; length++) {
      expect(() => parseOcspResponse(good.subarray(0, length)), `length ${length}`).toThrow(DerError);
    }
    // As the server's bytes: one problem line in words, never a throw.
    for (let length = 1; length < good.length; length++) {
      const report = checkOcspResponse(good.subarray(0, length), [der('server'), der('ca')], [], now);
      expect(report.problems, `length ${length}`).toEqual([expect.stringMatching(/^the stapled response cannot be read: (OCSPResponse|BasicOCSPResponse) is not valid DER \([^\n]+\)$/)]);
      expect(report.status).toBeNull();
    }
  }, 60_000);

  it('a byte changed anywhere: never a crash, and never a verified good answer when it is in the signed part', () => {
    const signed = parseOcspResponse(good).basic!.signed;
    const start = good.indexOf(signed);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      const report = checkOcspResponse(bad, [der('server'), der('ca')], [], now);
      if (i >= start && i < start + signed.length) expect(report.signatureVerified && report.status === 'good', `byte ${i}`).toBe(false);
    }
  }, 180_000);
});
