/**
 * `serve` takes AUTH CRAM-MD5, XOAUTH2 and SCRAM-SHA-256 next to PLAIN and LOGIN: any
 * credentials by default, checked against --auth-users FILE when given (SCRAM only then).
 * Clients: smtpdbg's own session, swaks, Python's smtplib and curl. Each test checks what a
 * user checks: the client's result, the wire, the line serve shows (user and mechanism) and
 * that no secret shows in serve's output, text or --json.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cramMd5Response } from '../../src/smtp/sasl/cram-md5.js';
import { connectRaw, waitFor, type RawClient } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';
import { requireSwaks } from '../harness/swaks.js';
import { python, run, startServe, type RunningServe } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-serve-auth-'));
const USERS = join(dir, 'users.txt');
const PASSWORD = 'correct horse:battery';
const TOKEN = 'ya29.serve-Token_never-shown';
writeFileSync(USERS, `# accounts for the test\nalice:${PASSWORD}\nbob:other secret\n`);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** `session --quit-after auth` with the password (or token) from the environment. */
const authSession = (port: number, mechanism: string, user: string, secret: string) =>
  runCli(['session', `127.0.0.1:${port}`, '--plain', '--quit-after', 'auth', '--auth', mechanism, '--user', user], {
    env: mechanism === 'xoauth2' ? { SMTPDBG_OAUTH_TOKEN: secret, SMTPDBG_PASSWORD: undefined } : { SMTPDBG_PASSWORD: secret, SMTPDBG_OAUTH_TOKEN: undefined },
    timeoutMs: 30_000,
  });

async function ehlo(client: RawClient): Promise<string> {
  await client.readReply();
  await client.send('EHLO client.test\r\n');
  return client.readReply();
}

/** The 334's decoded text. */
const challengeOf = (line: string) => unb64(/^334 (\S*)\r\n$/.exec(line)?.[1] ?? '!');

const waitShown = (serve: RunningServe, text: string) => waitFor(() => serve.stdout().includes(text), 10_000, `serve to show ${text}`);

