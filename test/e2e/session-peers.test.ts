import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';
import { runCli, REPO_ROOT } from '../harness/run-cli.js';

const certs = join(REPO_ROOT, 'fixtures/certs');
const ca = join(certs, 'ca.pem');
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-peers-'));

interface Summary {
  banner: { code: number } | null;
  capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
  tls: { protocol: string; verified: boolean; verifyError: string | null; verifyCode: string | null; servername: string | null; chain: Array<{ subjectAltNames: string[] }> } | null;
  replies: Array<{ command: string; code: number }>;
  end: { by: string } | null;
  exitCode: number;
}

let peer: SmtpServerPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('session against the embedded capture server (no target)', () => {
  it('runs a whole scripted transaction over verified STARTTLS', async () => {
    const script = 'MAIL FROM:<alice@example.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: hello\n\nbody line\n.\n';
    const result = await runCli(['session'], { stdin: script });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no target given: talking to the embedded capture server');
    expect(result.stdout).toContain('certificate verified');
    expect(result.stdout).toMatch(/<~ {2}250 2\.0\.0 Ok: queued as [0-9A-F]+/);
    expect(result.stdout).toContain(' ~> Subject: hello␍␊');
  });

  it('--json summarises banner, capabilities before and after TLS, every reply and the end', async () => {
    const result = await runCli(['session', '--json'], { stdin: 'NOOP\n' });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.banner?.code).toBe(220);
    expect(summary.capabilities.beforeTls).toContain('STARTTLS');
    expect(summary.capabilities.afterTls).not.toContain('STARTTLS');
    expect(summary.tls?.verified).toBe(true);
    expect(summary.replies.map((r) => r.command)).toEqual(['(banner)', expect.stringMatching(/^EHLO /), 'STARTTLS', expect.stringMatching(/^EHLO /), 'NOOP', 'QUIT']);
    expect(summary.end?.by).toBe('peer');
    expect(summary.exitCode).toBe(0);
  });

  it.each([
    ['banner', ['(banner)', 'QUIT']],
    ['ehlo', ['(banner)', 'EHLO', 'STARTTLS', 'EHLO', 'QUIT']],
    ['tls', ['(banner)', 'EHLO', 'STARTTLS', 'QUIT']],
    ['rcpt', ['(banner)', 'EHLO', 'STARTTLS', 'EHLO', 'MAIL', 'RCPT', 'QUIT']],
  ])('--quit-after %s stops there', async (stage, commands) => {
    const result = await runCli(['session', '--json', '--quit-after', stage]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.replies.map((r) => r.command.split(' ')[0])).toEqual(commands);
  });

  it('typed lines go out with CRLF, and :term and :raw send exactly what was asked', async () => {
    const transcript = join(dir, 'terms.jsonl');
    const result = await runCli(['session', '--transcript', transcript], { stdin: 'NOOP\n:term lf\nNOOP\n:term crlf\n:raw RSET\\r\\n\n' });
    expect(result.code).toBe(0);
    const sent = readFileSync(transcript, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data?: string })
      .filter((e) => e.type === 'send').map((e) => e.data);
    expect(sent).toEqual(expect.arrayContaining(['NOOP\r\n', 'NOOP\n', 'RSET\r\n', 'QUIT\r\n']));
    expect(result.stdout).toContain(' ~> NOOP␊');
  });

  it(':data sends a file as dot-stuffed DATA content', async () => {
    const file = join(dir, 'message.eml');
    writeFileSync(file, 'Subject: dots\n\n.leading dot\nlast\n');
    const transcript = join(dir, 'data.jsonl');
    const result = await runCli(['session', '--transcript', transcript], { stdin: `MAIL FROM:<a@example.test>\nRCPT TO:<b@example.test>\n:data ${file}\n` });
    expect(result.code).toBe(0);
    const sent = readFileSync(transcript, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; data?: string })
      .filter((e) => e.type === 'send').map((e) => e.data).join('');
    expect(sent).toContain('DATA\r\nSubject: dots\r\n\r\n..leading dot\r\nlast\r\n.\r\n');
  });

  it('a usage error is one line with exit 2', async () => {
    const result = await runCli(['session', 'host:99999']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('port must be 1-65535');
    const noTarget = await runCli(['session', '--tls']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('--tls needs a target');
  });
});

