#!/usr/bin/env node
// Benchmark for `smtpdbg proxy --listen-tls` (issue 18): swaks --tls-on-connect straight to a
// loopback SMTPS server (nodemailer's smtp-server, secure, with fixtures/certs/server.pem)
// against swaks --tls-on-connect through the proxy (implicit TLS with the client, implicit TLS
// upstream with verification, a JSONL transcript and the text lines on a pipe), rounds
// interleaved, medians of wall time per swaks run. Target: through the proxy ≤ 1.3× direct.
//   npx tsc -p tsconfig.json && node bench/proxy-tls.mjs [--runs N]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { argValue, compare, have, markdownTable, ratio, scriptArgs } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const certs = join(root, 'fixtures/certs');
const args = scriptArgs(import.meta.url, { valued: ['--runs'], flags: [] });
const runs = Number(argValue(args, '--runs', '15')) || 15;

if (!have('swaks')) {
  console.error('bench/proxy-tls.mjs needs swaks (apt-get install swaks)');
  process.exit(2);
}

const server = new SMTPServer({
  name: 'bench.localhost',
  // SMTPS: TLS from the first byte (RFC 8314 §3.3).
  secure: true,
  logger: false,
  key: readFileSync(join(certs, 'server-key.pem')),
  cert: readFileSync(join(certs, 'server.pem')),
  authOptional: true,
  disableReverseLookup: true,
  closeTimeout: 100,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => callback(null, 'kept'));
  },
});
server.on('error', () => undefined);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const serverPort = server.server.address().port;

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-proxy-tls-'));
const proxy = spawn(process.execPath, [bin, 'proxy', '--listen-tls', '127.0.0.1:0', '--upstream', `127.0.0.1:${serverPort}`, '--upstream-tls', 'implicit', '--ca', join(certs, 'ca.pem'), '--transcript', join(dir, 'bench.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
let proxyOut = '';
proxy.stdout.on('data', (chunk) => {
  // Kept only until the port is known; later lines are read and dropped, as a pager would.
  if (proxyOut.length < 4096) proxyOut += chunk;
});
const proxyPort = await new Promise((resolve, reject) => {
  const deadline = setTimeout(() => reject(new Error(`the proxy did not start: ${proxyOut}`)), 10_000);
  const poll = setInterval(() => {
    const match = /listening on 127\.0\.0\.1:(\d+) \(implicit TLS\)/.exec(proxyOut);
    if (!match) return;
    clearTimeout(deadline);
    clearInterval(poll);
    resolve(Number(match[1]));
  }, 20);
});

const swaks = (port, extra) => ['--server', `127.0.0.1:${port}`, '--tls-on-connect', '--from', 'bench@example.test', '--to', 'sink@example.test', ...extra];
const shapes = [
  { label: 'swaks --tls-on-connect --quit-after EHLO', extra: ['--quit-after', 'EHLO'] },
  { label: 'swaks --tls-on-connect, one small message', extra: ['--body', 'benchmark'] },
];
const rows = [];
let worst = 0;
try {
  for (const shape of shapes) {
    const [direct, proxied] = await compare([
      { name: 'direct', command: 'swaks', args: swaks(serverPort, shape.extra) },
      { name: 'proxy', command: 'swaks', args: swaks(proxyPort, shape.extra) },
    ], { runs });
    const r = proxied.median / direct.median;
    worst = Math.max(worst, r);
    rows.push([shape.label, direct.median.toFixed(1), proxied.median.toFixed(1), ratio(proxied.median, direct.median), '≤ 1.30×']);
  }
} finally {
  proxy.kill('SIGTERM');
  await new Promise((resolve) => proxy.once('close', resolve));
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
}

console.log(`## smtpdbg proxy --listen-tls overhead (median wall time of ${runs} interleaved swaks runs, loopback, implicit TLS on both legs)\n`);
console.log(markdownTable(['client run', 'direct ms', 'through proxy ms', 'ratio', 'target'], rows));
console.log(`\nworst ratio ${worst.toFixed(2)}× (target ≤ 1.3×): ${worst <= 1.3 ? 'met' : 'NOT met'}`);
