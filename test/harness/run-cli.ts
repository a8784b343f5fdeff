/**
 * Runs the BUILT command line (`node bin/smtpdbg.js …`, i.e. dist/, as a user runs it)
 * and normalises its output for comparison. `npm test` builds before vitest runs; when
 * running vitest alone, `npm run build` first.
 *
 *   const result = await runCli(['session', `127.0.0.1:${port}`, '--plain'], { stdin: 'QUIT\n' });
 *   expect(result.code).toBe(0);
 *   expect(normalize(result.stdout, { ports: [port] })).toContain('<- 221');
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/smtpdbg.js', import.meta.url));
const BUILT_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface RunCliOptions {
  /** Written to stdin, which is then closed. Without it stdin is closed at once (EOF). */
  stdin?: string | Buffer;
  /** Merged over the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long (default 20 s). */
  timeoutMs?: number;
  cwd?: string;
}

export interface RunCliResult {
  /** Exit code; null when killed (see `signal`, `timedOut`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Variables the test runner's environment may carry that would change the CLI's output
 * or behaviour behind a test's back (vitest sets FORCE_COLOR for its own output).
 */
const SCRUBBED_ENV = ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE', 'SMTPDBG_PASSWORD'];

export function runCli(args: string[], options: RunCliOptions = {}): Promise<RunCliResult> {
  if (!existsSync(BUILT_MAIN)) {
    return Promise.reject(new Error(`${BUILT_MAIN} is missing: run \`npm run build\` (npm test does it)`));
  }
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of SCRUBBED_ENV) delete env[name];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const timeoutMs = options.timeoutMs ?? 20_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // The CLI may exit without reading stdin; that EPIPE is not the test's concern.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;
const RFC5322_DATE = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}(?: \([A-Z]+\))?/g;
const CLOCK = /\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b/g;
const DURATION = /\b\d+(?:\.\d+)?\s?(?:ms|s)\b/g;
const JSON_T = /"t":\s*\d+(?:\.\d+)?/g;
const HOST_PORT = /(127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0):\d{1,5}\b/g;

/**
 * Makes output comparable across runs: strips ANSI escapes; replaces timestamps with
 * `<TIME>`, durations (`12 ms`, `1.5s`) with `<DURATION>`, JSONL `"t":123` with
 * `"t":<T>`, `host:port` on loopback with `host:<PORT>`, and every number in `ports`
 * (the test's ephemeral ports, wherever they appear) with `<PORT>`.
 */
export function normalize(text: string, options: { ports?: number[] } = {}): string {
  let out = text
    .replace(ANSI, '')
    .replace(ISO_TIME, '<TIME>')
    .replace(RFC5322_DATE, '<TIME>')
    .replace(CLOCK, '<TIME>')
    .replace(JSON_T, '"t":<T>')
    .replace(DURATION, '<DURATION>')
    .replace(HOST_PORT, '$1:<PORT>');
  for (const port of options.ports ?? []) {
    out = out.replace(new RegExp(`\\b${port}\\b`, 'g'), '<PORT>');
  }
  return out;
}
