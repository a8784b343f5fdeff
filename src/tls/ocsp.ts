import { createHash, verify, X509Certificate } from 'node:crypto';
import type { SingleResponse as Asn1SingleResponse } from '@peculiar/asn1-ocsp';
import { asn1, certificateFields, decodeDer, DerError, encodeDer, signatureAlgorithm, type SignatureAlgorithm } from './certificate-fields.js';
import { oneLineName } from './fingerprint.js';

/**
 * OCSP responses as a server staples them in its TLS handshake (RFC 6066 §8, the
 * "status_request" extension), decoded with the @peculiar/asn1-ocsp schemas and checked
 * without I/O (RFC 6960 §4.2).
 */

/** OCSPResponseStatus (RFC 6960 §4.2.1). */
const responseStatuses = ['successful', 'malformedRequest', 'internalError', 'tryLater', '(unused 4)', 'sigRequired', 'unauthorized'];
/** CRLReason (RFC 5280 §5.3.1). */
const revocationReasons = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', '(unused 7)', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];
const hashAlgorithms: Record<string, string> = { '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512' };

export type CertStatus = 'good' | 'revoked' | 'unknown';

export interface SingleResponse {
  /** The CertID's hash algorithm ("sha1", "sha256"…, or its OID). */
  hashAlgorithm: string;
  issuerNameHash: string;
  issuerKeyHash: string;
  serialNumber: string;
  status: CertStatus;
  revokedAt: string | null;
  revocationReason: string | null;
  thisUpdate: string;
  nextUpdate: string | null;
}

export interface OcspResponse {
  responseStatus: string;
  /** Absent unless responseStatus is "successful" (RFC 6960 §4.2.1). */
  basic: {
    producedAt: string;
    responses: SingleResponse[];
    /** What the signature covers: the DER of tbsResponseData, as received. */
    signed: Buffer;
    signatureAlgorithm: SignatureAlgorithm;
    signature: Buffer;
    /** Certificates the responder sent along (a delegated responder's own, RFC 6960 §4.2.2.2). */
    certs: Buffer[];
  } | null;
}

/** A GeneralizedTime the decoder returned, as ISO 8601; a date it could not make sense of is a DerError. */
function isoTime(date: Date, what: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new DerError(`${what} is not a valid date`);
  return date.toISOString();
}

/** A serial number as upper-case hex without leading zeros (compared with the leaf's, normalised alike). */
function serialHex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex').toUpperCase().replace(/^0+(?=.)/, '');
}

function singleResponse(single: Asn1SingleResponse): SingleResponse {
  const { certID, certStatus } = single;
  // certStatus is a CHOICE of good [0], revoked [1] and unknown [2]: the decoder sets the one present.
  const status: CertStatus | undefined = certStatus.revoked ? 'revoked' : certStatus.unknown !== undefined ? 'unknown' : certStatus.good !== undefined ? 'good' : undefined;
  if (!status) throw new DerError('certStatus is not good [0], revoked [1] or unknown [2]');
  const reason = certStatus.revoked?.revocationReason?.reason;
  const hashOid = certID.hashAlgorithm.algorithm;
  return {
    hashAlgorithm: hashAlgorithms[hashOid] ?? hashOid,
    issuerNameHash: Buffer.from(certID.issuerNameHash.buffer).toString('hex'),
    issuerKeyHash: Buffer.from(certID.issuerKeyHash.buffer).toString('hex'),
    serialNumber: serialHex(certID.serialNumber),
    status,
    revokedAt: certStatus.revoked ? isoTime(certStatus.revoked.revocationTime, 'revocationTime') : null,
    revocationReason: reason === undefined ? null : revocationReasons[reason] ?? `reason ${reason}`,
    thisUpdate: isoTime(single.thisUpdate, 'thisUpdate'),
    nextUpdate: single.nextUpdate ? isoTime(single.nextUpdate, 'nextUpdate') : null,
  };
}

