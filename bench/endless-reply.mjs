// Soak for the per-reply limits: a server answers EHLO with `250-` lines without end (up to
// --mib MiB, as fast as the client reads) to session, inject and the proxy's upstream leg;
// prints each one's exit, peak RSS (VmHWM, polled from outside), time, and how much of the
// flood it read before giving up.
//   node bench/endless-reply.mjs [--mib 256]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, markdownTable, scriptArgs } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/smtpdbg.js');
const args = scriptArgs(import.meta.url, { valued: ['--mib'], flags: [] });
const budget = Number(argValue(args, '--mib', '256')) * 1024 * 1024;
const block = Buffer.from(`250-${'x'.repeat(1000)}\r\n`.repeat(64));

/** A server whose EHLO reply never ends; resolves with it and a counter of octets written. */
async function floodServer() {
  const state = { sent: 0 };
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('220 endless.bench ESMTP\r\n');
    socket.once('data', () => {
      const pump = () => {
        while (state.sent < budget && !socket.destroyed) {
          state.sent += block.length;
          if (!socket.write(block)) return void socket.once('drain', pump);
        }
        socket.end('250 end\r\n');
      };
      pump();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, state, port: server.address().port };
}

/** Spawns the CLI and follows its peak RSS until `done` resolves. */
function measure(cliArgs) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let peak = 0;
  const poll = setInterval(() => {
    try {
      peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      // Gone: the last reading stands.
    }
  }, 10);
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    finish: async () => {
      const code = await exited;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      clearInterval(poll);
      return { code, peakMb: (peak / 1024).toFixed(0), seconds };
    },
  };
}

const rows = [];
for (const command of ['session', 'inject']) {
  const { server, state, port } = await floodServer();
  const run = measure([command, `127.0.0.1:${port}`, '--plain', '--timeout', '600000']);
  const result = await run.finish();
  rows.push([command, String(result.code), `${result.peakMb} MB`, `${result.seconds} s`, `${(state.sent / 1048576).toFixed(1)} MiB`]);
  server.close();
}

{
  const { server, state, port } = await floodServer();
  const run = measure(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${port}`, '--upstream-tls', 'none', '--timeout', '600000']);
  const began = performance.now();
  const proxyPort = await new Promise((resolve) => {
    const check = setInterval(() => {
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(run.output());
      if (match) {
        clearInterval(check);
        resolve(Number(match[1]));
      }
    }, 20);
  });
  const app = connect(proxyPort, '127.0.0.1');
  let received = '';
  app.on('error', () => undefined);
  app.on('data', (chunk) => {
    received += chunk;
    if (received.includes('\n') && !app.ehlo) {
      app.ehlo = true;
      app.write('EHLO bench\r\n');
    }
  });
  await new Promise((resolve) => app.on('close', resolve));
  const seconds = ((performance.now() - began) / 1000).toFixed(2);
  run.child.kill('SIGTERM');
  const result = { ...(await run.finish()), seconds };
  const answer = received.split('\r\n')[1] ?? '';
  rows.push([`proxy (the application got: ${answer.slice(0, 9) || 'nothing'})`, String(result.code), `${result.peakMb} MB`, `${result.seconds} s`, `${(state.sent / 1048576).toFixed(1)} MiB`]);
  server.close();
}

console.log(`An EHLO reply of \`250-\` lines without end, up to ${budget / 1048576} MiB offered:\n`);
console.log(markdownTable(['client', 'exit', 'peak RSS', 'time', 'read before giving up'], rows));
