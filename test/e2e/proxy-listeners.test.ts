/**
 * `smtpdbg proxy` (built) listening for applications configured for SMTPS (--listen-tls) and
 * on Unix-domain sockets: real clients (swaks --tls-on-connect, curl smtps://, Python's
 * SMTP_SSL and smtplib over a Unix socket) relayed to a capture server.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import type { SessionEvent } from '../../src/transcript/events.js';
import { parseTranscript } from '../../src/transcript/reader.js';
import { waitFor } from '../harness/raw-server.js';
import { requireSwaks } from '../harness/swaks.js';
import { startProxyCli, stopRunningProxies } from './proxy-process.js';
import { python, run } from './serve-cli.js';

let dir: string;
let upstream: CaptureServer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-proxy-listen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await stopRunningProxies();
  await upstream?.close();
});

/** The built proxy in front of a fresh capture server (plain text: the proxy's TLS is what is tested). */
async function startProxyCliToCapture(args: string[]) {
  upstream = await startCaptureServer({ tls: false });
  return startProxyCli(['--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none', ...args]);
}

async function transcriptEvents(file: string): Promise<SessionEvent[]> {
  const parsed = parseTranscript(await readFile(file, 'utf8'));
  expect(parsed.damage).toEqual([]);
  return parsed.entries.map((e) => e.event);
}

describe('proxy --listen-tls: applications configured for SMTPS', () => {
  it('relays Python SMTP_SSL, curl smtps:// and swaks --tls-on-connect: TLS with the application from its first byte, STARTTLS not offered to it', async (context) => {
    await requireSwaks(context, { who: 'proxy --listen-tls' });
    const transcript = path.join(dir, 'implicit.jsonl');
    const proxy = await startProxyCliToCapture(['--listen-tls', '127.0.0.1:0', '--transcript', transcript]);
    expect(proxy.listeners).toEqual([{ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), port: expect.any(Number), implicitTls: true }]);
    const { port } = proxy.listeners[0]!;

    const py = await run(python, ['-c', `
import smtplib, ssl
s = smtplib.SMTP_SSL('127.0.0.1', ${port}, context=ssl._create_unverified_context(), timeout=10)
code, ehlo = s.ehlo('py.example')
print('ehlo', code, b'STARTTLS' in ehlo)
s.sendmail('py@example.test', ['r@example.test'], b'Subject: smtps\\r\\n\\r\\nFrom python\\r\\n')
s.quit()
`]);
    expect(py).toMatchObject({ code: 0, stdout: 'ehlo 250 False\n' });
    const file = path.join(dir, 'curl.eml');
    await writeFile(file, 'Subject: curl\r\n\r\nvia curl\r\n');
    const curl = await run('curl', ['-sS', '--max-time', '10', '-k', `smtps://127.0.0.1:${port}`, '--mail-from', 'cu@example.test', '--mail-rcpt', 'r@example.test', '-T', file]);
    expect(curl).toMatchObject({ code: 0, stderr: '' });
    const swaks = await run('swaks', ['--server', `127.0.0.1:${port}`, '--tls-on-connect', '--from', 'sw@example.test', '--to', 'r@example.test', '--body', 'via swaks']);
    expect(swaks.code).toBe(0);

    await waitFor(() => upstream.messages.length === 3 || undefined, 10_000, 'three relayed messages');
    expect(upstream.messages.map((m) => m.from)).toEqual(['py@example.test', 'cu@example.test', 'sw@example.test']);
    expect(upstream.messages[0]!.data.toString('latin1')).toBe('Subject: smtps\r\n\r\nFrom python\r\n');
    expect(await proxy.stop()).toBe(0);

    const events = await transcriptEvents(transcript);
    for (const conn of [1, 2, 3]) {
      const client = events.filter((e) => e.conn === conn && e.leg === 'client');
      expect(client[0]).toMatchObject({ type: 'connect' });
      expect(client[1]).toMatchObject({ type: 'tls' });
      // Every byte the application sent or was sent is inside TLS, the relayed banner first.
      const bytes = client.filter((e) => e.type === 'send' || e.type === 'recv');
      expect(bytes.length).toBeGreaterThan(4);
      expect(bytes.every((e) => e.tls)).toBe(true);
      expect(bytes[0]).toMatchObject({ type: 'send' });
      expect((bytes[0] as { data: Buffer }).data.toString('latin1')).toMatch(/^220 localhost ESMTP/);
    }
  });

  it('a plain-text application on the TLS port: the handshake fails on the client leg and no upstream connection is made', async () => {
    const transcript = path.join(dir, 'failed.jsonl');
    const proxy = await startProxyCliToCapture(['--listen-tls', '127.0.0.1:0', '--transcript', transcript, '--timeout', '5000']);
    const socket = net.connect(proxy.listeners[0]!.port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('EHLO plain.example\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    await waitFor(() => /\[#1 client\] \*\*\* TLS handshake with the client failed: /.test(proxy.stdout()), 10_000, 'the handshake failure');
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    expect(events.filter((e) => e.leg === 'upstream')).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'close', conn: 1, leg: 'client', by: 'error', reason: 'TLS handshake with the client failed' }));
  });
});

describe('proxy --listen unix:PATH', () => {
  it('relays Python smtplib over a Unix socket, side by side with a TCP listener, and removes the socket at exit', async () => {
    const socketPath = path.join(dir, 'proxy.sock');
    const proxy = await startProxyCliToCapture(['--listen', `unix:${socketPath}`, '--listen', '127.0.0.1:0']);
    expect(proxy.listeners.map((l) => l.address)).toEqual([`unix:${socketPath}`, expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect((await stat(socketPath)).isSocket()).toBe(true);
    const viaUnix = await run(python, ['-c', `
import smtplib, socket
sock = socket.socket(socket.AF_UNIX)
sock.connect(${JSON.stringify(socketPath)})
c = smtplib.SMTP()
c.sock = sock
c.file = None
print(c.getreply()[0])
code, ehlo = c.ehlo('py.example')
print('starttls offered', b'STARTTLS' in ehlo)
c.sendmail('unix@example.test', ['r@example.test'], b'Subject: unix\\r\\n\\r\\nthrough the proxy\\r\\n')
c.quit()
`]);
    // The proxy offers STARTTLS to a plain application even when the server does not (it terminates TLS itself).
    expect(viaUnix).toMatchObject({ code: 0, stdout: '220\nstarttls offered True\n' });
    await waitFor(() => upstream.messages.length === 1 || undefined, 10_000, 'the relayed message');
    expect(upstream.messages[0]).toMatchObject({ from: 'unix@example.test', to: ['r@example.test'] });
    expect(upstream.messages[0]!.data.toString('latin1')).toBe('Subject: unix\r\n\r\nthrough the proxy\r\n');
    expect(proxy.stdout()).toContain(`[#1 client] === client connected from unix:${socketPath}`);
    expect(await proxy.stop()).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });
});
