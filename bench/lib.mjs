// Shared helpers for the benchmark scripts: run commands side by side, interleaved, and
// report medians and ratios (machines here are shared and noisy: never one absolute time).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion; resolves with its wall time in ms, rejects on failure. */
export function timeCommand(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && !(options.okCodes ?? [0]).includes(code)) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      } else resolve(ms);
    });
  });
}

/**
 * Runs every case `runs` times, interleaved (a, b, c, a, b, c, …) so that a noisy neighbour
 * hurts all of them alike, after `warmup` untimed rounds. Returns the median per case.
 */
export async function compare(cases, { runs = 15, warmup = 2 } = {}) {
  const times = new Map(cases.map((c) => [c.name, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (const c of cases) {
      const ms = await timeCommand(c.command, c.args, c.options);
      if (round >= warmup) times.get(c.name).push(ms);
    }
  }
  return cases.map((c) => ({ name: c.name, median: median(times.get(c.name)), runs }));
}

export function markdownTable(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function ratio(a, b) {
  return `${(a / b).toFixed(2)}×`;
}

/**
 * The script's arguments, checked before anything slow starts: `--help` prints the
 * script's opening comment (its usage) and exits 0; an option that is not in `valued`
 * (options with a value) or `flags` is an error (exit 2), so that a misspelt option does
 * not start minutes of runs with the defaults.
 */
export function scriptArgs(scriptUrl, { valued = [], flags = [] } = {}) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    const lines = readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n');
    const comment = [];
    for (const line of lines.slice(lines[0]?.startsWith('#!') ? 1 : 0)) {
      if (!line.startsWith('//')) break;
      comment.push(line.replace(/^\/\/ ?/, ''));
    }
    console.log(comment.join('\n'));
    process.exit(0);
  }
  for (let i = 0; i < args.length; i++) {
    if (valued.includes(args[i])) {
      if (args[i + 1] === undefined) fail(`${args[i]} needs a value`);
      i++;
    } else if (!flags.includes(args[i])) {
      fail(`unknown option ${args[i]} (options: ${[...valued, ...flags].join(' ') || 'none'}; --help)`);
    }
  }
  return args;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

/** `--name value` from argv, or the fallback. */
export function argValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

/** A port that was free a moment ago on 127.0.0.1 (for peers that cannot listen on port 0). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits (bounded) until something accepts connections on the port; fails early if `child` exits. */
export async function waitForPort(port, { child, timeoutMs = 10_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${child.spawnfile} exited ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export function have(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The test harness's Postfix and Dovecot (TypeScript): for the benchmarks that measure against
 * the real servers the tests start. They run with tsx's loader (bench/run-all.mjs passes it).
 */
export async function loadMailServerHarness(script) {
  try {
    return {
      postfix: await import('../test/harness/postfix.ts'),
      dovecot: await import('../test/harness/dovecot.ts'),
    };
  } catch (error) {
    console.error(`bench/${script} loads the test harness (TypeScript): run it as node --import tsx bench/${script} (${error.message})`);
    process.exit(2);
  }
}
