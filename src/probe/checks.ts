import { describeTlsa } from '../tls/dane.js';
import type { OcspReport } from '../tls/ocsp.js';
import { matchingPattern } from './mta-sts.js';
import type { AddressProbe, HostFacts, Lookup, ProbeFacts } from './probe.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  /** Stable name of the check (mx, connect, starttls, certificate, dane, mta-sts-policy…). */
  id: string;
  /** What was checked: the domain, an MX host, or an MX host's address. */
  subject: string;
  status: CheckStatus;
  /** The verdict in words. */
  reason: string;
}

/** Below this many days left, an expiry is a warning: renewals usually run 30 days ahead. */
export const EXPIRY_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

const rcodeWords: Record<string, string> = {
  NXDOMAIN: 'NXDOMAIN: the domain does not exist',
  SERVFAIL: 'SERVFAIL: the resolver could not get an answer (a broken delegation, or DNSSEC validation failed)',
  REFUSED: 'REFUSED: the DNS server will not answer this question',
};

/** Why a lookup gave no answer, in words; null when it answered NOERROR. */
export function lookupFailure(lookup: Lookup<unknown>): string | null {
  if (lookup.error) return lookup.error;
  if (lookup.rcode && lookup.rcode !== 'NOERROR') return rcodeWords[lookup.rcode] ?? lookup.rcode;
  return null;
}

/** True when the domain's MX question got no usable answer: `probe` exits 3. */
export function unresolvable(facts: ProbeFacts): boolean {
  return lookupFailure(facts.mx) !== null;
}

const where = (host: HostFacts, probe: AddressProbe) => `${host.name} ${probe.address.includes(':') ? `[${probe.address}]` : probe.address}:${probe.port}`;

export function daysLeft(validTo: string, now: Date): number {
  return Math.floor((new Date(validTo).getTime() - now.getTime()) / DAY_MS);
}

function versionCheck(probe: AddressProbe, add: (id: string, status: CheckStatus, reason: string) => void): void {
  if (probe.versions.length === 0) return;
  const accepted = probe.versions.filter((v) => v.accepted).map((v) => v.version);
  const old = accepted.filter((v) => v === 'TLSv1' || v === 'TLSv1.1');
  const modern = accepted.filter((v) => v === 'TLSv1.2' || v === 'TLSv1.3');
  const list = accepted.length ? accepted.join(', ') : 'none';
  if (modern.length === 0) add('tls-versions', 'fail', `accepts ${list}: neither TLS 1.2 nor 1.3`);
  else if (old.length > 0) add('tls-versions', 'warn', `accepts ${list}: ${old.join(' and ')} ${old.length > 1 ? 'are' : 'is'} deprecated (RFC 8996)`);
  else add('tls-versions', 'pass', `accepts ${list}`);
}

/** Suites that give no real protection today: no encryption, export grade, RC4, DES/3DES, no authentication. */
const WEAK_SUITE = /NULL|EXPORT|RC4|DES|_anon_|MD5/;

function cipherCheck(probe: AddressProbe, add: (id: string, status: CheckStatus, reason: string) => void): void {
  if (probe.ciphers.length === 0) return;
  const weak = [...new Set(probe.ciphers.flatMap((c) => c.accepted.filter((name) => WEAK_SUITE.test(name))))];
  const counts = probe.ciphers.map((c) => `${c.version} ${c.accepted.length}`).join(', ');
  add('ciphers', weak.length ? 'warn' : 'pass', weak.length ? `accepts weak suites: ${weak.join(', ')} (suites per version: ${counts})` : `suites per version: ${counts} (see --json for the names)`);
}

