import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../../src/tls/self-signed.js';
import { startRawServer, waitFor, type RawServer } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startServe, type RunningServe } from './serve-cli.js';

/**
 * TLS failures in the words of what happened, against peers that really misbehave: our own
 * serve scenario, raw sockets, Node's TLS server and `openssl s_server`. The library's own
 * text stays on the line as detail.
 */
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-tls-words-'));
const certs = join(REPO_ROOT, 'fixtures/certs');
const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function raw(handler: Parameters<typeof startRawServer>[0]): Promise<RawServer> {
  const server = await startRawServer(handler);
  cleanups.push(() => server.close());
  return server;
}

/** `openssl s_server` on a free loopback port; resolves with the port once it accepts. */
async function opensslServer(args: string[]): Promise<number> {
  const child: ChildProcess = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', join(certs, 'server.pem'), '-key', join(certs, 'server-key.pem'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  cleanups.push(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return waitFor(() => Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0), 10_000, `openssl s_server to listen (${out})`);
}

const startTlsServer = (socket: import('node:net').Socket) => socket.write('250-words.test\r\n250 STARTTLS\r\n');

describe('TLS handshake failures in plain words', () => {
  it('serve --scenario tls-abort: the server closed the connection after our ClientHello', async () => {
    const serve: RunningServe = await startServe(['--scenario', 'tls-abort']);
    cleanups.push(() => serve.stop());
    const result = await runCli(['session', `127.0.0.1:${serve.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${serve.port} failed: the server closed the connection after our ClientHello`));
  });

  it('plain text after the 220 to STARTTLS: the server answered in plain text, OpenSSL\'s words kept', async () => {
    const server = await raw(async (socket, conn) => {
      socket.write('220 words.test ESMTP\r\n');
      await conn.nextLine();
      startTlsServer(socket);
      await conn.nextLine();
      socket.write('220 2.0.0 go ahead\r\n');
      await conn.waitForReceived(/STARTTLS\r\n[^]+/);
      socket.write('500 5.5.1 what is this?\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('failed: the server answered in plain text (it does not speak TLS on this port, or STARTTLS was not really accepted) (OpenSSL: ssl3_get_record: wrong version number)');
  });

  it('--tls to a server that speaks plain SMTP: the same words', async () => {
    const server = await raw((socket) => {
      socket.write('220 plain.test ESMTP\r\n');
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--tls']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the server answered in plain text (it does not speak TLS on this port');
  });

  it('openssl s_server -tls1_2 and --tls-max 1.1 alone: the server refused TLS 1.1 (alert 70 protocol_version)', async () => {
    const port = await opensslServer(['-tls1_2']);
    const result = await runCli(['session', `127.0.0.1:${port}`, '--tls', '--tls-max', '1.1']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`TLS handshake with 127.0.0.1:${port} failed: the server refused TLS 1.1 (alert 70 protocol_version) (OpenSSL: ssl3_read_bytes: tlsv1 alert protocol version)`);
    expect(result.stderr).not.toContain('no protocols available');
  });

  it('openssl s_server wanting a client certificate: said so, with --cert/--key named', async () => {
    const port = await opensslServer(['-Verify', '1', '-CAfile', join(certs, 'ca.pem')]);
    const result = await runCli(['session', `127.0.0.1:${port}`, '--tls', '--ca', join(certs, 'ca.pem'), '--timeout', '5000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('the server requires a client certificate (alert 116 certificate_required): give one with --cert and --key');
  });

  it('a TLS alert where a reply was expected is named as one, not as a malformed reply line', async () => {
    // A server that took a raw STARTTLS and answers the next plain line with a TLS alert,
    // as GnuTLS-based servers (Exim on Debian) do: alert 10 is byte 0x0a, a line end.
    const server = await raw(async (socket, conn) => {
      socket.write('220 gnutls.test ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 gnutls.test\r\n');
      await conn.nextLine();
      socket.write('220 2.0.0 Ready to start TLS\r\n');
      await conn.nextLine();
      socket.write(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a]));
      await sleep(100);
      socket.end();
    });
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: ':raw STARTTLS\\r\\n\nNOOP\n' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('TLS alert record received where an SMTP reply was expected (alert 10 unexpected_message, fatal)');
    expect(result.stderr).not.toContain('malformed reply line');
  });
});

describe('certificate verification: every problem shown, not only the last', () => {
  it('a self-signed, expired certificate for other names: three reasons, three codes', async () => {
    const cert = generateSelfSignedCertificate({ now: new Date('2001-01-01T00:00:00Z'), days: 1 });
    const server = tls.createServer({ key: cert.key, cert: cert.cert }, (socket) => {
      socket.on('error', () => undefined);
      socket.write('220 old.test ESMTP\r\n');
      socket.on('data', (data: Buffer) => {
        if (/^QUIT/i.test(data.toString())) socket.end('221 2.0.0 Bye\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const args = ['session', `127.0.0.1:${port}`, '--tls', '--servername', 'mx.other.example', '--quit-after', 'banner'];
    const text = await runCli(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('*** certificate verification FAILED: self-signed certificate; certificate expired on 2001-01-02T00:00:00.000Z; name mismatch: certificate is for DNS:localhost, IP Address:127.0.0.1, not mx.other.example (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID)');
    const json = JSON.parse((await runCli([...args, '--json'])).stdout) as { tls: { verifyErrors: string[] } };
    expect(json.tls.verifyErrors).toHaveLength(3);
  });
});

describe('TLS options that cannot work are refused before connecting (exit 2)', () => {
  it('--ca FILE with no PEM certificate in it names the file', async () => {
    const notCa = join(dir, 'not-a-ca.pem');
    writeFileSync(notCa, 'this is a note, not a certificate\n');
    const result = await runCli(['session', '127.0.0.1:9', '--ca', notCa]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--ca ${notCa}: no PEM certificate in it (expected "-----BEGIN CERTIFICATE-----")`);
  });

  it('--ca FILE holding a private key instead', async () => {
    const key = join(certs, 'ca-key.pem');
    const result = await runCli(['session', '127.0.0.1:9', '--ca', key]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--ca ${key}: no PEM certificate in it`);
  });

  it('--tls-min above --tls-max', async () => {
    const result = await runCli(['session', '127.0.0.1:9', '--tls-min', '1.3', '--tls-max', '1.2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tls-min 1.3 is above --tls-max 1.2');
  });

  it('--cert and --key that do not belong together', async () => {
    const result = await runCli(['session', '127.0.0.1:9', '--cert', join(certs, 'client.pem'), '--key', join(certs, 'server-key.pem')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('do not belong together');
  });
});
