import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../../../src/tls/self-signed.js';

describe('generateSelfSignedCertificate', () => {
  const pair = generateSelfSignedCertificate({ hostnames: ['mx.smtpdbg.test'] });
  let server: tls.Server;
  let port: number;

  beforeAll(async () => {
    server = tls.createServer({ cert: pair.cert, key: pair.key }, (socket) => socket.end('hello\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is an X.509 v3 ECDSA P-256 certificate with the SANs and a current validity', () => {
    const cert = new X509Certificate(pair.cert);
    expect(cert.subjectAltName).toBe('DNS:mx.smtpdbg.test, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.subject).toBe('CN=mx.smtpdbg.test');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(pair.key))).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const now = Date.now();
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(now);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(now + 86400_000);
  });

  it('makes a new key and serial number each time', () => {
    const other = new X509Certificate(generateSelfSignedCertificate().cert);
    expect(other.serialNumber).not.toBe(new X509Certificate(pair.cert).serialNumber);
    expect(other.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
  });

  function handshake(options: tls.ConnectionOptions): Promise<{ authorized: boolean; error: string | undefined; data: string }> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
        socket.on('end', () => resolve({ authorized: socket.authorized, error: socket.authorizationError === null || socket.authorizationError === undefined ? undefined : String((socket.authorizationError as unknown as { code?: string }).code ?? socket.authorizationError), data }));
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    });
  }

  it('is accepted by a node:tls handshake without verification, which reports it self-signed', async () => {
    const result = await handshake({ rejectUnauthorized: false, servername: 'localhost' });
    expect(result).toEqual({ authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', data: 'hello\r\n' });
  });

  it.each(['localhost', 'mx.smtpdbg.test'])('verifies for %s when it is its own CA', async (servername) => {
    const result = await handshake({ ca: pair.cert, servername });
    expect(result).toEqual({ authorized: true, error: undefined, data: 'hello\r\n' });
  });

  it('verifies for the IP address SAN', async () => {
    const result = await handshake({ ca: pair.cert });
    expect(result.authorized).toBe(true);
  });

  it('is refused for a name it does not carry', async () => {
    await expect(handshake({ ca: pair.cert, servername: 'example.org' })).rejects.toThrow(/altnames/i);
  });
});
