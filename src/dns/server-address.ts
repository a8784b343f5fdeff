import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** Where DNS queries go: a resolver (or an authoritative server) by IP address and port. */
export interface DnsServerAddress {
  host: string;
  port: number;
  /** How the user or the system named it, for messages. */
  source: 'option' | 'resolv.conf';
}

/**
 * `--dns-server HOST[:PORT]`: an IPv4 address, `[v6]` or `[v6]:port`, or a bare IPv6 address.
 * A host name would need a resolver to find the resolver, so only addresses are taken.
 */
export function parseDnsServer(text: string): DnsServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) [, host = '', portText] = bracketed;
  else if (isIP(text) === 6) host = text;
  else {
    const colon = text.lastIndexOf(':');
    host = colon === -1 ? text : text.slice(0, colon);
    portText = colon === -1 ? undefined : text.slice(colon + 1);
  }
  if (!isIP(host)) throw new UsageError(`--dns-server ${text}: ${JSON.stringify(host)} is not an IP address`);
  const port = portText === undefined ? 53 : Number(portText);
  if (!/^\d+$/.test(portText ?? '53') || port < 1 || port > 65535) throw new UsageError(`--dns-server ${text}: port must be 1-65535`);
  return { host, port, source: 'option' };
}

/** The first `nameserver` line of resolv.conf(5) text, if any. */
export function nameserverFromResolvConf(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    // A scoped IPv6 address (fe80::1%eth0) keeps its zone: the socket needs it.
    if (match && isIP(match[1]!.replace(/%.*$/, ''))) return match[1];
  }
  return undefined;
}

/** The system's resolver, as the C library would find it; 127.0.0.1 when none is configured (resolv.conf(5)). */
export function systemDnsServer(path = '/etc/resolv.conf'): DnsServerAddress {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // resolv.conf(5): without the file, the resolver on the local machine is used.
  }
  return { host: nameserverFromResolvConf(text) ?? '127.0.0.1', port: 53, source: 'resolv.conf' };
}

export const formatDnsServer = (server: DnsServerAddress): string =>
  server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
