/**
 * AUTH with CRAM-MD5 and XOAUTH2 against nodemailer's smtp-server (an independent
 * implementation of both), and SCRAM-SHA-256 against a raw server driven by smtpdbg's own
 * server side (src/smtp/sasl/scram-sha-256.ts: no SMTP peer on this machine speaks SCRAM).
 * Each run checks what a user checks: the peer accepted, the exit code, the line that says
 * which mechanism `--auth` picked, and that no secret part shows on screen, in either
 * transcript form or in --json.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cramMd5Response } from '../../src/smtp/sasl/cram-md5.js';
import { scramKeys, scramServerFinal, scramServerFirst, type ScramServerState } from '../../src/smtp/sasl/scram-sha-256.js';
import { startRawServer, type RawServer } from '../harness/raw-server.js';
import { runCli, type RunCliResult } from '../harness/run-cli.js';
import { PEER_PASSWORD, PEER_USER, startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-auth-mech-'));
const TOKEN = 'ya29.test-Token_only-in-the-environment';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
let runs = 0;

/** A session to --quit-after auth with both transcripts and --json; every output returned as text. */
async function authSession(port: number, args: string[], env: Record<string, string | undefined>) {
  const n = ++runs;
  const text = join(dir, `t${n}.txt`);
  const jsonl = join(dir, `t${n}.jsonl`);
  const screen = await runCli(['session', `127.0.0.1:${port}`, '--plain', '--quit-after', 'auth', '--transcript', text, ...args], { env: { SMTPDBG_PASSWORD: undefined, SMTPDBG_OAUTH_TOKEN: undefined, ...env } });
  const json = await runCli(['session', `127.0.0.1:${port}`, '--plain', '--quit-after', 'auth', '--transcript', jsonl, '--json', ...args], { env: { SMTPDBG_PASSWORD: undefined, SMTPDBG_OAUTH_TOKEN: undefined, ...env } });
  const everything = [screen.stdout, screen.stderr, json.stdout, json.stderr, readFileSync(text, 'utf8'), readFileSync(jsonl, 'utf8')].join('\n');
  return { screen, json, everything };
}

const expectNone = (text: string, secrets: string[]) => {
  for (const secret of secrets) expect(text).not.toContain(secret);
};

