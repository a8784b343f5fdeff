import { DnsClient, type DnsAnswer, type MxRecord, type RecordType, type TlsaRecord } from '../net/dns-client.js';
import { formatDnsServer } from '../dns/server-address.js';
import { SmtpdbgError } from '../errors.js';
import { matchDane, type DaneVerdict } from '../tls/dane.js';
import { hasStrayNullMx, planMx, type MxKind } from './mx.js';
import { parseStsPolicy, parseStsRecords, parseTlsRptRecords, type Parsed, type StsPolicy, type StsRecord, type TlsRptRecord } from './mta-sts.js';
import { fetchPolicy, type PolicyFetch } from '../net/policy-fetch.js';
import { probeAddress, probeCiphers, probeVersion, TlsVersions, type AddressFacts, type CipherFacts, type ProbeConnection, type VersionFacts } from './smtp-probe.js';

export interface ProbeOptions {
  domain: string;
  dns: DnsClient;
  /** 25 for real MX hosts; another port for tests and non-standard setups. */
  smtpPort: number;
  /** 443 for real policy hosts; another port for tests. */
  mtaStsPort: number;
  timeoutMs: number;
  /** SMTP conversations at once. */
  concurrency: number;
  ehloName: string;
  /** Try TLS 1.0, 1.1, 1.2 and 1.3 one by one on each address offering STARTTLS. */
  versions: boolean;
  /** For each version accepted, find the cipher suites accepted (implies `versions`). */
  ciphers: boolean;
  /** Trust these CAs instead of the system's (SMTP certificates and the MTA-STS policy host). */
  ca?: Buffer;
  /** Ask each address for a stapled OCSP response. */
  ocsp: boolean;
  now: Date;
}

/** A DNS answer as the report keeps it, or why there was none. */
export interface Lookup<T> {
  rcode: string | null;
  authenticated: boolean;
  records: T[];
  /** Timeout, refused, undecodable… in words; null when an answer came. */
  error: string | null;
}

export interface AddressProbe extends AddressFacts {
  versions: VersionFacts[];
  /** Only with --ciphers: per accepted version, the suites accepted. */
  ciphers: CipherFacts[];
  dane: DaneVerdict | null;
}

export interface HostFacts {
  name: string;
  preference: number;
  a: Lookup<string>;
  aaaa: Lookup<string>;
  tlsa: Lookup<TlsaRecord>;
  probes: AddressProbe[];
}

export interface ProbeFacts {
  domain: string;
  dnsServer: string;
  checkedAt: string;
  smtpPort: number;
  mx: Lookup<MxRecord> & { kind: MxKind | null; strayNullMx: boolean };
  hosts: HostFacts[];
  mtaSts: {
    txt: Lookup<string>;
    record: Parsed<StsRecord> | null;
    fetch: PolicyFetch | null;
    policy: Parsed<StsPolicy> | null;
  };
  tlsRpt: { txt: Lookup<string>; record: Parsed<TlsRptRecord> | null };
}

async function lookup<T extends RecordType>(dns: DnsClient, name: string, type: T): Promise<Lookup<DnsAnswer<T>['records'][number]>> {
  try {
    const answer = await dns.lookup(name, type);
    return { rcode: answer.rcode, authenticated: answer.authenticated, records: answer.records, error: null };
  } catch (error) {
    return { rcode: null, authenticated: false, records: [], error: error instanceof SmtpdbgError ? error.message : String(error) };
  }
}

