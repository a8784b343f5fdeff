/**
 * Trusting our own servers: a separately started `smtpdbg serve` (or `proxy`) writes its
 * generated certificate (--cert-out) and prints its SHA-256 fingerprint; `session` and
 * `inject` pinned to it (--pin-sha256) verify without --insecure, and a wrong pin fails
 * verification with both fingerprints, so no credentials go out. All built CLIs, real sockets.
 */
import { execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer } from '../harness/smtp-server-peer.js';
import { startServe, type RunningServe } from './serve-cli.js';

const CERTS = path.join(REPO_ROOT, 'fixtures/certs');
const WRONG = 'ab'.repeat(32);
const WRONG_COLONS = 'AB:'.repeat(31) + 'AB';
const PASSWORD = { SMTPDBG_PASSWORD: 'pw' };

let dir: string;
let serve: RunningServe;
let certOut: string;
/** The fingerprint serve printed at start-up. */
let printed: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-trust-'));
  certOut = path.join(dir, 'serve-cert.pem');
  serve = await startServe(['--cert-out', certOut]);
  printed = /STARTTLS with a self-signed certificate generated at start \(SHA-256 ([0-9A-F:]{95})\)/.exec(serve.stdout())?.[1] ?? '';
}, 20_000);
afterAll(async () => {
  expect(await serve.stop()).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

/** What `openssl` says of a PEM file: the certificate fingerprint and the SPKI SHA-256 (base64). */
function opensslFingerprints(file: string): { fingerprint: string; spki: string } {
  const fingerprint = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'latin1' }).trim().split('=')[1]!;
  const spkiDer = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
    input: execFileSync('openssl', ['x509', '-in', file, '-noout', '-pubkey']),
  });
  const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: spkiDer }).toString('base64');
  return { fingerprint, spki };
}

