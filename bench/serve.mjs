// The capture server under load: Postfix's smtp-source against `smtpdbg serve --mbox FILE`
// (every message written) and against Postfix's smtp-sink (nothing written), in one run.
//   node bench/serve.mjs [--runs N] [--messages N]
// Target: smtpdbg serve --mbox ≥ 0.5× smtp-sink's messages/s.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, compare, freePort, have, markdownTable, ratio, scriptArgs, waitForPort } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const args = scriptArgs(import.meta.url, { valued: ['--messages', '--runs'], flags: [] });
const option = (name, fallback) => Number(argValue(args, name, fallback)) || fallback;
const runs = option('--runs', 5);
const warmup = 1;
const messages = option('--messages', 2000);

for (const tool of ['smtp-source', 'smtp-sink']) {
  if (!have(tool)) {
    console.error(`${tool} is not installed (apt-get install postfix): nothing to compare against`);
    process.exit(2);
  }
}

/** Starts a server; its output is read and thrown away, as a terminal or a pipe would take it. */
async function startServer(command, commandArgs, port) {
  const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  await waitForPort(port, { child });
  return child;
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bench-serve-'));
const servers = [];
const cases = [];
try {
  const sinkPort = await freePort();
  // As root smtp-sink must drop privileges (-u); -c counts, 100 is the listen backlog.
  servers.push(await startServer('smtp-sink', ['-u', 'nobody', '-c', `127.0.0.1:${sinkPort}`, '100'], sinkPort));
  const mboxes = {};
  for (const [name, extra] of [['smtpdbg serve --mbox --quiet', ['--quiet']], ['smtpdbg serve --mbox (every line printed)', []]]) {
    const port = await freePort();
    mboxes[name] = join(dir, `${cases.length}.mbox`);
    servers.push(await startServer(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`, '--mbox', mboxes[name], '--max-connections', '1000', ...extra], port));
    cases.push({ name, command: 'smtp-source', args: ['-s', '10', '-m', String(messages), '-l', '2000', `127.0.0.1:${port}`] });
  }
  cases.push({ name: 'smtp-sink (writes nothing)', command: 'smtp-source', args: ['-s', '10', '-m', String(messages), '-l', '2000', `127.0.0.1:${sinkPort}`] });

  const results = await compare(cases, { runs, warmup });
  // Every message must have been stored: count the From_ lines each server wrote.
  for (const [name, file] of Object.entries(mboxes)) {
    const stored = (readFileSync(file, 'latin1').match(/^From /gm) ?? []).length;
    if (stored !== messages * (runs + warmup)) throw new Error(`${name} stored ${stored} messages, expected ${messages * (runs + warmup)}`);
  }
  const sink = results.find((r) => r.name.startsWith('smtp-sink'));
  const rate = (r) => messages / (r.median / 1000);
  console.log(`## smtpdbg serve under smtp-source -s 10 -m ${messages} -l 2000 (median of ${runs} interleaved runs)\n`);
  console.log(markdownTable(
    ['server', 'median ms', 'messages/s', 'vs smtp-sink', 'target'],
    results.map((r) => [r.name, r.median.toFixed(0), rate(r).toFixed(0), r === sink ? '' : ratio(rate(r), rate(sink)), r.name.includes('--quiet') ? '≥ 0.50×' : '']),
  ));
} finally {
  for (const server of servers) server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
