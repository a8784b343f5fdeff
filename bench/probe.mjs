#!/usr/bin/env node
// `smtpdbg probe` of a 3-MX test domain against the same checks done by hand with dig and
// openssl s_client (and curl for the MTA-STS policy) in a shell loop, as a mail admin would.
// Everything on loopback: NSD serves a signed zone, Unbound validates it, three
// `smtpdbg serve` instances are the MX hosts on 127.0.0.2-4, an HTTPS server in this process
// serves the policy. Per MX address both sides do: A, AAAA and TLSA lookups, banner, EHLO,
// STARTTLS with verification against the MX name and the TLSA records, and one handshake per
// TLS version 1.0-1.3; per domain: MX, _mta-sts and _smtp._tls TXT, and the policy over HTTPS.
// Prints a markdown table of medians (interleaved runs, process start included) and the ratio.
//   node bench/probe.mjs [--runs N] [--show]   (--show: print both outputs once first)
// Needs nsd, unbound, ldnsutils (ldns-signzone), bind9-dnsutils (dig), openssl and curl.
// Run `npx tsc -p tsconfig.json` first.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { argValue, compare, have, markdownTable, ratio, scriptArgs } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const args = scriptArgs(import.meta.url, { valued: ['--runs'], flags: ['--show'] });
const runs = Number(argValue(args, '--runs', '7'));

for (const tool of ['nsd', 'unbound', 'ldns-signzone', 'dig', 'openssl', 'curl']) {
  if (!have(tool)) {
    console.error(`${tool} is not installed: nothing to run the comparison with`);
    process.exit(2);
  }
}

// The test harness starts the DNS servers and the peers exactly as the e2e tests do.
const dns = await tsImport('../test/harness/dns-servers.ts', import.meta.url);
const peersModule = await tsImport('../test/harness/probe-peers.ts', import.meta.url);
const { certFile } = peersModule;

const mx = [['mx', '127.0.0.2', 'server'], ['wrong', '127.0.0.3', 'wrong-name'], ['self', '127.0.0.4', 'self-signed']];
const { createHash, X509Certificate } = await import('node:crypto');
const { readFileSync } = await import('node:fs');
const spki = createHash('sha256').update(new X509Certificate(readFileSync(certFile('server.pem'))).publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
const zone = `$ORIGIN localhost.
$TTL 3600
@ SOA ns.localhost. admin.localhost. 1 3600 600 86400 60
@ NS ns
ns A 127.0.0.1
${mx.map(([name, address]) => `${name} A ${address}`).join('\n')}
_25._tcp.mx TLSA 3 1 1 ${spki}
bench MX 10 mx
bench MX 20 wrong
bench MX 30 self
_mta-sts.bench TXT "v=STSv1; id=1;"
mta-sts.bench A 127.0.0.1
_smtp._tls.bench TXT "v=TLSRPTv1; rua=mailto:tlsrpt@bench.localhost"
`;

const signed = await dns.signZone({ name: 'localhost', text: zone });
const nsd = await dns.startNsd([signed]);
const unbound = await dns.startUnbound([signed], nsd.port);
const port = await peersModule.sharedFreePort(mx.map(([, address]) => address));
const peers = await Promise.all(mx.map(([name, address, cert]) => peersModule.startServePeer(address, port, cert, `${name}.localhost`)));
const policy = await peersModule.startPolicyServer('127.0.0.1', {
  'mta-sts.bench.localhost': { body: 'version: STSv1\r\nmode: enforce\r\nmx: mx.localhost\r\nmx: wrong.localhost\r\nmx: self.localhost\r\nmax_age: 86400\r\n' },
}, await peersModule.issueCertificate(['mta-sts.bench.localhost']));
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-probe-'));

// The same questions, one tool run each, as a shell loop over the MX hosts.
const script = join(dir, 'by-hand.sh');
writeFileSync(script, `#!/bin/bash
dns="@127.0.0.1 -p ${unbound.port}"
domain=bench.localhost
ca=${certFile('ca.pem')}
dig +noall +answer +adflag $dns MX $domain
for host in $(dig +short $dns MX $domain | sort -n | awk '{print $2}' | sed 's/\\.$//'); do
  tlsa=$(dig +short +adflag $dns TLSA _25._tcp.$host | tr -d '\\n')
  dig +short $dns AAAA $host
  for address in $(dig +short $dns A $host); do
    dane=()
    [ -n "$tlsa" ] && dane=(-dane_tlsa_domain "$host" -dane_tlsa_rrdata "$tlsa")
    openssl s_client -starttls smtp -connect $address:${port} -servername $host -verify_hostname $host -CAfile $ca "\${dane[@]}" -brief </dev/null 2>&1 | grep -E 'Protocol|Cipher|Verif|DANE'
    for version in tls1 tls1_1 tls1_2 tls1_3; do
      openssl s_client -starttls smtp -connect $address:${port} -servername $host -$version -cipher DEFAULT@SECLEVEL=0 </dev/null >/dev/null 2>&1 && echo "$version accepted"
    done
  done
done
dig +short $dns TXT _mta-sts.$domain
curl -sS --fail --cacert $ca --resolve mta-sts.$domain:${policy.port}:$(dig +short $dns A mta-sts.$domain) https://mta-sts.$domain:${policy.port}/.well-known/mta-sts.txt
dig +short $dns TXT _smtp._tls.$domain
`);

try {
  const probeArgs = [bin, 'probe', 'bench.localhost', '--dns-server', unbound.address, '--smtp-port', String(port), '--mta-sts-port', String(policy.port), '--ca', certFile('ca.pem')];
  if (args.includes('--show')) {
    // Asynchronously: the policy server runs in this process and must keep answering.
    const { execFile } = await import('node:child_process');
    for (const [command, commandArgs] of [[process.execPath, probeArgs], ['bash', [script]]]) {
      const shown = await new Promise((resolve) => execFile(command, commandArgs, (_error, stdout, stderr) => resolve(stdout + stderr)));
      console.log(`$ ${command} ${commandArgs.join(' ')}\n${shown}`);
    }
  }
  const results = await compare([
    { name: 'smtpdbg probe (text report)', command: process.execPath, args: probeArgs, options: { okCodes: [0, 1] } },
    { name: 'dig + openssl s_client + curl, shell loop', command: 'bash', args: [script] },
  ], { runs, warmup: 1 });
  const base = results[1].median;
  console.log(`## probe of a 3-MX domain (median of ${runs} interleaved runs, ms)\n`);
  console.log(markdownTable(['what', 'median ms', 'vs the shell loop'], results.map((r) => [r.name, r.median.toFixed(0), ratio(r.median, base)])));
} finally {
  rmSync(dir, { recursive: true, force: true });
  await Promise.all([...peers, policy].map((p) => p.stop()));
  await unbound.stop();
  await nsd.stop();
}
