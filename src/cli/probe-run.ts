import { DnsClient } from '../net/dns-client.js';
import { parseDnsServer, systemDnsServer } from '../dns/server-address.js';
import { UsageError } from '../errors.js';
import { evaluate, lookupFailure, unresolvable, worstStatus } from '../probe/checks.js';
import { probeDomain } from '../probe/probe.js';
import { readPemFile } from '../tls/options.js';
import { chalkFor } from '../ui/colors.js';
import { formatProbeReport, probeJson } from '../ui/probe-report.js';
import { ExitCode } from './exit-codes.js';
import type { ProbeCliOptions } from './probe.js';

/** A domain as DNS takes it: letters, digits, hyphens and underscores in dot-separated labels. */
function domainArgument(text: string): string {
  const domain = text.trim().replace(/\.$/, '').toLowerCase();
  const labels = domain.split('.');
  if (!domain || domain.length > 253 || labels.some((l) => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) {
    throw new UsageError(`${JSON.stringify(text)} is not a domain name (internationalized names go in their xn-- form)`);
  }
  return domain;
}

export async function runProbeCommand(domainText: string, options: ProbeCliOptions): Promise<number> {
  const domain = domainArgument(domainText);
  const server = options.dnsServer ? parseDnsServer(options.dnsServer) : systemDnsServer();
  const ca = options.ca ? readPemFile(options.ca, '--ca') : undefined;
  const now = new Date();
  const facts = await probeDomain({
    domain,
    dns: new DnsClient({ server, timeoutMs: options.timeout }),
    smtpPort: options.smtpPort,
    mtaStsPort: options.mtaStsPort,
    timeoutMs: options.timeout,
    concurrency: options.concurrency,
    ehloName: options.ehlo,
    versions: options.versions,
    ciphers: options.ciphers ?? false,
    ocsp: options.ocsp ?? false,
    ...(ca ? { ca } : {}),
    now,
  });
  const checks = evaluate(facts, now);
  const exitCode = unresolvable(facts) ? ExitCode.failure : worstStatus(checks) === 'fail' ? ExitCode.problems : ExitCode.ok;
  if (options.json) process.stdout.write(`${probeJson(facts, checks, exitCode)}\n`);
  else if (exitCode === ExitCode.failure) {
    process.stderr.write(`smtpdbg: cannot resolve ${domain} (MX) with the DNS server ${facts.dnsServer}: ${lookupFailure(facts.mx)}\n`);
  } else process.stdout.write(`${formatProbeReport(facts, checks, chalkFor(process.stdout)).join('\n')}\n`);
  return exitCode;
}