describe('serve without --auth-users: any credentials, the user shown', () => {
  let serve: RunningServe;
  beforeAll(async () => {
    serve = await startServe(['--no-starttls']);
  });
  afterAll(async () => {
    await serve.stop();
  });

  it('offers PLAIN LOGIN CRAM-MD5 XOAUTH2, not SCRAM-SHA-256, and says why it refuses SCRAM', async () => {
    expect(serve.stdout()).toContain('=== accepts any recipient and any credentials;');
    const client = await connectRaw(serve.port);
    expect(await ehlo(client)).toContain('250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n');
    await client.send(`AUTH SCRAM-SHA-256 ${b64('n,,n=alice,r=abcdef')}\r\n`);
    expect(await client.readReply()).toBe('504 5.5.4 Unrecognized authentication type (SCRAM-SHA-256 needs --auth-users)\r\n');
    client.close();
  });

  it('CRAM-MD5 on the wire: a msg-id challenge, any digest accepted, the user shown, the response redacted', async () => {
    const client = await connectRaw(serve.port);
    await ehlo(client);
    await client.send('AUTH CRAM-MD5\r\n');
    const challenge = challengeOf(await client.readReply());
    expect(challenge).toMatch(/^<[0-9a-f]{16}\.\d+@localhost>$/);
    const response = b64(cramMd5Response('wire-user', 'any password', challenge));
    await client.send(`${response}\r\n`);
    expect(await client.readReply()).toBe('235 2.7.0 Authentication successful\r\n');
    await client.send('QUIT\r\n');
    await client.readReply();
    client.close();
    await waitShown(serve, 'authenticated as "wire-user" with CRAM-MD5 (any credentials are accepted)');
    expect(serve.stdout()).not.toContain(response);
  });

  it('RFC 4954 §4 on the wire: "*" cancels (501), a non-base64 line 501, "=" an empty initial response, no initial response for CRAM-MD5', async () => {
    const client = await connectRaw(serve.port);
    await ehlo(client);
    await client.send('AUTH CRAM-MD5\r\n');
    expect(await client.readReply()).toMatch(/^334 /);
    await client.send('*\r\n');
    expect(await client.readReply()).toBe('501 5.7.0 Authentication cancelled\r\n');
    await client.send('AUTH LOGIN\r\n');
    expect(await client.readReply()).toBe(`334 ${b64('Username:')}\r\n`);
    await client.send('not base64!\r\n');
    expect(await client.readReply()).toBe('501 5.5.2 Cannot decode response (not base64)\r\n');
    await client.send('AUTH PLAIN =\r\n');
    expect(await client.readReply()).toBe('501 5.5.2 Malformed PLAIN response\r\n');
    await client.send(`AUTH CRAM-MD5 ${b64('x y')}\r\n`);
    expect(await client.readReply()).toBe('501 5.5.2 CRAM-MD5 takes no initial response (the server speaks first)\r\n');
    // XOAUTH2 without an initial response: an empty 334, then the response.
    await client.send('AUTH XOAUTH2\r\n');
    expect(await client.readReply()).toBe('334 \r\n');
    await client.send(`${b64(`user=tok-user\x01auth=Bearer ${TOKEN}\x01\x01`)}\r\n`);
    expect(await client.readReply()).toBe('235 2.7.0 Authentication successful\r\n');
    client.close();
    await waitShown(serve, 'authenticated as "tok-user" with XOAUTH2 (any credentials are accepted)');
    expect(serve.stdout()).not.toContain(TOKEN);
  });

  it.each([
    ['cram-md5', 'CRAM-MD5', 'cram-any'],
    ['xoauth2', 'XOAUTH2', 'xoauth-any'],
  ])('session --auth %s with any secret: exit 0, serve shows the user and no secret', async (mechanism, name, user) => {
    const result = await authSession(serve.port, mechanism, user, mechanism === 'xoauth2' ? TOKEN : 'whatever pw');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('235 2.7.0 Authentication successful');
    await waitShown(serve, `authenticated as "${user}" with ${name} (any credentials are accepted)`);
    expect(serve.stdout()).not.toContain(TOKEN);
    expect(serve.stdout()).not.toContain('whatever pw');
  });

  it('swaks --auth CRAM-MD5 is accepted; serve shows its user', async (context) => {
    await requireSwaks(context, { tls: false, who: 'serve-auth' });
    const swaks = await run('swaks', ['--server', `127.0.0.1:${serve.port}`, '--to', 'bob@example.org', '--auth', 'CRAM-MD5', '--auth-user', 'swaks-user', '--auth-password', 'swaks pw', '--quit-after', 'AUTH']);
    expect(swaks.code, swaks.stdout + swaks.stderr).toBe(0);
    expect(swaks.stdout).toContain('<-  235 2.7.0 Authentication successful');
    await waitShown(serve, 'authenticated as "swaks-user" with CRAM-MD5');
  });

  it("Python's smtplib: login() picks CRAM-MD5 when offered, auth('CRAM-MD5', …) too", async () => {
    const script = [
      'import smtplib, sys',
      'port = int(sys.argv[1])',
      "s = smtplib.SMTP('127.0.0.1', port, timeout=20); print(s.login('py-login', 'py pw')); s.quit()",
      "s = smtplib.SMTP('127.0.0.1', port, timeout=20); s.ehlo(); s.user, s.password = 'py-auth', 'py pw2'",
      "print(s.auth('CRAM-MD5', s.auth_cram_md5)); s.quit()",
    ].join('\n');
    const result = await run(python, ['-c', script, String(serve.port)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("(235, b'2.7.0 Authentication successful')\n(235, b'2.7.0 Authentication successful')\n");
    await waitShown(serve, 'authenticated as "py-login" with CRAM-MD5');
    await waitShown(serve, 'authenticated as "py-auth" with CRAM-MD5');
  });

  it('curl: --login-options AUTH=CRAM-MD5 and --oauth2-bearer (XOAUTH2) send a message', async () => {
    const common = ['-sS', '--max-time', '20', '--url', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'a@example.org', '--mail-rcpt', 'b@example.org', '-T', '-'];
    const cram = await run('curl', [...common, '--user', 'curl-cram:curl pw', '--login-options', 'AUTH=CRAM-MD5'], 'Subject: t\r\n\r\nhi\r\n');
    expect(cram.code, cram.stderr).toBe(0);
    const bearer = await run('curl', [...common, '--user', 'curl-oauth', '--oauth2-bearer', TOKEN], 'Subject: t\r\n\r\nhi\r\n');
    expect(bearer.code, bearer.stderr).toBe(0);
    await waitShown(serve, 'authenticated as "curl-cram" with CRAM-MD5');
    await waitShown(serve, 'authenticated as "curl-oauth" with XOAUTH2');
    expect(serve.stdout()).not.toContain(TOKEN);
    expect(serve.stdout()).not.toContain(b64(`user=curl-oauth\x01auth=Bearer ${TOKEN}\x01\x01`));
  });
});

describe('serve --auth-users FILE: credentials checked, SCRAM-SHA-256 offered', () => {
  let serve: RunningServe;
  beforeAll(async () => {
    serve = await startServe(['--no-starttls', '--auth-users', USERS, '--json']);
  });
  afterAll(async () => {
    await serve.stop();
  });
  /** Every secret a client of these tests sends, raw and as base64 where it crosses so. */
  const secrets = [PASSWORD, b64(`\0alice\0${PASSWORD}`), TOKEN, 'wrong horse', 'wrong-token'];
  const expectNoSecret = () => {
    for (const secret of secrets) expect(serve.stdout()).not.toContain(secret);
  };

  it('offers SCRAM-SHA-256 too, and says at start which file it checks', async () => {
    expect(serve.stdout()).toContain(`"authUsers":${JSON.stringify(USERS)}`);
    const client = await connectRaw(serve.port);
    expect(await ehlo(client)).toContain('250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 SCRAM-SHA-256\r\n');
    client.close();
  });

  it.each([
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['cram-md5', 'CRAM-MD5'],
    ['plain', 'PLAIN'],
    ['login', 'LOGIN'],
  ])('session --auth %s: the right password gets 235 (exit 0), a wrong one 535 5.7.8 (exit 1)', async (mechanism, name) => {
    const good = await authSession(serve.port, mechanism, 'alice', PASSWORD);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toContain('235 2.7.0 Authentication successful');
    const bad = await authSession(serve.port, mechanism, 'alice', 'wrong horse');
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stdout).toContain('535 5.7.8 Authentication credentials invalid');
    await waitShown(serve, `authenticated as \\"alice\\" with ${name} (`);
    await waitShown(serve, `AUTH ${name} as \\"alice\\" refused: wrong password (${USERS})`);
    expectNoSecret();
  });

  it('SCRAM-SHA-256 on the wire: server-first, then the signature in a 334, then 235 after the empty line', async () => {
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain', '--quit-after', 'auth', '--auth', 'scram-sha-256', '--user', 'bob', '--show-secrets'], { env: { SMTPDBG_PASSWORD: 'other secret' }, timeoutMs: 30_000 });
    expect(result.code, result.stdout).toBe(0);
    const lines = result.stdout.split('\n');
    const replies = lines.filter((l) => /^<- {2}(334|235)/.test(l));
    expect(replies).toHaveLength(3);
    expect(unb64(/334 (\S+)/.exec(replies[0]!)![1]!)).toMatch(/^r=[^,]+,s=[A-Za-z0-9+/=]+,i=4096$/);
    expect(unb64(/334 (\S+)/.exec(replies[1]!)![1]!)).toMatch(/^v=[A-Za-z0-9+/=]{44}$/);
    expect(replies[2]).toContain('235 2.7.0');
    await waitShown(serve, 'authenticated as \\"bob\\" with SCRAM-SHA-256 (proof checked against');
  });

  it('an unknown user gets 535 and serve says it is not in the file', async () => {
    const result = await authSession(serve.port, 'scram-sha-256', 'mallory', 'anything');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('535 5.7.8');
    await waitShown(serve, `AUTH SCRAM-SHA-256 as \\"mallory\\" refused: \\"mallory\\" is not in ${USERS}`);
  });

  it("XOAUTH2: the user's password is the token; a wrong one gets the JSON 334, the client's empty line, then 535", async () => {
    const good = await authSession(serve.port, 'xoauth2', 'alice', PASSWORD);
    expect(good.code, good.stdout).toBe(0);
    const client = await connectRaw(serve.port);
    await ehlo(client);
    await client.send(`AUTH XOAUTH2 ${b64('user=alice\x01auth=Bearer wrong-token\x01\x01')}\r\n`);
    expect(JSON.parse(challengeOf(await client.readReply()))).toEqual({ status: '401', schemes: 'bearer', scope: '' });
    await client.send('\r\n');
    expect(await client.readReply()).toBe('535 5.7.8 Authentication credentials invalid\r\n');
    // The refused exchange is over: a new AUTH may follow.
    await client.send(`AUTH XOAUTH2 ${b64(`user=alice\x01auth=Bearer ${PASSWORD}\x01\x01`)}\r\n`);
    expect(await client.readReply()).toBe('235 2.7.0 Authentication successful\r\n');
    client.close();
    await waitShown(serve, 'AUTH XOAUTH2 as \\"alice\\" refused: wrong token');
    expectNoSecret();
  });

  it('swaks --auth CRAM-MD5 with a wrong password fails (535), with the right one passes', async (context) => {
    await requireSwaks(context, { tls: false, who: 'serve-auth' });
    const args = (password: string) => ['--server', `127.0.0.1:${serve.port}`, '--to', 'x@example.org', '--auth', 'CRAM-MD5', '--auth-user', 'bob', '--auth-password', password, '--quit-after', 'AUTH'];
    const bad = await run('swaks', args('wrong horse'));
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain('535 5.7.8 Authentication credentials invalid');
    const good = await run('swaks', args('other secret'));
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expectNoSecret();
    expect(serve.stdout()).not.toContain('other secret');
  });
});

describe('serve --auth-users with a scenario', () => {
  it('auth-fail-close still answers every complete exchange (SCRAM-SHA-256, CRAM-MD5) with 535 and a close', async () => {
    const serve = await startServe(['--no-starttls', '--auth-users', USERS, '--scenario', 'auth-fail-close']);
    try {
      expect(serve.stdout()).toContain(`=== accepts any recipient and the credentials in ${USERS} (SCRAM-SHA-256 offered);`);
      for (const mechanism of ['scram-sha-256', 'cram-md5']) {
        const result = await authSession(serve.port, mechanism, 'alice', PASSWORD);
        // The scenario's point: the 535 comes with a close, which the client reports (exit 3).
        expect(result.code, result.stdout + result.stderr).toBe(3);
        expect(result.stderr).toContain('server closed the connection after 535 5.7.8 Authentication failed');
      }
    } finally {
      await serve.stop();
    }
  });
});

describe('serve --auth-users FILE mistakes: one line, exit 2, before listening', () => {
  it.each([
    ['missing', join(dir, 'nope.txt'), /^smtpdbg: --auth-users .*nope\.txt: cannot read \(ENOENT\)\n$/],
    ['no colon', 'bad', /^smtpdbg: --auth-users .*bad-users\.txt:2: expected user:password, found no colon\n$/],
  ])('%s', async (_name, file, message) => {
    let path = file;
    if (file === 'bad') {
      path = join(dir, 'bad-users.txt');
      writeFileSync(path, 'alice:pw\njust-a-name\n');
    }
    const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--auth-users', path], { timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toContain('listening');
  });
});
