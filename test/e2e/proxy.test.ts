/**
 * `smtpdbg proxy` (built) between real clients (swaks, Python's smtplib, raw sockets) and
 * real servers (nodemailer's smtp-server, Postfix, scripted raw servers): what each side
 * sees, and what the one transcript of both legs records.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/transcript/events.js';
import { parseTranscript } from '../../src/transcript/reader.js';
import { describePostfix } from '../harness/postfix-context.js';
import { watchPeakRss } from '../harness/peak-rss.js';
import { connectRaw, startRawServer, waitFor, type RawConnectionHandler, type RawServer } from '../harness/raw-server.js';
import { REPO_ROOT } from '../harness/run-cli.js';
import { startProxyCli, stopRunningProxies } from './proxy-process.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';
import { ci, requireSwaks } from '../harness/swaks.js';

const CERTS = path.join(REPO_ROOT, 'fixtures/certs');
const CA = path.join(CERTS, 'ca.pem');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-proxy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await stopRunningProxies();
  await Promise.all(closers.splice(0).map((close) => close()));
});

function run(command: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}


async function transcriptEvents(file: string): Promise<SessionEvent[]> {
  const parsed = parseTranscript(await readFile(file, 'utf8'));
  expect(parsed.damage).toEqual([]);
  expect(parsed.header).toMatchObject({ command: 'proxy', version: 1 });
  return parsed.entries.map((e) => e.event);
}

const bytesOf = (events: SessionEvent[], leg: 'client' | 'upstream', type: 'send' | 'recv', tlsOnly?: boolean): string =>
  events
    .filter((e) => e.leg === leg && e.type === type && (tlsOnly === undefined || e.tls === tlsOnly))
    .map((e) => (e.type === 'send' || e.type === 'recv' ? e.data.toString('latin1') : ''))
    .join('');

/** The decoded MAIL, RCPT and DATA of a message, inside TLS, on both legs, in the proxy's direction. */
function expectRelayedInTls(events: SessionEvent[], from: string, to: string, content: RegExp): void {
  const fromApp = bytesOf(events, 'client', 'recv', true);
  const toServer = bytesOf(events, 'upstream', 'send', true);
  for (const bytes of [fromApp, toServer]) {
    // Python's smtplib writes verbs in lower case.
    expect(bytes.toUpperCase()).toContain(`MAIL FROM:<${from.toUpperCase()}>`);
    expect(bytes.toUpperCase()).toContain(`RCPT TO:<${to.toUpperCase()}>`);
    expect(bytes.toUpperCase()).toContain('DATA\r\n');
    expect(bytes).toMatch(content);
    expect(bytes).toContain('\r\n.\r\n');
  }
}

