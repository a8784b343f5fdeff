import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { EventStream, type SessionEvent } from '../../src/transcript/events.js';
import { connectRaw, waitFor, type RawClient } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';
import { mboxEntries, python, run, startServe } from './serve-cli.js';
import { requireSwaks } from '../harness/swaks.js';

const QUEUED = /^250 2\.0\.0 Ok: queued as ([0-9A-F]{12}) \(kept here, never relayed\)\r\n$/;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A byte-exact SMTP client over a plain or TLS socket. */
function replies(socket: net.Socket | tls.TLSSocket) {
  let received = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  return {
    send: (data: string) => socket.write(Buffer.from(data, 'latin1')),
    async reply(timeoutMs = 5000): Promise<string> {
      const end = await waitFor(() => {
        const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(received);
        if (!m && closed) throw new Error(`closed; pending ${JSON.stringify(received)}`);
        return m ? m[0].length : 0;
      }, timeoutMs, 'a reply');
      const reply = received.slice(0, end);
      received = received.slice(end);
      return reply;
    },
    pending: () => received,
    closed: () => closed,
  };
}

/** Connects, reads the banner and sends EHLO, MAIL, RCPT and DATA in one write (RFC 2920); returns at the 354. */
async function openData(port: number, sender: string): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.readReply();
  await client.send(`EHLO x\r\nMAIL FROM:<${sender}>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n`);
  for (const code of ['250', '250', '250', '354']) expect((await client.readReply()).slice(0, 3)).toBe(code);
  return client;
}

