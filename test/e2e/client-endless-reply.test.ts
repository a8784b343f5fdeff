import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REPLY_LINES, MAX_REPLY_OCTETS } from '../../src/smtp/reply-parser.js';
import { pour, startRawServer, type RawServer } from '../harness/raw-server.js';
import { BIN, REPO_ROOT } from '../harness/run-cli.js';

/**
 * A multi-line reply that never ends (`250-…` forever) is bounded per reply, in lines and
 * octets: the client gives up with exit 3 and a clear line, its memory measured from
 * outside (VmHWM of the child, polled from /proc). Before the bound, 32 MiB of such a
 * reply took session to about 200 MB, and 256 MiB to 965 MB.
 */
const BUDGET = 32 * 1024 * 1024;
const PEAK_MIB = 120;

let server: RawServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Octets of the endless reply written so far (the client stops it long before BUDGET). */
let sentOctets = 0;

/** Answers EHLO with `line` repeated until the client goes or BUDGET octets were written. */
function endless(line: string): Promise<RawServer> {
  sentOctets = 0;
  return startRawServer(async (socket: Socket, conn) => {
    socket.write('220 endless.test ESMTP\r\n');
    await conn.nextLine();
    const block = Buffer.from(line.repeat(Math.max(1, Math.floor(65536 / line.length))), 'latin1');
    await pour(socket, block, BUDGET, (total) => (sentOctets = total));
  });
}

async function runMeasured(args: string[]): Promise<{ code: number | null; out: string; peakMib: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let peak = 0;
  const read = () => {
    try {
      const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      if (kib) peak = Math.max(peak, Number(kib) / 1024);
    } catch {
      // Gone: the last reading stands.
    }
  };
  const poll = setInterval(read, 10);
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(poll);
  clearTimeout(kill);
  return { code, out, peakMib: peak };
}

describe('an endless multi-line reply is bounded per reply', () => {
  it.each([
    ['session', ['session', '--plain', '--timeout', '20000']],
    ['inject', ['inject', '--plain', '--timeout', '20000']],
  ])('%s: exit 3 at the line limit, memory bounded', async (_name, args) => {
    server = await endless(`250-${'x'.repeat(1000)}\r\n`);
    const result = await runMeasured([...args, `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.out).toContain(`multi-line reply without an end: ${MAX_REPLY_LINES} lines`);
    expect(result.peakMib).toBeGreaterThan(0);
    expect(result.peakMib).toBeLessThan(PEAK_MIB);
    expect(sentOctets).toBeGreaterThan(MAX_REPLY_OCTETS);
    expect(sentOctets).toBeLessThan(BUDGET / 2);
  });

  it('lines of 60 KiB: exit 3 at the octet limit', async () => {
    server = await endless(`250-${'y'.repeat(60 * 1024)}\r\n`);
    const result = await runMeasured(['session', '--plain', '--timeout', '20000', `127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.out).toContain(`over the limit of ${MAX_REPLY_OCTETS} octets per reply`);
    expect(result.peakMib).toBeLessThan(PEAK_MIB);
  });
});
