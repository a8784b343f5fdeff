/**
 * Every output of session, inject, serve, proxy and transcript has one write-error path:
 * a full device, a file-size limit or a closed pipe on standard output, --transcript or
 * --keylog ends the run with one line, `smtpdbg: cannot write FILE: ECODE (message)`, exit 2,
 * and a transcript left ending on a complete event. The built CLI, real files and devices.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTranscript } from '../../src/transcript/reader.js';
import { connectRaw, startRawServer, waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-output-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Options {
  stdin?: string;
  /** Where standard output goes: a pipe read by the test, or a file descriptor. */
  stdout?: number;
  /** RLIMIT_FSIZE in KiB (the shell's `ulimit -f`): a write past it fails with EFBIG. */
  fileSizeKib?: number;
  /** Called with what the process printed so far, each time it prints; may stop it. */
  onStdout?: (stdout: string, child: ReturnType<typeof spawn>) => void;
}

/** The built CLI, optionally under a file-size limit (through sh's ulimit), bounded in time. */
function run(args: string[], options: Options = {}): Promise<Run> {
  const command = options.fileSizeKib === undefined ? process.execPath : '/bin/sh';
  const argv = options.fileSizeKib === undefined
    ? [BIN, ...args]
    : ['-c', `ulimit -f ${options.fileSizeKib} && exec "$0" "$@"`, process.execPath, BIN, ...args];
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: REPO_ROOT, env, stdio: ['pipe', options.stdout ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      options.onStdout?.(stdout, child);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function withFullDevice<T>(use: (fd: number) => Promise<T>): Promise<T> {
  const fd = openSync('/dev/full', 'w');
  try {
    return await use(fd);
  } finally {
    closeSync(fd);
  }
}

const NO_SPACE = 'ENOSPC (no space left on device)';
const noops = (n: number) => `${'NOOP\n'.repeat(n)}QUIT\n`;

describe('one write-error path: a full device', () => {
  // Before: "internal error (please report)" with a stack trace, exit 3.
  it.each([
    ['session', ['session', '--transcript', '/dev/full'], 'QUIT\n'],
    ['session (JSON Lines)', ['session', '--transcript', '/dev/full', '--json'], 'QUIT\n'],
    ['inject', ['inject', '--transcript', '/dev/full'], undefined],
  ])('%s --transcript /dev/full: one line naming the file and the errno, exit 2', async (_name, args, stdin) => {
    const result = await run(args, stdin === undefined ? {} : { stdin });
    expect(result.stderr).toBe(`smtpdbg: cannot write /dev/full: ${NO_SPACE}\n`);
    expect(result.code).toBe(2);
  });

  it('session --keylog /dev/full: the key log is an output like the others (not a TLS failure, exit 2)', async () => {
    const result = await run(['session', '--keylog', '/dev/full'], { stdin: 'QUIT\n' });
    expect(result.stderr).toBe(`smtpdbg: cannot write /dev/full: ${NO_SPACE}\n`);
    expect(result.code).toBe(2);
  });

  it.each([
    ['session', ['session'], 'QUIT\n'],
    ['inject', ['inject'], ''],
    ['serve', ['serve', '--listen', '127.0.0.1:0'], ''],
  ])('%s with standard output on /dev/full: one line, exit 2', async (_name, args, stdin) => {
    // Before: serve died at its first print with an uncaught error (exit 1).
    const result = await withFullDevice((fd) => run(args, { stdin, stdout: fd }));
    expect(result.stderr).toBe(`smtpdbg: cannot write standard output: ${NO_SPACE}\n`);
    expect(result.code).toBe(2);
  });

  it('a reader that closes standard output early (| head): the session ends quietly with its own exit code', async () => {
    const result = await run(['session'], {
      stdin: noops(2000),
      onStdout: (_out, child) => child.stdout!.destroy(),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('one write-error path: a file-size limit mid-run', () => {
  // Before: an uncaught EFBIG, exit 1, and a JSON Lines file ending in half a line.
  it('session --transcript FILE.jsonl: exit 2 naming the file, and the file ends on a complete event', async () => {
    const file = path.join(dir, 'limited.jsonl');
    const result = await run(['session', '--transcript', file], { stdin: noops(400), fileSizeKib: 16 });
    expect(result.stderr).toBe(`smtpdbg: cannot write ${file}: EFBIG (file too large)\n`);
    expect(result.code).toBe(2);
    const text = await readFile(file, 'utf8');
    expect(text.length).toBeLessThanOrEqual(16 * 1024);
    expect(text.endsWith('\n')).toBe(true);
    const parsed = parseTranscript(text);
    expect(parsed.damage).toEqual([]);
    expect(parsed.entries.filter((e) => e.event.type === 'send').length).toBeGreaterThan(10);
  });

  it('session --transcript FILE.txt: the text transcript ends on the last complete event too', async () => {
    const file = path.join(dir, 'limited.txt');
    const result = await run(['session', '--transcript', file], { stdin: noops(400), fileSizeKib: 16 });
    expect(result.stderr).toBe(`smtpdbg: cannot write ${file}: EFBIG (file too large)\n`);
    expect(result.code).toBe(2);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.at(-1)).toMatch(/^(?: ~> NOOP␍␊|<~  250 2\.0\.0 Ok␍␊)$/);
  });

  it('proxy --transcript FILE.jsonl: the proxy closes its connections (421), then exit 2 naming the file', async () => {
    const server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw\r\n');
      for (;;) {
        await conn.nextLine(10_000);
        socket.write('250 ok\r\n');
      }
    });
    try {
      const file = path.join(dir, 'proxy-limited.jsonl');
      let port: number | undefined;
      const exited = run(['proxy', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`, '--upstream-tls', 'none', '--transcript', file], {
        fileSizeKib: 16,
        onStdout: (out) => (port ??= Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]) || undefined),
      });
      const listening = await waitFor(() => port, 10_000, 'the proxy to listen');
      const app = await connectRaw(listening);
      expect(await app.readReply()).toBe('220 raw\r\n');
      let reply = '';
      for (let i = 0; i < 400 && !reply.startsWith('421'); i++) {
        await app.send('NOOP\r\n');
        reply = await app.readReply();
      }
      expect(reply).toBe('421 4.3.2 localhost smtpdbg proxy shutting down\r\n');
      const result = await exited;
      expect(result.stderr).toBe(`smtpdbg: cannot write ${file}: EFBIG (file too large)\n`);
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/=== output failure: proxy stopped after 1 connection\n$/);
      const text = await readFile(file, 'utf8');
      expect(text.endsWith('\n')).toBe(true);
      expect(parseTranscript(text).damage).toEqual([]);
      app.close();
    } finally {
      await server.close();
    }
  });
});
