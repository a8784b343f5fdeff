/**
 * `smtpdbg serve --scenario …` (the built CLI) as real clients see it: swaks, curl's
 * smtp://, Python's smtplib, and smtpdbg's own `session` or a raw socket where a real
 * client cannot show the behaviour. Plus scenario-file validation and bounded load tests.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw, type RawClient } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';
import { mboxEntries, python, run, startServe, type RunningServe } from './serve-cli.js';
import { requireSwaks } from '../harness/swaks.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-scenarios-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a Python smtplib script; `PORT` in it is replaced. */
const smtplib = (serve: RunningServe, script: string) => run(python, ['-c', `import smtplib, ssl, sys, time\n${script.replaceAll('PORT', String(serve.port))}`]);


/** swaks with its stderr (the `***` lines) merged into stdout, in order. */
const swaks = (serve: RunningServe, ...args: string[]) =>
  run('sh', ['-c', 'exec swaks "$@" 2>&1', 'swaks', '--server', `127.0.0.1:${serve.port}`, '--timeout', '10', ...args]);

/** Starts `serve`, runs the test body, always stops it; returns what it printed. */
async function withServe(args: string[], body: (serve: RunningServe) => Promise<void>): Promise<string> {
  const serve = await startServe(args);
  try {
    await body(serve);
  } finally {
    expect(await serve.stop()).toBe(0);
  }
  return serve.stdout();
}

async function greeted(port: number): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.readReply();
  return client;
}

