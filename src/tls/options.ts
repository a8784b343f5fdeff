import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DEFAULT_MIN_VERSION } from 'node:tls';
import { fileError, InputError, UsageError } from '../errors.js';
import { parsePin, pemCertificates } from './fingerprint.js';
import type { TlsPeerDetails } from './peer-details.js';

/** What the user asked for about TLS, after reading files; shared by session, inject and proxy. */
export interface TlsSettings {
  /** SNI; null means "send none" (targets given as IP addresses, RFC 6066 §3). */
  servername: string | null;
  /** The name the certificate must match. */
  verifyName: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  /** Append NSS key-log lines here (for Wireshark). */
  keylogPath?: string;
  /** Leaf certificate fingerprints ("AB:CD:…") that count as verified, and the only ones that do. */
  pins?: string[];
  /** Ask the server to staple an OCSP response (RFC 6066 §8, status_request). */
  requestOcsp?: boolean;
  /**
   * Called after each handshake made with these settings, once its TLS event is out, with
   * what the client learnt of the peer (--showcerts, --ocsp and --dane of session and inject).
   */
  onPeerDetails?: (details: TlsPeerDetails) => void;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const versionOrder: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export function parseTlsVersion(value: string, option: string): TlsVersion {
  const normal = value.replace(/^tls\s*v?/i, '').replace(/^v/i, '');
  const table: Record<string, TlsVersion> = { '1': 'TLSv1', '1.0': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };
  const version = table[normal];
  if (!version) throw new UsageError(`${option}: unknown TLS version ${JSON.stringify(value)} (use 1.0, 1.1, 1.2 or 1.3)`);
  return version;
}

export function readPemFile(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileError(`${option} ${path}`, 'read', error);
  }
}

/**
 * A file of PEM certificates, each one parsed: a file with none (a key, DER, a typo'd path
 * to some other file) would otherwise be accepted and leave the connection trusting nothing.
 */
export function readCertificateFile(path: string, option: string): Buffer {
  const bytes = readPemFile(path, option);
  const blocks = pemCertificates(bytes);
  if (blocks.length === 0) throw new InputError(`${option} ${path}: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----")`);
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new InputError(`${option} ${path}: certificate ${i + 1} cannot be read (${(error as Error).message})`, { cause: error });
    }
  });
  return bytes;
}

/** A file holding a PEM private key. */
export function readKeyFile(path: string, option: string): Buffer {
  const bytes = readPemFile(path, option);
  try {
    createPrivateKey(bytes);
  } catch (error) {
    throw new InputError(`${option} ${path}: no PEM private key in it (${(error as Error).message})`, { cause: error });
  }
  return bytes;
}

export interface TlsCliOptions {
  servername?: string;
  ca?: string;
  cert?: string;
  key?: string;
  tlsMin?: string;
  tlsMax?: string;
  ciphers?: string;
  keylog?: string;
  pinSha256?: string[];
}

/** Every value of a repeatable --pin-sha256 style option, in the colon form; none gives undefined. */
export function parsePins(values: string[] | undefined, option: string): string[] | undefined {
  return values?.length ? [...new Set(values.map((value) => parsePin(value, option)))] : undefined;
}

/** Builds TlsSettings from command-line options; SSLKEYLOGFILE applies when --keylog is absent. */
export function tlsSettingsFromOptions(host: string, options: TlsCliOptions, env: NodeJS.ProcessEnv = process.env): TlsSettings {
  if (Boolean(options.cert) !== Boolean(options.key)) {
    throw new UsageError('--cert and --key go together');
  }
  const servername = options.servername ?? (isIP(host) ? null : host);
  const settings: TlsSettings = { servername, verifyName: options.servername ?? host };
  if (options.ca) settings.ca = readCertificateFile(options.ca, '--ca');
  if (options.cert && options.key) {
    settings.cert = readCertificateFile(options.cert, '--cert');
    settings.key = readKeyFile(options.key, '--key');
    if (!new X509Certificate(settings.cert).checkPrivateKey(createPrivateKey(settings.key))) {
      throw new UsageError(`--cert ${options.cert} and --key ${options.key} do not belong together (the key is not the certificate's)`);
    }
  }
  if (options.tlsMin) settings.minVersion = parseTlsVersion(options.tlsMin, '--tls-min');
  if (options.tlsMax) settings.maxVersion = parseTlsVersion(options.tlsMax, '--tls-max');
  const { minVersion, maxVersion } = settings;
  if (minVersion && maxVersion && versionOrder.indexOf(minVersion) > versionOrder.indexOf(maxVersion)) {
    throw new UsageError(`--tls-min ${options.tlsMin} is above --tls-max ${options.tlsMax}`);
  }
  // Node's lowest version by default is TLS 1.2: a highest version below it alone would
  // leave nothing to offer (OpenSSL's "no protocols available"). It is the lowest too then.
  if (maxVersion && !minVersion && versionOrder.indexOf(maxVersion) < versionOrder.indexOf(DEFAULT_MIN_VERSION)) {
    settings.minVersion = maxVersion;
  }
  if (options.ciphers) settings.ciphers = options.ciphers;
  const keylog = options.keylog ?? env.SSLKEYLOGFILE;
  if (keylog) settings.keylogPath = keylog;
  const pins = parsePins(options.pinSha256, '--pin-sha256');
  if (pins) settings.pins = pins;
  return settings;
}