function addressChecks(host: HostFacts, probe: AddressProbe, facts: ProbeFacts, now: Date): Check[] {
  const subject = where(host, probe);
  const checks: Check[] = [];
  const add = (id: string, status: CheckStatus, reason: string) => checks.push({ id, subject, status, reason });
  if (probe.connectMs === null) {
    // An IPv6 address that this machine has no route to says nothing about the server.
    const noRoute = probe.address.includes(':') && /unreachable/.test(probe.error ?? '');
    add('connect', noRoute ? 'warn' : 'fail', noRoute ? `${probe.error}: this machine has no IPv6 route, so the address is not checked` : probe.error ?? 'no connection');
    return checks;
  }
  if (probe.banner === null) {
    add('banner', 'fail', probe.error ?? 'no banner');
    return checks;
  }
  const bannerOk = probe.banner?.startsWith('220') ?? false;
  add('banner', bannerOk ? 'pass' : 'fail', `${probe.banner ?? 'none'} (${probe.bannerMs} ms after connecting)`);
  if (!probe.ehlo) {
    if (bannerOk) add('ehlo', 'fail', probe.error ?? 'no EHLO reply');
    return checks;
  }
  const caps = probe.ehlo;
  const offered = ['SIZE', 'PIPELINING', 'CHUNKING', 'SMTPUTF8', 'REQUIRETLS'].filter((name, i) => [caps.size !== null, caps.pipelining, caps.chunking, caps.smtputf8, caps.requiretls][i]);
  add('ehlo', 'pass', offered.length ? `offers ${offered.join(', ')}${caps.size ? ` (SIZE ${caps.size})` : ''}` : 'offers none of SIZE, PIPELINING, CHUNKING, SMTPUTF8, REQUIRETLS');
  if (caps.auth.length > 0) {
    add('auth-plaintext', 'warn', `AUTH ${caps.auth.join(' ')} is offered before STARTTLS: a client could send its password in plain text`);
  }
  if (!caps.starttls) {
    add('starttls', 'fail', 'STARTTLS is not offered: mail to this host travels in plain text');
    return checks;
  }
  if (!probe.tls) {
    add('starttls', 'fail', probe.error ?? `STARTTLS failed: ${probe.starttlsReply}`);
    // The version probes say why: a server that speaks only TLS 1.0/1.1 fails our default handshake.
    versionCheck(probe, add);
    cipherCheck(probe, add);
    return checks;
  }
  const tls = probe.tls;
  const leafKey = tls.chain[0]?.publicKey ? `, ${tls.chain[0].publicKey} key${tls.chain[0].signatureAlgorithm ? ` (certificate signed with ${tls.chain[0].signatureAlgorithm})` : ''}` : '';
  add('starttls', 'pass', `${`${tls.protocol ?? 'TLS'} ${tls.cipher ?? ''}`.trim()}${tls.keyExchange ? `, key exchange ${tls.keyExchange}` : ''}${leafKey}`);
  // Opportunistic STARTTLS (RFC 3207) works with any certificate: a bad one is a warning here,
  // and a failure only where DANE or an MTA-STS policy in enforce mode makes senders check it.
  add('certificate', tls.verified ? 'pass' : 'warn', tls.verified ? `valid for ${host.name}, issued by ${tls.chain[0]?.issuer ?? '?'}` : `not valid for ${host.name}: ${tls.verifyError}`);
  const leaf = tls.chain[0];
  if (leaf) {
    const days = daysLeft(leaf.validTo, now);
    const status: CheckStatus = days < 0 ? 'fail' : days < EXPIRY_WARN_DAYS ? 'warn' : 'pass';
    add('expiry', status, days < 0 ? `expired ${-days} day${days === -1 ? '' : 's'} ago (${leaf.validTo})` : `${days} day${days === 1 ? '' : 's'} left (until ${leaf.validTo})`);
  }
  versionCheck(probe, add);
  cipherCheck(probe, add);
  if (probe.dane) {
    const matched = probe.dane.records.find((r) => r.matched);
    add('dane', matched ? (host.tlsa.authenticated ? 'pass' : 'warn') : 'fail', matched
      ? `TLSA ${describeTlsa(matched.record)} ${matched.reason}${host.tlsa.authenticated ? '' : ' (but the answer was not DNSSEC-authenticated)'}`
      : `no TLSA record matches: ${probe.dane.records.map((r) => `${describeTlsa(r.record)} ${r.reason}`).join('; ')}`);
  }
  if (probe.ocsp) ocspCheck(probe.ocsp, add);
  const policy = facts.mtaSts.policy?.ok ? facts.mtaSts.policy.value : undefined;
  if (policy && policy.mode !== 'none' && matchingPattern(host.name, policy) && !tls.verified) {
    add('mta-sts-certificate', policy.mode === 'enforce' ? 'fail' : 'warn', `the MTA-STS policy (mode ${policy.mode}) needs a valid certificate for ${host.name}: ${tls.verifyError}`);
  }
  return checks;
}

