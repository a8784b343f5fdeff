/**
 * Shared by the serve e2e tests: the BUILT `smtpdbg serve` as a child process, real
 * clients run as commands, and an mboxrd reader to check what was stored.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

export const FROM_LINE = /^From (\S+) (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}\n/;

/** Splits an mboxrd file into [From_ line, content] pairs; each entry ends with one blank line. */
export function mboxEntries(mbox: Buffer): Array<{ sender: string; body: string }> {
  const text = mbox.toString('latin1');
  const starts = [...text.matchAll(/(^|\n\n)From /g)].map((m) => m.index + m[1]!.length);
  return starts.map((start, i) => {
    const entry = text.slice(start, i + 1 < starts.length ? starts[i + 1]! : text.length);
    const fromLine = FROM_LINE.exec(entry);
    if (!fromLine) throw new Error(`bad From_ line in ${JSON.stringify(entry.slice(0, 80))}`);
    expect(entry.endsWith('\n')).toBe(true);
    return { sender: fromLine[1]!, body: entry.slice(fromLine[0].length, -1) };
  });
}

export interface RunningServe {
  port: number;
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

export interface StartServeOptions {
  /** Variables added to the environment (TMPDIR, say). */
  env?: Record<string, string>;
  /**
   * Shell commands run before serve replaces the shell (`exec`), e.g. `ulimit -f 64`: the
   * child's pid is then serve's own.
   */
  before?: string;
}

export async function startServe(args: string[], options: StartServeOptions = {}): Promise<RunningServe> {
  if (!existsSync(path.join(REPO_ROOT, 'dist/cli/serve.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm test does it)');
  const env = { ...process.env, ...options.env };
  delete env.FORCE_COLOR;
  const argv = [BIN, 'serve', '--listen', '127.0.0.1:0', ...args];
  const child = options.before === undefined
    ? spawn(process.execPath, argv, { cwd: REPO_ROOT, env })
    : spawn('bash', ['-c', `${options.before}; exec "$@"`, 'bash', process.execPath, ...argv], { cwd: REPO_ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
  exited.finally(() => clearTimeout(kill));
  const port = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
    return Number(/listening on 127\.0\.0\.1:(\d+)|"type":"listening".*"port":(\d+)/.exec(stdout)?.slice(1).find(Boolean) ?? 0);
  }, 10_000, 'serve to print its port');
  return {
    port,
    child,
    stdout: () => stdout,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

export function run(command: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    // A peer that exits without reading its input (swaks, curl) closes the pipe: that EPIPE
    // is not the test's concern, and unhandled it fails the whole run.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** A process's peak resident set so far, in bytes, as the kernel counts it (VmHWM), read from outside. */
export function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}

/** How many file descriptors a process holds open. */
export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

