/**
 * MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) records and policies, parsed (sans-I/O).
 * Each parser returns the facts and, when the text is not valid, the reason in words.
 */

export interface StsRecord {
  id: string;
  /** The whole TXT record, as published. */
  text: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Semicolon-separated `key=value` fields (RFC 8461 §3.1, RFC 8460 §3), leading and trailing blanks ignored. */
function fields(text: string): Array<[string, string]> {
  return text
    .split(';')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => {
      const eq = f.indexOf('=');
      return eq === -1 ? [f, ''] : [f.slice(0, eq).trim(), f.slice(eq + 1).trim()];
    });
}

/**
 * The `_mta-sts` TXT records: those that do not start with `v=STSv1;` are discarded, and
 * exactly one must remain (RFC 8461 §3.1).
 */
export function parseStsRecords(texts: string[]): Parsed<StsRecord> {
  const candidates = texts.filter((t) => /^v=STSv1\s*;/.test(t));
  if (candidates.length === 0) {
    return { ok: false, error: texts.length === 0 ? 'no TXT record' : `no TXT record starts with "v=STSv1;" (${texts.length} other${texts.length > 1 ? 's' : ''})` };
  }
  if (candidates.length > 1) return { ok: false, error: `${candidates.length} TXT records start with "v=STSv1;": senders then assume no policy (RFC 8461 §3.1)` };
  const text = candidates[0]!;
  const id = fields(text).find(([k]) => k === 'id')?.[1];
  if (id === undefined) return { ok: false, error: `the record has no id field: ${JSON.stringify(text)}` };
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) return { ok: false, error: `id ${JSON.stringify(id)} is not 1-32 letters and digits (RFC 8461 §3.1)` };
  return { ok: true, value: { id, text } };
}

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  mx: string[];
  maxAge: number;
}

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year). */
const MAX_AGE_LIMIT = 31_557_600;

/** The policy file (RFC 8461 §3.2): `key: value` lines ended by CRLF or LF. */
export function parseStsPolicy(text: string): Parsed<StsPolicy> {
  const values = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon === -1) return { ok: false, error: `line ${JSON.stringify(line.slice(0, 60))} is not "key: value"` };
    const key = line.slice(0, colon).trim();
    values.set(key, [...(values.get(key) ?? []), line.slice(colon + 1).trim()]);
  }
  const one = (key: string) => values.get(key)?.[0];
  if (one('version') !== 'STSv1') return { ok: false, error: `version is ${JSON.stringify(one('version') ?? null)}, not STSv1` };
  const mode = one('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return { ok: false, error: `mode is ${JSON.stringify(mode ?? null)}, not enforce, testing or none` };
  const maxAgeText = one('max_age');
  if (maxAgeText === undefined || !/^\d{1,10}$/.test(maxAgeText)) return { ok: false, error: `max_age is ${JSON.stringify(maxAgeText ?? null)}, not a number of seconds` };
  const maxAge = Number(maxAgeText);
  if (maxAge > MAX_AGE_LIMIT) return { ok: false, error: `max_age ${maxAge} is more than ${MAX_AGE_LIMIT} seconds (RFC 8461 §3.2)` };
  const mx = (values.get('mx') ?? []).map((m) => m.toLowerCase().replace(/\.$/, ''));
  if (mx.length === 0 && mode !== 'none') return { ok: false, error: `mode ${mode} without any mx line` };
  return { ok: true, value: { mode, mx, maxAge } };
}

/**
 * RFC 8461 §4.1: a pattern is a host name, or `*.` and a domain, which matches exactly one
 * more label on the left ("*.example.com" matches "mx.example.com", not "a.b.example.com").
 */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return name === pattern;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

export function matchingPattern(host: string, policy: StsPolicy): string | undefined {
  return policy.mx.find((pattern) => mxMatchesPattern(host, pattern));
}

export interface TlsRptRecord {
  /** Where reports go: mailto: and https: URIs (RFC 8460 §3). */
  rua: string[];
  text: string;
}

/** The `_smtp._tls` TXT record (RFC 8460 §3): `v=TLSRPTv1;` then `rua=` with comma-separated URIs. */
export function parseTlsRptRecords(texts: string[]): Parsed<TlsRptRecord> {
  const candidates = texts.filter((t) => /^v=TLSRPTv1\s*;/.test(t));
  if (candidates.length === 0) return { ok: false, error: texts.length === 0 ? 'no TXT record' : 'no TXT record starts with "v=TLSRPTv1;"' };
  if (candidates.length > 1) return { ok: false, error: `${candidates.length} TXT records start with "v=TLSRPTv1;": only one is allowed (RFC 8460 §3)` };
  const text = candidates[0]!;
  const rua = fields(text).find(([k]) => k === 'rua')?.[1];
  if (!rua) return { ok: false, error: `the record has no rua field: ${JSON.stringify(text)}` };
  const uris = rua.split(',').map((u) => u.trim());
  const bad = uris.find((u) => !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/i.test(u));
  if (bad !== undefined) return { ok: false, error: `rua ${JSON.stringify(bad)} is neither mailto: nor https: (RFC 8460 §3)` };
  return { ok: true, value: { rua: uris, text } };
}
