/**
 * `smtpdbg serve` listeners of every kind (built CLI, real clients): implicit TLS (--tls and
 * tls:ADDR) for swaks --tls-on-connect, curl smtps:// and Python's SMTP_SSL; several
 * --listen at once; Unix-domain sockets driven by Python's smtplib; client certificates
 * asked for with --request-client-cert and described.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';
import { requireSwaks } from '../harness/swaks.js';
import { mboxEntries, python, run, startServe } from './serve-cli.js';

const CERTS = path.join(REPO_ROOT, 'fixtures/certs');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-listen-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The listeners of the start-up line, in order: `127.0.0.1:N`, `… (implicit TLS)`, `unix:…`. */
function listenersOf(stdout: string): Array<{ address: string; port: number; implicitTls: boolean }> {
  const line = /listening on (.*) as \S+\n/.exec(stdout)?.[1] ?? '';
  return line.split(', ').map((item) => {
    const implicitTls = item.endsWith(' (implicit TLS)');
    const address = item.replace(/ \(implicit TLS\)$/, '');
    return { address, port: Number(/:(\d+)$/.exec(address)?.[1] ?? 0), implicitTls };
  });
}

/** Python's smtplib over a connected socket (Unix or TCP, plain): the script's stdout. */
const smtplibOverSocket = (connect: string, send: string) => `
import smtplib, socket
${connect}
c = smtplib.SMTP()
c.sock = sock
c.file = None
code, banner = c.getreply()
print('banner', code)
code, ehlo = c.ehlo('py.example')
print('starttls offered', b'STARTTLS' in ehlo)
${send}
c.quit()
`;