describe('serve --list-scenarios', () => {
  it('lists every built-in scenario with what it imitates', async () => {
    const result = await runCli(['serve', '--list-scenarios']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const names = [...result.stdout.matchAll(/^(\S+) {2,}/gm)].map((m) => m[1]);
    expect(names).toEqual(['auth-fail-close', 'idle-421', 'greylist', 'ehlo-close', 'tls-abort', 'bare-lf-reject', 'bare-lf-normalize', 'cr-merge', 'slow', 'pipelining-strict', 'chunking-strict', 'bdat-reject', 'xclient', 'lmtp-partial']);
    expect(result.stdout).toMatch(/^auth-fail-close .*\n +imitates: Mailgun/m);
    expect(result.stdout).toContain('imitates: Postfix with smtpd_forbid_bare_newline = reject');
    expect(result.stdout).toMatch(/postgrey/);
    expect(result.stdout).toContain('imitates: Exchange Online (Office 365): "SMTPSEND.BareLinefeedsAreIllegal"');
  });

  it('names no file that is not shipped, in the list or in the help', async () => {
    const [list, help] = await Promise.all([runCli(['serve', '--list-scenarios']), runCli(['serve', '--help'])]);
    for (const result of [list, help]) {
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/design\.md|peers\.md|docs\/|fixtures\//);
    }
    expect(list.stdout).toMatch(/^cr-merge .*\n +imitates: a sendmail \+ milter \+ clean-up script pipeline/m);
  });
});

describe('serve --scenario with real clients', () => {
  it('auth-fail-close: 535 then a closed connection, for smtplib, swaks and smtpdbg session; the QUIT is shown, never answered', async (context) => {
    await requireSwaks(context, { tls: false, who: 'serve scenarios' });
    const out = await withServe(['--scenario', 'auth-fail-close'], async (serve) => {
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
s.ehlo()
s.user, s.password = 'u', 'p'
try:
    s.auth('PLAIN', s.auth_plain)
except smtplib.SMTPAuthenticationError as e:
    print('auth', e.smtp_code, e.smtp_error.decode())
try:
    s.quit()
except smtplib.SMTPServerDisconnected as e:
    print('quit: disconnected')
`);
      expect(py.stdout).toBe('auth 535 5.7.8 Authentication failed\nquit: disconnected\n');
      const sw = await swaks(serve, '--auth', 'LOGIN', '--auth-user', 'u', '--auth-password', 'p', '--to', 'a@example.test');
      expect(sw.code).not.toBe(0);
      expect(sw.stdout).toContain('<** 535 5.7.8 Authentication failed');
      expect(sw.stdout).toMatch(/-> QUIT\n\*\*\* Remote host closed connection unexpectedly/);
      const session = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain', '--auth', 'plain', '--user', 'u'], { env: { SMTPDBG_PASSWORD: 'p' } });
      expect(session.code).toBe(3);
      expect(session.stderr).toContain('server closed the connection after 535 5.7.8');
    });
    expect(out).toMatch(/\[#1\]  -> 535 5\.7\.8 Authentication failed␍␊\n\[#1\] === connection closed \(by the server\): closed after 535\n/);
    expect(out).toMatch(/=== the client wrote after the server closed the connection; nothing is answered\n\[#2\] <- {2}QUIT␍␊/);
    expect(out).not.toContain('-> 221');
  });

  it('idle-421: 421 4.4.2 after --idle ms of silence (smtplib), and at a command trickled in slower than that (raw)', async () => {
    await withServe(['--scenario', 'idle-421', '--idle', '400'], async (serve) => {
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
time.sleep(0.8)
print(s.ehlo())
`);
      expect(py.stdout).toBe("(421, b'4.4.2 localhost Error: timeout exceeded')\n");
      const client = await greeted(serve.port);
      // Each byte resets the idle timer, but the command as a whole takes longer than --idle.
      for (const byte of 'NOOP\r\n') {
        await client.send(byte);
        await sleep(120);
      }
      expect(await client.readReply()).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
      await client.waitForClose();
    });
  });

  it('greylist: 451 4.7.1 for a new triplet until --greylist-delay has passed, for swaks and curl', async (context) => {
    await requireSwaks(context, { tls: false, who: 'serve scenarios' });
    const file = path.join(dir, 'grey.eml');
    await writeFile(file, 'Subject: grey\r\n\r\nbody\r\n');
    const mbox = path.join(dir, 'grey.mbox');
    await withServe(['--scenario', 'greylist', '--greylist-delay', '1200', '--mbox', mbox], async (serve) => {
      const first = await swaks(serve, '--from', 'a@example.test', '--to', 'b@example.test');
      expect(first.code).not.toBe(0);
      expect(first.stdout).toMatch(/<\*\* 451 4\.7\.1 <b@example\.test>: Recipient address rejected: Greylisted, try again in [12] s/);
      const curl = await run('curl', ['-sS', '--max-time', '10', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'a@example.test', '--mail-rcpt', 'b@example.test', '-T', file]);
      expect(curl.code).toBe(55);
      expect(curl.stderr).toContain('RCPT failed: 451');
      await sleep(1300);
      expect((await swaks(serve, '--from', 'a@example.test', '--to', 'b@example.test')).code).toBe(0);
      // Another recipient is another triplet.
      expect((await swaks(serve, '--from', 'a@example.test', '--to', 'c@example.test')).code).not.toBe(0);
      expect((await run('curl', ['-sS', '--max-time', '10', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'a@example.test', '--mail-rcpt', 'b@example.test', '-T', file])).code).toBe(0);
    });
    expect(mboxEntries(await readFile(mbox)).map((e) => e.sender)).toEqual(['a@example.test', 'a@example.test']);
  });

  it('ehlo-close: the connection closes at EHLO without a reply, for curl, smtplib and smtpdbg session', async () => {
    await withServe(['--scenario', 'ehlo-close'], async (serve) => {
      const curl = await run('curl', ['-sS', '--max-time', '10', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'a@example.test', '--mail-rcpt', 'b@example.test', '-T', '/dev/null']);
      expect(curl.code).toBe(56);
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
try:
    s.ehlo()
except smtplib.SMTPServerDisconnected as e:
    print('disconnected:', e)
`);
      expect(py.stdout).toBe('disconnected: Connection unexpectedly closed\n');
      const session = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain', '--quit-after', 'ehlo']);
      expect(session.code).toBe(3);
      expect(session.stderr).toMatch(/closed/);
    });
  });

  it('tls-abort: 220 to STARTTLS, then the handshake fails, for curl --ssl-reqd, swaks --tls and smtplib', async (context) => {
    await requireSwaks(context, { tls: true, who: 'serve scenarios' });
    const out = await withServe(['--scenario', 'tls-abort'], async (serve) => {
      const curl = await run('curl', ['-sS', '--max-time', '10', '--ssl-reqd', '-k', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'a@example.test', '--mail-rcpt', 'b@example.test', '-T', '/dev/null']);
      expect(curl.code).toBe(35);
      const sw = await swaks(serve, '--tls', '--to', 'a@example.test');
      expect(sw.code).not.toBe(0);
      expect(sw.stdout).toContain('<-  220 2.0.0 Ready to start TLS');
      expect(sw.stdout).toContain('*** TLS startup failed');
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    s.starttls(context=ctx)
except (ssl.SSLError, OSError) as e:
    print('handshake failed:', type(e).__name__)
`);
      expect(py.stdout).toMatch(/^handshake failed: (SSLEOFError|SSLZeroReturnError|ConnectionResetError|SSLError)\n$/);
    });
    expect(out).toContain('=== closing in the middle of the TLS handshake, as the scenario asks');
  });

  it('bare-lf-reject: 550 5.5.2 to a message with a bare LF (session goes on, smtplib), 550 and a close for a bare-LF command', async () => {
    const mbox = path.join(dir, 'reject.mbox');
    await withServe(['--scenario', 'bare-lf-reject', '--mbox', mbox], async (serve) => {
      // smtplib sends bytes as given: these lines end in bare LFs.
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
try:
    s.sendmail('lf@example.test', ['x@example.test'], b'Subject: lf\\n\\nline\\n.\\nsmuggled\\r\\n')
except smtplib.SMTPDataError as e:
    print('data', e.smtp_code, e.smtp_error.decode())
print(s.sendmail('crlf@example.test', ['x@example.test'], b'Subject: crlf\\r\\n\\r\\nok\\r\\n'))
s.quit()
`);
      expect(py.stdout).toBe('data 550 5.5.2 Error: bare <LF> received\n{}\n');
      const client = await greeted(serve.port);
      await client.send('EHLO lf\n');
      expect(await client.readReply()).toBe('550 5.5.2 Error: bare <LF> received\r\n');
      await client.waitForClose();
    });
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'crlf@example.test', body: 'Subject: crlf\r\n\r\nok\r\n' }]);
  });

  it('bare-lf-normalize: stores bare LFs as CRLF (smtplib) and drops a "." line ended by a bare LF (raw)', async () => {
    const mbox = path.join(dir, 'normalize.mbox');
    await withServe(['--scenario', 'bare-lf-normalize', '--mbox', mbox], async (serve) => {
      // smtplib dot-stuffs after a bare LF too, so its "." line arrives as ".." and stays a line.
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
print(s.sendmail('py@example.test', ['x@example.test'], b'Subject: lf\\nX-Two: 2\\r\\n\\nline\\n.\\nafter\\r\\n'))
s.quit()
`);
      expect(py.stdout).toBe('{}\n');
      // A fake end-of-data (SMTP smuggling) from a client that does not stuff.
      const client = await greeted(serve.port);
      await client.send('EHLO x\r\nMAIL FROM:<raw@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n');
      for (let i = 0; i < 4; i++) await client.readReply();
      await client.send('Subject: smuggle\r\n\r\nline\n.\nMAIL FROM:<smuggled@example.test>\r\n.\r\n');
      expect(await client.readReply()).toMatch(/^250 2\.0\.0 Ok: queued/);
      client.close();
    });
    expect(mboxEntries(await readFile(mbox))).toEqual([
      { sender: 'py@example.test', body: 'Subject: lf\r\nX-Two: 2\r\n\r\nline\r\n.\r\nafter\r\n' },
      { sender: 'raw@example.test', body: 'Subject: smuggle\r\n\r\nline\r\nMAIL FROM:<smuggled@example.test>\r\n' },
    ]);
  });

  it('cr-merge: a bare CR after Date merges From into it and adds From: [no-from]; lint-mbox finds incident 1', async () => {
    const mbox = path.join(dir, 'notspam');
    await withServe(['--scenario', 'cr-merge', '--mbox', mbox], async (serve) => {
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
s.sendmail('example@example.com', ['x@example.test'], b'Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\\rFrom: "Example Name" <example@example.com>\\r\\nTo: x@example.test\\r\\nSubject: hi\\r\\n\\r\\nbody\\rstays\\r\\n')
s.sendmail('ok@example.com', ['x@example.test'], b'From: ok@example.com\\r\\nSubject: fine\\r\\n\\r\\nbody\\r\\n')
s.quit()
`);
      expect(py.code).toBe(0);
    });
    const [broken, fine] = mboxEntries(await readFile(mbox));
    expect(broken!.body).toBe('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT) From: "Example Name" <example@example.com>\r\nTo: x@example.test\r\nSubject: hi\r\nFrom: [no-from]\r\n\r\nbody\rstays\r\n');
    expect(fine!.body).toBe('From: ok@example.com\r\nSubject: fine\r\n\r\nbody\r\n');
    if (!existsSync(path.join(REPO_ROOT, 'dist/cli/lint-mbox.js'))) throw new Error('dist/cli/lint-mbox.js is missing: build first');
    const lint = await runCli(['lint-mbox', '--format', 'ndjson', mbox]);
    expect(lint.code).toBe(1);
    const findings = lint.stdout.trim().split('\n').map((line) => JSON.parse(line) as { rule: string; message: number });
    expect(findings.filter((f) => f.message === 1).map((f) => f.rule)).toEqual(expect.arrayContaining(['merged-field', 'placeholder-address']));
    expect(findings.filter((f) => f.message === 2 && ['merged-field', 'placeholder-address'].includes(f.rule))).toEqual([]);
  });

  it('slow: every reply waits --delay ms (smtplib), and smtpdbg session --timeout gives up with exit 3', async () => {
    await withServe(['--scenario', 'slow', '--delay', '300'], async (serve) => {
      const py = await smtplib(serve, `
t = time.monotonic()
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
s.ehlo()
s.noop()
s.quit()
print(round((time.monotonic() - t) * 1000))
`);
      // Banner, EHLO, NOOP and QUIT: four delays.
      expect(Number(py.stdout)).toBeGreaterThanOrEqual(1200);
      const session = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain', '--timeout', '150', '--quit-after', 'banner']);
      expect(session.code).toBe(3);
      expect(session.stderr).toMatch(/timed out after 150 ms/);
    });
  });

  it('pipelining-strict: no PIPELINING for swaks --pipeline (which then waits) and 554 5.5.0 plus a close for pipelined input', async (context) => {
    await requireSwaks(context, { tls: false, who: 'serve scenarios' });
    await withServe(['--scenario', 'pipelining-strict'], async (serve) => {
      const sw = await swaks(serve, '--pipeline', '--to', 'a@example.test');
      expect(sw.code).toBe(0);
      expect(sw.stdout).not.toContain('250-PIPELINING');
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
s.ehlo()
print(s.has_extn('pipelining'))
`);
      expect(py.stdout).toBe('False\n');
      const client = await greeted(serve.port);
      await client.send('EHLO x\r\n');
      await client.readReply();
      await client.send('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n');
      expect(await client.readReply()).toBe('554 5.5.0 Error: SMTP protocol synchronization\r\n');
      await client.waitForClose();
    });
  });
});

