import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { SmtpClient } from '../net/smtp-client.js';

/**
 * The DER of each certificate of the peer's chain, leaf first, as DANE matching needs it.
 * SmtpClient keeps its socket to itself and its TlsSummary holds no certificate bytes, so
 * this reads the socket it owns, only after the handshake and without changing it.
 */
const socketOf = (client: SmtpClient) => (client as unknown as { socket: TLSSocket }).socket;

export function peerChainDer(client: SmtpClient): Buffer[] {
  const socket = socketOf(client);
  if (typeof socket.getPeerCertificate !== 'function') return [];
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

/**
 * The suite agreed on, by OpenSSL's name (what a cipher list takes) and the IANA one (what
 * TlsSummary shows): the cipher scan must offer the rest by OpenSSL's names.
 */
export function negotiatedCipher(client: SmtpClient): { openssl: string; standard: string } | null {
  const socket = socketOf(client);
  const cipher = typeof socket.getCipher === 'function' ? socket.getCipher() : undefined;
  return cipher ? { openssl: cipher.name.toUpperCase(), standard: cipher.standardName || cipher.name } : null;
}