describe('smtpdbg proxy (built) with real clients and servers', () => {
  let peer: SmtpServerPeer;
  beforeAll(async () => {
    peer = await startSmtpServerPeer({ authRequired: true });
  });
  afterAll(async () => {
    await peer.close();
  });

  it('swaks --tls --auth → proxy → smtp-server: TLS on both legs, one transcript with conn and leg on every event', async (context) => {
    await requireSwaks(context, { who: 'proxy e2e' });
    const transcript = path.join(dir, 'swaks.jsonl');
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${peer.port}`, '--ca', CA, '--transcript', transcript]);
    const before = peer.messages.length;
    const swaks = await run('swaks', ['--server', `127.0.0.1:${proxy.port}`, '--tls', '--auth', 'PLAIN', '--auth-user', PEER_USER, '--auth-password', PEER_PASSWORD, '--from', 'sw@example.test', '--to', 'rcpt@example.test', '--body', 'through the proxy']);
    expect(swaks.stderr).toBe('');
    expect(swaks.code).toBe(0);
    // What swaks saw: STARTTLS offered by the proxy in plain text, not offered again inside TLS.
    expect(swaks.stdout).toMatch(/<-  250[ -]STARTTLS/);
    expect(swaks.stdout).not.toMatch(/<~  250[ -]STARTTLS/);
    expect(await proxy.stop()).toBe(0);

    const [message] = (await peer.waitForMessages(before + 1)).slice(before);
    expect(message).toMatchObject({ mailFrom: 'sw@example.test', rcptTo: ['rcpt@example.test'], user: PEER_USER, secure: true });
    expect(message!.raw.toString('latin1')).toContain('through the proxy');

    const events = await transcriptEvents(transcript);
    for (const event of events) expect(event).toMatchObject({ conn: 1, leg: expect.stringMatching(/^(client|upstream)$/) });
    expect(events.filter((e) => e.type === 'tls').map((e) => e.leg)).toEqual(['upstream', 'client']);
    const upstreamTls = events.find((e) => e.type === 'tls' && e.leg === 'upstream');
    expect(upstreamTls).toMatchObject({ summary: { verified: true } });
    expectRelayedInTls(events, 'sw@example.test', 'rcpt@example.test', /through the proxy/);
    // Content and end of data go upstream in one write: two small ones would wait ~40 ms for a delayed ACK.
    expect(events.some((e) => e.leg === 'upstream' && e.type === 'send' && /through the proxy[^]*\r\n\.\r\n$/.test(e.data.toString('latin1')))).toBe(true);
    // The secret is relayed but never recorded.
    const secret = Buffer.from(`\0${PEER_USER}\0${PEER_PASSWORD}`).toString('base64');
    expect(await readFile(transcript, 'utf8')).not.toContain(secret);
    expect(bytesOf(events, 'client', 'recv', true)).toContain('AUTH PLAIN <redacted>\r\n');
    expect(proxy.stdout()).toContain('[#1 client] <~  MAIL FROM:<sw@example.test>␍␊');
    expect(proxy.stdout()).toContain('[#1 upstream]  ~> MAIL FROM:<sw@example.test>␍␊');
    expect(proxy.stdout()).toMatch(/=== SIGTERM: proxy stopped after 1 connection\n$/);
  });

  it('Python smtplib starttls + login through the proxy, trusting the proxy certificate given with --cert/--key', async (context) => {
    if (!python) {
      if (ci) throw new Error('CI must run the Python test: /usr/bin/python3 is missing');
      context.skip('/usr/bin/python3 is missing');
    }
    const transcript = path.join(dir, 'python.jsonl');
    const keylog = path.join(dir, 'python.keylog');
    const proxy = await startProxyCli([
      '--upstream', `127.0.0.1:${peer.port}`, '--ca', CA, '--transcript', transcript, '--keylog', keylog,
      '--cert', path.join(CERTS, 'server.pem'), '--key', path.join(CERTS, 'server-key.pem'),
    ]);
    const script = `
import smtplib, ssl
s = smtplib.SMTP('127.0.0.1', ${proxy.port}, timeout=10)
s.ehlo('python.test')
print('starttls offered', s.has_extn('starttls'))
s.starttls(context=ssl.create_default_context(cafile=${JSON.stringify(CA)}))
s.ehlo('python.test')
print('starttls offered after', s.has_extn('starttls'))
s.login(${JSON.stringify(PEER_USER)}, ${JSON.stringify(PEER_PASSWORD)})
print('refused', s.sendmail('py@example.test', ['py-rcpt@example.test'], b'Subject: py\\r\\n\\r\\nvia proxy\\r\\n'))
s.quit()
`;
    const result = await run(python!, ['-c', script]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('starttls offered True\nstarttls offered after False\nrefused {}\n');
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    expectRelayedInTls(events, 'py@example.test', 'py-rcpt@example.test', /via proxy/);
    expect(bytesOf(events, 'client', 'recv', true)).toMatch(/AUTH PLAIN <redacted>\r\n|AUTH LOGIN/);
    // NSS key-log lines for both handshakes (two client randoms), so Wireshark decrypts both legs.
    const randoms = new Set((await readFile(keylog, 'utf8')).trim().split('\n').map((line) => line.split(' ')[1]));
    expect(randoms.size).toBe(2);
  });

  it('--upstream-tls implicit: TLS from the first byte upstream (SMTPS), verified', async () => {
    const smtps = await startSmtpServerPeer({ options: { secure: true } });
    closers.push(() => smtps.close());
    const transcript = path.join(dir, 'implicit.jsonl');
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${smtps.port}`, '--upstream-tls', 'implicit', '--ca', CA, '--transcript', transcript]);
    // Nothing is verified at start-up: the line says what will be checked, each connection its result.
    expect(proxy.stdout()).toContain(`(upstream TLS: implicit; the certificate must verify for 127.0.0.1 against --ca ${CA}, checked on each connection)`);
    expect(proxy.stdout()).not.toContain('certificate verified');
    const app = await connectRaw(proxy.port);
    expect(await app.readReply()).toMatch(/^220 peer\.localhost/);
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply()).toMatch(/\r\n250 STARTTLS\r\n$/);
    await app.send('QUIT\r\n');
    expect(await app.readReply()).toMatch(/^221 /);
    await app.waitForClose();
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    expect(events.filter((e) => e.leg === 'upstream' && (e.type === 'send' || e.type === 'recv')).every((e) => e.tls)).toBe(true);
    expect(events.find((e) => e.type === 'tls')).toMatchObject({ leg: 'upstream', summary: { verified: true } });
    expect(proxy.stdout()).toContain('[#1 upstream] === certificate verified');
  });

  it('refuses an upstream whose certificate fails verification, and relays with --insecure-upstream, saying so', async () => {
    const selfSigned = await startSmtpServerPeer({ cert: 'self-signed.pem', key: 'self-signed-key.pem' });
    closers.push(() => selfSigned.close());
    const strict = await startProxyCli(['--upstream', `127.0.0.1:${selfSigned.port}`, '--ca', CA]);
    const app = await connectRaw(strict.port);
    expect(await app.readReply()).toMatch(/^220 /);
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply()).toMatch(/^421 4\.7\.0 localhost smtpdbg proxy: upstream certificate verification failed\r\n$/);
    await app.waitForClose();
    expect(strict.stdout()).toContain('[#1 upstream] *** upstream certificate verification failed: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');

    const insecure = await startProxyCli(['--upstream', `127.0.0.1:${selfSigned.port}`, '--insecure-upstream']);
    expect(insecure.stdout()).toContain('ANY certificate accepted (--insecure-upstream)');
    const app2 = await connectRaw(insecure.port);
    await app2.readReply();
    await app2.send('EHLO app.test\r\n');
    expect(await app2.readReply()).toMatch(/^250-peer\.localhost/);
    expect(insecure.stdout()).toContain('[#1 upstream] === --insecure-upstream: relaying although the upstream certificate failed verification: self-signed certificate');
    app2.close();
  });
});

