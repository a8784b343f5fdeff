/**
 * Shared by the proxy e2e tests: the BUILT `smtpdbg proxy` as a child process, stopped after
 * each test by `stopRunningProxies` (SIGTERM, bounded).
 */
import { spawn } from 'node:child_process';
import { waitFor } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

export interface ProxyCli {
  /** The port of the first listener (0 for a Unix socket). */
  port: number;
  /** Every listener of the start-up line, in order. */
  listeners: Array<{ address: string; port: number; implicitTls: boolean }>;
  pid: number;
  stdout(): string;
  /** SIGTERM, then the exit code (bounded: SIGKILL after 10 s fails the test). */
  stop(): Promise<number | null>;
}

const running = new Set<ProxyCli>();

/** Stops every proxy still running (an afterEach of each proxy test file). */
export async function stopRunningProxies(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** `proxy ARGS`; without a --listen or --listen-tls in ARGS it listens on 127.0.0.1:0. */
export async function startProxyCli(args: string[]): Promise<ProxyCli> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ['FORCE_COLOR', 'NO_COLOR', 'SSLKEYLOGFILE']) delete env[name];
  const listen = args.some((a) => a === '--listen' || a === '--listen-tls') ? [] : ['--listen', '127.0.0.1:0'];
  const child = spawn(process.execPath, [BIN, 'proxy', ...listen, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exit: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((exit = code))));
  const line = await waitFor(() => {
    if (exit !== undefined) throw new Error(`proxy exited with ${exit}: ${stderr}`);
    return /=== proxy listening on (.*), relaying to /.exec(stdout)?.[1];
  }, 10_000, 'the proxy to listen');
  const listeners = line.split(', ').map((item) => {
    const address = item.replace(/ \(implicit TLS\)$/, '');
    return { address, port: Number(/^(?!unix:).*:(\d+)$/.exec(address)?.[1] ?? 0), implicitTls: item !== address };
  });
  const proxy: ProxyCli = {
    port: listeners[0]!.port,
    listeners,
    pid: child.pid!,
    stdout: () => stdout,
    stop: async () => {
      running.delete(proxy);
      if (exit === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(proxy);
  return proxy;
}