describe('CRAM-MD5 and XOAUTH2 against smtp-server', () => {
  let peer: SmtpServerPeer;
  beforeAll(async () => {
    peer = await startSmtpServerPeer({
      allowInsecureAuth: true,
      options: {
        authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'],
        onAuth(auth, _session, callback) {
          const method = auth.method as string;
          if (method === 'XOAUTH2') {
            const accepted = auth.username === PEER_USER && auth.accessToken === TOKEN;
            peer.authAttempts.push({ method, username: auth.username, accepted, secure: false });
            // smtp-server sends this as the 334 JSON error challenge, then its 535.
            return accepted ? callback(null, { user: PEER_USER }) : callback(null, { data: { status: '401', schemes: 'bearer', scope: '' } });
          }
          const accepted = auth.username === PEER_USER && (method === 'CRAM-MD5' ? auth.validatePassword(PEER_PASSWORD) : auth.password === PEER_PASSWORD);
          peer.authAttempts.push({ method, username: auth.username, accepted, secure: false });
          return accepted ? callback(null, { user: PEER_USER }) : callback(new Error('Error: Authentication credentials invalid'));
        },
      },
    });
  });
  afterAll(async () => {
    await peer.close();
  });

  it('--auth cram-md5: accepted; the response line is redacted everywhere', async () => {
    peer.authAttempts.length = 0;
    const { screen, json, everything } = await authSession(peer.port, ['--auth', 'cram-md5', '--user', PEER_USER], { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(screen.code).toBe(0);
    expect(json.code).toBe(0);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ method: 'CRAM-MD5', accepted: true }), expect.objectContaining({ method: 'CRAM-MD5', accepted: true })]);
    expect(screen.stdout).toContain('-> AUTH CRAM-MD5␍␊');
    expect(screen.stdout).toMatch(/-> \[redacted\]␍␊ \(secret redacted\)\n<-  235/);
    // The challenge of each run is in its record; the answer to it must not be.
    const replies = (JSON.parse(json.stdout) as { replies: Array<{ code: number; lines: string[] }> }).replies;
    const fromJson = Buffer.from(replies.find((r) => r.code === 334)!.lines[0]!, 'base64').toString();
    const fromScreen = JSON.parse(/=== 334 challenge decoded: (".*")/.exec(screen.stdout)![1]!) as string;
    for (const challenge of [fromJson, fromScreen]) {
      const response = cramMd5Response(PEER_USER, PEER_PASSWORD, challenge);
      expectNone(everything, [PEER_PASSWORD, b64(response), response.split(' ')[1]!]);
    }
  });

  it('--auth alone picks CRAM-MD5 over PLAIN and LOGIN (no token given) and says so', async () => {
    peer.authAttempts.length = 0;
    const { screen, json } = await authSession(peer.port, ['--auth', '--user', PEER_USER], { SMTPDBG_PASSWORD: PEER_PASSWORD });
    expect(screen.code).toBe(0);
    expect(screen.stdout).toContain('=== --auth: using CRAM-MD5, the strongest of what the server offers (PLAIN LOGIN CRAM-MD5 XOAUTH2)\n');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { auth: unknown }).auth).toEqual({ requested: 'auto', mechanism: 'CRAM-MD5', user: PEER_USER });
    expect(peer.authAttempts.map((a) => a.method)).toEqual(['CRAM-MD5', 'CRAM-MD5']);
  });

  it('CRAM-MD5 with a wrong password: the 535 is shown, exit 1', async () => {
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--plain', '--quit-after', 'auth', '--auth', 'cram-md5', '--user', PEER_USER], { env: { SMTPDBG_PASSWORD: 'wrong' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/<-  535 5\.7\.8 Error: Authentication credentials invalid/);
  });

  it('--auth xoauth2: the token comes from SMTPDBG_OAUTH_TOKEN, is accepted, and never shows', async () => {
    peer.authAttempts.length = 0;
    const { screen, json, everything } = await authSession(peer.port, ['--auth', 'xoauth2', '--user', PEER_USER], { SMTPDBG_OAUTH_TOKEN: TOKEN });
    expect(screen.code).toBe(0);
    expect(json.code).toBe(0);
    expect(peer.authAttempts).toEqual([expect.objectContaining({ method: 'XOAUTH2', accepted: true }), expect.objectContaining({ method: 'XOAUTH2', accepted: true })]);
    expect(screen.stdout).toContain('-> AUTH XOAUTH2 [redacted]␍␊ (secret redacted)');
    expectNone(everything, [TOKEN, b64(`user=${PEER_USER}\x01auth=Bearer ${TOKEN}\x01\x01`)]);
  });

  it('--auth alone with a token picks XOAUTH2 and asks for no password', async () => {
    peer.authAttempts.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--auth', '--user', PEER_USER, '--to', 'bob@example.org'], { env: { SMTPDBG_OAUTH_TOKEN: TOKEN } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('=== --auth: using XOAUTH2, the strongest of what the server offers');
    expect(peer.authAttempts.map((a) => a.method)).toEqual(['XOAUTH2']);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  it('a refused token: the JSON error challenge is answered, the 535 shown, exit 1', async () => {
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--plain', '--quit-after', 'auth', '--auth', 'xoauth2', '--user', PEER_USER], { env: { SMTPDBG_OAUTH_TOKEN: 'expired-token' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('=== 334 challenge decoded: "{\\"status\\":\\"401\\",\\"schemes\\":\\"bearer\\",\\"scope\\":\\"\\"}"');
    expect(result.stdout).toMatch(/<-  535 /);
    expect(result.stdout).not.toContain('expired-token');
  });

  it('--auth xoauth2 without SMTPDBG_OAUTH_TOKEN is a usage error (exit 2) before any AUTH', async () => {
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--plain', '--quit-after', 'auth', '--auth', 'xoauth2', '--user', PEER_USER], { env: { SMTPDBG_OAUTH_TOKEN: undefined } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('*** --auth xoauth2 needs the token in SMTPDBG_OAUTH_TOKEN (never on the command line)\n');
    expect(result.stdout).not.toContain('-> AUTH');
  });
});

