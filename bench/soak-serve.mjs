// Long variants of serve's hostile-client tests: the built `smtpdbg serve` against a client
// that never reads its replies, one large message, silent clients and slow-loris clients.
// Prints serve's peak RSS (VmHWM, read from /proc while it runs) and the time each took.
//   node bench/soak-serve.mjs [--case all|noread|message|silent|loris] [--mib N]
//        [--message-mb N] [--connections N] [--seconds N] [--extra "SERVE OPTIONS"]
// noread:  pipelines --mib MiB of NOOP (default 64) without reading a reply, while a second
//          client sends a message; prints what was sent, peak RSS, and the second client's replies.
// message: one --message-mb MB message (default 100) into --mbox, --quiet and every line printed.
// silent:  --connections clients (default 5) at --max-connections of the same number stay silent
//          after their idle 421, and 50 refused clients never close; can a new client get in,
//          and how many descriptors does serve hold?
// loris:   --connections clients (default 100) drip one byte every 2 s for --seconds (default 20)
//          at --idle-timeout 3000; can a new client get in, and how many were closed? serve's
//          default --line-timeout is 60 s: use --seconds 65, or --extra "--line-timeout 5000".
// --extra adds options to every serve command line (e.g. "--line-timeout 5000").
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, scriptArgs } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const args = scriptArgs(import.meta.url, { valued: ['--case', '--mib', '--message-mb', '--connections', '--seconds', '--extra'], flags: [] });
const number = (name, fallback) => Number(argValue(args, name, fallback)) || fallback;
const which = argValue(args, '--case', 'all');
const extra = argValue(args, '--extra', '').split(' ').filter(Boolean);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Peak RSS of a process so far, in bytes (the kernel's high-water mark). */
function peakRss(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb) * 1024;
  } catch {
    return 0;
  }
}

