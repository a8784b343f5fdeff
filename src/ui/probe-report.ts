import type { ChalkInstance } from 'chalk';
import type { Check, CheckStatus } from '../probe/checks.js';
import type { ProbeFacts } from '../probe/probe.js';

const paint = (chalk: ChalkInstance, status: CheckStatus) =>
  status === 'pass' ? chalk.green('pass') : status === 'warn' ? chalk.yellow('warn') : chalk.red.bold('fail');

export function countStatuses(checks: Check[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const check of checks) counts[check.status]++;
  return counts;
}

/**
 * The text report: a heading, then the checks grouped by what they are about (the domain,
 * each MX host, each of its addresses), one line each with its verdict in words.
 */
export function formatProbeReport(facts: ProbeFacts, checks: Check[], chalk: ChalkInstance): string[] {
  const out = [chalk.bold(`probe ${facts.domain}`) + chalk.dim(` (DNS server ${facts.dnsServer}, SMTP port ${facts.smtpPort}, ${facts.checkedAt})`)];
  const width = Math.max(...checks.map((c) => c.id.length));
  let subject: string | undefined;
  for (const check of checks) {
    if (check.subject !== subject) {
      subject = check.subject;
      out.push('', chalk.bold(subject));
    }
    out.push(`  ${paint(chalk, check.status)}  ${check.id.padEnd(width)}  ${check.reason}`);
  }
  const counts = countStatuses(checks);
  out.push('', `${checks.length} check${checks.length === 1 ? '' : 's'}: ${counts.pass} pass, ${counts.warn} warn, ${counts.fail} fail`);
  return out;
}

/** Every fact and verdict as one JSON document; certificate bytes stay out (the chain is summarised). */
export function probeJson(facts: ProbeFacts, checks: Check[], exitCode: number): string {
  const hosts = facts.hosts.map((host) => ({
    ...host,
    probes: host.probes.map(({ chainDer: _bytes, ...probe }) => probe),
  }));
  return JSON.stringify({ ...facts, hosts, checks, summary: countStatuses(checks), exitCode }, null, 2);
}
