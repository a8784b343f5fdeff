import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileError, UsageError } from '../errors.js';

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
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

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

export interface TlsCliOptions {
  servername?: string;
  ca?: string;
  cert?: string;
  key?: string;
  tlsMin?: string;
  tlsMax?: string;
  ciphers?: string;
  keylog?: string;
}

/** Builds TlsSettings from command-line options; SSLKEYLOGFILE applies when --keylog is absent. */
export function tlsSettingsFromOptions(host: string, options: TlsCliOptions, env: NodeJS.ProcessEnv = process.env): TlsSettings {
  if (Boolean(options.cert) !== Boolean(options.key)) {
    throw new UsageError('--cert and --key go together');
  }
  const servername = options.servername ?? (isIP(host) ? null : host);
  const settings: TlsSettings = { servername, verifyName: options.servername ?? host };
  if (options.ca) settings.ca = readPemFile(options.ca, '--ca');
  if (options.cert) settings.cert = readPemFile(options.cert, '--cert');
  if (options.key) settings.key = readPemFile(options.key, '--key');
  if (options.tlsMin) settings.minVersion = parseTlsVersion(options.tlsMin, '--tls-min');
  if (options.tlsMax) settings.maxVersion = parseTlsVersion(options.tlsMax, '--tls-max');
  if (options.ciphers) settings.ciphers = options.ciphers;
  const keylog = options.keylog ?? env.SSLKEYLOGFILE;
  if (keylog) settings.keylogPath = keylog;
  return settings;
}
