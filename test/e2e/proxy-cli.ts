/**
 * The BUILT `smtpdbg proxy` as a child process, for the BDAT and LMTP relay tests.
 */
import { spawn } from 'node:child_process';
import { waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

export interface RunningProxy {
  port: number;
  stdout(): string;
  /** SIGTERM, then the exit code (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

export async function startProxy(args: string[]): Promise<RunningProxy> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exit: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((exit = code))));
  const port = await waitFor(() => {
    if (exit !== undefined) throw new Error(`proxy exited with ${exit}: ${stderr}`);
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
    return match ? Number(match[1]) : undefined;
  }, 10_000, 'the proxy to listen');
  return {
    port,
    stdout: () => stdout,
    stop: async () => {
      if (exit === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