/** Runs `task` over `items` with at most `limit` running at once, results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

async function mtaSts(options: ProbeOptions): Promise<ProbeFacts['mtaSts']> {
  const txt = await lookup(options.dns, `_mta-sts.${options.domain}`, 'TXT');
  const record = txt.error || txt.rcode !== 'NOERROR' || txt.records.length === 0 ? null : parseStsRecords(txt.records);
  // RFC 8461 §3.3: the policy is fetched only when the TXT record says there is one, but a
  // policy served without the record is worth naming, so it is fetched in any case.
  const host = `mta-sts.${options.domain}`;
  const [a, aaaa] = await Promise.all([lookup(options.dns, host, 'A'), lookup(options.dns, host, 'AAAA')]);
  const address = a.records[0] ?? aaaa.records[0];
  const fetched = address
    ? await fetchPolicy({ domain: options.domain, address, port: options.mtaStsPort, timeoutMs: options.timeoutMs, ...(options.ca ? { ca: options.ca } : {}) })
    : null;
  const policy = fetched?.body != null && fetched.error === null ? parseStsPolicy(fetched.body) : null;
  return { txt, record, fetch: fetched, policy };
}

async function tlsRpt(options: ProbeOptions): Promise<ProbeFacts['tlsRpt']> {
  const txt = await lookup(options.dns, `_smtp._tls.${options.domain}`, 'TXT');
  const record = txt.error || txt.rcode !== 'NOERROR' || txt.records.length === 0 ? null : parseTlsRptRecords(txt.records);
  return { txt, record };
}

/** Every fact `probe` reports, gathered with bounded concurrency; the verdicts are made by evaluate(). */
export async function probeDomain(options: ProbeOptions): Promise<ProbeFacts> {
  const { dns, domain } = options;
  const mxAnswer = await lookup(dns, domain, 'MX');
  const facts: ProbeFacts = {
    domain,
    dnsServer: formatDnsServer(dns.server),
    checkedAt: options.now.toISOString(),
    smtpPort: options.smtpPort,
    mx: { ...mxAnswer, kind: null, strayNullMx: false },
    hosts: [],
    mtaSts: { txt: { rcode: null, authenticated: false, records: [], error: null }, record: null, fetch: null, policy: null },
    tlsRpt: { txt: { rcode: null, authenticated: false, records: [], error: null }, record: null },
  };
  if (mxAnswer.error || mxAnswer.rcode !== 'NOERROR') return facts;
  const plan = planMx(domain, mxAnswer.records);
  facts.mx.kind = plan.kind;
  facts.mx.strayNullMx = hasStrayNullMx(mxAnswer.records);

  const policyWork = Promise.all([mtaSts(options), tlsRpt(options)]);
  facts.hosts = await Promise.all(plan.hosts.map(async (host): Promise<HostFacts> => {
    const [a, aaaa, tlsa] = await Promise.all([
      lookup(dns, host.name, 'A'),
      lookup(dns, host.name, 'AAAA'),
      // RFC 7672 §2.2.3: the TLSA base domain is the MX host name, on port 25.
      lookup(dns, `_25._tcp.${host.name}`, 'TLSA'),
    ]);
    return { ...host, a, aaaa, tlsa, probes: [] };
  }));

  const targets = facts.hosts.flatMap((host) => [...host.a.records, ...host.aaaa.records].map((address) => ({ host, address })));
  const connection = (host: HostFacts, address: string): ProbeConnection => ({
    address, port: options.smtpPort, timeoutMs: options.timeoutMs, mxHost: host.name, ehloName: options.ehloName,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.ocsp ? { ocsp: true } : {}),
  });
  const probes = await mapLimit(targets, options.concurrency, async ({ host, address }): Promise<AddressProbe> => {
    const base = await probeAddress(connection(host, address));
    const versions = base.ehlo?.starttls && (options.versions || options.ciphers)
      ? await mapSequential(TlsVersions, (version) => probeVersion(connection(host, address), version))
      : [];
    const ciphers = options.ciphers
      ? await mapSequential(versions.filter((v) => v.accepted), (v) => probeCiphers(connection(host, address), v.version))
      : [];
    const dane = host.tlsa.records.length > 0 && base.chainDer.length > 0 ? matchDane(host.tlsa.records, base.chainDer, host.name, options.now) : null;
    return { ...base, versions, ciphers, dane };
  });
  targets.forEach(({ host }, i) => host.probes.push(probes[i]!));
  [facts.mtaSts, facts.tlsRpt] = await policyWork;
  return facts;
}

/** One at a time: the version probes of one address do not open four connections at once. */
async function mapSequential<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await task(item));
  return out;
}
