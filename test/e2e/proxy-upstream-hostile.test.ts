/**
 * `smtpdbg proxy` (built) in front of raw hostile upstream servers: its upstream leg is the
 * same SmtpClient as `session`'s, so it applies the same rules — invalid reply codes and
 * endless replies are protocol failures (the application gets a 421 from the proxy), an
 * unsolicited reply is reported on the upstream leg — and the proxy redacts AUTH lines
 * split the way servers split them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRaw, pour, startRawServer, waitFor, type RawConnection, type RawServer } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-proxy-hostile-'));
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Proxy {
  port: number;
  pid: number;
  stdout(): string;
}

async function startProxy(upstream: RawServer, args: string[] = []): Promise<Proxy> {
  const env = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  const port = await waitFor(() => Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1] ?? 0), 10_000, 'the proxy to listen');
  return { port, pid: child.pid!, stdout: () => stdout };
}

async function upstreamServer(handler: (socket: Socket, conn: RawConnection) => Promise<void>): Promise<RawServer> {
  const server = await startRawServer(handler);
  cleanups.push(() => server.close());
  return server;
}

const jsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('proxy: the upstream leg applies the client rules', () => {
  it.each(['999', '000', '199'])('reply code %s: a protocol failure on the upstream leg, 421 to the application', async (code) => {
    const upstream = await upstreamServer(async (socket, conn) => {
      socket.write('220 up.test ESMTP\r\n');
      await conn.nextLine();
      socket.write(`${code} nonsense\r\n`);
      await conn.nextLine(3_000).catch(() => undefined);
    });
    const proxy = await startProxy(upstream);
    const app = await connectRaw(proxy.port);
    cleanups.push(() => app.close());
    expect(await app.readReply()).toBe('220 up.test ESMTP\r\n');
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply()).toMatch(/^421 4\.5\.0 .*the upstream server broke the SMTP protocol\r\n$/);
    await waitFor(() => proxy.stdout().includes('invalid reply code'), 5_000, 'the upstream failure on screen');
    expect(proxy.stdout()).toContain(`[#1 upstream] *** invalid reply code ${code} (RFC 5321 §4.2.1: the first digit is 2, 3, 4 or 5): "${code} nonsense"`);
  });

  it('an unsolicited reply is reported on the upstream leg and relayed as it came, not as the next command\'s reply', async () => {
    const upstream = await upstreamServer(async (socket, conn) => {
      socket.write('220 up.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 up.test\r\n');
      await conn.nextLine();
      socket.write('250 2.0.0 Ok\r\n250 2.0.0 extra\r\n');
      await conn.nextLine();
      socket.write('250 2.0.0 reset\r\n');
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const transcript = join(dir, 'unsolicited.jsonl');
    const proxy = await startProxy(upstream, ['--transcript', transcript]);
    const app = await connectRaw(proxy.port);
    cleanups.push(() => app.close());
    await app.readReply();
    await app.send('EHLO app.test\r\n');
    await app.readReply();
    await app.send('NOOP\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 Ok\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 extra\r\n');
    await app.send('RSET\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 reset\r\n');
    await app.send('QUIT\r\n');
    expect(await app.readReply()).toBe('221 2.0.0 Bye\r\n');
    await waitFor(() => proxy.stdout().includes('unsolicited'), 5_000, 'the unsolicited reply on screen');
    expect(proxy.stdout()).toContain('[#1 upstream] *** unsolicited reply 250 2.0.0 extra (no command outstanding: the server is out of step)');
    await waitFor(() => readFileSync(transcript, 'utf8').includes('EUNSOLICITED'), 5_000, 'the event in the transcript');
    expect(jsonl(transcript)).toContainEqual(expect.objectContaining({ leg: 'upstream', type: 'error', code: 'EUNSOLICITED', reply: { code: 250, lines: ['2.0.0 extra'], enhanced: '2.0.0' } }));
  });

  it('an endless multi-line reply: the upstream leg stops at the limit, the proxy\'s memory stays bounded', async () => {
    const budget = 32 * 1024 * 1024;
    let sent = 0;
    const upstream = await upstreamServer(async (socket, conn) => {
      socket.write('220 up.test ESMTP\r\n');
      await conn.nextLine();
      const block = Buffer.from(`250-${'x'.repeat(1000)}\r\n`.repeat(64));
      await pour(socket, block, budget, (total) => (sent = total));
    });
    const proxy = await startProxy(upstream);
    const app = await connectRaw(proxy.port);
    cleanups.push(() => app.close());
    await app.readReply();
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply(20_000)).toMatch(/^421 4\.5\.0 /);
    await waitFor(() => proxy.stdout().includes('without an end'), 5_000, 'the upstream failure on screen');
    expect(proxy.stdout()).toContain('[#1 upstream] *** multi-line reply without an end: 1000 lines');
    const peakKib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${proxy.pid}/status`, 'utf8'))?.[1]);
    expect(peakKib / 1024).toBeLessThan(150);
    expect(sent).toBeLessThan(budget / 2);
  });
});

describe('proxy: AUTH split the way servers split it is redacted', () => {
  it('AUTH<TAB>PLAIN<TAB>payload and a tab-separated LOGIN exchange', async () => {
    const upstream = await upstreamServer(async (socket, conn) => {
      socket.write('220 up.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 up.test\r\n');
      await conn.nextLine();
      socket.write('235 2.7.0 Authentication successful\r\n');
      await conn.nextLine();
      socket.write('334 VXNlcm5hbWU6\r\n');
      await conn.nextLine();
      socket.write('334 UGFzc3dvcmQ6\r\n');
      await conn.nextLine();
      socket.write('235 2.7.0 Authentication successful\r\n');
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const transcript = join(dir, 'tabs.jsonl');
    const text = join(dir, 'tabs.txt');
    const proxies = [await startProxy(upstream, ['--transcript', transcript]), await startProxy(upstream, ['--transcript', text])];
    const plain = Buffer.from('\0bob\0hunter2').toString('base64');
    const user = Buffer.from('bob').toString('base64');
    const pass = Buffer.from('hunter2').toString('base64');
    for (const proxy of proxies) {
      const app = await connectRaw(proxy.port);
      cleanups.push(() => app.close());
      await app.readReply();
      await app.send('EHLO app.test\r\n');
      await app.readReply();
      await app.send(`AUTH\tPLAIN\t${plain}\r\n`);
      expect(await app.readReply()).toMatch(/^235 /);
      await app.send('AUTH\tLOGIN\r\n');
      await app.readReply();
      await app.send(`${user}\r\n`);
      await app.readReply();
      await app.send(`${pass}\r\n`);
      expect(await app.readReply()).toMatch(/^235 /);
      await app.send('QUIT\r\n');
      await app.readReply();
      await waitFor(() => proxy.stdout().includes('221 2.0.0 Bye'), 5_000, 'the end on screen');
    }
    const wire = upstream.connections.map((c) => c.text()).join('');
    expect(wire).toContain(`AUTH\tPLAIN\t${plain}\r\n`);
    const recorded = [readFileSync(transcript, 'utf8'), readFileSync(text, 'utf8'), ...proxies.map((p) => p.stdout())];
    for (const output of recorded) {
      for (const secret of [plain, user, pass]) expect(output).not.toContain(secret);
    }
    expect(readFileSync(transcript, 'utf8')).toContain('AUTH\\tPLAIN\\t<redacted>');
  });
});