/** Decodes an OCSPResponse (RFC 6960 §4.2.1); throws DerError on anything else. */
export function parseOcspResponse(der: Buffer): OcspResponse {
  const { OCSPResponse, BasicOCSPResponse, id_pkix_ocsp_basic } = asn1.ocsp;
  const outer = decodeDer(der, OCSPResponse, 'OCSPResponse');
  const code = Number(outer.responseStatus);
  const responseStatus = responseStatuses[code] ?? `status ${code}`;
  if (code !== 0 || !outer.responseBytes) return { responseStatus, basic: null };
  const { responseType, response } = outer.responseBytes;
  if (responseType !== id_pkix_ocsp_basic) throw new DerError(`response type ${responseType} is not the basic OCSP response`);
  const basic = decodeDer(response.buffer, BasicOCSPResponse, 'BasicOCSPResponse');
  const data = basic.tbsResponseData;
  if (!basic.tbsResponseDataRaw) throw new DerError('BasicOCSPResponse: the signed ResponseData is missing');
  return {
    responseStatus,
    basic: {
      producedAt: isoTime(data.producedAt, 'producedAt'),
      responses: data.responses.map(singleResponse),
      signed: Buffer.from(basic.tbsResponseDataRaw),
      signatureAlgorithm: signatureAlgorithm(basic.signatureAlgorithm),
      signature: Buffer.from(basic.signature),
      certs: (basic.certs ?? []).map(encodeDer),
    },
  };
}

export interface OcspReport {
  /** Whether the server stapled a response at all. */
  stapled: boolean;
  /** "successful", or why the responder gave no answer (tryLater…); null when none was stapled or it could not be read. */
  responseStatus: string | null;
  /** The status of the leaf certificate; null when the response holds none for it. */
  status: CertStatus | null;
  producedAt: string | null;
  thisUpdate: string | null;
  nextUpdate: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  /** The response names the leaf: its serial number and, when the issuer is known, its issuer's name and key hashes. */
  matchesLeaf: boolean;
  /** "verified by …", or why the signature was not or could not be verified. */
  signature: string;
  signatureVerified: boolean;
  /** What is wrong, in words (not about this certificate, expired, unreadable, bad signature…); empty when nothing is. */
  problems: string[];
}

const hashHex = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

/** The issuer of `leaf`: the next certificate of the chain, or one of the trusted ones, whichever issued it. */
function findIssuer(leaf: X509Certificate, candidates: X509Certificate[]): X509Certificate | undefined {
  return candidates.find((c) => c.fingerprint256 !== leaf.fingerprint256 && leaf.checkIssued(c) && leaf.verify(c.publicKey));
}

/**
 * The signature of the response (RFC 6960 §4.2.2.2): made by the issuer itself, or by a
 * responder certificate that the issuer issued for OCSP signing (extended key usage
 * id-kp-OCSPSigning) and that came with the response.
 */
function checkSignature(basic: NonNullable<OcspResponse['basic']>, issuer: X509Certificate | undefined): { ok: boolean; words: string } {
  if (!issuer) return { ok: false, words: 'not verified: the issuer certificate is not in the chain nor in --ca' };
  const { hash } = basic.signatureAlgorithm;
  if (hash === undefined) return { ok: false, words: `not verified: signature algorithm ${basic.signatureAlgorithm.name} is not supported here` };
  const signers: Array<{ cert: X509Certificate; label: string }> = [{ cert: issuer, label: `the issuer (${oneLineName(issuer.subject)})` }];
  for (const der of basic.certs) {
    const cert = x509OrUndefined(der);
    if (!cert || cert.fingerprint256 === issuer.fingerprint256) continue;
    const delegated = cert.verify(issuer.publicKey) && (cert.keyUsage ?? []).includes(asn1.x509.id_kp_OCSPSigning);
    if (delegated) signers.push({ cert, label: `the responder ${oneLineName(cert.subject)}, delegated by the issuer` });
  }
  for (const { cert, label } of signers) {
    try {
      if (verify(hash, basic.signed, cert.publicKey, basic.signature)) return { ok: true, words: `verified: signed by ${label}` };
    } catch {
      // A key of a type that cannot make this signature: try the next signer.
    }
  }
  return { ok: false, words: 'INVALID: neither the issuer nor a responder it authorized signed this response' };
}

/** A certificate the responder sent along; one that cannot be parsed signs nothing. */
function x509OrUndefined(der: Buffer): X509Certificate | undefined {
  try {
    return new X509Certificate(der);
  } catch {
    return undefined;
  }
}

/**
 * What a stapled OCSP response says about the leaf of `chainDer` at `now`: the status, its
 * dates, whether it is about this certificate, and whether its signature verifies. `trusted`
 * are the certificates of --ca, where the issuer may be when the server omits it.
 */
