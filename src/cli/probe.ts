import type { Command } from 'commander';
import { commandList } from './command-list.js';
import { configureCommand, setExitCode } from './action.js';
import { milliseconds, wholeNumber } from './option-parsers.js';

export interface ProbeCliOptions {
  dnsServer?: string;
  smtpPort: number;
  mtaStsPort: number;
  timeout: number;
  concurrency: number;
  ehlo: string;
  ca?: string;
  versions: boolean;
  ciphers?: boolean;
  ocsp?: boolean;
  json?: boolean;
}

export function registerProbe(program: Command): void {
  configureCommand(program.command('probe'))
    .description(commandList['probe'].summary)
    .argument('<domain>', 'the mail domain (what follows @ in its addresses)')
    .option('--dns-server <host[:port]>', 'ask this DNS server (IP address) instead of the first nameserver of /etc/resolv.conf')
    .option('--smtp-port <port>', 'connect to the MX hosts on this port instead of 25 (tests, non-standard setups)', wholeNumber('--smtp-port', { min: 1, max: 65535 }), 25)
    .option('--mta-sts-port <port>', 'fetch the MTA-STS policy from this port of mta-sts.DOMAIN instead of 443 (tests)', wholeNumber('--mta-sts-port', { min: 1, max: 65535 }), 443)
    .option('--timeout <ms>', 'bound on each DNS answer, connection, reply, handshake and policy fetch', milliseconds('--timeout'), 10_000)
    .option('--concurrency <n>', 'MX addresses probed at once', wholeNumber('--concurrency', { min: 1, max: 64 }), 4)
    .option('--ehlo <name>', 'name sent in EHLO', 'smtpdbg.localhost')
    .option('--ca <file>', 'trust these CA certificates (PEM) instead of the system\'s, for the MX certificates and the policy host')
    .option('--no-versions', 'do not try TLS 1.0, 1.1, 1.2 and 1.3 one by one (four more connections per address)')
    .option('--ciphers', 'also find the cipher suites each address accepts per TLS version, among those this machine\'s OpenSSL can offer (one connection per suite accepted, plus one)')
    .option('--ocsp', 'ask each address to staple an OCSP response and check it (status, dates, for this certificate, signature)')
    .option('--json', 'print every fact and verdict as one JSON document')
    .addHelpText('after', `
Checks the domain's MX hosts (or its implicit MX, RFC 5321 §5.1; a null MX, RFC 7505, is
reported as such), their addresses, each address's banner, EHLO, STARTTLS, certificate,
expiry and TLS versions, DANE (TLSA at _25._tcp.MX, RFC 7672), MTA-STS (RFC 8461) and
TLS-RPT (RFC 8460). Only EHLO, STARTTLS and QUIT are sent: never MAIL or RCPT.

DNSSEC: whether the TLSA answer is authenticated is the AD bit of the DNS server's answer.
It says only that THAT server validated it: name with --dns-server a validating resolver you
trust, on a path you trust (the machine itself, or a resolver you run).

Exit: 0 no check failed (warnings allowed), 1 a check failed, 2 usage error,
3 the domain cannot be resolved (NXDOMAIN, SERVFAIL, no answer).`)
    .action(async (domain: string, options: ProbeCliOptions) => {
      const { runProbeCommand } = await import('./probe-run.js');
      setExitCode(await runProbeCommand(domain, options));
    });
}
