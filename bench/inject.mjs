#!/usr/bin/env node
// Benchmark for `smtpdbg inject --count`: Postfix's smtp-sink on loopback takes
// 2000 messages of 2000 bytes over 10 connections, first from `smtpdbg inject --count 2000
// --concurrency 10`, then from Postfix's own `smtp-source -s 10 -m 2000 -l 2000` (and with
// -d, which keeps connections as inject does), rounds
// interleaved; prints a markdown table of medians (messages/s, wall time, process start
// included for both) and the ratio. Target: at least 0.5× smtp-source.
// Run `npx tsc -p tsconfig.json` first. As root smtp-sink needs `-u` (here: nobody).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, compare, freePort, have, markdownTable, ratio, scriptArgs, waitForPort } from './lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = scriptArgs(import.meta.url, { valued: ['--messages', '--sessions', '--size', '--runs'], flags: [] });
const messages = Number(argValue(args, '--messages', '2000'));
const sessions = Number(argValue(args, '--sessions', '10'));
const size = Number(argValue(args, '--size', '2000'));
const runs = Number(argValue(args, '--runs', '5'));

if (!have('smtp-source')) {
  console.error('smtp-source is not installed (apt-get install postfix): nothing to compare against');
  process.exit(2);
}

/** A message of exactly `size` bytes with CRLF lines, as smtp-source's -l makes one. */
function message() {
  const header = 'From: <bench@localhost>\r\nTo: <sink@localhost>\r\nSubject: smtpdbg inject benchmark\r\n\r\n';
  const line = `${'x'.repeat(76)}\r\n`;
  let body = '';
  while (header.length + body.length + line.length <= size) body += line;
  return header + body + 'y'.repeat(Math.max(0, size - header.length - body.length - 2)) + '\r\n';
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-inject-'));
const file = join(dir, 'message.eml');
writeFileSync(file, message());
const port = await freePort();
const sink = spawn('smtp-sink', ['-u', 'nobody', '-c', `127.0.0.1:${port}`, '100'], { stdio: ['ignore', 'ignore', 'inherit'] });
sink.on('error', (error) => {
  console.error(`smtp-sink: ${error.message} (apt-get install postfix)`);
  process.exit(2);
});
try {
  // smtp-sink sends its banner as it accepts, so a connection accepted is a banner ready.
  await waitForPort(port, { child: sink, timeoutMs: 5000 });
  const target = `127.0.0.1:${port}`;
  const results = await compare(
    [
      {
        name: 'smtpdbg inject',
        command: process.execPath,
        args: [join(root, 'bin/smtpdbg.js'), 'inject', target, '--plain', '--data', file, '--count', String(messages), '--concurrency', String(sessions)],
      },
      { name: 'smtp-source', command: 'smtp-source', args: ['-s', String(sessions), '-m', String(messages), '-l', String(size), target] },
      // smtp-source disconnects after each message unless -d; inject keeps its connections
      // (RSET between transactions), so this row is the like-for-like one.
      { name: 'smtp-source -d', command: 'smtp-source', args: ['-d', '-s', String(sessions), '-m', String(messages), '-l', String(size), target] },
    ],
    { runs, warmup: 1 },
  );
  const [inject, source, sourceKeep] = results;
  const rate = (r) => messages / (r.median / 1000);
  console.log(`\n${messages} messages of ${size} bytes over ${sessions} connections into smtp-sink, median of ${runs} runs\n`);
  console.log(
    markdownTable(
      ['sender', 'median wall time', 'messages/s', 'vs smtp-source'],
      results.map((r) => [r.name, `${r.median.toFixed(0)} ms`, rate(r).toFixed(0), ratio(rate(r), rate(source))]),
    ),
  );
  const achieved = rate(inject) / rate(source);
  console.log(`\ninject reaches ${achieved.toFixed(2)}× smtp-source's messages/s (target ≥ 0.5×): ${achieved >= 0.5 ? 'met' : 'NOT met'}`);
  console.log(`with connections kept on both sides (smtp-source -d): ${(rate(inject) / rate(sourceKeep)).toFixed(2)}×`);
} finally {
  sink.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
