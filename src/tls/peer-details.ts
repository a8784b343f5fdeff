import type { KeyObject } from 'node:crypto';
import type { DetailedPeerCertificate, EphemeralKeyInfo, TLSSocket } from 'node:tls';

/**
 * What a TLS client socket knows of its peer beyond the plain-data TlsSummary: the
 * certificate bytes (for DANE matching, --showcerts, OCSP), the cipher by OpenSSL's name
 * (what a cipher list takes), and the ephemeral key of the key exchange.
 */
export interface TlsPeerDetails {
  /** The peer's chain as DER, leaf first, as the peer sent it (and OpenSSL completed it). */
  chainDer: Buffer[];
  /** The suite agreed on, by OpenSSL's name and the IANA one (what TlsSummary shows). */
  cipher: { openssl: string; standard: string } | null;
  /** Node's description of the key exchange's ephemeral key; null when there was none (RSA key transport). */
  ephemeralKey: { type: string; name?: string; size?: number } | null;
  /** The OCSP response the server stapled, when one was asked for; null when none came. */
  ocspResponse: Buffer | null;
}

export function peerChainDer(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** Node's ephemeral key info; null when there is none (RSA key transport, or the server side, where Node gives {}). */
export function readEphemeralKey(socket: TLSSocket): TlsPeerDetails['ephemeralKey'] {
  const key = socket.getEphemeralKeyInfo() as Partial<EphemeralKeyInfo> | null;
  return key && key.type ? { type: key.type, ...(key.name ? { name: key.name } : {}), ...(key.size ? { size: key.size } : {}) } : null;
}

export function readPeerDetails(socket: TLSSocket, ocspResponse: Buffer | null): TlsPeerDetails {
  const cipher = socket.getCipher();
  return {
    chainDer: peerChainDer(socket),
    cipher: cipher ? { openssl: cipher.name.toUpperCase(), standard: cipher.standardName || cipher.name } : null,
    ephemeralKey: readEphemeralKey(socket),
    ocspResponse,
  };
}

/** OpenSSL's curve names in the names of the TLS groups registry (RFC 8446 §4.2.7). */
const groupNames: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * The key-exchange group in the words TLS uses: "X25519", "ECDH P-256", "DH 2048 bits";
 * null when the handshake used none (RSA key transport) or on the server side, where Node
 * does not say.
 */
export function keyExchangeName(key: TlsPeerDetails['ephemeralKey']): string | null {
  if (!key) return null;
  if (key.type === 'ECDH') {
    const name = key.name ? (groupNames[key.name] ?? key.name) : 'unknown curve';
    return /^X(25519|448)$/.test(name) ? name : `ECDH ${name}`;
  }
  return key.size ? `${key.type} ${key.size} bits` : key.type;
}

/** A certificate's public key in words: "RSA 2048 bits", "EC P-256", "Ed25519". */
export function publicKeyName(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
    case 'dsa':
      return `${key.asymmetricKeyType.toUpperCase()} ${details.modulusLength ?? '?'} bits`;
    case 'ec':
      return `EC ${details.namedCurve ? (groupNames[details.namedCurve] ?? details.namedCurve) : 'unknown curve'}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    default:
      return key.asymmetricKeyType ?? 'unknown key type';
  }
}
