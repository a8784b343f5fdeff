// Soak runs for the bounded outputs and the proxy's backpressure, at sizes too large for the
// test suite: wall time and peak RSS (VmHWM from /proc, polled) of the built CLI.
//   node bench/output-soak.mjs [--line-mib 256] [--event-mib 500] [--push-mib 400]
//   --line-mib   a line without a line end: `transcript` on it (4 KiB events), and serve receiving it
//   --event-mib  `transcript` on a file holding one event of this size
//   --push-mib   what a client pushes into DATA while the proxy's server reads nothing (and
//                what a server floods to a proxy client that reads nothing)
// Build first (npm run build). Files go to the system's temporary directory and are removed.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, markdownTable, scriptArgs } from './lib.mjs';

const args = scriptArgs(import.meta.url, { valued: ['--line-mib', '--event-mib', '--push-mib'] });
const MIB = 1024 * 1024;
const lineMib = Number(argValue(args, '--line-mib', '256'));
const eventMib = Number(argValue(args, '--event-mib', '500'));
const pushMib = Number(argValue(args, '--push-mib', '400'));
const BIN = fileURLToPath(new URL('../bin/smtpdbg.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'smtpdbg-soak-'));
const rows = [];

function peakWatcher(pid) {
  let peak = 0;
  const read = () => {
    try {
      const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kib) peak = Math.max(peak, Number(kib));
    } catch {
      // ended
    }
  };
  const timer = setInterval(read, 20);
  return { stop: () => (read(), clearInterval(timer), peak / 1024) };
}

function startCli(cliArgs, stdout = 'ignore') {
  const child = spawn(process.execPath, [BIN, ...cliArgs], { stdio: ['ignore', stdout, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, rss: peakWatcher(child.pid), exited };
}

async function listening(child) {
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.length > 1 << 16) out = out.slice(-4096);
  });
  for (;;) {
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    if (port) return Number(port);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const header = `${JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: new Date().toISOString(), command: 'session', target: '127.0.0.1:25' })}\n`;

async function transcriptRun(name, file) {
  const started = Date.now();
  const run = startCli(['transcript', file]);
  const result = await run.exited;
  rows.push([name, `${((Date.now() - started) / 1000).toFixed(1)} s`, run.rss.stop().toFixed(0), `exit ${result.code ?? result.signal}`]);
}

// `transcript` on a line without a line end, recorded in 4 KiB events.
{
  const file = path.join(dir, 'line.jsonl');
  const fd = openSync(file, 'w');
  writeSync(fd, header);
  const event = `{"t":1,"type":"send","tls":false,"data":"${'a'.repeat(4096)}"}\n`.repeat(256);
  for (let sent = 0; sent < lineMib * MIB; sent += 4096 * 256) writeSync(fd, event);
  closeSync(fd);
  await transcriptRun(`transcript: a ${lineMib} MiB line in 4 KiB events`, file);
  rmSync(file);
}

// `transcript` on one event of `eventMib`.
{
  const file = path.join(dir, 'event.jsonl');
  const fd = openSync(file, 'w');
  writeSync(fd, `${header}{"t":1,"type":"send","tls":false,"data":"`);
  const block = 'b'.repeat(MIB);
  for (let i = 0; i < eventMib; i++) writeSync(fd, block);
  writeSync(fd, '"}\n');
  closeSync(fd);
  await transcriptRun(`transcript: one event of ${eventMib} MiB`, file);
  rmSync(file);
}

/** Opens a transaction on `port` and returns the socket after the 354. */
async function openData(port) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  const reply = async (code) => {
    while (!new RegExp(`^${code} `, 'm').test(received)) await new Promise((resolve) => setTimeout(resolve, 10));
    received = '';
  };
  await reply('220');
  for (const [command, code] of [['EHLO soak.test', '250'], ['MAIL FROM:<a@soak.test>', '250'], ['RCPT TO:<b@soak.test>', '250'], ['DATA', '354']]) {
    socket.write(`${command}\r\n`);
    await reply(code);
  }
  return socket;
}

/** Writes `mib` MiB of `chunk`s, stopping when the peer takes nothing for 3 s; returns MiB written. */
async function push(socket, mib, chunk) {
  let sent = 0;
  while (sent < mib * MIB) {
    sent += chunk.length;
    if (!socket.write(chunk)) {
      const drained = await Promise.race([new Promise((resolve) => socket.once('drain', () => resolve(true))), new Promise((resolve) => setTimeout(() => resolve(false), 3000))]);
      if (!drained) break;
    }
  }
  return sent / MIB;
}

// serve receiving a line without a line end (default output), then SIGTERM.
{
  const serve = startCli(['serve', '--listen', '127.0.0.1:0', '--max-size', String((lineMib + 1) * MIB)], 'pipe');
  const socket = await openData(await listening(serve.child));
  const started = Date.now();
  await push(socket, lineMib, Buffer.alloc(64 * 1024, 'x'));
  const sentAt = Date.now();
  serve.child.kill('SIGTERM');
  const result = await serve.exited;
  socket.destroy();
  rows.push([`serve: a ${lineMib} MiB line in DATA, then SIGTERM`, `${((sentAt - started) / 1000).toFixed(1)} s sent, exit ${Date.now() - sentAt} ms after SIGTERM`, serve.rss.stop().toFixed(0), `exit ${result.code ?? result.signal}`]);
}

// proxy: a server that stops reading after 354, a client pushing `pushMib`.
{
  const upstream = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 stall ESMTP\r\n');
    socket.on('data', function commands(chunk) {
      for (const line of chunk.toString('latin1').split(/(?<=\n)/)) {
        if (/^DATA/i.test(line)) {
          socket.off('data', commands);
          socket.pause();
          socket.write('354 go\r\n');
          return;
        }
        if (line.endsWith('\n')) socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const proxy = startCli(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.address().port}`, '--upstream-tls', 'none', '--timeout', '600000'], 'pipe');
  const socket = await openData(await listening(proxy.child));
  const taken = await push(socket, pushMib, Buffer.alloc(MIB, `${'x'.repeat(998)}\r\n`));
  proxy.child.kill('SIGTERM');
  const result = await proxy.exited;
  socket.destroy();
  upstream.close();
  rows.push([`proxy: client pushes ${pushMib} MiB of DATA, server reads nothing`, `${taken.toFixed(0)} MiB taken`, proxy.rss.stop().toFixed(0), `exit ${result.code ?? result.signal}`]);
}

// proxy: a server floods replies, the client reads nothing.
{
  let wrote = 0;
  const batch = Buffer.concat(Array.from({ length: 64 }, () => Buffer.from(`250 ${'y'.repeat(1018)}\r\n`)));
  const upstream = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 flood ESMTP\r\n');
    socket.once('data', async () => {
      wrote = (await push(socket, pushMib, batch)) * MIB;
    });
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const proxy = startCli(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.address().port}`, '--upstream-tls', 'none'], 'pipe');
  const socket = connect(await listening(proxy.child), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('data', resolve));
  socket.pause();
  socket.write('EHLO soak.test\r\n');
  const deadline = Date.now() + 120_000;
  while (wrote === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  proxy.child.kill('SIGTERM');
  const result = await proxy.exited;
  socket.destroy();
  upstream.close();
  rows.push([`proxy: server floods ${pushMib} MiB of replies, client reads nothing`, `${(wrote / MIB).toFixed(0)} MiB taken`, proxy.rss.stop().toFixed(0), `exit ${result.code ?? result.signal}`]);
}

rmSync(dir, { recursive: true, force: true });
console.log(markdownTable(['run', 'time / amount', 'peak RSS MB', 'end'], rows));
