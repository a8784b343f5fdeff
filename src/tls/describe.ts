import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { CertificateSummary, TlsSummary } from './summary.js';

/** OpenSSL verification codes in the words a mail administrator uses. */
const verifyReasons: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (root not trusted)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted (unknown CA, or the server omits an intermediate)',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate not found',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot verify the chain (unknown CA, or the server omits an intermediate)',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  CERT_UNTRUSTED: 'certificate not trusted',
  INVALID_CA: 'issuer is not a valid CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name mismatch',
};

/** An OpenSSL or Node verification code in words; the code itself when it has none. */
export function verifyReason(code: string): string {
  return verifyReasons[code] ?? code;
}

function formatName(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function describeCertificate(cert: PeerCertificate): CertificateSummary {
  const sans = (cert.subjectaltname ?? '').split(/,\s*/).filter(Boolean);
  const subject = formatName(cert.subject as unknown as Record<string, string>);
  const issuer = formatName(cert.issuer as unknown as Record<string, string>);
  return {
    subject,
    issuer,
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    subjectAltNames: sans,
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    selfSigned: subject === issuer,
  };
}

function peerChain(socket: TLSSocket): CertificateSummary[] {
  const chain: CertificateSummary[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && Object.keys(cert).length > 0 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(describeCertificate(cert));
    cert = cert.issuerCertificate;
  }
  return chain;
}

/**
 * Describes an established TLS connection. Verification always runs — the handshake itself
 * is made with rejectUnauthorized=false so that we can show *why* it failed — combining the
 * chain result from OpenSSL with the host name check of RFC 6125 against `verifyName`.
 */
export function describeTlsSocket(socket: TLSSocket, verifyName: string, servername: string | null): TlsSummary {
  const chain = peerChain(socket);
  const cipher = socket.getCipher();
  let verifyCode: string | null = null;
  let verifyError: string | null = null;
  const chainError = socket.authorizationError as unknown as string | Error | null;
  if (chainError) {
    verifyCode = typeof chainError === 'string' ? chainError : ((chainError as NodeJS.ErrnoException).code ?? chainError.message);
    verifyError = verifyReasons[verifyCode] ?? verifyCode;
    const leaf = chain[0];
    if (leaf && verifyCode === 'CERT_HAS_EXPIRED') verifyError += ` on ${leaf.validTo}`;
    if (leaf && verifyCode === 'CERT_NOT_YET_VALID') verifyError += ` until ${leaf.validFrom}`;
  } else {
    const peer = socket.getPeerCertificate();
    const identityError = peer && Object.keys(peer).length ? checkServerIdentity(verifyName, peer) : new Error('the server sent no certificate');
    if (identityError) {
      verifyCode = (identityError as NodeJS.ErrnoException).code ?? 'NO_PEER_CERTIFICATE';
      const names = chain[0]?.subjectAltNames.join(', ') || chain[0]?.subject || 'no names';
      verifyError = verifyCode === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? `name mismatch: certificate is for ${names}, not ${verifyName}`
        : identityError.message;
    }
  }
  return {
    protocol: socket.getProtocol(),
    cipher: cipher ? cipher.standardName || cipher.name : null,
    servername,
    alpn: socket.alpnProtocol || null,
    chain,
    verified: verifyCode === null,
    verifyError,
    verifyCode,
  };
}
