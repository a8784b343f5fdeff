import { children, expectUniversal, isContext, parseDer, readBitString, readOid, Tag, type Asn1Node } from './asn1.js';

/**
 * Fields of an X.509 certificate (RFC 5280 §4.1) that Node 20's X509Certificate does not
 * expose: its signature algorithm, and the exact DER of its issuer name and subject public
 * key, which OCSP's CertID hashes (RFC 6960 §4.1.1).
 */

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
export function signatureAlgorithm(identifier: Asn1Node): SignatureAlgorithm {
  const oid = readOid(expectUniversal(children(expectUniversal(identifier, Tag.sequence, 'AlgorithmIdentifier'))[0], Tag.oid, 'algorithm'));
  const known = signatureAlgorithms[oid];
  return { oid, name: known?.name ?? oid, hash: known && known.name !== 'RSASSA-PSS' ? known.hash : undefined };
}

export interface CertificateFields {
  signatureAlgorithm: SignatureAlgorithm;
  /** The DER of the issuer Name, as the certificate holds it. */
  issuerDer: Buffer;
  /** The DER of the subject Name. */
  subjectDer: Buffer;
  /** The subjectPublicKey BIT STRING's bits (what OCSP's issuerKeyHash hashes). */
  publicKeyBits: Buffer;
}

/** Reads the fields above from a certificate's DER; throws Asn1Error when it is not one. */
export function certificateFields(der: Buffer): CertificateFields {
  const [tbs, algorithm] = children(expectUniversal(parseDer(der), Tag.sequence, 'Certificate'));
  const fields = children(expectUniversal(tbs, Tag.sequence, 'TBSCertificate'));
  // version [0] EXPLICIT is absent in v1 certificates; the rest are in a fixed order.
  const rest = isContext(fields[0], 0) ? fields.slice(1) : fields;
  const [, , issuer, , subject, spki] = rest;
  const spkiParts = children(expectUniversal(spki, Tag.sequence, 'SubjectPublicKeyInfo'));
  return {
    signatureAlgorithm: signatureAlgorithm(expectUniversal(algorithm, Tag.sequence, 'signatureAlgorithm')),
    issuerDer: expectUniversal(issuer, Tag.sequence, 'issuer').der,
    subjectDer: expectUniversal(subject, Tag.sequence, 'subject').der,
    publicKeyBits: readBitString(expectUniversal(spkiParts[1], Tag.bitString, 'subjectPublicKey')),
  };
}
