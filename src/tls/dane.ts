import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaRecord } from '../net/dns-client.js';
import { oneLineName } from './fingerprint.js';

/** RFC 6698 §2.1.1 and RFC 7218 names for the fields of a TLSA record. */
const usageNames = ['PKIX-TA', 'PKIX-EE', 'DANE-TA', 'DANE-EE'];
const selectorNames = ['Cert', 'SPKI'];
const matchingNames = ['Full', 'SHA2-256', 'SHA2-512'];

export function describeTlsa(record: TlsaRecord): string {
  const name = (names: string[], n: number) => names[n] ?? String(n);
  return `${record.usage} ${record.selector} ${record.matchingType} (${name(usageNames, record.usage)} ${name(selectorNames, record.selector)} ${name(matchingNames, record.matchingType)}) ${record.data.slice(0, 16)}…`;
}

export interface TlsaVerdict {
  record: TlsaRecord;
  /** Whether the record matched this server's chain and, for DANE-TA, the chain verifies to it. */
  matched: boolean;
  /** In words: which certificate matched, or why the record matched nothing. */
  reason: string;
}

export interface DaneVerdict {
  /** At least one usable record matched (RFC 7672 §2.2: one is enough). */
  matched: boolean;
  records: TlsaVerdict[];
}

/** The bytes a TLSA record's selector picks (RFC 6698 §2.1.2). */
function selected(cert: X509Certificate, selector: number): Buffer | undefined {
  if (selector === 0) return cert.raw;
  if (selector === 1) return cert.publicKey.export({ type: 'spki', format: 'der' });
  return undefined;
}

/** The association data its matching type computes (RFC 6698 §2.1.3). */
function associated(bytes: Buffer, matchingType: number): string | undefined {
  if (matchingType === 0) return bytes.toString('hex');
  if (matchingType === 1) return createHash('sha256').update(bytes).digest('hex');
  if (matchingType === 2) return createHash('sha512').update(bytes).digest('hex');
  return undefined;
}

function matches(record: TlsaRecord, cert: X509Certificate): boolean {
  const bytes = selected(cert, record.selector);
  return bytes !== undefined && associated(bytes, record.matchingType) === record.data.toLowerCase();
}

/** The leaf chains up to `anchor` through the certificates presented, each signed by the next. */
function chainsTo(chain: X509Certificate[], anchorIndex: number): boolean {
  for (let i = 0; i < anchorIndex; i++) {
    if (!chain[i]!.verify(chain[i + 1]!.publicKey)) return false;
  }
  return true;
}

/**
 * Matches TLSA records against the chain a server presented, leaf first (sans-I/O), as
 * RFC 7672 asks of SMTP clients: DANE-EE(3) matches the leaf and ignores its names and dates
 * (§3.1.1); DANE-TA(2) matches a certificate of the chain, which must then sign its way down to
 * the leaf, whose names must include the MX host (§3.1.2, §3.2.2); PKIX-TA(0) and PKIX-EE(1)
 * are not for SMTP (§3.1.3) and count as unusable.
 */
export function matchDane(records: TlsaRecord[], chainDer: Buffer[], mxHost: string, now: Date): DaneVerdict {
  const chain = chainDer.map((der) => new X509Certificate(der));
  const verdicts = records.map((record): TlsaVerdict => {
    if (record.usage === 0 || record.usage === 1) {
      return { record, matched: false, reason: `usage ${record.usage} (${usageNames[record.usage]}) is not used for SMTP (RFC 7672 §3.1.3)` };
    }
    if (record.usage > 3 || record.selector > 1 || record.matchingType > 2) {
      return { record, matched: false, reason: 'unknown usage, selector or matching type: unusable (RFC 6698 §4.1)' };
    }
    const leaf = chain[0];
    if (!leaf) return { record, matched: false, reason: 'the server presented no certificate' };
    if (record.usage === 3) {
      return matches(record, leaf)
        ? { record, matched: true, reason: 'matches the server certificate (names and dates are not checked for DANE-EE, RFC 7672 §3.1.1)' }
        : { record, matched: false, reason: `does not match the server certificate (its ${record.selector === 1 ? 'SPKI' : 'certificate'} ${record.matchingType === 0 ? 'bytes differ' : `${matchingNames[record.matchingType]} is ${associated(selected(leaf, record.selector)!, record.matchingType)!.slice(0, 16)}…`})` };
    }
    const index = chain.findIndex((cert, i) => i > 0 && matches(record, cert));
    if (index === -1) return { record, matched: false, reason: 'matches no issuer certificate in the chain the server presented' };
    if (!chainsTo(chain, index)) return { record, matched: false, reason: `matches ${oneLineName(chain[index]!.subject)}, but the chain does not verify up to it` };
    if (!leaf.checkHost(mxHost)) return { record, matched: false, reason: `matches a trust anchor, but the certificate is not for ${mxHost} (RFC 7672 §3.2.2)` };
    const expired = new Date(leaf.validTo).getTime() < now.getTime();
    if (expired) return { record, matched: false, reason: `matches a trust anchor, but the certificate expired on ${new Date(leaf.validTo).toISOString()}` };
    return { record, matched: true, reason: `matches the trust anchor ${oneLineName(chain[index]!.subject)}` };
  });
  return { matched: verdicts.some((v) => v.matched), records: verdicts };
}

/** Lines for a session's output: the verdict, then each record with what it matched or why not. */
export function describeDane(verdict: DaneVerdict, authenticated: boolean): string[] {
  const head = !authenticated
    ? `DANE (not authenticated, for information): ${verdict.matched ? 'a record matches' : 'no record matches'} the server's chain`
    : verdict.matched ? 'DANE: verified: a DNSSEC-authenticated TLSA record matches the server\'s chain' : 'DANE: FAILED: no TLSA record matches the server\'s chain';
  return [head, ...verdict.records.map((v) => `DANE:   TLSA ${describeTlsa(v.record)} ${v.matched ? 'MATCHES' : 'no match'}: ${v.reason}`)];
}
