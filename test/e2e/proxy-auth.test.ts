/**
 * The proxy redacts AUTH exchanges of every mechanism it relays: CRAM-MD5's response line,
 * SCRAM-SHA-256's client-first and proof lines and XOAUTH2's token never show on its screen
 * or in its transcripts (text and JSON Lines) unless --show-secrets. The upstream is `serve
 * --auth-users`, so every exchange really succeeds end to end through the proxy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';
import { startProxyCli, stopRunningProxies } from './proxy-process.js';
import { startServe, type RunningServe } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-proxy-auth-'));
const USERS = join(dir, 'users.txt');
const PASSWORD = 'proxied pass:word';
writeFileSync(USERS, `carol:${PASSWORD}\n`);
let serve: RunningServe;
beforeAll(async () => {
  serve = await startServe(['--no-starttls', '--auth-users', USERS]);
});
afterAll(async () => {
  await serve.stop();
});
afterEach(stopRunningProxies);

/** The base64 lines the client sent, read from its own --show-secrets screen. */
function clientLines(stdout: string): string[] {
  return [...stdout.matchAll(/^ -> (?:AUTH \S+ )?([A-Za-z0-9+/]{8,}={0,2})␍␊/gm)].map((m) => m[1]!);
}

describe('proxy: AUTH of every mechanism relayed and redacted', () => {
  it.each([
    ['cram-md5', 'CRAM-MD5', 1],
    ['scram-sha-256', 'SCRAM-SHA-256', 2],
    ['xoauth2', 'XOAUTH2', 1],
  ])('%s: the client authenticates through the proxy; the proxy shows <redacted> for each secret line', async (mechanism, name, secretLines) => {
    const text = join(dir, `${mechanism}.txt`);
    const jsonl = join(dir, `${mechanism}.jsonl`);
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${serve.port}`, '--upstream-tls', 'none', '--transcript', text]);
    const proxyJson = await startProxyCli(['--upstream', `127.0.0.1:${serve.port}`, '--upstream-tls', 'none', '--transcript', jsonl]);
    const env = mechanism === 'xoauth2' ? { SMTPDBG_OAUTH_TOKEN: PASSWORD, SMTPDBG_PASSWORD: undefined } : { SMTPDBG_PASSWORD: PASSWORD, SMTPDBG_OAUTH_TOKEN: undefined };
    const sent: string[] = [];
    for (const port of [proxy.port, proxyJson.port]) {
      // The client shows its own secrets, so the test knows exactly what crossed the proxy.
      const result = await runCli(['session', `127.0.0.1:${port}`, '--plain', '--quit-after', 'auth', '--auth', mechanism, '--user', 'carol', '--show-secrets'], { env, timeoutMs: 30_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('235 2.7.0 Authentication successful');
      sent.push(...clientLines(result.stdout));
    }
    // SCRAM: client-first and the proof; CRAM-MD5: the response; XOAUTH2: the initial response.
    expect(sent.length).toBe(2 * secretLines);
    await waitFor(() => proxy.stdout().includes('QUIT') && proxyJson.stdout().includes('QUIT'), 10_000, 'both proxies to relay QUIT');
    await proxy.stop();
    await proxyJson.stop();
    const everything = [proxy.stdout(), proxyJson.stdout(), readFileSync(text, 'utf8'), readFileSync(jsonl, 'utf8')].join('\n');
    for (const secret of [PASSWORD, ...sent]) expect(everything).not.toContain(secret);
    expect(proxy.stdout()).toContain(mechanism === 'cram-md5' ? 'AUTH CRAM-MD5␍␊' : `AUTH ${name} <redacted>␍␊`);
    expect(proxy.stdout()).toContain('<redacted>');
    await waitFor(() => serve.stdout().includes(`authenticated as "carol" with ${name}`), 10_000, 'serve to show the user');
  });

  it('--show-secrets shows the CRAM-MD5 response the client sent', async () => {
    const proxy = await startProxyCli(['--upstream', `127.0.0.1:${serve.port}`, '--upstream-tls', 'none', '--show-secrets']);
    const result = await runCli(['session', `127.0.0.1:${proxy.port}`, '--plain', '--quit-after', 'auth', '--auth', 'cram-md5', '--user', 'carol', '--show-secrets'], { env: { SMTPDBG_PASSWORD: PASSWORD }, timeoutMs: 30_000 });
    expect(result.code, result.stdout).toBe(0);
    const [response] = clientLines(result.stdout);
    expect(response).toBeDefined();
    await waitFor(() => proxy.stdout().includes(response!), 10_000, 'the proxy to show the response');
  });
});