function openDescriptors(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The built serve on a free port; its output is read and counted, as a terminal would take it. */
async function startServe(serveArgs) {
  const child = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0', ...serveArgs, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let head = '';
  let printed = 0;
  let peak = 0;
  child.stdout.on('data', (chunk) => {
    printed += chunk.length;
    if (head.length < 4096) head += chunk.toString('latin1');
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const poll = setInterval(() => (peak = Math.max(peak, peakRss(child.pid))), 100);
  const deadline = Date.now() + 10_000;
  let port = 0;
  while (!port) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`);
    port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(head)?.[1] ?? 0);
    await sleep(20);
  }
  return {
    port,
    pid: child.pid,
    peak: () => Math.max(peak, peakRss(child.pid)),
    printed: () => printed,
    async stop() {
      clearInterval(poll);
      peak = Math.max(peak, peakRss(child.pid));
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * A raw client that collects what it receives. `halfOpen` keeps its side open after the
 * server's FIN, as a client that never closes does (node would otherwise close at once).
 */
function client(port, halfOpen = false) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: halfOpen });
    let received = '';
    let closed = false;
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    // The server's FIN: it will send nothing more, whether or not this side stays open.
    socket.on('end', () => (closed = true));
    socket.on('error', () => (closed = true));
    socket.once('connect', () => resolve({
      socket,
      received: () => received,
      closed: () => closed,
      async reply(timeoutMs = 10_000) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(received);
          if (m) {
            received = received.slice(m[0].length);
            return m[0].trimEnd();
          }
          if (closed) return '(closed)';
          if (Date.now() > end) return '(no reply)';
          await sleep(10);
        }
      },
    }));
    socket.once('error', reject);
  });
}

async function transaction(port) {
  const started = Date.now();
  const c = await client(port);
  const replies = [await c.reply()];
  c.socket.write('EHLO other\r\nMAIL FROM:<other@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n');
  for (let i = 0; i < 4; i++) replies.push(await c.reply());
  c.socket.write('Subject: other\r\n\r\nbody\r\n.\r\nQUIT\r\n');
  replies.push(await c.reply(), await c.reply());
  c.socket.destroy();
  return { ms: Date.now() - started, codes: replies.map((r) => r.slice(0, 3)).join(' ') };
}

async function noread() {
  const total = number('--mib', 64) * 2 ** 20;
  const seconds = number('--seconds', 30);
  const serve = await startServe(['--max-size', '1000000']);
  const flood = await client(serve.port);
  await flood.reply();
  flood.socket.pause();
  const chunk = Buffer.from('NOOP\r\n'.repeat(10923));
  const started = Date.now();
  let sent = 0;
  let stalled = false;
  const other = sleep(1000).then(() => transaction(serve.port));
  while (sent < total && Date.now() - started < seconds * 1000) {
    const drained = flood.socket.write(chunk);
    sent += chunk.length;
    if (!drained) {
      const ok = await Promise.race([new Promise((resolve) => flood.socket.once('drain', () => resolve(true))), sleep(3000).then(() => false)]);
      if (!ok) {
        stalled = true;
        break;
      }
    }
  }
  const ms = Date.now() - started;
  const second = await other;
  await sleep(500);
  const peak = serve.peak();
  flood.socket.destroy();
  await serve.stop();
  console.log(`noread: ${mib(sent)} of NOOP pipelined in ${ms} ms${stalled ? ' (serve stopped reading: backpressure)' : ''}; serve peak RSS ${mib(peak)}; printed ${mib(serve.printed())}; other client ${second.codes} in ${second.ms} ms`);
}

async function message() {
  const megabytes = number('--message-mb', 100);
  const size = megabytes * 1e6;
  for (const mode of [['--quiet'], []]) {
    const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-soak-'));
    const mbox = join(dir, 'soak.mbox');
    try {
      const serve = await startServe(['--mbox', mbox, '--max-size', String(size + 2 ** 20), ...mode]);
      const c = await client(serve.port);
      await c.reply();
      c.socket.write('EHLO big\r\nMAIL FROM:<big@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n');
      for (let i = 0; i < 4; i++) await c.reply();
      // 78-octet lines, some that need dot-stuffing and mboxrd quoting.
      const lines = ['From the start of a line, quoted in the mbox' + 'x'.repeat(32), '..a stuffed leading dot' + 'y'.repeat(53), 'z'.repeat(76)];
      const block = Buffer.from(Array.from({ length: 8192 }, (_, i) => `${lines[i % 3]}\r\n`).join(''));
      const started = Date.now();
      let sent = 0;
      while (sent < size) {
        if (!c.socket.write(block)) await new Promise((resolve) => c.socket.once('drain', resolve));
        sent += block.length;
      }
      c.socket.write('.\r\n');
      const answer = await c.reply(600_000);
      const ms = Date.now() - started;
      c.socket.destroy();
      await serve.stop();
      console.log(`message ${mode.length ? '--quiet' : '(every line printed)'}: ${mib(sent)} in ${ms} ms, reply "${answer}", serve peak RSS ${mib(serve.peak())}, mbox ${mib(statSync(mbox).size)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function silent() {
  const n = number('--connections', 5);
  const serve = await startServe(['--max-connections', String(n), '--idle-timeout', '1000', '--quiet']);
  const baseline = openDescriptors(serve.pid);
  const started = Date.now();
  const silentClients = await Promise.all(Array.from({ length: n }, () => client(serve.port, true)));
  const refused = await Promise.all(Array.from({ length: 50 }, () => client(serve.port, true)));
  const idle = await Promise.all(silentClients.map(async (c) => (await c.reply(), await c.reply(5000))));
  const held = openDescriptors(serve.pid);
  await sleep(3000);
  const after = openDescriptors(serve.pid);
  const next = await client(serve.port);
  const banner = await next.reply();
  const ms = Date.now() - started;
  for (const c of [...silentClients, ...refused, next]) c.socket.destroy();
  await serve.stop();
  console.log(`silent: ${n} silent clients got "${idle[0]}"; 50 refused clients never closed; serve fds ${baseline} at start, ${held} at the 421s, ${after} 3 s later; a new client got "${banner}" after ${ms} ms`);
}

async function loris() {
  const n = number('--connections', 100);
  const seconds = number('--seconds', 20);
  const serve = await startServe(['--max-connections', String(n), '--idle-timeout', '3000', '--quiet']);
  const clients = await Promise.all(Array.from({ length: n }, () => client(serve.port, true)));
  await Promise.all(clients.map((c) => c.reply()));
  const started = Date.now();
  let dripping = true;
  const drip = (async () => {
    while (dripping) {
      for (const c of clients) if (!c.closed()) c.socket.write('E');
      await sleep(2000);
    }
  })();
  await sleep(seconds * 1000);
  const next = await client(serve.port);
  const banner = await next.reply();
  dripping = false;
  await drip;
  const closed = clients.filter((c) => c.closed()).length;
  const peak = serve.peak();
  for (const c of [...clients, next]) c.socket.destroy();
  await serve.stop();
  console.log(`loris: ${n} clients dripping a byte every 2 s for ${Date.now() - started} ms: ${closed} closed by serve; a new client got "${banner}"; serve peak RSS ${mib(peak)}`);
}

const cases = { noread, message, silent, loris };
for (const [name, run] of Object.entries(cases)) {
  if (which === 'all' || which === name) await run();
}
