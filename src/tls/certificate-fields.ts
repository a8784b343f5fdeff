import { createRequire } from 'node:module';
import type * as Asn1Ocsp from '@peculiar/asn1-ocsp';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';

/**
 * Fields of an X.509 certificate (RFC 5280 §4.1) that Node 20's X509Certificate does not
 * expose: its signature algorithm, and the exact DER of its issuer name and the bits of its
 * subject public key, which OCSP's CertID hashes (RFC 6960 §4.1.1). The DER is decoded by
 * the @peculiar ASN.1 schemas; this file only names what they return.
 */

const load = createRequire(import.meta.url);

/**
 * The ASN.1 schemas, loaded on first use: loading them takes about as long as starting
 * smtpdbg itself (0.1 s), and a run needs them only once it describes a peer certificate,
 * after a TLS handshake (a plain session never does).
 */
export const asn1 = {
  get schema(): typeof Asn1Schema {
    return load('@peculiar/asn1-schema') as typeof Asn1Schema;
  },
  get x509(): typeof Asn1X509 {
    return load('@peculiar/asn1-x509') as typeof Asn1X509;
  },
  get ocsp(): typeof Asn1Ocsp {
    return load('@peculiar/asn1-ocsp') as typeof Asn1Ocsp;
  },
};

/** The bytes are not the ASN.1 structure expected (truncated, wrong type, bad date…). */
export class DerError extends Error {}

/**
 * `bytes` decoded as the ASN.1 type `type`. Whatever the decoder rejects, and whatever it
 * throws on hostile input, becomes a DerError naming `what`.
 */
export function decodeDer<T>(bytes: ArrayBufferView | ArrayBuffer, type: new () => T, what: string): T {
  try {
    return asn1.schema.AsnConvert.parse(bytes, type);
  } catch (error) {
    throw new DerError(`${what} is not valid DER (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

/** The DER encoding of a decoded ASN.1 value (a Name, a Certificate the responder sent); a DerError when it has none. */
export function encodeDer(value: unknown): Buffer {
  try {
    return Buffer.from(asn1.schema.AsnConvert.serialize(value));
  } catch (error) {
    throw new DerError(`cannot encode a decoded value again (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
}

/** Signature algorithms by OID (RFC 4055, RFC 5758, RFC 8410), with the hash they sign with. */
const signatureAlgorithms: Record<string, { name: string; hash: string | null }> = {
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1' },
  '1.2.840.113549.1.1.10': { name: 'RSASSA-PSS', hash: null },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  '1.3.101.112': { name: 'Ed25519', hash: null },
  '1.3.101.113': { name: 'Ed448', hash: null },
};

export interface SignatureAlgorithm {
  oid: string;
  /** OpenSSL's name, or the OID when it is not one of the common ones. */
  name: string;
  /**
   * The hash to give crypto.verify, null for Ed25519/Ed448 (which hash internally);
   * undefined when smtpdbg cannot verify with it (RSASSA-PSS parameters, unknown OIDs).
   */
  hash: string | null | undefined;
}

/** An AlgorithmIdentifier (RFC 5280 §4.1.1.2) in words. */
export function signatureAlgorithm(identifier: Asn1X509.AlgorithmIdentifier): SignatureAlgorithm {
  const oid = identifier.algorithm;
  const known = signatureAlgorithms[oid];
  return { oid, name: known?.name ?? oid, hash: known && known.name !== 'RSASSA-PSS' ? known.hash : undefined };
}

export interface CertificateFields {
  signatureAlgorithm: SignatureAlgorithm;
  /** The DER of the issuer Name. */
  issuerDer: Buffer;
  /** The DER of the subject Name. */
  subjectDer: Buffer;
  /** The subjectPublicKey BIT STRING's bits (what OCSP's issuerKeyHash hashes). */
  publicKeyBits: Buffer;
}

/** Reads the fields above from a certificate's DER; throws DerError when it is not one. */
export function certificateFields(der: Buffer): CertificateFields {
  const cert = decodeDer(der, asn1.x509.Certificate, 'the certificate');
  const tbs = cert.tbsCertificate;
  return {
    signatureAlgorithm: signatureAlgorithm(cert.signatureAlgorithm),
    // DER has one encoding per value (X.690 §10), so the decoded name encodes back to the bytes the certificate holds.
    issuerDer: encodeDer(tbs.issuer),
    subjectDer: encodeDer(tbs.subject),
    publicKeyBits: Buffer.from(tbs.subjectPublicKeyInfo.subjectPublicKey),
  };
}
