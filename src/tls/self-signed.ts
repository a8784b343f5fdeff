import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { certificatePem } from './fingerprint.js';

/**
 * A self-signed certificate made at run time with node:crypto alone, so that `serve` and
 * `proxy` can offer STARTTLS without openssl on the machine or a key in the repository.
 * Node can make keys and signatures but not certificates, so the X.509 v3 structure
 * (RFC 5280 §4.1) is written here in DER (ITU-T X.690) — only the handful of types it needs.
 */

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), derLength(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const utf8String = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (tagNumber: number, inner: Buffer) => tlv(0xa0 | tagNumber, inner);

/** A non-negative INTEGER: X.690 §8.3 wants a leading zero when the high bit is set. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
}

function objectIdentifier(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const base128: number[] = [];
    for (let n = part; ; n = Math.floor(n / 128)) {
      base128.unshift((n & 0x7f) | (base128.length > 0 ? 0x80 : 0));
      if (n < 128) break;
    }
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** RFC 5280 §4.1.2.5.1: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const oid = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(id), ...(critical ? [tlv(0x01, Buffer.of(0xff))] : []), octetString(value));
}

/** GeneralName (RFC 5280 §4.2.1.6): dNSName [2] IA5String, iPAddress [7] OCTET STRING. */
function generalName(name: string): Buffer {
  const family = isIP(name);
  if (family === 4) return tlv(0x87, Buffer.from(name.split('.').map(Number)));
  if (family === 6) return tlv(0x87, ipv6Bytes(name));
  return tlv(0x82, Buffer.from(name, 'ascii'));
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  const out = Buffer.alloc(16);
  all.forEach((group, i) => out.writeUInt16BE(parseInt(group, 16), i * 2));
  return out;
}

export interface SelfSignedOptions {
  /** Names for the subjectAltName besides localhost and 127.0.0.1; the first is the CN. */
  hostnames?: string[];
  /** Validity in days from now (it also starts an hour in the past, for clock skew). */
  days?: number;
  now?: Date;
}

export interface SelfSignedCertificate {
  cert: string;
  key: string;
  /** The names put in subjectAltName, in order. */
  names: string[];
}

export function generateSelfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const names = [...new Set([...(options.hostnames ?? []).filter(Boolean), 'localhost', '127.0.0.1'])];
  return { ...certify(privateKey, publicKey, names, options), names };
}

function certify(privateKey: KeyObject, publicKey: KeyObject, names: string[], options: SelfSignedOptions): { cert: string; key: string } {
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + (options.days ?? 30) * 86400_000);
  const signatureAlgorithm = sequence(objectIdentifier(oid.ecdsaWithSha256));
  const subject = sequence(set(sequence(objectIdentifier(oid.commonName), utf8String(names[0] ?? 'localhost'))));
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const extensions = sequence(
    // cA stays FALSE (the DEFAULT, so the SEQUENCE is empty); the certificate is its own anchor.
    extension(oid.basicConstraints, true, sequence()),
    // digitalSignature: ECDHE key exchange signs with the certificate key.
    extension(oid.keyUsage, true, tlv(0x03, Buffer.of(7, 0x80))),
    extension(oid.extKeyUsage, false, sequence(objectIdentifier(oid.serverAuth))),
    extension(oid.subjectAltName, false, sequence(...names.map(generalName))),
  );
  const tbs = sequence(
    explicit(0, integer(Buffer.of(2))),
    integer(serial),
    signatureAlgorithm,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, signatureAlgorithm, tlv(0x03, Buffer.of(0), signature));
  return {
    cert: certificatePem(der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

