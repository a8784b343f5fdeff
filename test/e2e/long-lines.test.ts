/**
 * A peer that sends a line without a line end: serve's and the proxy's default output render
 * it in time proportional to its size and memory bounded by what one displayed line holds,
 * and SIGTERM during it ends the run promptly. Before, each chunk re-copied the whole held
 * line: 24 MiB took serve 9 s and 1 GB, and a longer line kept it deaf to signals for minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { watchPeakRss, type PeakRss } from '../harness/peak-rss.js';
import { startRawServer, waitFor, type RawServer } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

const LINE_OCTETS = 24 * 1024 * 1024;
const DISPLAYED = 64 * 1024;

interface Running {
  child: ChildProcess;
  rss: PeakRss;
  port: number;
  /** The last 256 KiB of standard output. */
  tail(): string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const servers: RawServer[] = [];
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(args: string[]): Promise<Running> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const rss = watchPeakRss(child.pid!);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 1 << 20) out = out.slice(-(1 << 18));
  });
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const port = await waitFor(() => Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]) || undefined, 10_000, 'the listening line');
  return { child, rss, port, tail: () => out.slice(-(1 << 18)), exited };
}

/** Opens a transaction and sends `LINE_OCTETS` of content without a line end, 64 KiB per write. */
async function sendLongLine(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const reply = async (code: string) => waitFor(() => new RegExp(`^${code} .*\\r\\n`, 'm').test(received), 10_000, `a ${code} reply`);
  await reply('220');
  for (const [command, code] of [['EHLO long.test', '250'], ['MAIL FROM:<a@long.test>', '250'], ['RCPT TO:<b@long.test>', '250'], ['DATA', '354']] as const) {
    received = '';
    socket.write(`${command}\r\n`);
    await reply(code);
  }
  const chunk = Buffer.alloc(64 * 1024, 'x');
  for (let sent = 0; sent < LINE_OCTETS; sent += chunk.length) {
    await new Promise<void>((resolve, reject) => socket.write(chunk, (error) => (error ? reject(error) : resolve())));
  }
  return socket;
}

/** SIGTERM, then how long the process took to exit (bounded: SIGKILL after 20 s). */
async function stopTimed(running: Running): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 20_000);
  const code = await running.exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}

const cutLine = (octets: number) => `${'x'.repeat(DISPLAYED)}… ${octets - DISPLAYED} more octets (no line end)`;

describe('a 24 MiB line without a line end, shown as it arrives', () => {
  it('serve: rendered in bounded memory, cut at 64 KiB with the rest counted, and SIGTERM during the next one ends it at once', async () => {
    const serve = await start(['serve', '--listen', '127.0.0.1:0']);
    const client = await sendLongLine(serve.port);
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    client.write('\r\n.\r\n');
    await waitFor(() => /^250 /m.test(received), 20_000, 'the 250 for the message');
    const whole = `[#1] <-  ${'x'.repeat(DISPLAYED)}… ${LINE_OCTETS - DISPLAYED} more octets␍␊\n`;
    await waitFor(() => serve.tail().includes(whole), 5_000, 'the cut line on the output');
    // A second line without an end, and SIGTERM as soon as it is sent.
    for (const [command, code] of [['MAIL FROM:<a@long.test>', '250'], ['RCPT TO:<b@long.test>', '250'], ['DATA', '354']] as const) {
      received = '';
      client.write(`${command}\r\n`);
      await waitFor(() => new RegExp(`^${code} `, 'm').test(received), 10_000, `a ${code} reply`);
    }
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let sent = 0; sent < LINE_OCTETS; sent += chunk.length) {
      await new Promise<void>((resolve, reject) => client.write(chunk, (error) => (error ? reject(error) : resolve())));
    }
    const stopped = await stopTimed(serve);
    client.destroy();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
    expect(serve.rss.stop()).toBeLessThan(300);
    expect(serve.tail()).toMatch(/\[#1\] <-  x{65536}… \d+ more octets \(no line end\)\n/);
  });

  it('proxy: both legs rendered in bounded memory, and SIGTERM still ends it at once', async () => {
    const upstream = await startRawServer(async (socket, conn) => {
      socket.write('220 raw\r\n');
      for (;;) {
        const line = (await conn.nextLine(30_000)).toString('latin1');
        socket.write(/^DATA/i.test(line) ? '354 go\r\n' : '250 ok\r\n');
        // From here on it reads the content and answers nothing.
        if (/^DATA/i.test(line)) return;
      }
    });
    servers.push(upstream);
    const proxy = await start(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none']);
    const client = await sendLongLine(proxy.port);
    await waitFor(() => upstream.connections[0]!.received.length >= LINE_OCTETS, 20_000, 'the content to reach the upstream server');
    const stopped = await stopTimed(proxy);
    client.destroy();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
    expect(proxy.rss.stop()).toBeLessThan(300);
    expect(proxy.tail()).toContain(`[#1 client] <-  ${cutLine(LINE_OCTETS)}`);
    expect(proxy.tail()).toContain(`[#1 upstream]  -> ${cutLine(LINE_OCTETS)}`);
  });
});
