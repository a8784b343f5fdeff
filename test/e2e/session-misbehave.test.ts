/**
 * session --close-after, --stall-after, --tls-abort (scripted): the opening's stages, acted
 * out by the same code as inject's. Our own `serve` shows where the client left (and that
 * the script's lines never came); a raw server records the ClientHello of --tls-abort.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawServer, waitFor, type RawConnection } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';
import { startServe, type RunningServe } from './serve-cli.js';
import { afterStartTls, expectOneClientHello } from '../harness/client-hello.js';

/** What the script would send, had it run: none of it may reach the server after a close on purpose. */
const SCRIPT = 'NOOP\nMAIL FROM:<script@example.org>\n';

/** serve's lines for connection n, once it has shown that connection's end. */
const serveSaw = async (serve: RunningServe, n: number) => {
  const tag = `[#${n}] `;
  await waitFor(() => serve.stdout().includes(`${tag}=== connection closed`), 15_000, `serve to show connection ${n} closed`);
  return serve.stdout().split('\n').filter((line) => line.startsWith(tag)).map((line) => line.slice(tag.length));
};

interface SessionJson {
  exitCode: number;
  misbehaviour: { done: string[]; carriedOut: boolean; notReached: string | null } | null;
}

describe('against our own serve (STARTTLS offered)', () => {
  let serve: RunningServe;
  let connections = 0;
  beforeAll(async () => {
    serve = await startServe([]);
  });
  afterAll(async () => {
    await serve.stop();
  });

  it.each([
    ['banner', '220 localhost ESMTP', 'the banner', ['--plain']],
    ['ehlo', '250 HELP', 'EHLO', ['--plain']],
  ])('--close-after %s: serve shows the client leaving right after %j, no QUIT, the script not run; exit 0', async (stage, lastLine, words, more) => {
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, ...more, '--close-after', stage], { stdin: SCRIPT, timeoutMs: 30_000 });
    const n = ++connections;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== closed the connection after ${words}, without QUIT (--close-after ${stage}); the script was not run\n`);
    const lines = await serveSaw(serve, n);
    const closed = lines.findIndex((line) => line.startsWith('=== connection closed'));
    expect(lines[closed]).toBe('=== connection closed (by the client): the client closed the connection');
    expect(lines[closed - 1]).toContain(lastLine);
    expect(lines.join('\n')).not.toMatch(/QUIT|NOOP|MAIL FROM/);
  });

  it('--close-after tls: the STARTTLS handshake completes, then the client leaves without QUIT; --json says what was done', async () => {
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--close-after', 'tls', '--json'], { stdin: SCRIPT, timeoutMs: 30_000 });
    const n = ++connections;
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SessionJson;
    expect(report.exitCode).toBe(0);
    expect(report.misbehaviour).toEqual({ done: ['closed the connection after the TLS handshake, without QUIT (--close-after tls)'], carriedOut: true, notReached: null });
    const lines = await serveSaw(serve, n);
    const closed = lines.findIndex((line) => line.startsWith('=== connection closed'));
    expect(lines[closed]).toBe('=== connection closed (by the client): the client closed the connection');
    expect(lines[closed - 1]).toMatch(/^=== TLS started: /);
    expect(lines.join('\n')).not.toMatch(/QUIT|NOOP|MAIL FROM/);
  });

  it('--stall-after ehlo=MS: nothing is sent for MS ms after EHLO, then the script runs and QUITs; exit 0', async () => {
    const started = Date.now();
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain', '--stall-after', 'ehlo=1500', '--json'], { stdin: 'NOOP\n', timeoutMs: 30_000 });
    const elapsed = Date.now() - started;
    const n = ++connections;
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as SessionJson).misbehaviour).toEqual({ done: ['stalled 1500 ms after EHLO (--stall-after ehlo=1500)'], carriedOut: false, notReached: null });
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    const lines = await serveSaw(serve, n);
    const text = lines.join('\n');
    expect(text.indexOf('<-  NOOP')).toBeGreaterThan(text.indexOf('250 HELP'));
    expect(text).toContain('<-  QUIT');
  });
});

describe('where the stage is never reached', () => {
  it('--close-after tls against a server without STARTTLS: closes after EHLO, says why, exit 1', async () => {
    const serve = await startServe(['--no-starttls']);
    try {
      const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--close-after', 'tls'], { stdin: SCRIPT, timeoutMs: 30_000 });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('=== closed the connection after EHLO, without QUIT (no TLS handshake: the server does not advertise STARTTLS); the script was not run\n');
      const lines = await serveSaw(serve, 1);
      expect(lines.join('\n')).not.toMatch(/QUIT|NOOP|STARTTLS\r/);
    } finally {
      await serve.stop();
    }
  });
});

describe('--tls-abort on a raw server', () => {
  it('after the 220 to STARTTLS: one TLS record holding a ClientHello (with the SNI asked for), then the stream ends; the script not run', async () => {
    let ended = false;
    const server = await startRawServer(async (socket: Socket, conn: RawConnection) => {
      socket.on('end', () => (ended = true));
      socket.write('220 raw ESMTP\r\n');
      for (;;) {
        const line = (await conn.nextLine(20_000)).toString('latin1');
        if (/^EHLO /i.test(line)) socket.write('250-raw\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) return void socket.write('220 2.0.0 go ahead\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    try {
      const result = await runCli(['session', `127.0.0.1:${server.port}`, '--tls-abort', '--servername', 'mx.example.test'], { stdin: SCRIPT, timeoutMs: 30_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('=== sent a TLS ClientHello after the 220 to STARTTLS, then closed the connection without finishing the handshake (--tls-abort); the script was not run\n');
      const conn = server.connections[0]!;
      await waitFor(() => conn.closed, 10_000, 'the client to close');
      const received = conn.received;
      expectOneClientHello(afterStartTls(received), 'mx.example.test');
      expect(received.includes('NOOP')).toBe(false);
      expect(ended).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('with --tls (implicit TLS): the ClientHello is the first thing sent', async () => {
    const server = await startRawServer(() => undefined);
    try {
      const result = await runCli(['session', `127.0.0.1:${server.port}`, '--tls', '--tls-abort', '--json'], { stdin: SCRIPT, timeoutMs: 30_000 });
      expect(result.code, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as SessionJson).misbehaviour!.done).toEqual([
        'sent a TLS ClientHello on connecting (implicit TLS), then closed the connection without finishing the handshake (--tls-abort)',
      ]);
      const conn = server.connections[0]!;
      await waitFor(() => conn.closed, 10_000, 'the client to close');
      expect([...conn.received.subarray(0, 2)]).toEqual([0x16, 0x03]);
      expect(conn.received[5]).toBe(0x01);
    } finally {
      await server.close();
    }
  });
});

describe('option mistakes: one line, exit 2, nothing sent', () => {
  it.each([
    [['--close-after', 'mail'], '--close-after mail: here the stages are banner, ehlo, tls (after the opening the script decides: :close, :sleep MS; inject takes the others)'],
    [['--stall-after', 'rcpt=100'], '--stall-after rcpt: here the stages are banner, ehlo, tls (after the opening the script decides: :close, :sleep MS; inject takes the others)'],
    [['--close-after', 'ehlo', '--quit-after', 'ehlo'], '--close-after ends the conversation on purpose, without QUIT: not with --quit-after'],
    [['--tls-abort', '--close-after', 'ehlo'], '--close-after and --tls-abort exclude each other: --tls-abort closes after its ClientHello'],
    [['--tls-abort', '--plain'], '--tls-abort sends a ClientHello: not with --plain'],
  ])('%j', async (args, message) => {
    const server = await startRawServer(() => undefined);
    try {
      const result = await runCli(['session', `127.0.0.1:${server.port}`, ...args], { stdin: SCRIPT });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`smtpdbg: ${message}\n`);
      expect(server.connections).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
