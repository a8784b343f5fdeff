import { getCiphers } from 'node:tls';
import { SmtpdbgError } from '../errors.js';
import { SmtpSession, TlsMode } from '../session/smtp-session.js';
import { capabilityList, hasExtension, authMechanisms, sizeLimit, type Capabilities } from '../smtp/capabilities.js';
import { formatReplyShort, isSuccess } from '../smtp/reply.js';
import { pemCertificates } from '../tls/fingerprint.js';
import { checkOcspResponse, type OcspReport } from '../tls/ocsp.js';
import type { TlsSettings, TlsVersion } from '../tls/options.js';
import type { TlsSummary } from '../tls/summary.js';
import { EventStream } from '../transcript/events.js';

export interface ProbeConnection {
  address: string;
  port: number;
  timeoutMs: number;
  /** The MX host name: SNI and the name the certificate must carry. */
  mxHost: string;
  ehloName: string;
  ca?: Buffer;
  /** Ask for a stapled OCSP response in the main handshake (--ocsp). */
  ocsp?: boolean;
}

export interface CapabilityFacts {
  /** The EHLO reply's extension lines, as listed. */
  lines: string[];
  starttls: boolean;
  size: number | null;
  pipelining: boolean;
  chunking: boolean;
  smtputf8: boolean;
  requiretls: boolean;
  /** AUTH mechanisms offered, [] when none. */
  auth: string[];
}

export interface AddressFacts {
  address: string;
  port: number;
  /** Why the conversation stopped early, in words; null when it went through QUIT. */
  error: string | null;
  /** How far it got. */
  reached: 'connect' | 'banner' | 'ehlo' | 'starttls' | 'done';
  connectMs: number | null;
  bannerMs: number | null;
  banner: string | null;
  ehlo: CapabilityFacts | null;
  starttlsReply: string | null;
  tls: TlsSummary | null;
  ehloAfterTls: CapabilityFacts | null;
  /** Not in --json: the bytes DANE matching needs. */
  chainDer: Buffer[];
  /** With --ocsp: the stapled response and what it says of the leaf. */
  ocsp: OcspReport | null;
}

function capabilityFacts(caps: Capabilities | undefined): CapabilityFacts {
  return {
    lines: capabilityList(caps),
    starttls: hasExtension(caps, 'STARTTLS'),
    size: sizeLimit(caps) ?? null,
    pipelining: hasExtension(caps, 'PIPELINING'),
    chunking: hasExtension(caps, 'CHUNKING'),
    smtputf8: hasExtension(caps, 'SMTPUTF8'),
    requiretls: hasExtension(caps, 'REQUIRETLS'),
    auth: authMechanisms(caps),
  };
}

export function tlsSettingsFor(connection: ProbeConnection, version?: TlsVersion, ciphers?: string[]): TlsSettings {
  // OpenSSL 3 (Node 20) refuses TLS 1.0 and 1.1 at its default security level 1: their
  // handshakes sign with SHA-1/MD5. Security level 0 is set for these version probes only,
  // so that "refused" means the server refused, not our own library.
  const legacy = version === 'TLSv1' || version === 'TLSv1.1';
  const list = [...(ciphers ?? (legacy ? ['DEFAULT'] : [])), ...(legacy ? ['@SECLEVEL=0'] : [])];
  return {
    servername: connection.mxHost,
    verifyName: connection.mxHost,
    ...(connection.ca ? { ca: connection.ca } : {}),
    ...(version ? { minVersion: version, maxVersion: version } : {}),
    ...(list.length ? { ciphers: list.join(':') } : {}),
  };
}

/**
 * An error in one line. OpenSSL's errors come as "…:error:0A00042E:SSL routines:FUNCTION:REASON:FILE:LINE…";
 * the reason ("tlsv1 alert protocol version") is what a person can act on.
 */
export function errorWords(error: unknown): string {
  const text = error instanceof SmtpdbgError || error instanceof Error ? error.message : String(error);
  return text.replace(/[0-9A-F]{8,}:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^\n]*\n?/g, '$1').trim();
}
const message = errorWords;

async function open(connection: ProbeConnection, tls: TlsSettings): Promise<SmtpSession> {
  return SmtpSession.connect({
    target: { host: connection.address, port: connection.port },
    timeoutMs: connection.timeoutMs,
    tlsMode: TlsMode.starttls,
    tls,
    strictTls: false,
    insecure: false,
    ehloName: connection.ehloName,
    showSecrets: false,
    events: new EventStream(),
  });
}

/** Ends politely when the conversation is still up; a failure here changes no fact. */
async function quit(session: SmtpSession): Promise<void> {
  try {
    await session.quit();
  } catch {
    session.close();
  }
}

/**
 * One MX address: banner (and how long it took), EHLO, STARTTLS, the handshake and EHLO
 * again, then QUIT. Nothing else is sent: no MAIL, no RCPT. Every failure becomes a fact.
 */