describe('serve --tls: implicit TLS (port 465 style) for real SMTPS clients', () => {
  it('takes Python SMTP_SSL, curl smtps:// and swaks --tls-on-connect; the banner comes inside TLS and STARTTLS is not offered there', async (context) => {
    await requireSwaks(context, { who: 'serve --tls' });
    const mbox = path.join(dir, 'implicit.mbox');
    const serve = await startServe(['--tls', '--mbox', mbox]);
    expect(serve.stdout()).toContain(`=== implicit TLS on 127.0.0.1:${serve.port} with the same certificate`);

    const py = await run(python, ['-c', `
import smtplib, ssl
ctx = ssl.create_default_context(cafile=None)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL('127.0.0.1', ${serve.port}, context=ctx, timeout=10)
code, ehlo = s.ehlo('py.example')
print('ehlo', code, b'STARTTLS' in ehlo, s.sock.version())
s.sendmail('py@example.test', ['r@example.test'], b'Subject: smtps\\r\\n\\r\\nFrom python\\r\\n')
s.quit()
`]);
    expect(py).toMatchObject({ code: 0, stdout: 'ehlo 250 False TLSv1.3\n' });

    const file = path.join(dir, 'curl.eml');
    await writeFile(file, 'Subject: curl smtps\r\n\r\nvia curl\r\n');
    const curl = await run('curl', ['-sS', '--max-time', '10', '-k', `smtps://127.0.0.1:${serve.port}`, '--mail-from', 'cu@example.test', '--mail-rcpt', 'r@example.test', '-T', file]);
    expect(curl).toMatchObject({ code: 0, stderr: '' });

    const swaks = await run('swaks', ['--server', `127.0.0.1:${serve.port}`, '--tls-on-connect', '--from', 'sw@example.test', '--to', 'r@example.test', '--body', 'via swaks', '--h-Subject', 'swaks smtps']);
    expect(swaks.code).toBe(0);
    expect(swaks.stdout).toMatch(/<~ +220 localhost ESMTP/);

    expect(await serve.stop()).toBe(0);
    const senders = mboxEntries(await readFile(mbox)).map((e) => e.sender);
    expect(senders).toEqual(['py@example.test', 'cu@example.test', 'sw@example.test']);
    const out = serve.stdout();
    for (const conn of [1, 2, 3]) {
      expect(out).toMatch(new RegExp(`\\[#${conn}\\] === TLS started: TLSv1\\.[23], \\S+, [^;]+; implicit TLS, the banner follows\\n`));
      // The banner is the first thing sent, and it is sent inside TLS (~>).
      expect(out).toMatch(new RegExp(`\\[#${conn}\\]  ~> 220 localhost ESMTP`));
      expect(out).not.toMatch(new RegExp(`\\[#${conn}\\]  -> `));
    }
  });

  it('a plain-text client on the TLS port: the handshake fails, said on its connection; serving goes on', async () => {
    const serve = await startServe(['--tls', '--idle-timeout', '20000']);
    const socket = net.connect(serve.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('EHLO plain.example\r\n');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).not.toContain('220 ');
    await waitFor(() => /\[#1\] \*\*\* TLS handshake failed: /.test(serve.stdout()), 10_000, 'the handshake failure');
    expect(serve.stdout()).toMatch(/\[#1\] === connection closed \(on error\): TLS handshake failed/);
    const after = await run(python, ['-c', `
import smtplib, ssl
s = smtplib.SMTP_SSL('127.0.0.1', ${serve.port}, context=ssl._create_unverified_context(), timeout=10)
print(s.noop()[0])
s.quit()
`]);
    expect(after).toMatchObject({ code: 0, stdout: '250\n' });
    expect(await serve.stop()).toBe(0);
  });
});

describe('serve with several listeners at once', () => {
  it('plain (STARTTLS offered), tls: and unix: side by side, one connection id sequence, each client served on its own kind', async () => {
    const socketPath = path.join(dir, 'several.sock');
    const mbox = path.join(dir, 'several.mbox');
    const serve = await startServe(['--listen', 'tls:127.0.0.1:0', '--listen', `unix:${socketPath}`, '--mbox', mbox]);
    const [plain, implicit, unix] = listenersOf(serve.stdout());
    expect(plain).toEqual({ address: `127.0.0.1:${serve.port}`, port: serve.port, implicitTls: false });
    expect(implicit).toMatchObject({ implicitTls: true });
    expect(unix).toEqual({ address: `unix:${socketPath}`, port: 0, implicitTls: false });
    expect((await stat(socketPath)).isSocket()).toBe(true);

    const viaUnix = await run(python, ['-c', smtplibOverSocket(
      `sock = socket.socket(socket.AF_UNIX)\nsock.connect(${JSON.stringify(socketPath)})`,
      "c.sendmail('unix@example.test', ['r@example.test'], b'Subject: unix\\r\\n\\r\\nover a unix socket\\r\\n')",
    )]);
    expect(viaUnix).toMatchObject({ code: 0, stdout: 'banner 220\nstarttls offered True\n' });

    const viaPlain = await run(python, ['-c', smtplibOverSocket(
      `sock = socket.create_connection(('127.0.0.1', ${plain!.port}))`,
      "c.sendmail('plain@example.test', ['r@example.test'], b'Subject: plain\\r\\n\\r\\nplain\\r\\n')",
    )]);
    expect(viaPlain).toMatchObject({ code: 0, stdout: 'banner 220\nstarttls offered True\n' });

    const viaTls = await run(python, ['-c', `
import smtplib, ssl
ctx = ssl._create_unverified_context()
s = smtplib.SMTP_SSL('127.0.0.1', ${implicit!.port}, context=ctx, timeout=10)
s.sendmail('tls@example.test', ['r@example.test'], b'Subject: tls\\r\\n\\r\\ntls\\r\\n')
s.quit()
`]);
    expect(viaTls.code).toBe(0);

    expect(await serve.stop()).toBe(0);
    expect(mboxEntries(await readFile(mbox))).toEqual([
      { sender: 'unix@example.test', body: 'Subject: unix\r\n\r\nover a unix socket\r\n' },
      { sender: 'plain@example.test', body: 'Subject: plain\r\n\r\nplain\r\n' },
      { sender: 'tls@example.test', body: 'Subject: tls\r\n\r\ntls\r\n' },
    ]);
    const out = serve.stdout();
    expect(out).toContain(`[#1] === connection on unix:${socketPath}\n`);
    expect(out).toMatch(/\[#2\] === connection from 127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/\[#3\] === TLS started: .*; implicit TLS, the banner follows\n/);
    // The socket is removed when serve stops.
    expect(existsSync(socketPath)).toBe(false);
  });

  it('--json lists every listener; the first one keeps host and port', async () => {
    const serve = await startServe(['--json', '--listen', 'tls:127.0.0.1:0']);
    const first = JSON.parse(serve.stdout().split('\n')[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ type: 'listening', host: '127.0.0.1', port: serve.port, starttls: true });
    expect(first.listeners).toEqual([
      { address: `127.0.0.1:${serve.port}`, implicitTls: false },
      { address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), implicitTls: true },
    ]);
    expect(await serve.stop()).toBe(0);
  });
});

describe('serve --listen unix:PATH', () => {
  it('our own client over the socket: session upgrades with STARTTLS inside it, inject stores the message byte-exact with bare CRs kept', async () => {
    const socketPath = path.join(dir, 'own-client.sock');
    const mbox = path.join(dir, 'own-client.mbox');
    const certOut = path.join(dir, 'own-client.pem');
    const serve = await startServe(['--listen', `unix:${socketPath}`, '--mbox', mbox, '--cert-out', certOut]);
    const session = await runCli(['session', `unix:${socketPath}`, '--ca', certOut, '--servername', 'localhost', '--json'], { stdin: 'NOOP\n', timeoutMs: 30_000 });
    expect(session.code).toBe(0);
    const summary = JSON.parse(session.stdout) as { target: string; tls: { protocol: string; verified: boolean } | null };
    expect(summary.target).toBe(`unix:${socketPath}`);
    expect(summary.tls).toMatchObject({ verified: true });
    const inject = await runCli(['inject', `unix:${socketPath}`, '--plain', '--term', 'cr', '--from', 'unix@example.test', '--to', 'r@example.test'], { timeoutMs: 30_000 });
    expect(inject.code).toBe(0);
    const stored = await waitFor(async () => (existsSync(mbox) ? mboxEntries(await readFile(mbox)).find((e) => e.sender === 'unix@example.test') : undefined), 10_000, 'the message in the mbox');
    // --term cr: every line of the message ends in a bare CR, and serve keeps them as they came.
    expect(stored.body).toMatch(/^Date: [^\r\n]+\rFrom: /);
    expect(stored.body).not.toContain('\n\r');
    const out = serve.stdout();
    expect(await serve.stop()).toBe(0);
    expect(out).toContain(`=== connection on unix:${socketPath}`);
    expect(out).toMatch(/=== TLS started: TLSv1\.3/);
  });

  it('replaces a socket left by a server that is gone, and refuses a regular file or a live socket with one line (exit 3), touching neither', async () => {
    const stale = path.join(dir, 'stale.sock');
    // A socket file nobody accepts on: bound, never listened on, its process long gone.
    const bound = await run(python, ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(stale)})`]);
    expect(bound.code).toBe(0);
    expect((await stat(stale)).isSocket()).toBe(true);
    const serve = await startServe(['--listen', `unix:${stale}`]);
    const greeted = await run(python, ['-c', smtplibOverSocket(`sock = socket.socket(socket.AF_UNIX)\nsock.connect(${JSON.stringify(stale)})`, '')]);
    expect(greeted).toMatchObject({ code: 0, stdout: 'banner 220\nstarttls offered True\n' });

    const live = await runCli(['serve', '--listen', `unix:${stale}`]);
    expect(live.code).toBe(3);
    expect(live.stderr).toBe(`smtpdbg: cannot listen on unix:${stale}: another server is listening on it\n`);
    expect(await serve.stop()).toBe(0);
    expect(existsSync(stale)).toBe(false);

    const file = path.join(dir, 'not-a-socket');
    await writeFile(file, 'precious');
    const refused = await runCli(['serve', '--listen', `unix:${file}`]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(`smtpdbg: cannot listen on unix:${file}: it exists and is not a socket (not removed)\n`);
    expect(await readFile(file, 'utf8')).toBe('precious');

    const empty = await runCli(['serve', '--listen', 'unix:']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--listen unix:: unix: needs the socket\'s path');
  });
});

describe('serve --request-client-cert', () => {
  it('describes the certificate swaks presents (subject, issuer, validity, fingerprints), and says so when a client sends none', async (context) => {
    await requireSwaks(context, { who: 'serve --request-client-cert' });
    const serve = await startServe(['--request-client-cert', '--listen', 'tls:127.0.0.1:0']);
    const implicit = listenersOf(serve.stdout())[1]!;
    expect(serve.stdout()).toContain('=== client certificates are requested: each one sent is described; any is accepted, none is verified');
    const withCert = await run('swaks', ['--server', `127.0.0.1:${serve.port}`, '--tls', '--tls-cert', path.join(CERTS, 'client.pem'), '--tls-key', path.join(CERTS, 'client-key.pem'), '--from', 'a@example.test', '--to', 'b@example.test', '--quit-after', 'EHLO']);
    expect(withCert.code).toBe(0);
    const without = await run('swaks', ['--server', `127.0.0.1:${implicit.port}`, '--tls-on-connect', '--from', 'a@example.test', '--to', 'b@example.test', '--quit-after', 'EHLO']);
    expect(without.code).toBe(0);
    expect(await serve.stop()).toBe(0);
    const out = serve.stdout();
    expect(out).toContain('[#1] === client certificate: subject O=smtpdbg test, CN=alice; issuer O=smtpdbg test, CN=smtpdbg test CA\n');
    expect(out).toMatch(/\[#1\] === {21}valid \d{4}-\d\d-\d\dT[\d:.]+Z to \d{4}-/);
    expect(out).toMatch(/\[#1\] === {21}SHA-256 (?:[0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
    expect(out).toContain('[#1] === not verified: any client certificate is accepted\n');
    expect(out).toContain('[#2] === the client sent no certificate\n');
  });

  it('is a usage error without any TLS', async () => {
    const result = await runCli(['serve', '--no-starttls', '--request-client-cert', '--listen', '127.0.0.1:0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('smtpdbg: --request-client-cert needs TLS: STARTTLS (the default) or an implicit-TLS listener\n');
  });
});