/**
 * --ocsp: stapling is optional for SMTP (senders rarely ask, and DANE-EE makes revocation
 * moot, RFC 7672 §3.1.1), so its absence is a warning; a revoked certificate fails.
 */
function ocspCheck(ocsp: OcspReport, add: (id: string, status: CheckStatus, reason: string) => void): void {
  if (!ocsp.stapled) return add('ocsp', 'warn', 'no OCSP response stapled');
  if (ocsp.status === 'revoked') return add('ocsp', 'fail', `the stapled OCSP response says REVOKED since ${ocsp.revokedAt}${ocsp.revocationReason ? ` (${ocsp.revocationReason})` : ''}`);
  if (ocsp.status === 'good' && ocsp.problems.length === 0) {
    return add('ocsp', ocsp.signatureVerified ? 'pass' : 'warn', `stapled: good, next update ${ocsp.nextUpdate ?? 'not given'}; signature ${ocsp.signature}`);
  }
  add('ocsp', 'warn', `stapled response${ocsp.status ? ` (${ocsp.status})` : ''}: ${ocsp.problems.join('; ') || `signature ${ocsp.signature}`}`);
}

/** The host's TLSA answer: present, authenticated, failed or absent (matching is per address). */
function tlsaCheck(host: HostFacts, add: (id: string, status: CheckStatus, reason: string) => void): void {
  const failure = lookupFailure(host.tlsa);
  const records = host.tlsa.records.length;
  if (failure && host.tlsa.rcode !== 'NXDOMAIN') {
    // RFC 7672 §2.2: a TLSA lookup that fails (not "no such name") makes the MX unusable for DANE senders.
    add('dane', 'fail', `the TLSA lookup of _25._tcp.${host.name} failed: ${failure}`);
  } else if (records === 0) {
    add('dane', 'warn', `no TLSA record at _25._tcp.${host.name}: DANE is not deployed`);
  } else {
    add('dane-dnssec', host.tlsa.authenticated ? 'pass' : 'fail', host.tlsa.authenticated
      ? `${records} TLSA record${records > 1 ? 's' : ''}, DNSSEC-authenticated by the resolver you named (the AD bit)`
      : `${records} TLSA record${records > 1 ? 's' : ''}, but the answer is not DNSSEC-authenticated: DANE senders ignore them (RFC 7672 §2.2)`);
  }
}

function hostChecks(host: HostFacts, facts: ProbeFacts, now: Date): Check[] {
  const checks: Check[] = [];
  const add = (id: string, status: CheckStatus, reason: string) => checks.push({ id, subject: host.name, status, reason });
  const addresses = [...host.a.records, ...host.aaaa.records];
  if (addresses.length === 0) {
    // Nothing to connect to: no DANE verdict either.
    add('address', 'fail', `${host.name} has no address: ${lookupFailure(host.a) ?? lookupFailure(host.aaaa) ?? 'no A or AAAA record'}`);
  } else {
    add('address', 'pass', addresses.join(', '));
    tlsaCheck(host, add);
  }
  const policy = facts.mtaSts.policy?.ok ? facts.mtaSts.policy.value : undefined;
  if (policy && policy.mode !== 'none') {
    const pattern = matchingPattern(host.name, policy);
    add('mta-sts-mx', pattern ? 'pass' : policy.mode === 'enforce' ? 'fail' : 'warn', pattern
      ? `listed in the MTA-STS policy (${pattern})`
      : `not listed in the MTA-STS policy (mx: ${policy.mx.join(', ')}): ${policy.mode === 'enforce' ? 'senders will not deliver to it' : 'senders in testing mode report it'}`);
  }
  for (const probe of host.probes) checks.push(...addressChecks(host, probe, facts, now));
  return checks;
}