export function checkOcspResponse(der: Buffer | null, chainDer: Buffer[], trusted: string[], now: Date): OcspReport {
  const report: OcspReport = {
    stapled: der !== null && der.length > 0, responseStatus: null, status: null, producedAt: null, thisUpdate: null, nextUpdate: null,
    revokedAt: null, revocationReason: null, matchesLeaf: false, signature: 'not checked', signatureVerified: false, problems: [],
  };
  if (!report.stapled) return report;
  // The response comes from the peer: whatever it holds ends as a problem in words, never as a crash.
  try {
    analyse(report, parseOcspResponse(der!), chainDer, trusted, now);
  } catch (error) {
    report.problems.push(`the stapled response cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return report;
}

function analyse(report: OcspReport, parsed: OcspResponse, chainDer: Buffer[], trusted: string[], now: Date): void {
  report.responseStatus = parsed.responseStatus;
  const basic = parsed.basic;
  if (!basic) {
    report.problems.push(`the responder gave no answer (${parsed.responseStatus})`);
    return;
  }
  report.producedAt = basic.producedAt;
  const leafDer = chainDer[0];
  if (!leafDer) {
    report.problems.push('the server sent no certificate to match the response with');
    return;
  }
  const leaf = new X509Certificate(leafDer);
  const issuer = findIssuer(leaf, [...chainDer.slice(1).map((d) => new X509Certificate(d)), ...trusted.map((pem) => new X509Certificate(pem))]);
  const leafFields = certificateFields(leafDer);
  const issuerKeyBits = issuer ? certificateFields(issuer.raw).publicKeyBits : undefined;
  const serial = leaf.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
  // RFC 6960 §4.1.1: the CertID names the certificate by its serial number and by hashes
  // of its issuer's name and public key, with the hash algorithm it states.
  const single = basic.responses.find((r) => {
    if (r.serialNumber !== serial) return false;
    if (!/^sha(1|256|384|512)$/.test(r.hashAlgorithm)) return false;
    if (hashHex(r.hashAlgorithm, leafFields.issuerDer) !== r.issuerNameHash) return false;
    return !issuerKeyBits || hashHex(r.hashAlgorithm, issuerKeyBits) === r.issuerKeyHash;
  });
  const signature = checkSignature(basic, issuer);
  report.signature = signature.words;
  report.signatureVerified = signature.ok;
  if (!signature.ok && issuer && basic.signatureAlgorithm.hash !== undefined) report.problems.push('the response signature is invalid');
  if (!single) {
    const serials = basic.responses.map((r) => r.serialNumber).join(', ') || 'none';
    report.problems.push(`the response is not about this certificate (serial ${serial}; the response names ${serials})`);
    return;
  }
  report.matchesLeaf = true;
  Object.assign(report, { status: single.status, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate, revokedAt: single.revokedAt, revocationReason: single.revocationReason });
  if (single.status === 'revoked') report.problems.push(`the certificate is REVOKED since ${single.revokedAt}${single.revocationReason ? ` (${single.revocationReason})` : ''}`);
  if (single.status === 'unknown') report.problems.push('the responder does not know this certificate');
  // RFC 6960 §4.2.2.1: a response whose nextUpdate has passed is out of date, as is one from the future.
  if (single.nextUpdate && Date.parse(single.nextUpdate) < now.getTime()) report.problems.push(`the response is out of date (next update was ${single.nextUpdate})`);
  if (Date.parse(single.thisUpdate) > now.getTime() + 5 * 60_000) report.problems.push(`the response is not valid yet (this update ${single.thisUpdate})`);
}

/** Lines that describe the report, for the session's output and transcript. */
export function describeOcsp(report: OcspReport): Array<{ warning: boolean; text: string }> {
  if (!report.stapled) return [{ warning: true, text: 'OCSP: no response stapled (the server sent none to the status request)' }];
  const lines: Array<{ warning: boolean; text: string }> = [];
  if (report.status) {
    const dates = `produced ${report.producedAt}, this update ${report.thisUpdate}, next update ${report.nextUpdate ?? 'not given'}`;
    lines.push({ warning: report.status !== 'good', text: `OCSP: stapled response: ${report.status}${report.revokedAt ? ` (revoked ${report.revokedAt}${report.revocationReason ? `, ${report.revocationReason}` : ''})` : ''}; ${dates}` });
    lines.push({ warning: false, text: `OCSP: the response is for this certificate; signature ${report.signature}` });
  } else lines.push({ warning: true, text: `OCSP: stapled response${report.responseStatus ? ` (${report.responseStatus})` : ''}; signature ${report.signature}` });
  for (const problem of report.problems) lines.push({ warning: true, text: `OCSP: ${problem}` });
  return lines;
}