/** A line-by-line server: each line gets `answer(line)`; undefined ends the connection with 221. */
function lineServer(answer: (line: string) => string | undefined): Parameters<typeof startRawServer>[0] {
  return async (socket, conn) => {
    socket.write('220 raw\r\n');
    for (;;) {
      const reply = answer((await conn.nextLine(5_000)).toString('latin1'));
      if (reply === undefined) return void socket.end('221 bye\r\n');
      socket.write(reply);
    }
  };
}

describe('smtpdbg proxy (built) against scripted servers: the application’s exact bytes', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A scripted upstream, in plain text, and a proxy recording to `<name>.jsonl` in front of it. */
  async function proxyToScript(name: string, handler: Parameters<typeof startRawServer>[0], extra: string[] = []) {
    server = await startRawServer(handler);
    const transcript = path.join(dir, `${name}.jsonl`);
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none', '--transcript', transcript, ...extra]);
    return { server, proxy, transcript };
  }

  it('a server that answers 535 and closes: the proxy closes the client leg and records what the client sent after it', async () => {
    const { server, proxy, transcript } = await proxyToScript('535', async (socket, conn) => {
      socket.write('220 hostile ESMTP\r\n');
      await conn.nextLine();
      socket.write('250-hostile\r\n250 AUTH PLAIN\r\n');
      await conn.nextLine();
      socket.end('535 5.7.8 Authentication failed\r\n');
    }, ['--timeout', '1500']);
    // Like the library of incident 2: it sends QUIT after the 535 and waits for a 221 on a
    // connection the server has closed (half-open: it does not close when it reads the FIN).
    const app = net.connect({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    let received = '';
    let ended = false;
    let closed = false;
    app.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    app.on('end', () => (ended = true));
    app.on('close', () => (closed = true));
    app.on('error', () => undefined);
    await waitFor(() => received.includes('220 '), 5_000, 'the banner');
    app.write('EHLO app.test\r\n');
    await waitFor(() => received.includes('250 STARTTLS\r\n'), 5_000, 'the EHLO reply');
    app.write('AUTH PLAIN AGFsaWNlAHdyb25n\r\n');
    await waitFor(() => received.includes('535 '), 5_000, 'the 535');
    app.write('QUIT\r\n');
    await waitFor(() => ended, 5_000, 'the FIN from the proxy');
    // The proxy gives the lingering client a bounded time (min(--timeout, 5 s)), then drops it.
    await waitFor(() => proxy.stdout().includes('[#1 client] === connection closed (by us)'), 5_000, 'the proxy to drop the lingering client');
    // Dropped for real: the next write of the client meets a reset.
    await waitFor(() => {
      if (!closed) app.write('NOOP\r\n');
      return closed;
    }, 5_000, 'a reset for the lingering client');
    expect(received).toBe('220 hostile ESMTP\r\n250-hostile\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n535 5.7.8 Authentication failed\r\n');
    expect(await proxy.stop()).toBe(0);

    expect(server.connections[0]!.text()).not.toContain('QUIT');
    const events = await transcriptEvents(transcript);
    const upstreamClose = events.findIndex((e) => e.type === 'close' && e.leg === 'upstream');
    const quit = events.findIndex((e) => e.type === 'recv' && e.leg === 'client' && e.data.toString('latin1') === 'QUIT\r\n');
    const clientClose = events.findIndex((e) => e.type === 'close' && e.leg === 'client');
    expect(events[upstreamClose]).toMatchObject({ by: 'peer' });
    expect(upstreamClose).toBeGreaterThan(-1);
    expect(quit).toBeGreaterThan(upstreamClose);
    expect(events[quit + 1]).toMatchObject({ type: 'info', leg: 'client', message: 'not relayed: the upstream connection is closed' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'info', leg: 'client', message: expect.stringMatching(/^the server closed first after 535 5\.7\.8 Authentication failed; closing the client's connection/) }));
    expect(events[clientClose]).toMatchObject({ by: 'local', reason: 'the client had not closed 1500 ms after the server did (waiting for a reply that cannot come?)' });
    expect(clientClose).toBeGreaterThan(quit);
    expect(proxy.stdout()).toContain('[#1 client] <-  QUIT␍␊');
    app.destroy();
  });

  it('a client that closes first: the proxy closes the upstream leg and says who closed first', async () => {
    const { server, proxy, transcript } = await proxyToScript('client-first', (socket) => void socket.write('220 raw\r\n'));
    const app = await connectRaw(proxy.port);
    await app.readReply();
    await app.send('EHLO half');
    app.socket.end();
    await waitFor(() => server.connections[0]?.closed, 5_000, 'the upstream leg to close');
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    const tail = events.slice(-4).map((e) => [e.leg, e.type, e.type === 'recv' ? e.data.toString('latin1') : e.type === 'close' ? e.by : e.type === 'info' ? e.message : '']);
    expect(tail).toEqual([
      ['client', 'recv', 'EHLO half'],
      ['client', 'info', 'the client closed first; closing the upstream connection'],
      ['client', 'close', 'peer'],
      ['upstream', 'close', 'local'],
    ]);
  });

  it('relays bare LFs and bare CRs exactly, in both directions of the record', async () => {
    const { server, proxy, transcript } = await proxyToScript('bare', lineServer((line) => (/^QUIT/i.test(line) ? undefined : /^EHLO/i.test(line) ? '250 raw\r\n' : '250 ok\r\n')));
    const app = await connectRaw(proxy.port);
    await app.readReply();
    await app.send('EHLO app.test\n');
    await app.readReply();
    await app.send('MAIL FROM:<a@b>\rX\n');
    expect(await app.readReply()).toBe('250 ok\r\n');
    await app.send('QUIT\r\n');
    expect(await app.readReply()).toBe('221 bye\r\n');
    await app.waitForClose();
    expect(await proxy.stop()).toBe(0);
    expect(server.connections[0]!.text()).toBe('EHLO app.test\nMAIL FROM:<a@b>\rX\nQUIT\r\n');
    const events = await transcriptEvents(transcript);
    expect(bytesOf(events, 'client', 'recv')).toBe('EHLO app.test\nMAIL FROM:<a@b>\rX\nQUIT\r\n');
    expect(bytesOf(events, 'upstream', 'send')).toBe('EHLO app.test\nMAIL FROM:<a@b>\rX\nQUIT\r\n');
    expect(proxy.stdout()).toContain('[#1 client] <-  EHLO app.test␊');
    expect(proxy.stdout()).toContain('[#1 client] <-  MAIL FROM:<a@b>␍X␊');
  });

  it('gives concurrent connections their own ids, each pairing its own two legs', async () => {
    const { proxy, transcript } = await proxyToScript('concurrent', lineServer((line) => (/^QUIT/i.test(line) ? undefined : `250 hello ${line.trim().slice(5)}\r\n`)));
    const names = ['one.test', 'two.test', 'three.test', 'four.test'];
    const apps = await Promise.all(names.map(() => connectRaw(proxy.port)));
    await Promise.all(apps.map((app) => app.readReply()));
    await Promise.all(apps.map((app, i) => app.send(`EHLO ${names[i]}\r\n`)));
    const replies = await Promise.all(apps.map((app) => app.readReply()));
    replies.forEach((reply, i) => expect(reply).toMatch(new RegExp(`^250-hello ${names[i]}\r\n`)));
    await Promise.all(apps.map((app) => app.send('QUIT\r\n')));
    await Promise.all(apps.map((app) => app.waitForClose()));
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    const ids = [...new Set(events.map((e) => e.conn))].sort();
    expect(ids).toEqual([1, 2, 3, 4]);
    for (const id of ids) {
      const mine = events.filter((e) => e.conn === id);
      const ehlo = /EHLO (\S+)\r\n/.exec(bytesOf(mine, 'client', 'recv'))![1];
      expect(bytesOf(mine, 'upstream', 'send')).toBe(`EHLO ${ehlo}\r\nQUIT\r\n`);
      expect(bytesOf(mine, 'upstream', 'recv')).toContain(`250 hello ${ehlo}\r\n`);
    }
  });

  it('answers STARTTLS itself: plain EHLO offers it, the upgrade discards pipelined bytes, EHLO inside TLS does not offer it', async () => {
    const { server, proxy, transcript } = await proxyToScript('starttls', lineServer((line) => (/^EHLO/i.test(line) ? '250-raw\r\n250 PIPELINING\r\n' : '250 ok\r\n')));
    const app = await connectRaw(proxy.port);
    await app.readReply();
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply()).toBe('250-raw\r\n250-PIPELINING\r\n250 STARTTLS\r\n');
    // RFC 3207 §6: a command pipelined behind STARTTLS must not be acted on.
    await app.send('STARTTLS\r\nMAIL FROM:<injected@x>\r\n');
    expect(await app.readReply()).toBe('220 2.0.0 Ready to start TLS\r\n');
    const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: app.socket, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    let received = '';
    secure.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    secure.write('EHLO app.test\r\n');
    await waitFor(() => /^250 /m.test(received), 5_000, 'the EHLO reply inside TLS');
    expect(received).toBe('250-raw\r\n250 PIPELINING\r\n');
    secure.destroy();
    expect(await proxy.stop()).toBe(0);
    expect(server.connections[0]!.text()).not.toContain('injected');
    const events = await transcriptEvents(transcript);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recv', leg: 'client', tls: false, data: Buffer.from('MAIL FROM:<injected@x>\r\n') }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'info', leg: 'client', message: 'discarded 24 octets sent after STARTTLS before the TLS handshake (RFC 3207 §6)' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'recv', leg: 'client', tls: true, data: Buffer.from('EHLO app.test\r\n') }));
  });
  it('ends a silent client after --idle-timeout with 421 4.4.2, and on SIGTERM tells open clients 421 and leaves a complete transcript', async () => {
    const { proxy, transcript } = await proxyToScript('idle', lineServer(() => '250 ok\r\n'), ['--idle-timeout', '300']);
    const idle = await connectRaw(proxy.port);
    expect(await idle.readReply()).toBe('220 raw\r\n');
    expect(await idle.readReply(3_000)).toBe('421 4.4.2 localhost smtpdbg proxy: idle timeout\r\n');
    await idle.waitForClose();

    const open = await connectRaw(proxy.port);
    await open.readReply();
    await open.send('NOOP\r\n');
    expect(await open.readReply()).toBe('250 ok\r\n');
    expect(await proxy.stop()).toBe(0);
    expect(await open.readReply()).toBe('421 4.3.2 localhost smtpdbg proxy shutting down\r\n');
    await open.waitForClose();
    const events = await transcriptEvents(transcript);
    expect(events.filter((e) => e.type === 'close').map((e) => [e.conn, e.leg, e.type === 'close' && e.by, e.type === 'close' && e.reason])).toEqual([
      [1, 'upstream', 'local', 'idle timeout'],
      [1, 'client', 'local', 'idle timeout'],
      [2, 'upstream', 'local', 'the proxy is shutting down'],
      [2, 'client', 'local', 'the proxy is shutting down'],
    ]);
  });
});

/**
 * A server that, like Postfix with smtpd_forbid_bare_newline=no, also ends DATA at a "."
 * alone on a line ended by a bare LF, and reads on: what follows is taken as commands.
 */
const bareLfEndServer: RawConnectionHandler = (socket) => {
  let buffer = '';
  let inData = false;
  let queued = 0;
  socket.write('220 lenient ESMTP\r\n');
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = /(?:^|\n)\.\r?\n/.exec(buffer);
        if (!end) return;
        buffer = buffer.slice(end.index + end[0].length);
        inData = false;
        socket.write(`250 2.0.0 Ok: queued as Q${++queued}\r\n`);
        continue;
      }
      const lf = buffer.indexOf('\n');
      if (lf === -1) return;
      const verb = buffer.slice(0, 4).toUpperCase();
      buffer = buffer.slice(lf + 1);
      if (verb === 'DATA') {
        inData = true;
        socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
      } else if (verb === 'QUIT') return void socket.end('221 2.0.0 Bye\r\n');
      else socket.write(verb === 'EHLO' ? '250-lenient\r\n250 PIPELINING\r\n' : '250 2.1.0 Ok\r\n');
    }
  });
};

