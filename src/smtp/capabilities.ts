import type { Reply } from './reply.js';

/**
 * The server's EHLO reply (RFC 5321 §4.1.1.1): the first line names the server, each
 * following line is an extension keyword with optional parameters.
 */
export interface Capabilities {
  domain: string;
  greeting: string;
  /** Upper-cased keyword → parameters, in the order the server listed them. */
  extensions: Map<string, string[]>;
}

export function parseCapabilities(reply: Pick<Reply, 'lines'>): Capabilities {
  const [first = '', ...rest] = reply.lines;
  const [domain = '', ...greeting] = first.split(' ');
  const extensions = new Map<string, string[]>();
  for (const line of rest) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    const keyword = words.shift();
    if (!keyword) continue;
    // Some servers still list "AUTH=LOGIN PLAIN" for pre-standard clients; treat it as AUTH.
    const eq = keyword.indexOf('=');
    if (eq > 0) {
      const name = keyword.slice(0, eq).toUpperCase();
      const params = [keyword.slice(eq + 1), ...words].filter(Boolean);
      if (!extensions.has(name)) extensions.set(name, params);
      continue;
    }
    extensions.set(keyword.toUpperCase(), words);
  }
  return { domain, greeting: greeting.join(' '), extensions };
}

/** The upper-cased keyword of one EHLO extension line: "size 1000" and "AUTH=LOGIN" give SIZE and AUTH. */
export function extensionKeyword(line: string): string {
  return (line.trim().split(/[\s=]/)[0] ?? '').toUpperCase();
}

export function hasExtension(caps: Capabilities | undefined, name: string): boolean {
  return caps?.extensions.has(name.toUpperCase()) ?? false;
}

export function authMechanisms(caps: Capabilities | undefined): string[] {
  return (caps?.extensions.get('AUTH') ?? []).map((m) => m.toUpperCase());
}

/** The SIZE limit in octets, 0 when the server declares no fixed limit, undefined if absent. */
export function sizeLimit(caps: Capabilities | undefined): number | undefined {
  const params = caps?.extensions.get('SIZE');
  if (!params) return undefined;
  const n = Number(params[0] ?? '0');
  return Number.isFinite(n) ? n : undefined;
}

export function capabilityList(caps: Capabilities | undefined): string[] {
  if (!caps) return [];
  return [...caps.extensions].map(([k, v]) => (v.length ? `${k} ${v.join(' ')}` : k));
}
