import type { MxRecord } from '../net/dns-client.js';

/** How the domain says where its mail goes. */
export type MxKind =
  /** MX records (RFC 5321 §5.1). */
  | 'mx'
  /** No MX record: the domain's own address records are the one host, preference 0 (RFC 5321 §5.1). */
  | 'implicit'
  /** A single MX "0 ." (RFC 7505 §3): the domain accepts no mail. */
  | 'null';

export interface MxHost {
  name: string;
  preference: number;
}

export interface MxPlan {
  kind: MxKind;
  /** Lowest preference first (tried first); equal preferences keep the order received. */
  hosts: MxHost[];
}

const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** The hosts to check, from the MX answer (sans-I/O). */
export function planMx(domain: string, records: MxRecord[]): MxPlan {
  if (records.length === 0) return { kind: 'implicit', hosts: [{ name: bare(domain), preference: 0 }] };
  // RFC 7505 §3: a null MX is one record whose exchange is the root; with others it is an error
  // that senders ignore, so the other records are still checked.
  const isNull = (r: MxRecord) => bare(r.exchange) === '';
  if (records.length === 1 && isNull(records[0]!)) return { kind: 'null', hosts: [] };
  const hosts = records
    .filter((r) => !isNull(r))
    .map((r, i) => ({ name: bare(r.exchange), preference: r.preference, i }))
    .sort((a, b) => a.preference - b.preference || a.i - b.i)
    .map(({ name, preference }) => ({ name, preference }));
  return { kind: 'mx', hosts };
}

/** True when the MX set mixes a null MX with real ones (RFC 7505 §3 says it must stand alone). */
export function hasStrayNullMx(records: MxRecord[]): boolean {
  return records.length > 1 && records.some((r) => bare(r.exchange) === '');
}