describe('serve --scenario FILE', () => {
  it('follows fixtures/scenarios/example.jsonc', async () => {
    await withServe(['--scenario', path.join(REPO_ROOT, 'fixtures/scenarios/example.jsonc')], async (serve) => {
      const started = Date.now();
      const client = await greeted(serve.port);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await client.send('EHLO x\r\n');
      const ehlo = await client.readReply();
      expect(ehlo).not.toContain('PIPELINING');
      expect(ehlo).toMatch(/250 X-SMTPDBG-DEMO\r\n$/);
      const steps: Array<[string, string]> = [
        ['NOOP', '250 ok, but ended by a bare LF\n'],
        ['HELP', '214-2.0.0 This server follows fixtures/scenarios/example.jsonc\r\n214 2.0.0 See smtpdbg serve --help\r\n'],
        ['MAIL FROM:<a@example.test>', '250 2.1.0 Ok\r\n'],
        ['RCPT TO:<b@example.test>', '451 4.7.1 Greylisted, try again later\r\n'],
        ['RCPT TO:<b@example.test>', '250 2.1.5 Ok (accepted and kept here; nothing is relayed)\r\n'],
        ['RCPT TO:<c@BLOCKED.test>', '550 5.7.1 Relaying denied\r\n'],
        ['DATA', '354 End data with <CR><LF>.<CR><LF>\r\n'],
        ['Subject: spam\r\n\r\nbuy\r\n.', '554 5.7.1 Message refused\r\n'],
      ];
      for (const [command, expected] of steps) {
        await client.send(`${command}\r\n`);
        expect(await client.readReply()).toBe(expected);
      }
      await client.send('VRFY x\r\n');
      await client.waitForClose();
      expect(client.received.toString('latin1')).toMatch(/554 5\.7\.1 Message refused\r\n$/);
    });
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['a JSON syntax error, with line and column', '{\n  "rules": [\n    { "verb": "RCPT" "reply": "451 x" }\n  ]\n}', /^smtpdbg: \S+bad\.json:3:22: invalid JSON: Expected ',' or '}' after property value\n$/],
    ['no rules', '{ "description": "x" }', /: rules: expected an array of rules, got null\n$/],
    ['an unknown key', '{ "rules": [ { "verb": "RCPT", "reply": "451 x" }, { "verb": "MAIL", "replay": "451 x" } ] }', /: rules\[1\]: unknown key "replay" \(known here: /],
    ['a bad close', '{ "rules": [ { "verb": "QUIT", "close": "later" } ] }', /: rules\[0\]\.close: expected "now" or "after-reply", got "later"\n$/],
    ['a reply without a code', '{ "rules": [ { "verb": "RCPT", "reply": ["Greylisted"] } ] }', /: rules\[0\]\.reply\[0\]: a reply line starts with a code 200-599/],
    ['a bad regex', '// comment\n{ "rules": [ { "match": "(", "close": "now" } ] }', /: rules\[0\]\.match: invalid regular expression/],
    ['a bad escape in raw', '{ "rules": [ { "verb": "NOOP", "raw": "250 \\\\q" } ] }', /: rules\[0\]\.raw: raw: unknown escape \\q at offset 4/],
    ['abortTls on another verb', '{ "rules": [ { "verb": "EHLO", "abortTls": true } ] }', /: rules\[0\]\.abortTls: only a command rule with "verb": "STARTTLS"/],
    ['a match key the event does not take', '{ "rules": [ { "on": "connect", "verb": "EHLO", "close": "now" } ] }', /: rules\[0\]: unknown key "verb" \(known here: on, reply/],
    ['no action', '{ "rules": [ { "verb": "EHLO" } ] }', /: rules\[0\]: no action: give at least one of reply, raw, delayMs, close, abortTls\n$/],
    ['a bad occurrence', '{ "rules": [ { "verb": "RCPT", "occurrence": "first", "close": "now" } ] }', /: rules\[0\]\.occurrence: expected a whole number ≥ 1 or "N\+", got "first"/],
  ];
  it.each(invalid)('rejects %s with exit 2 and a one-line error naming the file', async (_name, text, expected) => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, text);
    const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--scenario', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects an unknown scenario name and an option the scenario does not read, with exit 2', async () => {
    const unknown = await runCli(['serve', '--listen', '127.0.0.1:0', '--scenario', 'no-such-thing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^smtpdbg: --scenario no-such-thing: neither a built-in scenario \(auth-fail-close, .*\) nor an existing file\n$/);
    const misplaced = await runCli(['serve', '--listen', '127.0.0.1:0', '--scenario', 'greylist', '--delay', '5']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toBe('smtpdbg: --delay applies to --scenario slow, not to --scenario greylist\n');
  });
});

describe('serve robustness (bounded, loopback)', () => {
  it('serves 500 concurrent connections each doing EHLO and QUIT', async () => {
    await withServe(['--quiet', '--max-connections', '1000'], async (serve) => {
      const clients = await Promise.all(Array.from({ length: 500 }, () => connectRaw(serve.port)));
      const replies = await Promise.all(clients.map(async (client) => {
        await client.readReply(15_000);
        await client.send('EHLO load.test\r\n');
        await client.readReply(15_000);
        await client.send('QUIT\r\n');
        const bye = await client.readReply(15_000);
        await client.waitForClose(15_000);
        return bye;
      }));
      expect(replies.filter((r) => r === '221 2.0.0 Bye\r\n')).toHaveLength(500);
    });
  }, 60_000);

  it('answers 421 4.7.0 beyond --max-connections, and serves again once a slot is free', async () => {
    const out = await withServe(['--max-connections', '3'], async (serve) => {
      const held = await Promise.all([0, 1, 2].map(() => greeted(serve.port)));
      const extra = await connectRaw(serve.port);
      expect(await extra.readReply()).toBe('421 4.7.0 localhost Error: too many connections\r\n');
      await extra.waitForClose();
      await held[0]!.send('QUIT\r\n');
      await held[0]!.waitForClose();
      await sleep(50);
      const next = await connectRaw(serve.port);
      expect(await next.readReply()).toMatch(/^220 /);
      for (const client of [...held, next]) client.close();
    });
    expect(out).toMatch(/=== refused 127\.0\.0\.1:\d+: 3 connections open \(--max-connections 3\)/);
  });

  it('closes a connection with 421 4.7.0 after --max-errors error replies', async () => {
    await withServe(['--max-errors', '5'], async (serve) => {
      const client = await greeted(serve.port);
      await client.send('FROB\r\n'.repeat(5));
      for (let i = 0; i < 5; i++) expect(await client.readReply()).toBe('500 5.5.1 Command unrecognized: "FROB"\r\n');
      expect(await client.readReply()).toBe('421 4.7.0 localhost Error: too many errors\r\n');
      await client.waitForClose();
    });
  });

  it('keeps serving others while slow-loris clients drip a byte every 1.5 s', async () => {
    await withServe(['--quiet'], async (serve) => {
      const loris = await Promise.all(Array.from({ length: 50 }, () => greeted(serve.port)));
      let dripping = true;
      const drip = (async () => {
        for (let i = 0; dripping && i < 4; i++) {
          await Promise.all(loris.map((client) => client.send('E')));
          await sleep(1500);
        }
      })();
      await sleep(200);
      const started = Date.now();
      const py = await smtplib(serve, `
s = smtplib.SMTP('127.0.0.1', PORT, timeout=5)
print(s.sendmail('normal@example.test', ['x@example.test'], b'Subject: normal\\r\\n\\r\\nbody\\r\\n'))
s.quit()
`);
      expect(py.stdout).toBe('{}\n');
      expect(Date.now() - started).toBeLessThan(2000);
      dripping = false;
      await drip;
      for (const client of loris) {
        expect(client.received.toString('latin1')).not.toMatch(/^[45]/m);
        client.close();
      }
    });
  });
});
