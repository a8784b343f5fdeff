import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, rootCertificates, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from 'node:tls';
import { certificateFields, DerError } from './certificate-fields.js';
import { pemCertificates, spkiSha256 } from './fingerprint.js';
import { keyExchangeName, publicKeyName, readEphemeralKey } from './peer-details.js';
import type { TlsSettings } from './options.js';
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

/** The certificate's own signature algorithm; null when its DER cannot be read that far. */
function certificateSignature(der: Buffer): string | null {
  try {
    return certificateFields(der).signatureAlgorithm.name;
  } catch (error) {
    if (error instanceof DerError) return null;
    throw error;
  }
}

function describeCertificate(cert: PeerCertificate): CertificateSummary {
  const x509 = new X509Certificate(cert.raw);
  const signatureAlgorithm = certificateSignature(cert.raw);
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
    spkiSha256: spkiSha256(x509),
    serialNumber: cert.serialNumber,
    selfSigned: subject === issuer,
    publicKey: publicKeyName(x509.publicKey),
    ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
  };
}

function peerChain(socket: TLSSocket): { summaries: CertificateSummary[]; raw: Buffer[] } {
  const summaries: CertificateSummary[] = [];
  const raw: Buffer[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && Object.keys(cert).length > 0 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    summaries.push(describeCertificate(cert));
    raw.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return { summaries, raw };
}

/** The certificates a TLS peer sent, leaf first (the server side reads a client's with it). */
export function describePeerChain(socket: TLSSocket): CertificateSummary[] {
  return peerChain(socket).summaries;
}

/** OpenSSL codes about validity dates: the dates of every certificate are checked here instead. */
const dateCodes = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * Whether the top of the chain is trusted: it is one of the trusted certificates, or one of
 * them issued it. Asked only when OpenSSL's one result was about dates, which hides the
 * trust result behind it (OpenSSL keeps only the last error it met).
 */
function trustProblem(raw: Buffer[], trusted: Buffer | undefined): { code: string; text: string } | undefined {
  const top = raw.at(-1);
  if (!top) return undefined;
  const cert = new X509Certificate(top);
  const anchors = trusted ? pemCertificates(trusted) : rootCertificates;
  for (const pem of anchors) {
    const anchor = new X509Certificate(pem);
    if (anchor.fingerprint256 === cert.fingerprint256) return undefined;
    if (anchor.checkIssued(cert) && cert.verify(anchor.publicKey)) return undefined;
  }
  // Self-signed: issued under its own name and signed with its own key (checkIssued would
  // also demand a key usage that allows signing certificates, which many such leaves lack).
  if (cert.subject === cert.issuer && cert.verify(cert.publicKey)) {
    return raw.length === 1
      ? { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', text: verifyReasons.DEPTH_ZERO_SELF_SIGNED_CERT! }
      : { code: 'SELF_SIGNED_CERT_IN_CHAIN', text: verifyReasons.SELF_SIGNED_CERT_IN_CHAIN! };
  }
  return { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', text: verifyReasons.UNABLE_TO_GET_ISSUER_CERT_LOCALLY! };
}

/** The certificate of each problem: the peer's own, or an issuer's by its place in the chain. */
function whose(i: number, cert: CertificateSummary): string {
  return i === 0 ? 'certificate' : `issuer certificate [${i}] (${cert.subject || 'no subject'})`;
}

/**
 * Describes an established TLS connection. Verification always runs — the handshake itself
 * is made with rejectUnauthorized=false so that we can show *why* it failed — and every
 * problem is reported, not only the one OpenSSL ends on: its chain result, the validity
 * dates of each certificate, and the host name check of RFC 6125 against `verifyName`.
 * `ca` is the CA file in use (the system store when absent). With `pins`, the leaf's
 * fingerprint decides instead (see pinResult).
 */
export function describeTlsSocket(
  socket: TLSSocket,
  settings: Pick<TlsSettings, 'verifyName' | 'servername' | 'ca' | 'pins'>,
): TlsSummary {
  const { verifyName, servername, ca: trusted } = settings;
  const { summaries: chain, raw } = peerChain(socket);
  const cipher = socket.getCipher();
  const problems: Array<{ code: string; text: string }> = [];
  const add = (code: string, text: string) => {
    if (!problems.some((p) => p.text === text)) problems.push({ code, text });
  };
  const chainError = socket.authorizationError as unknown as string | Error | null;
  if (chainError) {
    const code = typeof chainError === 'string' ? chainError : ((chainError as NodeJS.ErrnoException).code ?? chainError.message);
    if (!dateCodes.has(code)) add(code, verifyReasons[code] ?? code);
    else {
      const hidden = trustProblem(raw, trusted);
      if (hidden) add(hidden.code, hidden.text);
    }
  }
  const now = Date.now();
  chain.forEach((cert, i) => {
    if (Date.parse(cert.validTo) < now) add('CERT_HAS_EXPIRED', `${whose(i, cert)} expired on ${cert.validTo}`);
    if (Date.parse(cert.validFrom) > now) add('CERT_NOT_YET_VALID', `${whose(i, cert)} not yet valid, until ${cert.validFrom}`);
  });
  const peer = socket.getPeerCertificate();
  const identityError = peer && Object.keys(peer).length ? checkServerIdentity(verifyName, peer) : new Error('the server sent no certificate');
  if (identityError) {
    const code = (identityError as NodeJS.ErrnoException).code ?? 'NO_PEER_CERTIFICATE';
    const names = chain[0]?.subjectAltNames.join(', ') || chain[0]?.subject || 'no names';
    add(code, code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `name mismatch: certificate is for ${names}, not ${verifyName}` : identityError.message);
  }
  const base = {
    protocol: socket.getProtocol(),
    cipher: cipher ? cipher.standardName || cipher.name : null,
    servername,
    alpn: socket.alpnProtocol || null,
    keyExchange: keyExchangeName(readEphemeralKey(socket)),
    resumed: socket.isSessionReused(),
    chain,
  };
  if (settings.pins?.length) return { ...base, ...pinResult(chain[0]?.fingerprint256, settings.pins, problems) };
  return {
    ...base,
    verified: problems.length === 0,
    verifyError: problems.length ? problems.map((p) => p.text).join('; ') : null,
    verifyCode: problems.length ? [...new Set(problems.map((p) => p.code))].join(', ') : null,
    ...(problems.length ? { verifyErrors: problems.map((p) => p.text) } : {}),
  };
}

type Verification = Pick<TlsSummary, 'verified' | 'verifyError' | 'verifyCode' | 'verifyErrors' | 'pinned' | 'overriddenErrors'>;

/**
 * Verification by --pin-sha256: the user vouches for this exact certificate, so a leaf that
 * matches is trusted whatever its chain, names and dates say — as a DANE-EE record does, RFC
 * 7672 §3.1.1 — and what the chain alone would have failed on is kept only as a note. A leaf
 * that matches none fails, however well its chain verifies: that is the point of a pin.
 */
function pinResult(leaf: string | undefined, pins: readonly string[], problems: Array<{ code: string; text: string }>): Verification {
  if (leaf !== undefined && pins.includes(leaf)) {
    return {
      verified: true,
      verifyError: null,
      verifyCode: null,
      pinned: leaf,
      ...(problems.length ? { overriddenErrors: problems.map((p) => p.text) } : {}),
    };
  }
  const wanted = pins.join(' or ');
  const text = leaf === undefined
    ? `the server sent no certificate; pinned SHA-256 ${wanted}`
    : `pinned certificate not matched: the server's is SHA-256 ${leaf}; pinned SHA-256 ${wanted}`;
  return { verified: false, verifyError: text, verifyCode: 'PIN_MISMATCH', verifyErrors: [text] };
}