/** The banner and EHLO (unless `ehlo` is false), MAIL, RCPT and DATA through the proxy, each answered as expected. */
async function openTransaction(app: Awaited<ReturnType<typeof connectRaw>>, { to = 'rcpt@example.test', ehlo = true } = {}): Promise<void> {
  const steps = [...(ehlo ? [['', '220'], ['EHLO app.test', '250']] : []), ['MAIL FROM:<app@example.test>', '250'], [`RCPT TO:<${to}>`, '250'], ['DATA', '354']];
  for (const [command, code] of steps) {
    if (command) await app.send(`${command}\r\n`);
    expect(await app.readReply()).toMatch(new RegExp(`^${code}[ -]`));
  }
}

describe('smtpdbg proxy (built): smuggling seen, peers that do not read, refusals said as they are', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('flags one DATA answered by two accepted ends of data: *** 2 transactions accepted for one DATA, on screen and in the transcript', async () => {
    server = await startRawServer(bareLfEndServer);
    const transcript = path.join(dir, 'smuggled.jsonl');
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none', '--transcript', transcript]);
    const app = await connectRaw(proxy.port);
    await openTransaction(app);
    // One DATA for the client (and the proxy): it ends at CRLF.CRLF. The server ends it at LF.LF.
    await app.send('Subject: one\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 Ok: queued as Q1\r\n');
    await waitFor(() => proxy.stdout().includes('transactions accepted'), 5_000, 'the smuggling line');
    await app.send('QUIT\r\n');
    await app.waitForClose();
    expect(await proxy.stop()).toBe(0);
    expect(server.connections[0]!.text()).toContain('first\n.\nMAIL FROM:<evil@example.test>');
    const flag = "2 transactions accepted for one DATA: the server ended the message before the client's end of data (CRLF.CRLF) and took what followed as another transaction (SMTP smuggling); accepted: 250 2.0.0 Ok: queued as Q1; 250 2.0.0 Ok: queued as Q2";
    expect(proxy.stdout()).toContain(`[#1 client] *** ${flag}\n`);
    expect(await transcriptEvents(transcript)).toContainEqual(expect.objectContaining({ type: 'error', leg: 'client', code: 'ESMUGGLED', message: flag }));
  });

  it('says nothing of two honest messages on one connection', async () => {
    server = await startRawServer(bareLfEndServer);
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none']);
    const app = await connectRaw(proxy.port);
    await openTransaction(app);
    await app.send('Subject: one\r\n\r\nfirst\r\n.\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 Ok: queued as Q1\r\n');
    await openTransaction(app, { ehlo: false });
    await app.send('Subject: two\r\n\r\nsecond\r\n.\r\n');
    expect(await app.readReply()).toBe('250 2.0.0 Ok: queued as Q2\r\n');
    await app.send('QUIT\r\n');
    await app.waitForClose();
    expect(await proxy.stop()).toBe(0);
    expect(proxy.stdout()).not.toContain('transactions accepted');
  });

  it('passes on a refused EHLO as the server said it, instead of "does not offer STARTTLS"', async () => {
    server = await startRawServer(lineServer((line) => (/^QUIT/i.test(line) ? undefined : /^EHLO/i.test(line) ? '550 5.5.2 Error: bare <LF> received\r\n' : '250 ok\r\n')));
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'starttls']);
    const app = await connectRaw(proxy.port);
    expect(await app.readReply()).toBe('220 raw\r\n');
    await app.send('EHLO app.test\n');
    expect(await app.readReply()).toBe('550 5.5.2 Error: bare <LF> received\r\n');
    await app.send('QUIT\r\n');
    expect(await app.readReply()).toBe('221 bye\r\n');
    await app.waitForClose();
    expect(await proxy.stop()).toBe(0);
    expect(server.connections[0]!.text()).toBe('EHLO app.test\nQUIT\r\n');
    expect(proxy.stdout()).toContain('[#1 upstream] === the server refused EHLO (550 5.5.2 Error: bare <LF> received) before STARTTLS: its reply is passed on to the client as it is');
    expect(proxy.stdout()).not.toContain('does not offer STARTTLS');
  });

  it('pauses the client while the server reads none of the message: bounded memory, then 421 after --timeout', async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw\r\n');
      for (;;) {
        const line = (await conn.nextLine()).toString('latin1');
        if (/^DATA/i.test(line)) {
          // Stops reading after 354, as a stuck server does.
          socket.pause();
          return void socket.write('354 go\r\n');
        }
        socket.write('250 ok\r\n');
      }
    });
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none', '--timeout', '3000']);
    const rss = watchPeakRss(proxy.pid);
    const app = await connectRaw(proxy.port);
    await openTransaction(app);
    const block = Buffer.alloc(1024 * 1024, `${'x'.repeat(998)}\r\n`);
    let pushed = 0;
    while (pushed < 64 * 1024 * 1024) {
      const taken = app.socket.write(block);
      pushed += block.length;
      if (!taken && !(await Promise.race([new Promise<boolean>((r) => app.socket.once('drain', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]))) break;
    }
    // Before: the proxy took all 64 MiB (400 MiB went to 496 MB) and buffered it for the server.
    expect(pushed).toBeLessThan(64 * 1024 * 1024);
    expect(await app.readReply(10_000)).toBe('421 4.4.2 localhost smtpdbg proxy: the upstream server stopped reading for 3000 ms\r\n');
    expect(rss.stop()).toBeLessThan(200);
    expect(await proxy.stop()).toBe(0);
    expect(proxy.stdout()).toContain('[#1 upstream] *** the server stopped reading the message content relayed to it: none of it was taken for 3000 ms');
    app.close();
  });

  it('pauses the server while the client reads none of its replies: bounded memory', async () => {
    const reply = Buffer.from(`250 ${'y'.repeat(1018)}\r\n`);
    const batch = Buffer.concat(Array.from({ length: 64 }, () => reply));
    let wrote = 0;
    let stalled = false;
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw\r\n');
      await conn.nextLine();
      // A flood of replies to one EHLO, as long as someone takes them.
      while (wrote < 64 * 1024 * 1024) {
        wrote += batch.length;
        if (!socket.write(batch) && !(await Promise.race([new Promise<boolean>((r) => socket.once('drain', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]))) {
          stalled = true;
          return;
        }
      }
    });
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none']);
    const rss = watchPeakRss(proxy.pid);
    const app = net.connect(proxy.port, '127.0.0.1');
    app.on('error', () => undefined);
    await new Promise((resolve) => app.once('data', resolve));
    app.pause();
    app.write('EHLO app.test\r\n');
    await waitFor(() => stalled || wrote >= 64 * 1024 * 1024, 30_000, 'the flood to stall or end');
    // Before: the proxy read all 64 MiB and queued it for the client (825 MB).
    expect(stalled).toBe(true);
    expect(wrote).toBeLessThan(64 * 1024 * 1024);
    expect(rss.stop()).toBeLessThan(200);
    app.destroy();
    expect(await proxy.stop()).toBe(0);
  });
});

