/**
 * The README's exit-code table, row by row, for every command: 0 ok, 1 ran and found
 * problems, 2 usage error / unreadable input / unwritable output, 3 connection, TLS or
 * protocol failure. A command for which a row cannot happen (serve never "finds" anything)
 * has no case for it. probe's 0, 1 and 3 need its DNS servers: they are in probe.test.ts.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawServer, type RawServer } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startServe } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-exit-codes-'));
let refusing: RawServer;
let busyPort: number;
const busy = net.createServer();
beforeAll(async () => {
  // Answers every MAIL with 550: a rejection where success was expected.
  refusing = await startRawServer(async (socket, conn) => {
    socket.write('220 refuse.test ESMTP\r\n');
    for (;;) {
      const line = (await conn.nextLine(10_000)).toString('latin1');
      if (/^QUIT/i.test(line)) return void socket.end('221 bye\r\n');
      socket.write(/^MAIL/i.test(line) ? '550 5.7.1 not from you\r\n' : /^EHLO/i.test(line) ? '250 refuse.test\r\n' : '250 ok\r\n');
    }
  });
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as net.AddressInfo).port;
  writeFileSync(join(dir, 'clean.mbox'), 'From a@example.org Sat Dec  5 12:00:00 2026\nDate: Sat, 5 Dec 2026 12:00:00 +0000\nFrom: <a@example.org>\nMessage-ID: <1@example.org>\n\nbody\n\n');
  writeFileSync(join(dir, 'good.jsonl'), `${JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: new Date().toISOString(), command: 'session', target: '127.0.0.1:25' })}\n`);
  writeFileSync(join(dir, 'damaged.jsonl'), `${JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: new Date().toISOString(), command: 'session', target: '127.0.0.1:25' })}\nnot json\n`);
});
afterAll(async () => {
  await refusing?.close();
  busy.close();
});

const refused = () => `127.0.0.1:${refusing.port}`;
/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('exit codes, command by command', () => {
  it.each([
    ['session', 0, async () => runCli(['session'], { stdin: 'NOOP\n' })],
    ['session', 1, async () => runCli(['session', refused(), '--plain'], { stdin: 'MAIL FROM:<a@example.org>\n' })],
    ['session', 2, async () => runCli(['session', '--timeout', 'soon'])],
    ['session', 3, async () => runCli(['session', `127.0.0.1:${await deadPort()}`, '--plain'], { stdin: 'NOOP\n' })],
    ['inject', 0, async () => runCli(['inject'])],
    ['inject', 1, async () => runCli(['inject', refused(), '--plain'])],
    ['inject', 2, async () => runCli(['inject', '--data', join(dir, 'no-such-file')])],
    ['inject', 3, async () => runCli(['inject', `127.0.0.1:${await deadPort()}`, '--plain'])],
    ['serve', 2, async () => runCli(['serve', '--listen', 'nowhere:99999'])],
    ['serve', 3, async () => runCli(['serve', '--listen', `127.0.0.1:${busyPort}`])],
    ['proxy', 2, async () => runCli(['proxy'])],
    ['proxy', 3, async () => runCli(['proxy', '--listen', `127.0.0.1:${busyPort}`, '--upstream', refused()])],
    ['transcript', 0, async () => runCli(['transcript', join(dir, 'good.jsonl')])],
    ['transcript', 1, async () => runCli(['transcript', join(dir, 'damaged.jsonl')])],
    ['transcript', 2, async () => runCli(['transcript', join(dir, 'no-such.jsonl')])],
    ['lint-mbox', 0, async () => runCli(['lint-mbox', join(dir, 'clean.mbox')])],
    ['lint-mbox', 1, async () => runCli(['lint-mbox', join(REPO_ROOT, 'fixtures/mbox/notspam')])],
    ['lint-mbox', 2, async () => runCli(['lint-mbox', join(dir, 'no-such.mbox')])],
    ['probe', 2, async () => runCli(['probe'])],
  ] as const)('%s: exit %i', async (_command, code, run) => {
    const result = await run();
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(code);
    // Never a stack trace, whatever the code.
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each(['serve', 'proxy'] as const)('%s: exit 0 when stopped with SIGINT', async (command) => {
    if (command === 'serve') {
      const serve = await startServe([]);
      expect(await serve.stop()).toBe(0);
      return;
    }
    const proxy = await startServe([]);
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../harness/run-cli.js');
    const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${proxy.port}`, '--upstream-tls', 'none'], { cwd: REPO_ROOT });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 10_000;
    while (!/listening|127\.0\.0\.1:\d+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await proxy.stop();
  });
});
