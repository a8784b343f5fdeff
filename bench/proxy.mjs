#!/usr/bin/env node
// Benchmark for `smtpdbg proxy` (issues 5 and 18): swaks straight to a loopback server
// (nodemailer's smtp-server with fixtures/certs/server.pem) against swaks through the proxy
// (its own TLS with the client, TLS upstream with verification, a JSONL transcript and the
// text lines on a pipe), rounds interleaved, medians of wall time per swaks run. Two setups:
// STARTTLS on both legs (swaks --tls, proxy --listen), and implicit TLS on both legs (swaks
// --tls-on-connect to an SMTPS server, proxy --listen-tls --upstream-tls implicit).
// Target: through the proxy ≤ 1.3× direct.
//   npx tsc -p tsconfig.json && node bench/proxy.mjs [--runs N]
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
  console.error('bench/proxy.mjs needs swaks (apt-get install swaks)');
  process.exit(2);
}

/** A loopback smtp-server that takes every message; `secure`: SMTPS (TLS from the first byte). */
async function startServer(secure) {
  const server = new SMTPServer({
    name: 'bench.localhost',
    secure,
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
  return server;
}

/** The built proxy in front of `serverPort`, with a transcript in `dir`; resolves with it and the port applications use. */
async function startProxy(serverPort, dir, extra) {
  const proxy = spawn(process.execPath, [bin, 'proxy', ...extra, '--upstream', `127.0.0.1:${serverPort}`, '--ca', join(certs, 'ca.pem'), '--transcript', join(dir, 'bench.jsonl')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let proxyOut = '';
  proxy.stdout.on('data', (chunk) => {
    // Kept only until the port is known; later lines are read and dropped, as a pager would.
    if (proxyOut.length < 4096) proxyOut += chunk;
  });
  const port = await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`the proxy did not start: ${proxyOut}`)), 10_000);
    const poll = setInterval(() => {
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(proxyOut);
      if (!match) return;
      clearTimeout(deadline);
      clearInterval(poll);
      resolve(Number(match[1]));
    }, 20);
  });
  return { proxy, port };
}

const setups = [
  { name: 'STARTTLS on both legs', secure: false, swaksTls: '--tls', proxyArgs: ['--listen', '127.0.0.1:0'] },
  { name: 'implicit TLS on both legs', secure: true, swaksTls: '--tls-on-connect', proxyArgs: ['--listen-tls', '127.0.0.1:0', '--upstream-tls', 'implicit'] },
];
const rows = [];
let worst = 0;
for (const setup of setups) {
  const server = await startServer(setup.secure);
  const serverPort = server.server.address().port;
  const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-proxy-'));
  const { proxy, port: proxyPort } = await startProxy(serverPort, dir, setup.proxyArgs);
  const swaks = (port, extra) => ['--server', `127.0.0.1:${port}`, setup.swaksTls, '--from', 'bench@example.test', '--to', 'sink@example.test', ...extra];
  const shapes = [
    { label: `swaks ${setup.swaksTls} --quit-after EHLO`, extra: ['--quit-after', 'EHLO'] },
    { label: `swaks ${setup.swaksTls}, one small message`, extra: ['--body', 'benchmark'] },
  ];
  try {
    for (const shape of shapes) {
      const [direct, proxied] = await compare([
        { name: 'direct', command: 'swaks', args: swaks(serverPort, shape.extra) },
        { name: 'proxy', command: 'swaks', args: swaks(proxyPort, shape.extra) },
      ], { runs });
      worst = Math.max(worst, proxied.median / direct.median);
      rows.push([setup.name, shape.label, direct.median.toFixed(1), proxied.median.toFixed(1), ratio(proxied.median, direct.median), '≤ 1.30×']);
    }
  } finally {
    proxy.kill('SIGTERM');
    await new Promise((resolve) => proxy.once('close', resolve));
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`## smtpdbg proxy overhead (median wall time of ${runs} interleaved swaks runs, loopback, TLS on both legs)\n`);
console.log(markdownTable(['setup', 'client run', 'direct ms', 'through proxy ms', 'ratio', 'target'], rows));
console.log(`\nworst ratio ${worst.toFixed(2)}× (target ≤ 1.3×): ${worst <= 1.3 ? 'met' : 'NOT met'}`);
