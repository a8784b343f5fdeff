/**
 * `unix:/path` targets for `session` and `inject`: nodemailer's smtp-server listening on a
 * Unix-domain socket; one-line errors for a missing socket and for a path nothing listens
 * on (exit 3); credentials go over the socket in clear as they would to loopback, since the
 * socket is on this machine; the transcript and --json name the socket.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../harness/run-cli.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-unix-'));

let peer: SmtpServerPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('unix:/path targets', () => {
  it('inject delivers over the socket; the screen, --json and the transcript name it', async () => {
    const path = join(dir, 'inject.sock');
    peer = await startSmtpServerPeer({ path });
    const transcript = join(dir, 'inject.jsonl');
    const result = await runCli(['inject', `unix:${path}`, '--plain', '--to', 'a@example.test', '--json', '--transcript', transcript], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { target: string; transactions: Array<{ accepted: boolean }> };
    expect(json.target).toBe(`unix:${path}`);
    expect(json.transactions[0]?.accepted).toBe(true);
    const [message] = await peer.waitForMessages(1, 10_000);
    expect(message?.rcptTo).toEqual(['a@example.test']);
    const events = readFileSync(transcript, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; path?: string; target?: string });
    expect(events.find((e) => e.type === 'connect')?.path).toBe(path);
  });

  it('session over the socket: STARTTLS as usual, and the text transcript says where it connected', async () => {
    const path = join(dir, 'session.sock');
    peer = await startSmtpServerPeer({ path });
    const result = await runCli(['session', `unix:${path}`, '--ca', 'fixtures/certs/ca.pem', '--servername', 'localhost'], { stdin: 'NOOP\n', timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== connected to unix:${path}\n`);
    expect(result.stdout).toContain('certificate verified');
  });

  it('credentials go in clear over the socket (this machine, like loopback) without --insecure', async () => {
    const path = join(dir, 'auth.sock');
    peer = await startSmtpServerPeer({ path, allowInsecureAuth: true });
    const result = await runCli(['session', `unix:${path}`, '--plain', '--auth', 'plain', '--user', PEER_USER, '--quit-after', 'auth'], { env: { SMTPDBG_PASSWORD: PEER_PASSWORD }, timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ username: PEER_USER, accepted: true, secure: false })]);
  });

  it('a socket that does not exist: one line naming the path, exit 3', async () => {
    const path = join(dir, 'missing.sock');
    for (const command of ['session', 'inject']) {
      const result = await runCli([command, `unix:${path}`, '--plain']);
      expect(result.code).toBe(3);
      expect(`${result.stdout}${result.stderr}`).toContain(`*** cannot connect to unix:${path}: ENOENT (no such socket)\n`);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('a path nothing listens on: one line naming the path, exit 3', async () => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, '');
    const result = await runCli(['session', `unix:${path}`, '--plain']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(`*** connection to unix:${path} refused: ECONNREFUSED (nothing listens on that socket)\n`);
  });

  it('a socket this user may not open: one line naming the path, EACCES, exit 3', async () => {
    // Root passes every permission check by its capabilities: the CLI runs without any
    // (setpriv), still as root, so the socket is made nobody's with mode 0600.
    const path = join(dir, 'private.sock');
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      chownSync(path, 65534, 65534);
      chmodSync(path, 0o600);
      const result = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, BIN, 'session', `unix:${path}`, '--plain'], { encoding: 'utf8', timeout: 30_000 });
      expect(result.stderr).toBe(`*** cannot connect to unix:${path}: EACCES (permission denied)\n`);
      expect(result.status).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('unix: without a path is a usage error', async () => {
    const result = await runCli(['inject', 'unix:']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unix: needs a socket path');
  });
});
