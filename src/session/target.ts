import { BlockList, isIP } from 'node:net';
import { UsageError } from '../errors.js';

export interface Target {
  host: string;
  port: number;
  /** A Unix-domain socket (`unix:/path`): host and port are then placeholders. */
  path?: string;
}

export const UNIX_PREFIX = 'unix:';

/**
 * `host`, `host:port`, `[v6]:port`, or a bare IPv6 address. The port defaults to 25, or to
 * the caller's default (465 implies implicit TLS elsewhere). With `unix`, also
 * `unix:/path/to/socket` (Dovecot's or Postfix's local listeners).
 */
export function parseTarget(text: string, defaultPort = 25, options: { unix?: boolean } = {}): Target {
  if (text.startsWith(UNIX_PREFIX)) {
    if (!options.unix) throw new UsageError(`target ${text}: a Unix-domain socket is not taken here (host:port)`);
    const path = text.slice(UNIX_PREFIX.length);
    if (!path) throw new UsageError(`target ${text}: unix: needs a socket path, e.g. unix:/var/run/dovecot/lmtp`);
    // No name to verify or send as SNI: the socket is on this machine.
    return { host: 'localhost', port: 0, path };
  }
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const host = bracketed[1]!;
    if (isIP(host) !== 6) throw new UsageError(`target ${text}: ${host} is not an IPv6 address`);
    return { host, port: parsePort(bracketed[2], text, defaultPort) };
  }
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { host: validHost(text), port: defaultPort };
  return { host: validHost(text.slice(0, colon)), port: parsePort(text.slice(colon + 1), text, defaultPort) };
}

/** `host:port`, with an IPv6 address in brackets (`[::1]:25`), as parseTarget reads it back. */
export function formatTarget(target: Target): string {
  if (target.path !== undefined) return `${UNIX_PREFIX}${target.path}`;
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** How JSON summaries and transcript headers name the target: `host:port` as before, or `unix:/path`. */
export function targetLabel(target: Target): string {
  return target.path !== undefined ? formatTarget(target) : `${target.host}:${target.port}`;
}

function validHost(host: string): string {
  if (!host || /[\s/@]/.test(host)) throw new UsageError(`target: ${JSON.stringify(host)} is not a host name or address`);
  return host;
}

function parsePort(value: string | undefined, text: string, defaultPort: number): number {
  if (value === undefined || value === '') return defaultPort;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError(`target ${text}: port must be 1-65535`);
  return port;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '[::1]';
}

/** 127.0.0.0/8 and ::1; BlockList also matches IPv4-mapped IPv6 forms (::ffff:127.0.0.1). */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether an address connected to is this machine. An address, never a name: a name that
 * starts with "127." can resolve anywhere.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  const family = address === undefined ? 0 : isIP(address);
  return family !== 0 && loopback.check(address!, family === 6 ? 'ipv6' : 'ipv4');
}