export async function probeAddress(connection: ProbeConnection): Promise<AddressFacts> {
  const facts: AddressFacts = {
    address: connection.address, port: connection.port, error: null, reached: 'connect',
    connectMs: null, bannerMs: null, banner: null, ehlo: null, starttlsReply: null, tls: null, ehloAfterTls: null, chainDer: [], ocsp: null,
  };
  const started = performance.now();
  let session: SmtpSession;
  try {
    session = await open(connection, { ...tlsSettingsFor(connection), ...(connection.ocsp ? { requestOcsp: true } : {}) });
  } catch (error) {
    facts.error = message(error);
    return facts;
  }
  facts.connectMs = Math.round(performance.now() - started);
  try {
    const connected = performance.now();
    const banner = await session.readBanner();
    facts.bannerMs = Math.round(performance.now() - connected);
    facts.banner = formatReplyShort(banner);
    facts.reached = 'banner';
    if (!isSuccess(banner)) {
      facts.error = `the banner is not 220: ${facts.banner}`;
      return facts;
    }
    const ehlo = await session.ehlo();
    if (!isSuccess(ehlo)) {
      facts.error = `EHLO/HELO refused: ${formatReplyShort(ehlo)}`;
      return facts;
    }
    facts.ehlo = capabilityFacts(session.capsBeforeTls);
    facts.reached = 'ehlo';
    if (!facts.ehlo.starttls) return facts;
    const { reply, summary } = await session.starttls();
    facts.starttlsReply = formatReplyShort(reply);
    if (!summary) {
      facts.error = `STARTTLS refused: ${facts.starttlsReply}`;
      return facts;
    }
    facts.tls = summary;
    const details = session.client.tlsPeerDetails();
    facts.chainDer = details?.chainDer ?? [];
    if (connection.ocsp) facts.ocsp = checkOcspResponse(details?.ocspResponse ?? null, facts.chainDer, connection.ca ? pemCertificates(connection.ca) : [], new Date());
    facts.reached = 'starttls';
    const again = await session.ehlo();
    if (isSuccess(again)) facts.ehloAfterTls = capabilityFacts(session.capsAfterTls);
    facts.reached = 'done';
  } catch (error) {
    facts.error = message(error);
  } finally {
    await quit(session);
  }
  return facts;
}

export const TlsVersions: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface VersionFacts {
  version: TlsVersion;
  accepted: boolean;
  /** The cipher agreed on when accepted; why not otherwise. */
  detail: string;
}

interface Handshake {
  /** OpenSSL's name of the suite agreed on, null when the handshake failed. */
  cipher: { openssl: string; standard: string } | null;
  detail: string;
}

/** Banner, EHLO, STARTTLS and a handshake limited to `version` (and `ciphers`), then QUIT. */
async function handshake(connection: ProbeConnection, version: TlsVersion, ciphers?: string[]): Promise<Handshake> {
  let session: SmtpSession | undefined;
  try {
    session = await open(connection, tlsSettingsFor(connection, version, ciphers));
    await session.readBanner();
    await session.ehlo();
    const { reply, summary } = await session.starttls();
    if (!summary) return { cipher: null, detail: `STARTTLS refused: ${formatReplyShort(reply)}` };
    const cipher = session.client.tlsPeerDetails()?.cipher ?? null;
    return { cipher, detail: summary.cipher ?? 'accepted' };
  } catch (error) {
    return { cipher: null, detail: message(error) };
  } finally {
    if (session) await quit(session);
  }
}

/** One connection per protocol version, each allowing only that version in the handshake. */
export async function probeVersion(connection: ProbeConnection, version: TlsVersion): Promise<VersionFacts> {
  const result = await handshake(connection, version);
  return { version, accepted: result.cipher !== null, detail: result.detail };
}

export interface CipherFacts {
  version: TlsVersion;
  /** IANA names of the suites the server accepted, in the order it chose them. */
  accepted: string[];
}

/** The suites our OpenSSL can offer for `version`: TLS 1.3 has its own five (RFC 8446 §B.4). */
export function candidateCiphers(version: TlsVersion): string[] {
  const names = getCiphers().map((name) => name.toUpperCase());
  return version === 'TLSv1.3' ? names.filter((n) => n.startsWith('TLS_')) : names.filter((n) => !n.startsWith('TLS_'));
}

/**
 * The suites a server accepts for one version, as scanners do it: offer every suite, note the
 * one the server picks, offer the rest again, until the handshake fails. One connection per
 * accepted suite plus one, instead of one per suite there is.
 */
export async function probeCiphers(connection: ProbeConnection, version: TlsVersion): Promise<CipherFacts> {
  let offered = candidateCiphers(version);
  const accepted: string[] = [];
  while (offered.length > 0) {
    const { cipher } = await handshake(connection, version, offered);
    const rest = cipher ? offered.filter((name) => name !== cipher.openssl) : offered;
    // A suite we did not offer (or none) ends the scan: nothing left to learn from repeating it.
    if (!cipher || rest.length === offered.length) break;
    accepted.push(cipher.standard);
    offered = rest;
  }
  return { version, accepted };
}