describePostfix('smtpdbg proxy (built) between swaks and Postfix', (pf) => {
  it('swaks --tls → proxy → Postfix with STARTTLS: delivered, and MAIL, RCPT and DATA of both legs decoded in the transcript', async (context) => {
    await requireSwaks(context, { who: 'proxy e2e' });
    const to = pf.uniqueRecipient('proxy');
    const transcript = path.join(dir, 'postfix.jsonl');
    const proxy = await startProxyCli(['--upstream', `${pf.host}:${pf.ports.default}`, '--ca', CA, '--transcript', transcript]);
    const swaks = await run('swaks', ['--server', `127.0.0.1:${proxy.port}`, '--tls', '--from', 'proxy@example.test', '--to', to, '--header', 'Subject: proxied to postfix', '--body', 'postfix via proxy']);
    expect(swaks.code).toBe(0);
    const [message] = await pf.waitForMessages(1, 10_000, { to });
    expect(message!.toString('latin1')).toContain('Subject: proxied to postfix');
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    for (const event of events) expect(event).toMatchObject({ conn: 1, leg: expect.stringMatching(/^(client|upstream)$/) });
    expect(events.find((e) => e.type === 'tls' && e.leg === 'upstream')).toMatchObject({ summary: { verified: true } });
    expectRelayedInTls(events, 'proxy@example.test', to, /postfix via proxy/);
    expect(bytesOf(events, 'upstream', 'recv', true)).toMatch(/250 2\.0\.0 Ok: queued as /);
  });

  it('Postfix smuggled a second message through one DATA: the proxy says so (*** 2 transactions accepted for one DATA)', async () => {
    const to = pf.uniqueRecipient('smuggle-flag');
    const transcript = path.join(dir, 'postfix-smuggled.jsonl');
    const proxy = await startProxyCli(['--upstream', `${pf.host}:${pf.ports.no}`, '--ca', CA, '--transcript', transcript]);
    const app = await connectRaw(proxy.port);
    await openTransaction(app, { to });
    // smtpd_forbid_bare_newline=no: Postfix ends the first message at LF "." LF and reads on.
    await app.send(`Subject: first\r\n\r\nfirst\n.\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<${to}>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n`);
    expect(await app.readReply()).toMatch(/^250 2\.0\.0 Ok: queued as /);
    await waitFor(() => proxy.stdout().includes('transactions accepted'), 10_000, 'the smuggling line');
    await app.send('QUIT\r\n');
    await waitFor(() => /^221 /m.test(app.received.toString('latin1')), 10_000, 'the 221');
    await app.waitForClose();
    await pf.waitForMessages(2, 10_000, { to });
    expect(await proxy.stop()).toBe(0);
    expect(proxy.stdout()).toMatch(/\[#1 client\] \*\*\* 2 transactions accepted for one DATA: .*; accepted: 250 2\.0\.0 Ok: queued as \S+; 250 2\.0\.0 Ok: queued as \S+\n/);
    expect(await transcriptEvents(transcript)).toContainEqual(expect.objectContaining({ type: 'error', leg: 'client', code: 'ESMUGGLED' }));
  });

  it('an end of data in bare LFs that Postfix takes and the proxy does not: relayed byte for byte, then commands again', async () => {
    const to = pf.uniqueRecipient('bare-lf-eod');
    const transcript = path.join(dir, 'postfix-bare-lf.jsonl');
    const proxy = await startProxyCli(['--upstream', `${pf.host}:${pf.ports.no}`, '--ca', CA, '--transcript', transcript]);
    const app = await connectRaw(proxy.port);
    await openTransaction(app, { to });
    // smtpd_forbid_bare_newline=no: Postfix ends the message at LF "." LF (measured on Postfix 3.7).
    await app.send('Subject: bare\r\n\r\nfirst\n.\n');
    expect(await app.readReply()).toMatch(/^250 2\.0\.0 Ok: queued as /);
    await app.send('QUIT\r\n');
    expect(await app.readReply()).toMatch(/^221 /);
    await app.waitForClose();
    await pf.waitForMessages(1, 10_000, { to });
    expect(await proxy.stop()).toBe(0);
    const events = await transcriptEvents(transcript);
    expect(bytesOf(events, 'upstream', 'send', true)).toContain('Subject: bare\r\n\r\nfirst\n.\n');
    expect(events).toContainEqual(expect.objectContaining({ type: 'info', leg: 'client', message: expect.stringMatching(/^the server replied 250 2\.0\.0 Ok: queued as \S+ inside DATA: it took an end of data that is not CRLF\.CRLF/) }));
    expect(bytesOf(events, 'upstream', 'send', true)).toMatch(/QUIT\r\n$/);
  });
});
