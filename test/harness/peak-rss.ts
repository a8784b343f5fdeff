/**
 * Peak memory of a child process, measured from outside: its VmHWM (the kernel's high-water
 * mark of resident memory, Linux) polled from /proc while it runs. The last reading before
 * the process ends is its peak up to then; memory tests keep their inputs small and assert
 * the peak under a bound.
 *
 *   const rss = watchPeakRss(child.pid!);
 *   … drive the child …
 *   expect(rss.stop()).toBeLessThan(200);   // MiB
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, REPO_ROOT } from './run-cli.js';

export interface PeakRss {
  /** The highest VmHWM read so far, in MiB. */
  readonly mib: number;
  /** Reads once more, stops polling, and returns the peak in MiB. */
  stop(): number;
}

function readHighWaterMiB(pid: number): number | undefined {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    // The process has ended: its last reading stands.
    return undefined;
  }
}

export function watchPeakRss(pid: number, intervalMs = 20): PeakRss {
  let peak = 0;
  const read = () => {
    const now = readHighWaterMiB(pid);
    if (now !== undefined && now > peak) peak = now;
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    get mib() {
      return peak;
    },
    stop() {
      read();
      clearInterval(timer);
      return peak;
    },
  };
}

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the CLI, MiB. */
  peakMib: number;
  durationMs: number;
}

/**
 * Runs the built CLI with its peak memory watched. stdout is kept only up to `keepStdout`
 * characters from its end (a test of a large rendering must not hold it all); `onStart`
 * gets the child (to signal it). Killed after `timeoutMs`.
 */
export function runCliMeasured(args: string[], options: { timeoutMs?: number; keepStdout?: number; onStart?: (child: ReturnType<typeof spawn>) => void } = {}): Promise<MeasuredRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const keep = options.keepStdout ?? 1 << 20;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const rss = watchPeakRss(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.length > 2 * keep) stdout = stdout.slice(-keep);
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      rss.stop();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: stdout.slice(-keep), stderr, peakMib: rss.stop(), durationMs: Date.now() - started });
    });
    options.onStart?.(child);
  });
}