describe('serve --cert-out and the printed fingerprint', () => {
  it('writes the generated certificate, whose openssl fingerprint is the one printed at start-up', async () => {
    const pem = await readFile(certOut, 'latin1');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    expect(pem).not.toContain('PRIVATE KEY');
    expect(printed).toBe(opensslFingerprints(certOut).fingerprint);
  });

  it('with --cert/--key, writes that certificate (and never the key kept in the same file)', async () => {
    const combined = path.join(dir, 'cert-and-key.pem');
    const given = await readFile(path.join(CERTS, 'server.pem'), 'latin1');
    await writeFile(combined, given + (await readFile(path.join(CERTS, 'server-key.pem'), 'latin1')));
    const out = path.join(dir, 'given-out.pem');
    const own = await startServe(['--cert', combined, '--key', path.join(CERTS, 'server-key.pem'), '--cert-out', out]);
    try {
      const written = await readFile(out, 'latin1');
      expect(written).not.toContain('PRIVATE KEY');
      expect(new X509Certificate(written).fingerprint256).toBe(new X509Certificate(given).fingerprint256);
      expect(own.stdout()).toContain(`(SHA-256 ${new X509Certificate(given).fingerprint256})`);
    } finally {
      expect(await own.stop()).toBe(0);
    }
  });

  it.each([
    ['serve', ['serve', '--listen', '127.0.0.1:0']],
    ['proxy', ['proxy', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9']],
  ])('%s: a --cert-out that cannot be written is one line, exit 2', async (_name, args) => {
    const bad = path.join(dir, 'no-such-dir', 'cert.pem');
    const result = await runCli([...args, '--cert-out', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`smtpdbg: cannot write ${bad}: ENOENT (no such file or directory)\n`);
    expect(result.stdout).toBe('');
  });

  it('--cert-out with --no-starttls is a usage error', async () => {
    const result = await runCli(['serve', '--listen', '127.0.0.1:0', '--no-starttls', '--cert-out', path.join(dir, 'none.pem')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('smtpdbg: --cert-out has no certificate to write with --no-starttls\n');
  });
});

describe('session/inject --pin-sha256 against a separately started serve', () => {
  it('verifies by the pin (any case, no colons): AUTH is sent without --insecure, exit 0', async () => {
    const pin = printed.replaceAll(':', '').toLowerCase();
    const result = await runCli(
      ['session', `127.0.0.1:${serve.port}`, '--pin-sha256', pin, '--auth', 'plain', '--user', 'me'],
      { stdin: 'MAIL FROM:<a@pin.test>\nRCPT TO:<b@pin.test>\n', env: PASSWORD },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== certificate verified (pinned: SHA-256 ${printed})`);
    expect(result.stdout).toContain('===   the pin stands in for the chain, which alone would fail: self-signed certificate');
    expect(result.stdout).toContain(` ~> AUTH PLAIN [redacted]`);
    expect(result.stdout).toContain('<~  235 ');
    const { fingerprint, spki } = opensslFingerprints(certOut);
    expect(result.stdout).toContain(`SHA-256 ${fingerprint}\n`);
    expect(result.stdout).toContain(`SPKI SHA-256 ${spki} (hex ${Buffer.from(spki, 'base64').toString('hex')}, DANE 3 1 1)`);
    // The server received the credentials, inside TLS.
    await waitFor(() => /<~ {2}AUTH PLAIN <redacted>/.test(serve.stdout()) || undefined, 5_000, 'serve to show the AUTH');
  });

  it('--json carries the pin and the SPKI SHA-256 next to the certificate fingerprint', async () => {
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--pin-sha256', printed, '--quit-after', 'tls', '--json']);
    expect(result.code).toBe(0);
    const tls = (JSON.parse(result.stdout) as { tls: Record<string, unknown> & { chain: Array<Record<string, unknown>> } }).tls;
    const { spki } = opensslFingerprints(certOut);
    expect(tls).toMatchObject({ verified: true, verifyError: null, pinned: printed, overriddenErrors: ['self-signed certificate'] });
    expect(tls.chain[0]).toMatchObject({ fingerprint256: printed, spkiSha256: { base64: spki, hex: Buffer.from(spki, 'base64').toString('hex') } });
  });

  it('a wrong pin fails verification with both fingerprints; AUTH is refused and never sent, exit 3', async () => {
    const before = serve.stdout().length;
    const result = await runCli(
      ['session', `127.0.0.1:${serve.port}`, '--pin-sha256', WRONG, '--auth', 'plain', '--user', 'me'],
      { stdin: 'MAIL FROM:<a@pin.test>\n', env: PASSWORD },
    );
    expect(result.code).toBe(3);
    const reason = `pinned certificate not matched: the server's is SHA-256 ${printed}; pinned SHA-256 ${WRONG_COLONS}`;
    expect(result.stdout).toContain(`*** certificate verification FAILED: ${reason} (PIN_MISMATCH)`);
    expect(result.stderr).toContain(`refusing to send credentials: the certificate of 127.0.0.1:${serve.port} failed verification (${reason}); use --insecure to send them anyway`);
    expect(result.stdout).not.toMatch(/-> AUTH|-> MAIL/);
    // What serve received on this connection: EHLO inside TLS, and nothing of AUTH.
    await waitFor(() => /connection closed/.test(serve.stdout().slice(before)) || undefined, 5_000, 'serve to see the connection end');
    expect(serve.stdout().slice(before)).toMatch(/<~ {2}EHLO /);
    expect(serve.stdout().slice(before)).not.toMatch(/<[-~] {2}AUTH/);
  });

  it('a wrong pin with --strict-tls ends the session after the handshake, exit 3; with --insecure AUTH goes out', async () => {
    const strict = await runCli(['session', `127.0.0.1:${serve.port}`, '--pin-sha256', WRONG, '--strict-tls'], { stdin: 'NOOP\n' });
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain(`certificate verification failed for 127.0.0.1:${serve.port}: pinned certificate not matched: the server's is SHA-256 ${printed}`);
    expect(strict.stdout).not.toContain('~> EHLO');

    const insecure = await runCli(['session', `127.0.0.1:${serve.port}`, '--pin-sha256', WRONG, '--insecure', '--auth', 'plain', '--user', 'me'], { stdin: '', env: PASSWORD });
    expect(insecure.code).toBe(0);
    expect(insecure.stdout).toContain('*** certificate verification FAILED: pinned certificate not matched');
    expect(insecure.stdout).toContain('<~  235 ');
  });

  it('one of several pins is enough; inject says the connection was verified by its pin', async () => {
    const result = await runCli(['inject', `127.0.0.1:${serve.port}`, '--pin-sha256', WRONG, '--pin-sha256', printed, '--strict-tls']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`certificate verified (pinned: SHA-256 ${printed})`);
  });

  it('a pin overrides a chain that verifies: a CA-signed server whose leaf is not the pinned one fails', async () => {
    const peer = await startSmtpServerPeer();
    try {
      const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', path.join(CERTS, 'ca.pem'), '--pin-sha256', printed, '--strict-tls', '--quit-after', 'tls']);
      const leaf = new X509Certificate(await readFile(path.join(CERTS, 'server.pem'))).fingerprint256;
      expect(result.code).toBe(3);
      expect(result.stdout).toContain(`*** certificate verification FAILED: pinned certificate not matched: the server's is SHA-256 ${leaf}; pinned SHA-256 ${printed} (PIN_MISMATCH)`);
    } finally {
      await peer.close();
    }
  });

  it.each(['abc', `${WRONG}00`, 'sha256//'.concat('A'.repeat(44))])('--pin-sha256 %s is a usage error, exit 2', async (value) => {
    const result = await runCli(['session', '127.0.0.1:9', '--pin-sha256', value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`smtpdbg: --pin-sha256 ${value}: expected a certificate's SHA-256 fingerprint, 64 hex digits (colons optional), as \`openssl x509 -noout -fingerprint -sha256\` or smtpdbg serve print it\n`);
  });
});

describe('proxy: --cert-out for applications, --upstream-pin-sha256 for the server', () => {
  const children: Array<ReturnType<typeof spawn>> = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => (clearTimeout(kill), resolve()));
      child.kill('SIGTERM');
    })));
  });

  async function startProxy(args: string[]): Promise<{ port: number; stdout: () => string }> {
    const env = { ...process.env };
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${serve.port}`, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`proxy exited ${child.exitCode}: ${stderr}`);
      return Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1] ?? 0) || undefined;
    }, 10_000, 'the proxy to listen');
    return { port, stdout: () => stdout };
  }

  it('a session pinned to the proxy, the proxy pinned to serve: both legs verified, AUTH relayed, exit 0', async () => {
    const proxyCert = path.join(dir, 'proxy-cert.pem');
    const proxy = await startProxy(['--upstream-pin-sha256', printed.toLowerCase(), '--cert-out', proxyCert]);
    const { fingerprint, spki } = opensslFingerprints(proxyCert);
    expect(proxy.stdout()).toContain(`only a certificate with SHA-256 ${printed} (--upstream-pin-sha256)`);
    expect(proxy.stdout()).toContain(`=== certificate offered to applications: generated, self-signed (SHA-256 ${fingerprint}; SPKI SHA-256 ${spki}), written to ${proxyCert}`);
    const result = await runCli(
      ['session', `127.0.0.1:${proxy.port}`, '--pin-sha256', fingerprint, '--auth', 'plain', '--user', 'me'],
      { stdin: 'MAIL FROM:<a@pin.test>\n', env: PASSWORD },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== certificate verified (pinned: SHA-256 ${fingerprint})`);
    expect(result.stdout).toContain('<~  235 ');
    expect(proxy.stdout()).toContain(`[#1 upstream] === certificate verified (pinned: SHA-256 ${printed})`);
  });

  it('an upstream whose certificate is not the pinned one is not relayed to', async () => {
    const proxy = await startProxy(['--upstream-pin-sha256', WRONG]);
    const app = await connectRaw(proxy.port);
    expect(await app.readReply()).toMatch(/^220 /);
    await app.send('EHLO app.test\r\n');
    expect(await app.readReply()).toMatch(/^421 4\.7\.0 localhost smtpdbg proxy: upstream certificate verification failed\r\n$/);
    await app.waitForClose();
    expect(proxy.stdout()).toContain(
      `[#1 upstream] *** upstream certificate verification failed: pinned certificate not matched: the server's is SHA-256 ${printed}; pinned SHA-256 ${WRONG_COLONS} (PIN_MISMATCH)`,
    );
  });

  it('--upstream-pin-sha256 with --insecure-upstream or --upstream-tls none is a usage error', async () => {
    const both = await runCli(['proxy', '--upstream', '127.0.0.1:9', '--upstream-pin-sha256', WRONG, '--insecure-upstream']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('smtpdbg: --upstream-pin-sha256 and --insecure-upstream exclude each other\n');
    const none = await runCli(['proxy', '--upstream', '127.0.0.1:9', '--upstream-pin-sha256', WRONG, '--upstream-tls', 'none']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('smtpdbg: --upstream-pin-sha256 has no effect with --upstream-tls none\n');
  });
});
