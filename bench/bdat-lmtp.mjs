#!/usr/bin/env node
// Benchmark: `smtpdbg inject --count` with BDAT (RFC 3030) against DATA, and
// LMTP (RFC 2033) into Dovecot over TCP and a Unix socket. Postfix's smtp-sink offers no
// CHUNKING, so the BDAT rows go to real Postfix (the test harness configures and starts
// it, as root; it delivers to its local mbox); the LMTP rows go to Dovecot's LMTP server
// (the Dovecot harness, delivering to a Maildir). Rounds interleaved, medians of --runs,
// ratios against the DATA row of the same server. Every message is 2000 bytes.
// Usage: node --import tsx bench/bdat-lmtp.mjs [--messages N] [--runs N]   (npm run build first)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, compare, loadMailServerHarness, markdownTable, ratio, scriptArgs } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = scriptArgs(import.meta.url, { valued: ['--messages', '--runs'], flags: [] });
const messages = Number(argValue(args, '--messages', '300'));
const runs = Number(argValue(args, '--runs', '5'));
const size = 2000;

const harness = await loadMailServerHarness('bdat-lmtp.mjs');
for (const [name, reason] of [['Postfix', await harness.postfix.postfixUnavailableReason()], ['Dovecot', await harness.dovecot.dovecotUnavailableReason(true)]]) {
  if (reason) {
    console.error(`${name}: ${reason}`);
    process.exit(2);
  }
}

/** A message of exactly `size` bytes with CRLF lines. */
function message() {
  const header = 'From: <bench@localhost>\r\nTo: <sink@localhost>\r\nSubject: smtpdbg bdat/lmtp benchmark\r\n\r\n';
  const line = `${'x'.repeat(76)}\r\n`;
  let body = '';
  while (header.length + body.length + line.length <= size) body += line;
  return header + body + 'y'.repeat(Math.max(0, size - header.length - body.length - 2)) + '\r\n';
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-bdat-'));
const file = join(dir, 'message.eml');
writeFileSync(file, message());
const bin = join(root, 'bin/smtpdbg.js');
const inject = (target, more) => ({ command: process.execPath, args: [bin, 'inject', target, '--plain', '--data', file, '--count', String(messages), ...more] });

const postfix = await harness.postfix.startPostfix();
const dovecot = await harness.dovecot.startDovecot({ lmtp: true });
try {
  const smtp = `${postfix.host}:${postfix.ports.default}`;
  const lmtpTcp = `127.0.0.1:${dovecot.lmtp.port}`;
  const lmtpUnix = `unix:${dovecot.lmtp.path}`;
  const to = ['--to', postfix.recipient];
  const lmtpTo = ['--lmtp', '--to', `${dovecot.user}@example.test`];
  const results = await compare(
    [
      { name: 'Postfix, DATA', ...inject(smtp, to) },
      { name: 'Postfix, --bdat (one chunk)', ...inject(smtp, [...to, '--bdat']) },
      { name: 'Postfix, --bdat --chunk-size 500', ...inject(smtp, [...to, '--bdat', '--chunk-size', '500']) },
      { name: 'Dovecot LMTP over TCP, DATA', ...inject(lmtpTcp, lmtpTo) },
      { name: 'Dovecot LMTP over TCP, --bdat', ...inject(lmtpTcp, [...lmtpTo, '--bdat']) },
      { name: 'Dovecot LMTP over a Unix socket, DATA', ...inject(lmtpUnix, lmtpTo) },
    ],
    { runs, warmup: 1 },
  );
  const rate = (r) => messages / (r.median / 1000);
  const baseOf = (r) => (r.name.startsWith('Postfix') ? results[0] : results[3]);
  console.log(`\n${messages} messages of ${size} bytes over one connection, median of ${runs} runs (process start included)\n`);
  console.log(
    markdownTable(
      ['sender', 'median wall time', 'messages/s', 'vs DATA to the same server'],
      results.map((r) => [r.name, `${r.median.toFixed(0)} ms`, rate(r).toFixed(0), ratio(rate(r), rate(baseOf(r)))]),
    ),
  );
} finally {
  await dovecot.stop();
  await postfix.stop();
  rmSync(dir, { recursive: true, force: true });
}
