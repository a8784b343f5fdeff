/**
 * `inject --data` and `--mbox` read within a bound: a message larger than
 * `--max-size` (default 100 MiB) is refused before more is read, exit 2, one line; one
 * larger than the server's SIZE is not sent. Peak RSS is measured from outside the
 * process (the kernel's maximum resident set size of the child, through wait4).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { BIN, REPO_ROOT, runCli } from '../harness/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-inject-limits-'));

/** Runs the CLI under a parent that reports the child's peak RSS (ru_maxrss, KiB) from wait4. */
const WAIT4 = `
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write("\\nMAXRSS_KIB %d\\n" % usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
`;

interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  peakRssMb: number;
  durationMs: number;
}

function runMeasured(args: string[], timeoutMs = 30_000): Promise<Measured> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', WAIT4, process.execPath, BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      const rss = /\nMAXRSS_KIB (\d+)\n$/.exec(stderr);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: rss ? stderr.slice(0, rss.index) : stderr,
        peakRssMb: rss ? Number(rss[1]) / 1024 : Number.POSITIVE_INFINITY,
        durationMs: Date.now() - started,
      });
    });
  });
}

let capture: CaptureServer | undefined;
afterEach(async () => {
  await capture?.close();
  capture = undefined;
});

describe('inject reads --data and --mbox within --max-size', () => {
  it('--data /dev/zero at the default 100 MiB: refused, exit 2, one line, peak RSS bounded', async () => {
    const result = await runMeasured(['inject', '127.0.0.1:1', '--data', '/dev/zero']);
    expect(result.stderr).toBe('smtpdbg: --data /dev/zero: the message is larger than 104857600 octets (--max-size): refused before reading further\n');
    expect(result.code).toBe(2);
    expect(result.peakRssMb).toBeLessThan(400);
  });

  it('--data /dev/zero --max-size 1000000: refused at once, peak RSS of a bare run', async () => {
    const result = await runMeasured(['inject', '127.0.0.1:1', '--data', '/dev/zero', '--max-size', '1000000']);
    expect(result.stderr).toBe('smtpdbg: --data /dev/zero: the message is larger than 1000000 octets (--max-size): refused before reading further\n');
    expect(result.code).toBe(2);
    expect(result.peakRssMb).toBeLessThan(150);
  });

  it('--mbox /dev/zero: message 1 never ends; refused, exit 2, peak RSS bounded', async () => {
    const result = await runMeasured(['inject', '127.0.0.1:1', '--mbox', '/dev/zero', '--index', '1', '--max-size', '1000000']);
    expect(result.stderr).toBe('smtpdbg: /dev/zero: message 1 is larger than 1000000 octets (--max-size): refused before reading further\n');
    expect(result.code).toBe(2);
    expect(result.peakRssMb).toBeLessThan(150);
  });

  it('--mbox: messages before N larger than --max-size are skipped, not held; message N is sent', async () => {
    const big = `${'x'.repeat(998)}\n`.repeat(6000);
    const mbox = join(dir, 'big.mbox');
    writeFileSync(mbox, [1, 2, 3].map((n) => `From a@b Thu Jan  1 00:00:0${n} 1970\nSubject: m${n}\n\n${n < 3 ? big : 'small body\n'}\n`).join(''));
    const result = await runMeasured(['inject', '--mbox', mbox, '--index', '3', '--max-size', '100000', '--plain', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { stored: Array<{ data: string }> }).stored[0]!.data).toBe('Subject: m3\r\n\r\nsmall body\r\n');
    expect(result.peakRssMb).toBeLessThan(200);
  });

  it('a message above the server\'s SIZE is not sent (exit 2, no MAIL); --max-size sends it anyway', async () => {
    capture = await startCaptureServer({ tls: false, maxMessageSize: 2000 });
    const data = join(dir, 'five-k.eml');
    writeFileSync(data, `Subject: big\n\n${'y'.repeat(70)}\n`.repeat(70));
    const refused = await runCli(['inject', `127.0.0.1:${capture.port}`, '--data', data]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/\*\*\* the message is \d{4} octets and 127\.0\.0\.1:\d+ accepts at most 2000 \(SIZE in its EHLO reply, RFC 1870\): not sent \(--max-size \d{4} sends it anyway\)/);
    expect(refused.stdout).toContain('=== not sent: the message is larger than the server accepts');
    expect(refused.stdout).not.toContain('MAIL FROM');
    const sent = await runCli(['inject', `127.0.0.1:${capture.port}`, '--data', data, '--max-size', '10000']);
    expect(sent.code).toBe(1);
    expect(sent.stdout).toMatch(/=== not accepted: 552 /);
  });

  it('a large message is shown by its head and tail, the octets between counted; the transcript has every byte', async () => {
    capture = await startCaptureServer({ tls: false });
    const data = join(dir, 'two-mb.eml');
    const body = Array.from({ length: 20_000 }, (_, i) => `line ${String(i).padStart(5, '0')} ${'z'.repeat(90)}`).join('\n');
    writeFileSync(data, `Subject: large\n\n${body}\nthe last line\n`);
    const transcript = join(dir, 'two-mb.jsonl');
    const result = await runMeasured(['inject', `127.0.0.1:${capture.port}`, '--data', data, '--transcript', transcript]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.length).toBeLessThan(400);
    expect(result.stdout).toMatch(/=== … \d+ more octets sent, not shown here \(--transcript FILE records every byte\)\n/);
    expect(result.stdout).toContain(' -> Subject: large␍␊');
    expect(result.stdout).toContain(' -> the last line␍␊\n -> .␍␊');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(transcript, 'latin1')).toContain('line 10000 ');
    expect(capture.messages[0]!.data.length).toBeGreaterThan(2_000_000);
    expect(result.peakRssMb).toBeLessThan(250);
  });
});