function policyChecks(facts: ProbeFacts): Check[] {
  const checks: Check[] = [];
  const subject = facts.domain;
  const add = (id: string, status: CheckStatus, reason: string) => checks.push({ id, subject, status, reason });
  const { txt, record, fetch, policy } = facts.mtaSts;
  const txtFailure = lookupFailure(txt);
  if (txtFailure && txt.rcode !== 'NXDOMAIN') add('mta-sts-record', 'fail', `the TXT lookup of _mta-sts.${facts.domain} failed: ${txtFailure}`);
  else if (!record) add('mta-sts-record', 'warn', `no _mta-sts.${facts.domain} TXT record: MTA-STS is not deployed`);
  else if (!record.ok) add('mta-sts-record', 'fail', `_mta-sts.${facts.domain}: ${record.error}`);
  else add('mta-sts-record', 'pass', `id ${record.value.id}`);

  if (fetch && fetch.error === null && policy) {
    if (!policy.ok) add('mta-sts-policy', 'fail', `${fetch.url}: ${policy.error}`);
    else {
      const p = policy.value;
      const status: CheckStatus = p.mode === 'enforce' ? 'pass' : 'warn';
      const words = p.mode === 'enforce' ? 'enforced' : p.mode === 'testing' ? 'testing: failures are reported, mail is still delivered' : 'none: the policy is being withdrawn';
      add('mta-sts-policy', status, `mode ${p.mode} (${words}), max_age ${p.maxAge} s, mx ${p.mx.join(', ') || '(none)'}`);
      if (!record?.ok) add('mta-sts-id', 'fail', `a policy is served at ${fetch.url} but no valid _mta-sts TXT record announces it, so senders never fetch it`);
    }
  } else if (record?.ok) {
    const why = fetch ? fetch.error ?? 'no policy' : `mta-sts.${facts.domain} has no address`;
    add('mta-sts-policy', 'fail', `the TXT record announces policy id ${record.value.id}, but ${fetch?.url ?? `https://mta-sts.${facts.domain}/.well-known/mta-sts.txt`} gives none: ${why}`);
  }

  const rpt = facts.tlsRpt;
  const rptFailure = lookupFailure(rpt.txt);
  if (rptFailure && rpt.txt.rcode !== 'NXDOMAIN') add('tls-rpt', 'fail', `the TXT lookup of _smtp._tls.${facts.domain} failed: ${rptFailure}`);
  else if (!rpt.record) add('tls-rpt', 'warn', `no _smtp._tls.${facts.domain} TXT record: TLS failures are not reported to the domain (RFC 8460)`);
  else if (!rpt.record.ok) add('tls-rpt', 'fail', `_smtp._tls.${facts.domain}: ${rpt.record.error}`);
  else add('tls-rpt', 'pass', `reports to ${rpt.record.value.rua.join(', ')}`);
  return checks;
}

/** The verdicts (sans-I/O): one list, in report order. */
export function evaluate(facts: ProbeFacts, now: Date): Check[] {
  const checks: Check[] = [];
  const add = (id: string, status: CheckStatus, reason: string) => checks.push({ id, subject: facts.domain, status, reason });
  const failure = lookupFailure(facts.mx);
  if (failure) {
    add('mx', 'fail', `cannot resolve ${facts.domain}: ${failure}`);
    return checks;
  }
  if (facts.mx.kind === 'null') {
    add('mx', 'pass', 'null MX (RFC 7505): the domain says it accepts no mail; nothing else to check');
    return checks;
  }
  if (facts.mx.kind === 'implicit') add('mx', 'warn', `no MX record: senders use ${facts.domain}'s own address (implicit MX, RFC 5321 §5.1)`);
  else add('mx', 'pass', facts.hosts.map((h) => `${h.preference} ${h.name}`).join(', '));
  if (facts.mx.strayNullMx) add('null-mx', 'fail', 'a null MX "0 ." is published with other MX records (RFC 7505 §3 says it must stand alone)');
  checks.push(...policyChecks(facts));
  for (const host of facts.hosts) checks.push(...hostChecks(host, facts, now));
  const reachable = facts.hosts.some((h) => h.probes.some((p) => p.connectMs !== null));
  if (facts.hosts.length > 0 && !reachable) add('reachable', 'fail', 'no MX host accepted a connection: mail to the domain cannot be delivered');
  return checks;
}

export function worstStatus(checks: Check[]): CheckStatus {
  return checks.some((c) => c.status === 'fail') ? 'fail' : checks.some((c) => c.status === 'warn') ? 'warn' : 'pass';
}