describe('session against nodemailer smtp-server (STARTTLS, AUTH)', () => {
  it('authenticates over verified STARTTLS and delivers; the transcript redacts the secret', async () => {
    peer = await startSmtpServerPeer();
    const transcript = join(dir, 'peer.jsonl');
    const textTranscript = join(dir, 'peer.txt');
    const args = ['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--auth', 'plain', '--user', PEER_USER];
    const script = 'MAIL FROM:<alice@example.test>\nRCPT TO:<bob@example.test>\nDATA\nSubject: via smtp-server\n\nhello\n.\n';
    const result = await runCli([...args, '--transcript', transcript], { stdin: script, env: { SMTPDBG_PASSWORD: PEER_PASSWORD } });
    expect(result.code).toBe(0);
    await peer.waitForMessages(1);
    expect(peer.messages[0]).toMatchObject({ user: PEER_USER, secure: true, rcptTo: ['bob@example.test'] });
    expect(peer.messages[0]!.raw.toString()).toBe('Subject: via smtp-server\r\n\r\nhello\r\n');
    const secret = Buffer.from(`\0${PEER_USER}\0${PEER_PASSWORD}`).toString('base64');
    expect(readFileSync(transcript, 'utf8')).not.toContain(secret);
    expect(readFileSync(transcript, 'utf8')).toContain('"redacted":true');
    expect(result.stdout).not.toContain(secret);

    const shown = await runCli([...args, '--show-secrets', '--transcript', textTranscript, '--quit-after', 'auth'], { env: { SMTPDBG_PASSWORD: PEER_PASSWORD } });
    expect(shown.code).toBe(0);
    expect(readFileSync(textTranscript, 'utf8')).toContain(` ~> AUTH PLAIN ${secret}␍␊`);
  });

  it('a wrong password is a 535 explained, exit 1', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--auth', 'login', '--user', PEER_USER], { env: { SMTPDBG_PASSWORD: 'wrong' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/<~ {2}535/);
  });

  it('no password and no terminal: a usage error naming SMTPDBG_PASSWORD', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--auth', 'plain', '--user', PEER_USER]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('set SMTPDBG_PASSWORD');
  });

  it('writes NSS key-log lines with --keylog and with SSLKEYLOGFILE', async () => {
    peer = await startSmtpServerPeer();
    const keylog = join(dir, 'keys.log');
    const viaEnv = join(dir, 'keys-env.log');
    expect((await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--keylog', keylog, '--quit-after', 'ehlo'])).code).toBe(0);
    expect(readFileSync(keylog, 'utf8')).toMatch(/^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|CLIENT_RANDOM) [0-9a-f]{64} [0-9a-f]+$/m);
    expect((await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--quit-after', 'ehlo'], { env: { SSLKEYLOGFILE: viaEnv } })).code).toBe(0);
    expect(readFileSync(viaEnv, 'utf8')).toMatch(/TRAFFIC_SECRET_0 [0-9a-f]{64} /);
  });
});

describe('TLS verification: always runs, reason shown, credentials protected', () => {
  it.each([
    ['self-signed.pem', 'self-signed-key.pem', 'self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['expired.pem', 'expired-key.pem', 'certificate expired on', 'CERT_HAS_EXPIRED'],
    ['wrong-name.pem', 'wrong-name-key.pem', 'name mismatch: certificate is for DNS:wrong.example, not 127.0.0.1', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('%s: a loud warning with the reason; --strict-tls makes it fatal', async (cert, key, reason, code) => {
    peer = await startSmtpServerPeer({ cert, key });
    const warned = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--quit-after', 'ehlo']);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain(`*** certificate verification FAILED: ${reason}`);
    expect(warned.stdout).toContain(`(${code})`);
    const strict = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--strict-tls', '--quit-after', 'ehlo']);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain(`certificate verification failed for 127.0.0.1:${peer.port}: ${reason}`);
  });

  it('never sends credentials after a failed verification, unless --insecure', async () => {
    peer = await startSmtpServerPeer({ cert: 'self-signed.pem', key: 'self-signed-key.pem' });
    const refused = await runCli(['session', `127.0.0.1:${peer.port}`, '--auth', 'plain', '--user', PEER_USER], { env: { SMTPDBG_PASSWORD: PEER_PASSWORD } });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('refusing to send credentials');
    expect(refused.stderr).toContain('self-signed certificate');
    expect(peer.authAttempts).toHaveLength(0);

    const insecure = await runCli(['session', `127.0.0.1:${peer.port}`, '--insecure', '--auth', 'plain', '--user', PEER_USER, '--quit-after', 'auth'], { env: { SMTPDBG_PASSWORD: PEER_PASSWORD } });
    expect(insecure.code).toBe(0);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ username: PEER_USER, accepted: true, secure: true })]);
  });

  it('sends SNI for names and verifies the name asked for with --servername', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--servername', 'mx.localhost', '--json', '--quit-after', 'tls']);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.tls).toMatchObject({ servername: 'mx.localhost', verified: true });
    expect(summary.tls?.chain[0]?.subjectAltNames).toContain('DNS:mx.localhost');
  });

  it('--tls speaks TLS from the first byte (implicit TLS, RFC 8314)', async () => {
    peer = await startSmtpServerPeer({ options: { secure: true } });
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--tls', '--ca', ca, '--json', '--quit-after', 'ehlo']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.tls).toMatchObject({ verified: true });
    expect(summary.replies.map((r) => r.command.split(' ')[0])).toEqual(['(banner)', 'EHLO', 'QUIT']);
  });

  it('--tls-min 1.3 --tls-max 1.3 negotiates TLS 1.3 only', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--ca', ca, '--tls-min', '1.3', '--tls-max', '1.3', '--json', '--quit-after', 'tls']);
    expect((JSON.parse(result.stdout) as Summary).tls?.protocol).toBe('TLSv1.3');
  });
});
