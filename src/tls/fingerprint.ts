import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { OutputError } from '../io/output-failure.js';

/**
 * Fingerprints that let a user trust one certificate by its hash instead of by a chain: the
 * SHA-256 of the whole certificate in the form `openssl x509 -fingerprint -sha256` prints
 * (AB:CD:…), and the SHA-256 of its SubjectPublicKeyInfo, which is what a DANE TLSA record
 * of type 3 1 1 holds (RFC 6698 §2.1.2–2.1.3, RFC 7218) and stays the same when the
 * certificate is renewed with the same key.
 */

/** "AB:CD:…": upper-case hex octets joined by colons, as OpenSSL and Node print them. */
function colonHex(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export interface SpkiSha256 {
  base64: string;
  /** Lower-case hex without separators, as it goes in a TLSA record's data field. */
  hex: string;
}

export function spkiSha256(cert: X509Certificate): SpkiSha256 {
  const digest = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest();
  return { base64: digest.toString('base64'), hex: digest.toString('hex') };
}

/**
 * A --pin-sha256 value: 64 hex digits, colons (or spaces) between octets optional, any case.
 * Returned in the colon form that the TLS summary shows, so the two compare as strings.
 */
export function parsePin(value: string, option: string): string {
  const digits = value.replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) {
    throw new UsageError(
      `${option} ${value}: expected a certificate's SHA-256 fingerprint, 64 hex digits (colons optional), as \`openssl x509 -noout -fingerprint -sha256\` or smtpdbg serve print it`,
    );
  }
  return colonHex(Buffer.from(digits, 'hex'));
}

/** A certificate's DER as PEM, base64 in lines of 64 characters (RFC 7468 §2), as openssl writes it. */
export function certificatePem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

/** X509Certificate's subject or issuer (one attribute a line) on one line: "O=Example, CN=mx.example". */
export const oneLineName = (name: string): string => name.replace(/\n/g, ', ');

/** Each "-----BEGIN CERTIFICATE-----" block of a PEM text, in order; other blocks (keys) are left out. */
export function pemCertificates(pem: string | Buffer): string[] {
  return pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * --cert-out: the certificates a server offers (its own, then any chain given with it), as
 * PEM, so that a client can trust them (--ca) or pin the first. Only CERTIFICATE blocks: a
 * --cert file that also holds the private key must not have it copied out.
 */
export function writeCertificateFile(path: string, pem: string | Buffer): void {
  const blocks = pemCertificates(pem);
  try {
    writeFileSync(path, blocks.map((block) => `${block}\n`).join(''));
  } catch (error) {
    throw new OutputError(path, error);
  }
}
