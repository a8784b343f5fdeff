/**
 * The local command `:auth` of a scripted session takes every mechanism `--auth` takes, and
 * `:auth` without a mechanism picks the strongest offered, as `--auth` alone does. Peers:
 * nodemailer's smtp-server (CRAM-MD5, XOAUTH2, PLAIN, LOGIN) and our own `serve
 * --auth-users` (SCRAM-SHA-256, which smtp-server lacks). Each run checks the peer's verdict,
 * the exit code, the line naming the mechanism, and that no secret reaches the screen.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';
import { startServe, type RunningServe } from './serve-cli.js';

const TOKEN = 'ya29.session-Token_only-in-the-environment';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const noSecrets = { SMTPDBG_PASSWORD: undefined, SMTPDBG_OAUTH_TOKEN: undefined };

/** A scripted session: `script` on stdin, the password or token from the environment. */
const scripted = (port: number, args: string[], script: string, env: Record<string, string | undefined>) =>
  runCli(['session', `127.0.0.1:${port}`, '--plain', ...args], { stdin: script, env: { ...noSecrets, ...env }, timeoutMs: 30_000 });

describe(':auth against smtp-server', () => {
  let peer: SmtpServerPeer;
  beforeAll(async () => {
    peer = await startSmtpServerPeer({
      allowInsecureAuth: true,
      options: {
        authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
        onAuth(auth, _session, callback) {
          const method = auth.method as string;
          const accepted = auth.username === PEER_USER && (method === 'XOAUTH2'
            ? auth.accessToken === TOKEN
            : method === 'CRAM-MD5' ? auth.validatePassword(PEER_PASSWORD) : auth.password === PEER_PASSWORD);
          peer.authAttempts.push({ method, username: auth.username, accepted, secure: false });
          if (accepted) return callback(null, { user: PEER_USER });
          return method === 'XOAUTH2' ? callback(null, { data: { status: '401', schemes: 'bearer', scope: '' } }) : callback(new Error('Error: Authentication credentials invalid'));
        },
      },
    });
  });
  afterAll(async () => {
    await peer.close();
  });

  it.each([
    ['cram-md5', 'CRAM-MD5'],
    ['plain', 'PLAIN'],
    ['login', 'LOGIN'],
  ])(':auth %s USER: accepted by the peer, the secret redacted, exit 0', async (mechanism, name) => {
    peer.authAttempts.length = 0;
    const result = await scripted(peer.port, [], `:auth ${mechanism} ${PEER_USER}\nNOOP\n`, { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ method: name, username: PEER_USER, accepted: true })]);
    expect(result.stdout).toMatch(/<-  235 2\.7\.0/);
    expect(result.stdout).toContain('(secret redacted)');
    expect(result.stdout + result.stderr).not.toContain(PEER_PASSWORD);
    expect(result.stdout + result.stderr).not.toContain(b64(PEER_PASSWORD));
  });

  it(':auth USER picks CRAM-MD5, the strongest offered, and says so as --auth alone does', async () => {
    peer.authAttempts.length = 0;
    const result = await scripted(peer.port, [], `:auth ${PEER_USER}\n`, { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('=== :auth: using CRAM-MD5, the strongest of what the server offers (PLAIN LOGIN CRAM-MD5 XOAUTH2)\n');
    expect(peer.authAttempts.map((a) => [a.method, a.accepted])).toEqual([['CRAM-MD5', true]]);
  });

  it(':auth alone takes the user of --user (no --auth: the opening does not authenticate)', async () => {
    peer.authAttempts.length = 0;
    const result = await scripted(peer.port, ['--user', PEER_USER], ':auth\n', { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('=== :auth: using CRAM-MD5');
    expect(peer.authAttempts.map((a) => [a.method, a.username, a.accepted])).toEqual([['CRAM-MD5', PEER_USER, true]]);
  });

  it(':auth alone without --user: one line, exit 2, nothing of AUTH sent', async () => {
    const result = await scripted(peer.port, [], ':auth\nNOOP\n', { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('*** :auth needs a user: :auth [MECHANISM] USER, or --user\n');
    expect(result.stdout).not.toContain('-> AUTH');
  });

  it(':auth cram-md5 with a wrong password: the 535 is shown, exit 1', async () => {
    const result = await scripted(peer.port, [], `:auth cram-md5 ${PEER_USER}\n`, { SMTPDBG_PASSWORD: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/<-  535 5\.7\.8 Error: Authentication credentials invalid/);
  });

  it(':auth xoauth2: the token from SMTPDBG_OAUTH_TOKEN is accepted and never shown; with a token, :auth alone picks XOAUTH2', async () => {
    peer.authAttempts.length = 0;
    const named = await scripted(peer.port, [], `:auth xoauth2 ${PEER_USER}\n`, { SMTPDBG_OAUTH_TOKEN: TOKEN });
    expect(named.code, named.stdout + named.stderr).toBe(0);
    expect(named.stdout).toContain('-> AUTH XOAUTH2 [redacted]␍␊ (secret redacted)');
    const chosen = await scripted(peer.port, [], `:auth ${PEER_USER}\n`, { SMTPDBG_OAUTH_TOKEN: TOKEN });
    expect(chosen.code, chosen.stdout + chosen.stderr).toBe(0);
    expect(chosen.stdout).toContain('=== :auth: using XOAUTH2, the strongest of what the server offers');
    expect(peer.authAttempts.map((a) => [a.method, a.accepted])).toEqual([['XOAUTH2', true], ['XOAUTH2', true]]);
    for (const result of [named, chosen]) expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it(':auth xoauth2 without SMTPDBG_OAUTH_TOKEN: one line, exit 2, no AUTH sent', async () => {
    const result = await scripted(peer.port, [], `:auth xoauth2 ${PEER_USER}\n`, {});
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('*** :auth xoauth2 needs the token in SMTPDBG_OAUTH_TOKEN (never on the command line)\n');
    expect(result.stdout).not.toContain('-> AUTH');
  });

  it(':auth with too many words: a usage line naming the mechanisms, exit 2', async () => {
    const result = await scripted(peer.port, [], ':auth cram-md5 alice bob\n', { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('*** :auth cram-md5 alice bob: expected :auth [MECHANISM] [USER], MECHANISM one of scram-sha-256, cram-md5, plain, login, xoauth2\n');
  });
});

describe(':auth scram-sha-256 against serve --auth-users', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-session-auth-'));
  const users = join(dir, 'users.txt');
  const PASSWORD = 'correct horse:battery';
  writeFileSync(users, `alice:${PASSWORD}\n`);
  let serve: RunningServe;
  beforeAll(async () => {
    serve = await startServe(['--no-starttls', '--auth-users', users]);
  });
  afterAll(async () => {
    await serve.stop();
  });

  it(':auth alice picks SCRAM-SHA-256, serve checks the proof; :auth scram-sha-256 with a wrong password gets 535, exit 1', async () => {
    const good = await scripted(serve.port, [], ':auth alice\nNOOP\n', { SMTPDBG_PASSWORD: PASSWORD });
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain('=== :auth: using SCRAM-SHA-256, the strongest of what the server offers (PLAIN LOGIN CRAM-MD5 XOAUTH2 SCRAM-SHA-256)\n');
    expect(good.stdout).toMatch(/<-  235 2\.7\.0/);
    expect(good.stdout + good.stderr).not.toContain(PASSWORD);
    const bad = await scripted(serve.port, [], ':auth scram-sha-256 alice\n', { SMTPDBG_PASSWORD: 'wrong horse' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('535 5.7.8 Authentication credentials invalid');
    expect(serve.stdout()).toContain('authenticated as "alice" with SCRAM-SHA-256 (proof checked against');
  });
});