describe('SCRAM-SHA-256 against a raw server using the sans-I/O server side', () => {
  const PASSWORD = 'correct horse';
  const salt = { salt: Buffer.from('smtpdbg-test-salt'), iterations: 4096 };
  const keys = scramKeys(PASSWORD, salt);
  /** What the server does after a good proof: its real signature, or a forged one. */
  let signature: 'real' | 'forged' = 'real';
  const proofs: string[] = [];
  const outcomes: string[] = [];
  let server: RawServer;
  beforeAll(async () => {
    server = await startRawServer(async (socket, conn) => {
      socket.write('220 scram.test ESMTP\r\n');
      let state: ScramServerState | undefined;
      let stage: 'command' | 'final' | 'ack' = 'command';
      for (;;) {
        const line = (await conn.nextLine(10_000)).toString('latin1').replace(/\r?\n$/, '');
        if (stage === 'final') {
          const clientFinal = Buffer.from(line, 'base64').toString();
          proofs.push(line, clientFinal.slice(clientFinal.indexOf(',p=') + 3));
          const verdict = scramServerFinal(state!, clientFinal, keys);
          if (!verdict.ok) {
            outcomes.push('bad proof');
            socket.write('535 5.7.8 Authentication credentials invalid\r\n');
            stage = 'command';
            continue;
          }
          const v = signature === 'real' ? verdict.message : `v=${createHash('sha256').update('forged').digest('base64')}`;
          socket.write(`334 ${b64(v)}\r\n`);
          stage = 'ack';
          continue;
        }
        if (stage === 'ack') {
          outcomes.push(line === '' ? 'acknowledged' : line === '*' ? 'cancelled' : `other: ${line}`);
          socket.write(line === '' ? '235 2.7.0 Authentication successful\r\n' : '501 5.7.0 Authentication cancelled\r\n');
          stage = 'command';
          continue;
        }
        const [verb = '', mechanism = '', initial = ''] = line.split(' ');
        if (/^EHLO$/i.test(verb)) socket.write('250-scram.test\r\n250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n');
        else if (/^AUTH$/i.test(verb) && mechanism === 'SCRAM-SHA-256') {
          const first = scramServerFirst(Buffer.from(initial, 'base64').toString(), salt, 'server-nonce-123');
          state = first.state;
          stage = 'final';
          socket.write(`334 ${b64(first.message)}\r\n`);
        } else if (/^QUIT$/i.test(verb)) {
          socket.end('221 2.0.0 Bye\r\n');
          return;
        } else socket.write('502 5.5.1 not here\r\n');
      }
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('--auth alone picks SCRAM-SHA-256; the proof is accepted, the signature checked; no secret shows', async () => {
    outcomes.length = 0;
    proofs.length = 0;
    const { screen, json, everything } = await authSession(server.port, ['--auth', '--user', 'alice'], { SMTPDBG_PASSWORD: PASSWORD });
    expect(screen.code).toBe(0);
    expect(json.code).toBe(0);
    expect(screen.stdout).toContain('=== --auth: using SCRAM-SHA-256, the strongest of what the server offers (PLAIN LOGIN SCRAM-SHA-256)\n');
    expect(outcomes).toEqual(['acknowledged', 'acknowledged']);
    expect((JSON.parse(json.stdout) as { auth: unknown }).auth).toEqual({ requested: 'auto', mechanism: 'SCRAM-SHA-256', user: 'alice' });
    expect(proofs).toHaveLength(4);
    expectNone(everything, [PASSWORD, ...proofs]);
  });

  it('a wrong password: the server refuses the proof (535), exit 1', async () => {
    outcomes.length = 0;
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--plain', '--quit-after', 'auth', '--auth', 'scram-sha-256', '--user', 'alice'], { env: { SMTPDBG_PASSWORD: 'wrong horse' } });
    expect(result.code).toBe(1);
    expect(outcomes).toEqual(['bad proof']);
    expect(result.stdout).toMatch(/<-  535 5\.7\.8/);
  });

  it("a server whose signature is wrong: smtpdbg cancels with '*' and fails (exit 3), naming the reason", async () => {
    signature = 'forged';
    outcomes.length = 0;
    let result: RunCliResult;
    try {
      result = await runCli(['session', `127.0.0.1:${server.port}`, '--plain', '--quit-after', 'auth', '--auth', 'scram-sha-256', '--user', 'alice'], { env: { SMTPDBG_PASSWORD: PASSWORD } });
    } finally {
      signature = 'real';
    }
    expect(result.code).toBe(3);
    expect(outcomes).toEqual(['cancelled']);
    expect(result.stderr).toBe("*** SCRAM-SHA-256: the server's signature is wrong: it does not know the password, or something changed the exchange (RFC 5802 §5.1); authentication abandoned\n");
  });
});
