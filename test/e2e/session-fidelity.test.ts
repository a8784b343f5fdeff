import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { startMiniServer, type MiniServer } from './inject-mini-server.js';

/** Scripted `session` against a small real server: exit codes, DATA bytes, local commands. */
let server: MiniServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('session exit codes', () => {
  it('EHLO refused then HELO accepted is a working server: exit 0', async () => {
    server = await startMiniServer({ ehlo: '500 5.5.1 EHLO not understood' });
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: 'NOOP\n' });
    expect(result.stdout).toContain('HELO');
    expect(result.code).toBe(0);
  });

  it('--quit-after auth without --auth is a usage error, before any connection', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--quit-after', 'auth']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--quit-after auth needs --auth');
    expect(server.received).toHaveLength(0);
  });

  it('--quit-after tls --plain is a usage error', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--quit-after', 'tls', '--plain']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--quit-after tls cannot stop after TLS with --plain');
    expect(server.received).toHaveLength(0);
  });
});

describe('session DATA: one rule for typed lines and :data FILE', () => {
  it('dot-stuffs a typed line starting with "." and says so; --no-dot-stuff sends it as typed', async () => {
    server = await startMiniServer();
    const script = 'MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nDATA\nSubject: x\n\n.foo\n.\n';
    const stuffed = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: script });
    expect(stuffed.code).toBe(0);
    expect(stuffed.stdout).toContain('dot-stuffed: the line starts with "." so it went out as "..foo"');
    expect(server.messages[0]!.toString('latin1')).toBe('Subject: x\r\n\r\n..foo');
    const plain = await runCli(['session', `127.0.0.1:${server.port}`, '--no-dot-stuff'], { stdin: script });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('went out as "..foo"');
    expect(plain.stdout).toContain('sent as typed, not dot-stuffed (:stuff off or --no-dot-stuff)');
    expect(server.messages[1]!.toString('latin1')).toBe('Subject: x\r\n\r\n.foo');
  });

  it(':stuff off before DATA sends such lines as typed', async () => {
    server = await startMiniServer();
    const script = ':stuff off\nMAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nDATA\n.foo\n.\n';
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: script });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('not dot-stuffed');
    expect(server.messages[0]!.toString('latin1')).toBe('.foo');
  });

  it(':data FILE keeps a bare CR inside an LF line, as inject --data does, and dot-stuffs', async () => {
    server = await startMiniServer();
    const file = join(mkdtempSync(join(tmpdir(), 'smtpdbg-data-')), 'message.txt');
    writeFileSync(file, 'Subject: x\n\nbare\rcr\n.dot\nlast\n', 'latin1');
    const script = `MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\n:data ${file}\n`;
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: script });
    expect(result.code).toBe(0);
    expect(server.messages[0]!.toString('latin1')).toBe('Subject: x\r\n\r\nbare\rcr\r\n..dot\r\nlast');
    expect(result.stdout).toContain('dot-stuffed 1 line of');
  });
});

describe('session local commands :sleep, :close, :reconnect and --pause', () => {
  it(':close hangs up without QUIT, :reconnect opens a new connection with the same opening', async () => {
    server = await startMiniServer();
    const script = 'NOOP\n:sleep 400\n:close\n:reconnect\nNOOP\n';
    const started = Date.now();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--ehlo', 'again.test'], { stdin: script });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(server.received).toHaveLength(2);
    const [first, second] = server.received.map((b) => b.toString('latin1'));
    expect(first).toBe('EHLO again.test\r\nNOOP\r\n');
    expect(second).toBe('EHLO again.test\r\nNOOP\r\nQUIT\r\n');
    expect(result.stdout).toContain('sleeping 400 ms (:sleep)');
    expect(result.stdout).toContain('connection closed (by us): hung up without QUIT (:close)');
    expect(result.stdout).toContain(`reconnecting to 127.0.0.1:${server.port}: a new connection with the same options`);
  });

  it('--json after :reconnect keeps the replies of every connection', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--json'], { stdin: 'NOOP\n:reconnect\nRSET\n' });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { connections: number; replies: Array<{ command: string; code: number }> };
    expect(summary.connections).toBe(2);
    expect(summary.replies.map((r) => r.command.split(' ')[0])).toEqual(['(banner)', 'EHLO', 'NOOP', 'QUIT', '(banner)', 'EHLO', 'RSET', 'QUIT']);
  });

  it('an SMTP line after :close is refused in words (exit 3), nothing is sent', async () => {
    server = await startMiniServer();
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: ':close\nNOOP\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('not connected: :close hung up on');
    expect(server.received[0]!.toString('latin1')).toMatch(/^EHLO \S+\r\n$/);
  });

  it('--pause mail=MS waits before MAIL and says so', async () => {
    server = await startMiniServer();
    const started = Date.now();
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--pause', 'mail=600'], { stdin: 'MAIL FROM:<a@example.org>\n' });
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(result.stdout).toContain('pausing 600 ms before MAIL (--pause mail=600)');
    expect(server.received[0]!.toString('latin1')).toContain('MAIL FROM:<a@example.org>\r\n');
  });

  it('--pause with a bad stage is a usage error', async () => {
    const result = await runCli(['session', '127.0.0.1:9', '--pause', 'helo=5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--pause helo=5: expected STAGE=MS');
  });
});
