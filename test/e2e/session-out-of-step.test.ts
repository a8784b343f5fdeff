import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptTls, startRawServer, type RawServer } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';

/**
 * Servers out of step: replies that answer nothing the client sent, and reply codes that
 * mean nothing. Each must be reported as what it is, never shift every later reply onto
 * the wrong command (the old behaviour, which then exited 0).
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-out-of-step-'));
const certs = join(REPO_ROOT, 'fixtures/certs');
let server: RawServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Summary {
  replies: Array<{ command: string; code: number; lines: string[] }>;
  capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
  unsolicited: number;
  exitCode: number;
}

const pairs = (summary: Summary) => summary.replies.map((r) => `${r.command.split(' ')[0]} ${r.code} ${r.lines.join('|')}`);
const jsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('unsolicited replies', () => {
  /** Answers NOOP with one reply too many; RSET and QUIT normally. */
  const oneTooMany = () => startRawServer(async (socket, conn) => {
    socket.write('220 step.test ESMTP\r\n');
    await conn.nextLine();
    socket.write('250 step.test\r\n');
    await conn.nextLine();
    socket.write('250 ok\r\n250 extra\r\n');
    await conn.nextLine();
    socket.write('250 2.0.0 reset\r\n');
    await conn.nextLine();
    socket.end('221 2.0.0 Bye\r\n');
  });

  it('inject: a reply after EHLO that nothing asked for is reported, MAIL still gets its own reply, exit 1', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 step.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 step.test\r\n250 extra\r\n');
      await conn.nextLine();
      socket.write('250 2.1.0 sender ok\r\n');
      await conn.nextLine();
      socket.write('250 2.1.5 recipient ok\r\n');
      await conn.nextLine();
      socket.write('354 go\r\n');
      await conn.waitForReceived('\r\n.\r\n');
      socket.write('250 2.0.0 queued as X1\r\n');
      await conn.waitForReceived(/QUIT\r\n$/);
      socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--timeout', '5000']);
    expect(result.stdout).toContain('*** unsolicited reply 250 extra (no command outstanding: the server is out of step)');
    expect(result.stdout).toContain('queued as X1');
    expect(result.code).toBe(1);
  });

  it('one reply too many: reported, kept out of the next command\'s slot, exit 1 (--json and JSONL transcript)', async () => {
    server = await oneTooMany();
    const transcript = join(dir, 'extra.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--json', '--transcript', transcript], { stdin: 'NOOP\nRSET\n' });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(pairs(summary)).toEqual(['(banner) 220 step.test ESMTP', 'EHLO 250 step.test', 'NOOP 250 ok', '(unsolicited) 250 extra', 'RSET 250 2.0.0 reset', 'QUIT 221 2.0.0 Bye']);
    expect(summary.unsolicited).toBe(1);
    expect(summary.exitCode).toBe(1);
    expect(jsonl(transcript)).toContainEqual(expect.objectContaining({
      type: 'error',
      code: 'EUNSOLICITED',
      message: 'unsolicited reply 250 extra (no command outstanding: the server is out of step)',
      reply: { code: 250, lines: ['extra'] },
    }));
  });

  it('one reply too many: the line on screen and in a text transcript', async () => {
    server = await oneTooMany();
    const transcript = join(dir, 'extra.txt');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript], { stdin: 'NOOP\nRSET\n' });
    expect(result.code).toBe(1);
    const line = '*** unsolicited reply 250 extra (no command outstanding: the server is out of step)';
    expect(result.stdout).toContain(line);
    expect(result.stdout).toMatch(/<- {2}250 2\.0\.0 reset/);
    expect(readFileSync(transcript, 'utf8')).toContain(line);
  });

  it('more replies than commands in a pipelined group', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 pipe.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-pipe.test\r\n250 PIPELINING\r\n');
      await conn.waitForReceived(/NOOP\r\n$/);
      socket.write('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 one more\r\n');
      await conn.nextLine();
      await conn.nextLine();
      await conn.nextLine();
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--pipeline', '--json'], { stdin: 'MAIL FROM:<a@b.test>\nRCPT TO:<c@d.test>\nNOOP\n' });
    expect(result.code).toBe(1);
    expect(server.connections[0]!.text()).toContain('MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nNOOP\r\n');
    expect(pairs(JSON.parse(result.stdout) as Summary).slice(2)).toEqual(['MAIL 250 2.1.0 Ok', 'RCPT 250 2.1.5 Ok', 'NOOP 250 2.0.0 Ok', '(unsolicited) 250 2.0.0 one more', 'QUIT 221 2.0.0 Bye']);
  });

  it('a second reply before EHLO was sent (after the greeting)', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 early.test ESMTP\r\n250 surprise\r\n');
      await conn.nextLine();
      socket.write('250 early.test\r\n');
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--json', '--quit-after', 'ehlo']);
    expect(result.code).toBe(1);
    expect(pairs(JSON.parse(result.stdout) as Summary)).toEqual(['(banner) 220 early.test ESMTP', '(unsolicited) 250 surprise', 'EHLO 250 early.test', 'QUIT 221 2.0.0 Bye']);
  });

  it('a reply after the EHLO reply: QUIT still gets its own 221', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 late.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-late.test\r\n250 8BITMIME\r\n221 2.7.0 Error: I can break rules, too. Goodbye.\r\n');
      await conn.nextLine();
      socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--json', '--quit-after', 'ehlo']);
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.capabilities.beforeTls).toEqual(['8BITMIME']);
    expect(pairs(summary).slice(2)).toEqual(['(unsolicited) 221 2.7.0 Error: I can break rules, too. Goodbye.', 'QUIT 221 2.0.0 Bye']);
  });

  it('a reply after the 220 to STARTTLS is discarded and reported, never read as a reply inside TLS (RFC 3207 §6)', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 tls.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-tls.test\r\n250 STARTTLS\r\n');
      await conn.nextLine();
      // One write, as an injecting man in the middle would add it to the server's 220.
      socket.write('220 2.0.0 ready\r\n250 injected\r\n');
      const secure = await acceptTls(socket, certs);
      await secure.nextLine();
      secure.socket.write('250-tls.test\r\n250 8BITMIME\r\n');
      await secure.nextLine();
      secure.socket.write('250 2.0.0 Ok\r\n');
      await secure.nextLine();
      secure.socket.end('221 2.0.0 Bye\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--ca', join(certs, 'ca.pem'), '--json'], { stdin: 'NOOP\n' });
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(pairs(summary).slice(2)).toEqual(['STARTTLS 220 2.0.0 ready', '(unsolicited) 250 injected', 'EHLO 250 tls.test|8BITMIME', 'NOOP 250 2.0.0 Ok', 'QUIT 221 2.0.0 Bye']);
    expect(summary.capabilities.afterTls).toEqual(['8BITMIME']);
    const text = await runCli(['session', `127.0.0.1:${server.port}`, '--ca', join(certs, 'ca.pem')], { stdin: 'NOOP\n' });
    expect(text.stdout).toContain('*** unsolicited reply 250 injected after the 220 to STARTTLS, before the TLS handshake (RFC 3207 §6: it may have been injected; discarded)');
    expect(text.stdout).toMatch(/<~ {2}250 2\.0\.0 Ok/);
  });

  it('a 421 with nothing outstanding is the server shutting down (RFC 5321 §3.8), not a server out of step', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 idle.test ESMTP\r\n');
      await conn.nextLine();
      socket.end('250 idle.test\r\n421 4.4.2 idle.test Error: timeout exceeded\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: 'NOOP\n' });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('=== 421 4.4.2 idle.test Error: timeout exceeded came with no command outstanding: the server is closing the connection (RFC 5321 §3.8');
    expect(result.stdout).not.toContain('unsolicited');
    expect(result.stderr).toContain('server closed the connection after 421 4.4.2 idle.test Error: timeout exceeded');
  });

  it('a flood of unsolicited replies ends the connection (exit 3) instead of growing the record', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 flood.test ESMTP\r\n');
      await conn.nextLine();
      socket.write(`250 flood.test\r\n${'250 again\r\n'.repeat(500)}`);
      await conn.nextLine(3_000).catch(() => undefined);
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--quit-after', 'ehlo']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('100 unsolicited replies: the server is out of step and floods the connection; giving up');
  });
});

describe('reply codes outside 2xx-5xx are protocol failures, not rejections', () => {
  it.each(['999', '600', '000', '199'])('%s to EHLO: exit 3 with the line', async (code) => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 odd.test ESMTP\r\n');
      await conn.nextLine();
      socket.write(`${code} strange\r\n`);
      await conn.nextLine(3_000).catch(() => undefined);
    });
    const transcript = join(dir, `code-${code}.jsonl`);
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--transcript', transcript]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`invalid reply code ${code} (RFC 5321 §4.2.1: the first digit is 2, 3, 4 or 5): "${code} strange"`);
    const events = jsonl(transcript);
    expect(events.at(-1)).toMatchObject({ type: 'close', by: 'error' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'error', code: 'EPROTOCOL' }));
  });

  it('in the middle of a multi-line reply too', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 odd.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-odd.test\r\n950 PIPELINING\r\n');
      await conn.nextLine(3_000).catch(() => undefined);
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('invalid reply code 950');
  });
});