describe('capture server over raw sockets', () => {
  let server: CaptureServer;
  let events: SessionEvent[];
  let mboxPath: string;

  beforeAll(async () => {
    mboxPath = path.join(dir, 'raw.mbox');
    const stream = new EventStream();
    events = [];
    stream.subscribe((e) => events.push(e));
    server = await startCaptureServer({ mboxPath, events: stream, hostname: 'mx.smtpdbg.test', maxMessageSize: 2000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('speaks ESMTP with exact reply bytes and stores the message', async () => {
    const client = await connectRaw(server.port);
    expect(await client.readReply()).toBe('220 mx.smtpdbg.test ESMTP smtpdbg capture server: accepts any recipient, relays nothing\r\n');
    await client.send('EHLO client.test\r\n');
    expect(await client.readReply()).toBe([
      '250-mx.smtpdbg.test greets client.test',
      '250-PIPELINING',
      '250-SIZE 2000',
      '250-STARTTLS',
      '250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2',
      '250-ENHANCEDSTATUSCODES',
      '250-8BITMIME',
      '250-SMTPUTF8',
      '250-CHUNKING',
      '250-BINARYMIME',
      '250 HELP',
      '',
    ].join('\r\n'));
    // PIPELINING (RFC 2920): the whole envelope in one write, replies in order.
    await client.send('MAIL FROM:<alice@example.test> BODY=8BITMIME\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<carol@example.test>\r\nDATA\r\n');
    expect(await client.readReply()).toBe('250 2.1.0 Ok\r\n');
    expect(await client.readReply()).toBe('250 2.1.5 Ok (accepted and kept here; nothing is relayed)\r\n');
    expect(await client.readReply()).toBe('250 2.1.5 Ok (accepted and kept here; nothing is relayed)\r\n');
    expect(await client.readReply()).toBe('354 End data with <CR><LF>.<CR><LF>\r\n');
    await client.send('Subject: raw\r\n\r\n..leading dot\r\nend\r\n.\r\n');
    const queued = QUEUED.exec(await client.readReply());
    expect(queued).not.toBeNull();
    await client.send('QUIT\r\n');
    expect(await client.readReply()).toBe('221 2.0.0 Bye\r\n');
    await client.waitForClose();
    const message = server.messages.find((m) => m.id === queued![1]);
    expect(message).toMatchObject({ from: 'alice@example.test', to: ['bob@example.test', 'carol@example.test'], tls: false, helo: 'client.test' });
    expect(message!.data.toString('latin1')).toBe('Subject: raw\r\n\r\n.leading dot\r\nend\r\n');
    expect(message!.raw.toString('latin1')).toBe('Subject: raw\r\n\r\n..leading dot\r\nend\r\n.\r\n');
    const entries = mboxEntries(await readFile(mboxPath));
    expect(entries.at(-1)).toEqual({ sender: 'alice@example.test', body: 'Subject: raw\r\n\r\n.leading dot\r\nend\r\n' });
  });

  it.each([
    ['MAIL before EHLO', ['MAIL FROM:<a@example.test>'], '503 5.5.1 Error: send HELO/EHLO first\r\n'],
    ['unknown verb', ['EHLO x', 'FROB it'], '500 5.5.1 Command unrecognized: "FROB"\r\n'],
    // The verb as received: its case may be what is being debugged.
    ['unknown verb in lower case', ['EHLO x', 'frob it'], '500 5.5.1 Command unrecognized: "frob"\r\n'],
    ['unknown verb in mixed case', ['Frob'], '500 5.5.1 Command unrecognized: "Frob"\r\n'],
    ['RCPT before MAIL', ['EHLO x', 'RCPT TO:<b@example.test>'], '503 5.5.1 Error: need MAIL command\r\n'],
    ['DATA before RCPT', ['EHLO x', 'MAIL FROM:<>', 'DATA'], '503 5.5.1 Error: need RCPT command\r\n'],
    ['nested MAIL', ['EHLO x', 'MAIL FROM:<>', 'MAIL FROM:<>'], '503 5.5.1 Error: nested MAIL command\r\n'],
    ['MAIL without brackets', ['EHLO x', 'MAIL FROM:a@example.test'], '501 5.5.4 Syntax: MAIL FROM:<address>\r\n'],
    ['declared SIZE too big (RFC 1870)', ['EHLO x', 'MAIL FROM:<> SIZE=2001'], '552 5.3.4 Message size exceeds fixed maximum message size (2000)\r\n'],
    ['unknown MAIL parameter', ['EHLO x', 'MAIL FROM:<> RET=FULL'], '555 5.5.4 Unsupported option: RET\r\n'],
    ['VRFY', ['VRFY bob'], '252 2.5.0 Cannot VRFY user; any recipient is accepted (nothing is relayed)\r\n'],
    ['NOOP', ['NOOP'], '250 2.0.0 Ok\r\n'],
    ['RSET', ['RSET'], '250 2.0.0 Ok\r\n'],
    ['EHLO without a name', ['EHLO'], '501 5.5.4 Syntax: EHLO hostname\r\n'],
    ['HELO', ['HELO x'], '250 mx.smtpdbg.test greets x\r\n'],
    ['AUTH before EHLO', ['AUTH PLAIN'], '503 5.5.1 Error: send HELO/EHLO first\r\n'],
    ['unknown AUTH mechanism', ['EHLO x', 'AUTH DIGEST-MD5'], '504 5.5.4 Unrecognized authentication type\r\n'],
    // Postfix takes a tab between the verb and its arguments as a space.
    ['AUTH with tabs', ['EHLO x', `AUTH\tPLAIN\t${Buffer.from('\0u\0p').toString('base64')}`], '235 2.7.0 Authentication successful\r\n'],
    ['NOOP with a tab', ['NOOP\tx'], '250 2.0.0 Ok\r\n'],
    ['command line over 512 octets (RFC 5321 §4.5.3.1.4)', [`NOOP ${'x'.repeat(600)}`], '500 5.5.2 Line too long (607 octets, limit 512)\r\n'],
  ])('answers %s', async (_name, commands, expected) => {
    const client = await connectRaw(server.port);
    await client.readReply();
    let reply = '';
    for (const command of commands) {
      await client.send(`${command}\r\n`);
      reply = await client.readReply();
    }
    expect(reply).toBe(expected);
    client.close();
  });

  it('answers HELP with a multi-line 214 that says it never relays', async () => {
    const client = await connectRaw(server.port);
    await client.readReply();
    await client.send('HELP\r\n');
    const reply = await client.readReply();
    expect(reply).toMatch(/^214-2\.0\.0 .*\r\n214-2\.0\.0 .*never relays anything\.\r\n214 2\.0\.0 Commands: .*QUIT\r\n$/);
    client.close();
  });

  it('reads a bare-LF command, stores bare CR and bare LF byte-exact, and flags them', async () => {
    const client = await connectRaw(server.port);
    await client.readReply();
    await client.send('EHLO lf\nMAIL FROM:<lf@example.test>\nRCPT TO:<x@example.test>\nDATA\n');
    for (const want of ['250-', '250 2.1.0', '250 2.1.5', '354 ']) expect(await client.readReply()).toMatch(new RegExp(`^${want}`));
    // Each fake end below ends the message at a lenient server; here they stay content.
    const content = 'Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\rFrom: "Example Name" <example@example.com>\r\nTo: x\nSubject: s\r\n\r\nline\n.\nmore\r.\r\n';
    await client.send(`${content}.\r\n`);
    const id = QUEUED.exec(await client.readReply())![1];
    const message = server.messages.find((m) => m.id === id)!;
    expect(message.data.toString('latin1')).toBe(content);
    expect(message.bareCrLines).toEqual([1, 4]);
    expect(message.bareLfLines).toEqual([2, 4]);
    const entry = mboxEntries(await readFile(mboxPath)).at(-1)!;
    expect(entry).toEqual({ sender: 'lf@example.test', body: content });
    const connectionEvents = events.filter((e) => e.conn === message.conn);
    expect(connectionEvents.find((e) => e.type === 'recv' && e.data.toString() === 'EHLO lf\n')).toBeDefined();
    const infos = connectionEvents.flatMap((e) => (e.type === 'info' ? [e.message] : []));
    expect(infos).toContain('bare CR in DATA line(s) 1, 4 (RFC 5321 §2.3.8: only CRLF ends a line)');
    expect(infos).toContain('bare LF in DATA line(s) 2, 4 (RFC 5321 §2.3.8: only CRLF ends a line)');
    client.close();
  });

  it('escapes From_ lines mboxrd-style (>From, >>From) and writes MAILER-DAEMON for <>', async () => {
    const client = await openData(server.port, '');
    await client.send('Subject: from\r\n\r\nFrom the start\r\n>From quoted\r\nnot From here\r\n.\r\n');
    const id = QUEUED.exec(await client.readReply())![1];
    expect(server.messages.find((m) => m.id === id)!.data.toString()).toContain('\r\nFrom the start\r\n>From quoted\r\n');
    const raw = (await readFile(mboxPath)).toString('latin1');
    expect(raw).toMatch(/\n\nFrom MAILER-DAEMON [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\nSubject: from\r\n\r\n>From the start\r\n>>From quoted\r\nnot From here\r\n\n$/);
    client.close();
  });

  it('refuses a message over the SIZE limit with 552 and keeps the session usable', async () => {
    const client = await openData(server.port, 'big@example.test');
    const before = server.messages.length;
    await client.send(`${'y'.repeat(998)}\r\n`.repeat(3) + '.\r\nNOOP\r\n');
    expect(await client.readReply()).toBe('552 5.3.4 Message size exceeds fixed maximum message size (2000)\r\n');
    expect(await client.readReply()).toBe('250 2.0.0 Ok\r\n');
    expect(server.messages.length).toBe(before);
    client.close();
  });

  it('discards bytes pipelined after STARTTLS and requires a new EHLO (RFC 3207 §4.2, §6)', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    const plain = replies(socket);
    await plain.reply();
    plain.send('EHLO x\r\n');
    await plain.reply();
    // An injection attempt: commands behind STARTTLS in the same packet.
    plain.send('STARTTLS\r\nMAIL FROM:<injected@example.test>\r\nRCPT TO:<x@example.test>\r\n');
    expect(await plain.reply()).toBe('220 2.0.0 Ready to start TLS\r\n');
    socket.removeAllListeners('data');
    const secure = tls.connect({ socket, servername: 'localhost', ca: server.certificate! });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    expect(secure.authorized).toBe(true);
    const inside = replies(secure);
    inside.send('MAIL FROM:<a@example.test>\r\n');
    expect(await inside.reply()).toBe('503 5.5.1 Error: send HELO/EHLO first\r\n');
    inside.send('EHLO x\r\n');
    const ehlo = await inside.reply();
    expect(ehlo).not.toContain('STARTTLS');
    expect(ehlo).toContain('250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n');
    inside.send('STARTTLS\r\nQUIT\r\n');
    expect(await inside.reply()).toBe('503 5.5.1 Error: TLS already active\r\n');
    expect(await inside.reply()).toBe('221 2.0.0 Bye\r\n');
    expect(inside.pending()).toBe('');
    const conn = events.find((e) => e.type === 'recv' && e.data.toString().startsWith('MAIL FROM:<injected'))?.conn;
    expect(conn).toBeDefined();
    expect(events.some((e) => e.conn === conn && e.type === 'info' && /discarded 61 octets sent after STARTTLS/.test(e.message))).toBe(true);
    expect(events.some((e) => e.conn === conn && e.type === 'tls' && e.summary.protocol === 'TLSv1.3')).toBe(true);
    secure.destroy();
  });

  it('redacts AUTH secrets in events and accepts any credentials', async () => {
    const client = await connectRaw(server.port);
    await client.readReply();
    const plain = Buffer.from('\0user\0hunter2').toString('base64');
    await client.send(`EHLO x\r\nAUTH PLAIN ${plain}\r\n`);
    await client.readReply();
    expect(await client.readReply()).toBe('235 2.7.0 Authentication successful\r\n');
    await client.send('AUTH LOGIN\r\n');
    expect(await client.readReply()).toBe('503 5.5.1 Error: already authenticated\r\n');
    client.close();
    const login = await connectRaw(server.port);
    await login.readReply();
    await login.send('EHLO x\r\nAUTH LOGIN\r\n');
    await login.readReply();
    expect(await login.readReply()).toBe('334 VXNlcm5hbWU6\r\n');
    await login.send(`${Buffer.from('someone').toString('base64')}\r\n`);
    expect(await login.readReply()).toBe('334 UGFzc3dvcmQ6\r\n');
    await login.send(`${Buffer.from('pass').toString('base64')}\r\n`);
    expect(await login.readReply()).toBe('235 2.7.0 Authentication successful\r\n');
    login.close();
    const seen = events.filter((e) => e.type === 'recv').map((e) => (e.type === 'recv' ? e.data.toString('latin1') : ''));
    expect(seen).toContain('AUTH PLAIN <redacted>\r\n');
    expect(seen.join('')).not.toContain(plain);
    expect(seen.join('')).not.toContain(Buffer.from('pass').toString('base64'));
  });
});

describe('capture server options and behaviour hooks', () => {
  let server: CaptureServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('closes an idle connection with 421 4.4.2 (RFC 5321 §4.5.3.2)', async () => {
    server = await startCaptureServer({ idleTimeoutMs: 200 });
    const client = await connectRaw(server.port);
    await client.readReply();
    expect(await client.readReply(3000)).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
    await client.waitForClose(3000);
  });

  it('lets a behaviour replace replies, delay and close per command', async () => {
    server = await startCaptureServer({
      behaviour: {
        name: 'test',
        onCommand: (c) => {
          if (c.verb === 'RCPT' && c.occurrence === 1) return { delayMs: 50, reply: { code: 451, enhanced: '4.7.1', lines: ['Greylisted, try again'] } };
          if (c.verb === 'NOOP') return { close: 'now' };
          return undefined;
        },
        capabilities: (_c, keywords) => keywords.filter((k) => k !== 'STARTTLS'),
      },
    });
    const client = await connectRaw(server.port);
    await client.readReply();
    await client.send('EHLO x\r\n');
    expect(await client.readReply()).not.toContain('STARTTLS');
    await client.send('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<b@example.test>\r\n');
    await client.readReply();
    expect(await client.readReply()).toBe('451 4.7.1 Greylisted, try again\r\n');
    expect(await client.readReply()).toMatch(/^250 2\.1\.5/);
    await client.send('NOOP\r\n');
    await client.waitForClose();
    expect(client.received.toString('latin1')).not.toMatch(/250 2\.0\.0 Ok\r\n$/);
  });

  it('lets a behaviour refuse or rewrite a message, and abort a TLS handshake', async () => {
    server = await startCaptureServer({
      behaviour: {
        onMessage: (m) => (m.bareLfLines.length > 0
          ? { reply: { code: 550, enhanced: '5.5.2', lines: ['bare <LF> received'] } }
          : { store: Buffer.from(m.data.toString('latin1').replace('\r', ' '), 'latin1') }),
        onCommand: (c) => (c.verb === 'STARTTLS' ? { abortTls: true } : undefined),
      },
    });
    const client = await openData(server.port, 'a@example.test');
    await client.send('one\ntwo\r\n.\r\n');
    expect(await client.readReply()).toBe('550 5.5.2 bare <LF> received\r\n');
    await client.send('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    for (let i = 0; i < 3; i++) await client.readReply();
    await client.send('Date: x\rFrom: y\r\n.\r\n');
    expect(await client.readReply()).toMatch(QUEUED);
    expect(server.messages.map((m) => m.data.toString('latin1'))).toEqual(['Date: x From: y\r\n']);
    await client.send('STARTTLS\r\n');
    expect(await client.readReply()).toBe('220 2.0.0 Ready to start TLS\r\n');
    client.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: client.socket, rejectUnauthorized: false });
    await expect(new Promise((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
      secure.once('close', () => reject(new Error('closed in the handshake')));
    })).rejects.toThrow();
  });

  it('with keepMessages and byteEvents off, keeps nothing in memory and emits no bytes, but still reports each message', async () => {
    const stream = new EventStream();
    const seen: SessionEvent[] = [];
    stream.subscribe((e) => seen.push(e));
    server = await startCaptureServer({ keepMessages: false, byteEvents: false, events: stream });
    const delivered: Array<[string, number, boolean]> = [];
    server.onMessage((m) => delivered.push([m.from, m.size, 'data' in m]));
    for (let i = 0; i < 3; i++) {
      const client = await openData(server.port, `s${i}@example.test`);
      await client.send(`Subject: ${i}\r\n\r\nsecret body line\r\n.\r\n`);
      expect(await client.readReply()).toMatch(QUEUED);
      client.close();
    }
    // The summary only: the content went by without being held.
    expect(delivered).toEqual([0, 1, 2].map((i) => [`s${i}@example.test`, 32, false]));
    expect(server.messages).toEqual([]);
    expect(seen.filter((e) => e.type === 'recv' || e.type === 'send')).toEqual([]);
    expect(seen.filter((e) => e.type === 'info' && /^message [0-9A-F]{12}: 32 octets from <s\d@example\.test>/.test(e.message))).toHaveLength(3);
  });

  it('sends 421 to open connections when it closes', async () => {
    server = await startCaptureServer({});
    const client = await connectRaw(server.port);
    await client.readReply();
    await server.close();
    expect(await client.readReply()).toBe('421 4.3.2 localhost Service shutting down\r\n');
    await client.waitForClose();
  });

  it('offers a certificate that openssl s_client verifies', async () => {
    server = await startCaptureServer({ hostname: 'mx.smtpdbg.test' });
    const caFile = path.join(dir, 'generated.pem');
    await writeFile(caFile, server.certificate!);
    const output = await new Promise<string>((resolve) => {
      const child = execFile('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${server!.port}`, '-servername', 'mx.smtpdbg.test', '-verify_hostname', 'mx.smtpdbg.test', '-CAfile', caFile, '-verify_return_error', '-crlf', '-ign_eof'], { timeout: 10_000 }, (_error, stdout, stderr) => resolve(stdout + stderr));
      // s_client takes a line starting with Q as its own command (its own quit). If it has
      // already exited, the EPIPE is not the test's concern.
      child.stdin?.on('error', () => {});
      child.stdin?.end('quit\n');
    });
    expect(output).toContain('Verify return code: 0 (ok)');
    expect(output).toContain('221 2.0.0 Bye');
  });
});

// ------------------------------------------------------------- the built CLI with real clients

describe('smtpdbg serve (built) with real clients', () => {
  it('takes Python smtplib with STARTTLS and AUTH, prints lines with visible terminators, redacts the secret', async () => {
    const mbox = path.join(dir, 'python.mbox');
    const serve = await startServe(['--mbox', mbox]);
    const script = `
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', ${serve.port}, timeout=10)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.login('pyuser', 'pysecret')
refused = s.sendmail('py@example.test', ['one@example.test', 'two@example.test'], b'Subject: python\\r\\n\\r\\nFrom Python\\r\\n.dot\\r\\n')
s.quit()
print('refused', refused)
`;
    const result = await run(python, ['-c', script]);
    expect(result).toMatchObject({ code: 0, stdout: 'refused {}\n' });
    expect(await serve.stop()).toBe(0);
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'py@example.test', body: 'Subject: python\r\n\r\n>From Python\r\n.dot\r\n' }]);
    const out = serve.stdout();
    // smtplib's login() prefers CRAM-MD5, which serve offers: the response line is the secret.
    expect(out).toMatch(/\[#1\] <~  AUTH CRAM-MD5␍␊\n.*\n\[#1\] <~  <redacted>␍␊/);
    expect(out).toContain('authenticated as "pyuser" with CRAM-MD5');
    expect(out).not.toContain('pysecret');
    expect(out).toContain('[#1] <~  ..dot␍␊');
    expect(out).toContain('[#1] === TLS started: TLSv1.3');
    expect(out).toContain('NEVER relays');
    expect(out).toMatch(/=== SIGINT: stopped\n$/);
  });

  it('takes swaks --tls --auth', async (context) => {
    await requireSwaks(context, { who: 'serve e2e' });
    const mbox = path.join(dir, 'swaks.mbox');
    const serve = await startServe(['--mbox', mbox]);
    const dataFile = path.join(dir, 'swaks.eml');
    const body = 'Subject: swaks\r\n\r\nFrom swaks\r\n.one dot\r\n';
    await writeFile(dataFile, body);
    const result = await run('swaks', ['--server', `127.0.0.1:${serve.port}`, '--tls', '--auth', 'LOGIN', '--auth-user', 'sw', '--auth-password', 'swsecret', '--from', 'sw@example.test', '--to', 'rcpt@example.test', '--data', dataFile]);
    expect(result.code).toBe(0);
    expect(await serve.stop()).toBe(0);
    // swaks writes its own CRLF before the end-of-data indicator, so the content gains an empty line.
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'sw@example.test', body: 'Subject: swaks\r\n\r\n>From swaks\r\n.one dot\r\n\r\n' }]);
    expect(serve.stdout()).toContain('<~  AUTH LOGIN␍␊');
    expect(serve.stdout()).not.toContain(Buffer.from('swsecret').toString('base64'));
  });

  it('takes curl smtp:// with --ssl-reqd', async () => {
    const mbox = path.join(dir, 'curl.mbox');
    const serve = await startServe(['--mbox', mbox, '--json']);
    const file = path.join(dir, 'curl.eml');
    await writeFile(file, 'Subject: curl\r\n\r\nFrom curl\r\n.dot\r\n');
    const result = await run('curl', ['-sS', '--max-time', '10', '--ssl-reqd', '-k', `smtp://127.0.0.1:${serve.port}`, '--mail-from', 'cu@example.test', '--mail-rcpt', 'r@example.test', '-T', file]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await serve.stop()).toBe(0);
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'cu@example.test', body: 'Subject: curl\r\n\r\n>From curl\r\n.dot\r\n' }]);
    const lines = serve.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'listening', host: '127.0.0.1', port: serve.port });
    expect(lines).toContainEqual(expect.objectContaining({ type: 'message', from: 'cu@example.test', to: ['r@example.test'], tls: true, size: 34 }));
    expect(lines).toContainEqual(expect.objectContaining({ type: 'recv', tls: true, data: '..dot\r\n' }));
    expect(lines.at(-1)).toEqual({ type: 'stopped', signal: 'SIGINT' });
  });

  it('--lint: each message\'s lint-mbox findings are printed under it as it arrives (text and --json)', async () => {
    const serve = await startServe(['--lint', '--quiet']);
    const client = await openData(serve.port, 's@example.test');
    await client.send('Date: Sat, 5 Dec 2026 12:00:00 +0000\rFrom: <s@example.test>\r\nSubject: merged\r\n\r\nbody\r\n.\r\n');
    await client.readReply();
    await waitFor(() => serve.stdout().includes('lint-mbox error merged-field'), 10_000);
    expect(serve.stdout()).toMatch(/=== message \S+: lint-mbox error bare-cr line 1: CR without LF inside a header line/);
    expect(serve.stdout()).toMatch(/=== message \S+: lint-mbox error merged-field line 1: "From:" inside the value of Date/);
    expect(await serve.stop()).toBe(0);

    const json = await startServe(['--lint', '--json']);
    const clean = await openData(json.port, 's@example.test');
    await clean.send('Date: Sat, 5 Dec 2026 12:00:00 +0000\r\nFrom: <s@example.test>\r\nMessage-ID: <1@example.test>\r\n\r\nbody\r\n.\r\n');
    await clean.readReply();
    await waitFor(() => json.stdout().includes('lint-mbox: no findings'), 10_000);
    expect(await json.stop()).toBe(0);
    const lines = json.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ type: 'info', message: expect.stringMatching(/^message \S+: lint-mbox: no findings$/) }));
  });

  it('ends with exit 0 and a complete mbox on SIGINT while a client is connected', async () => {
    const mbox = path.join(dir, 'sigint.mbox');
    const serve = await startServe(['--mbox', mbox]);
    const client = await openData(serve.port, 's@example.test');
    await client.send('Subject: kept\r\n\r\nbody\r\n.\r\n');
    await client.readReply();
    expect(await serve.stop()).toBe(0);
    expect(await client.readReply()).toBe('421 4.3.2 localhost Service shutting down\r\n');
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 's@example.test', body: 'Subject: kept\r\n\r\nbody\r\n' }]);
  });

  it('rejects a bad --listen with exit 2', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--listen', 'nowhere:99999'], { cwd: REPO_ROOT });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('--listen nowhere:99999');
  });
});
