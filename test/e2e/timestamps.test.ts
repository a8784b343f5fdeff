import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startMiniServer, type MiniServer } from './inject-mini-server.js';

/** `--timestamps`: every command that prints a conversation starts its lines with the elapsed ms. */
const STAMPED = /^ *\d+ms /;
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-timestamps-'));
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function mini(): Promise<MiniServer> {
  const server = await startMiniServer();
  stops.push(() => server.close());
  return server;
}

/** Starts a long-running command (serve, proxy) and resolves with its port once it listens. */
async function startListening(args: string[]): Promise<{ port: number; stdout: () => string }> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  stops.push(async () => {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  });
  const port = await waitFor(() => Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1] ?? 0), 10_000, `${args[0]} to listen`);
  return { port, stdout: () => stdout };
}

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('--timestamps', () => {
  it('session: every line of the conversation starts with the elapsed milliseconds, in order', async () => {
    const server = await mini();
    const transcript = join(dir, 'session.jsonl');
    const result = await runCli(['session', `127.0.0.1:${server.port}`, '--timestamps', '--transcript', transcript], { stdin: 'NOOP\n' });
    expect(result.code).toBe(0);
    const shown = lines(result.stdout);
    expect(shown.length).toBeGreaterThan(4);
    for (const line of shown) expect(line).toMatch(STAMPED);
    expect(result.stdout).toMatch(/^ *\d+ms  -> NOOP␍␊$/m);
    const times = shown.map((line) => Number(/\d+/.exec(line)![0]));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    // The same stamps from the recorded transcript.
    const replay = await runCli(['transcript', transcript, '--timestamps']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^ *\d+ms  -> NOOP␍␊$/m);
    const plain = await runCli(['transcript', transcript]);
    expect(plain.stdout).toMatch(/^ -> NOOP␍␊$/m);
  });

  it('session without --timestamps is unchanged', async () => {
    const server = await mini();
    const result = await runCli(['session', `127.0.0.1:${server.port}`], { stdin: 'NOOP\n' });
    expect(result.stdout).toMatch(/^ -> NOOP␍␊$/m);
    expect(result.stdout).not.toMatch(/^ *\d+ms /m);
  });

  it('inject: the conversation lines are stamped', async () => {
    const server = await mini();
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--timestamps', '--to', 'b@example.org']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ *\d+ms  -> MAIL FROM:<smtpdbg@localhost>␍␊$/m);
    expect(result.stdout).toMatch(/^ *\d+ms <-  250 2\.0\.0 Ok: queued as MINI1␍␊$/m);
  });

  it('serve: the bytes of each connection are stamped', async () => {
    const serve = await startListening(['serve', '--listen', '127.0.0.1:0', '--timestamps']);
    const result = await runCli(['session', `127.0.0.1:${serve.port}`, '--plain'], { stdin: 'NOOP\n' });
    expect(result.code).toBe(0);
    await waitFor(() => / -> 221|QUIT/.test(serve.stdout()), 10_000, 'serve to print the QUIT');
    expect(serve.stdout()).toMatch(/^ *\d+ms .*<-  NOOP␍␊$/m);
  });

  it('proxy: both legs are stamped', async () => {
    const server = await mini();
    const proxy = await startListening(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none', '--timestamps']);
    const result = await runCli(['session', `127.0.0.1:${proxy.port}`, '--plain'], { stdin: 'NOOP\n' });
    expect(result.code).toBe(0);
    await waitFor(() => /NOOP/.test(proxy.stdout()), 10_000, 'the proxy to print the NOOP');
    expect(proxy.stdout()).toMatch(/^ *\d+ms \[#1 client\] .*NOOP␍␊$/m);
    expect(proxy.stdout()).toMatch(/^ *\d+ms \[#1 upstream\] .*NOOP␍␊$/m);
  });
});
