import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startRawServer, type RawServer } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';

/**
 * Servers that misbehave the ways real ones do. Each case must end with the right message
 * and exit code within its timeout, and leave a complete JSONL transcript behind.
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-hostile-'));
let server: RawServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function readTranscript(path: string): Array<Record<string, unknown>> {
  const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectCompleteTranscript(path: string): Array<Record<string, unknown>> {
  const events = readTranscript(path);
  expect(events[0]).toMatchObject({ type: 'header', version: 1, tool: 'smtpdbg' });
  expect(events.at(-1)?.type).toBe('close');
  return events;
}

const ehloReply = '250-hostile.test\r\n250 AUTH PLAIN LOGIN\r\n';

describe('session against hostile servers', () => {
  it('535 then close (QUIT never answered): names the 535 and exits 3 at once', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 hostile.test ESMTP\r\n');
      await conn.nextLine();
      socket.write(ehloReply);
      await conn.nextLine();
      socket.end('535 5.7.8 Authentication failed\r\n');
    });
    const transcript = join(dir, 'auth-close.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--auth', 'plain', '--user', 'bob', '--transcript', transcript, '--timeout', '10000'], {
      env: { SMTPDBG_PASSWORD: 'hunter2' },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('server closed the connection after 535 5.7.8 Authentication failed');
    expect(result.durationMs).toBeLessThan(8000);
    const events = expectCompleteTranscript(transcript);
    const sent = events.filter((e) => e.type === 'send').map((e) => e.data).join('');
    expect(sent).toContain('AUTH PLAIN [redacted]');
    expect(sent).not.toContain(Buffer.from('\0bob\0hunter2').toString('base64'));
    expect(result.stdout).toContain('5.7.8: permanent failure: authentication credentials invalid');
  });

  it('closes after EHLO without a reply', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 hostile.test ESMTP\r\n');
      await conn.nextLine();
      socket.end();
    });
    const transcript = join(dir, 'ehlo-close.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript], { stdin: 'NOOP\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('server closed the connection after 220 hostile.test ESMTP');
    expectCompleteTranscript(transcript);
  });

  it('half a multi-line reply, then close', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 hostile.test ESMTP\r\n');
      await conn.nextLine();
      socket.end('250-hostile.test\r\n250-PIPELINING\r\n');
    });
    const transcript = join(dir, 'half.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('in the middle of a multi-line reply (2 lines received, last: "PIPELINING")');
    expectCompleteTranscript(transcript);
  });

  it('no banner ever: a timeout, not a hang', async () => {
    server = await startRawServer(() => undefined);
    const transcript = join(dir, 'silent.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--timeout', '700', '--transcript', transcript]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('timed out after 700 ms waiting for the banner');
    expect(result.durationMs).toBeLessThan(5000);
    const events = expectCompleteTranscript(transcript);
    expect(events.some((e) => e.type === 'error' && e.code === 'ETIMEDOUT')).toBe(true);
  });

  it('replies dripped byte by byte are parsed whole', async () => {
    const drip = async (socket: import('node:net').Socket, text: string) => {
      for (const ch of text) {
        socket.write(ch);
        await sleep(1);
      }
    };
    server = await startRawServer(async (socket, conn) => {
      await drip(socket, '220 slow.test ESMTP\r\n');
      await conn.nextLine();
      await drip(socket, '250-slow.test\r\n250 8BITMIME\r\n');
      await conn.nextLine();
      await drip(socket, '250 2.0.0 Ok\r\n');
      await conn.nextLine();
      await drip(socket, '221 2.0.0 Bye\r\n');
      socket.end();
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--json'], { stdin: 'NOOP\n' });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { replies: Array<{ command: string; code: number; lines: string[] }>; capabilities: { beforeTls: string[] } };
    expect(summary.capabilities.beforeTls).toEqual(['8BITMIME']);
    expect(summary.replies.map((r) => [r.command, r.code])).toEqual([['(banner)', 220], ['EHLO ' + summary.replies[1]!.command.slice(5), 250], ['NOOP', 250], ['QUIT', 221]]);
  });

  it('220 to STARTTLS, then garbage: a TLS failure with exit 3', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 tls.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-tls.test\r\n250 STARTTLS\r\n');
      await conn.nextLine();
      socket.write('220 2.0.0 go ahead\r\n');
      await sleep(50);
      socket.write('this is not a TLS record\r\n'.repeat(20));
    });
    const transcript = join(dir, 'tls-garbage.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript, '--timeout', '5000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed/);
    expectCompleteTranscript(transcript);
  });

  it('a 4 MiB banner with no line end: a clear error with bounded memory', async () => {
    server = await startRawServer(async (socket) => {
      socket.write(`220 ${'x'.repeat(4 * 1024 * 1024)}`);
    });
    const transcript = join(dir, 'huge.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript, '--timeout', '10000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('reply line longer than 65536 bytes without a line end');
    expectCompleteTranscript(transcript);
  });

  it('a reset connection is reported as a reset', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 reset.test ESMTP\r\n');
      await conn.nextLine();
      socket.resetAndDestroy();
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/server (reset|closed) the connection after 220 reset\.test ESMTP/);
  });

  it('a refused connection names the target', async () => {
    server = await startRawServer(() => undefined);
    const port = server.port;
    await server.close();
    server = undefined;
    const transcript = join(dir, 'refused.jsonl');
    const result = await runCli(['session', `127.0.0.1:${port}`, '--transcript', transcript]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`connection to 127.0.0.1:${port} refused`);
    expect(readTranscript(transcript).at(-1)).toMatchObject({ type: 'error', code: 'ECONNECTION', message: `connection to 127.0.0.1:${port} refused` });
  });

  it('--require-tls fails when STARTTLS is not advertised, before anything else is sent', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 plain.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-plain.test\r\n250 8BITMIME\r\n');
      await conn.nextLine(3000).catch(() => undefined);
      socket.end('221 bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--require-tls'], { stdin: 'MAIL FROM:<a@b>\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('does not advertise STARTTLS (--require-tls)');
    expect(server.connections[0]!.text()).not.toContain('MAIL FROM');
  });

  it('a 4xx/5xx in a script gives exit 1, and the script goes on', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 strict.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 strict.test\r\n');
      await conn.nextLine();
      socket.write('550 5.1.1 <nobody@strict.test>: Recipient address rejected\r\n');
      await conn.nextLine();
      socket.write('250 2.0.0 Ok\r\n');
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: 'RCPT TO:<nobody@strict.test>\nNOOP\n' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('=== 5.1.1: permanent failure: bad destination mailbox address');
    expect(server.connections[0]!.text()).toMatch(/NOOP\r\nQUIT\r\n$/);
  });

  it('--pipeline sends MAIL and RCPT in one write where PIPELINING is advertised', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 pipe.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-pipe.test\r\n250 PIPELINING\r\n');
      await conn.waitForReceived(/RCPT TO:<b@c>\r\nRSET\r\n/);
      socket.write('250 ok\r\n250 ok\r\n250 ok\r\n');
      await conn.nextLine();
      await conn.nextLine();
      await conn.nextLine();
      await conn.nextLine();
      socket.end('221 bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--plain', '--pipeline'], { stdin: 'MAIL FROM:<a@b>\nRCPT TO:<b@c>\nRSET\n' });
    expect(result.code).toBe(0);
    expect(server.connections[0]!.text()).toContain('MAIL FROM:<a@b>\r\nRCPT TO:<b@c>\r\nRSET\r\nQUIT\r\n');
  });
});
