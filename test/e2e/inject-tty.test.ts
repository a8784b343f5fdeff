/**
 * What `inject` does on a terminal, through a real pseudo-terminal (python3's pty): the
 * password prompt echoes nothing, and `--count` shows its progress on stderr, only there.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { BIN, REPO_ROOT, runCli } from '../harness/run-cli.js';

/**
 * argv: MODE TYPED PROGRAM ARGS…  MODE "all": stdin, stdout and stderr on the terminal;
 * TYPED is typed once "Password for" shows. MODE "stderr": only stderr on the terminal.
 * Prints what the terminal showed (and, for "stderr", stdout after a NUL), exits as the child.
 */
const PTY = `
import os, pty, select, subprocess, sys, time
mode, typed, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
shown = b""
sent = []
deadline = time.time() + 25
def drain(fd, until_exit):
    global shown
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            shown += data
            if typed and b"Password for" in shown and not sent:
                sent.append(True)
                os.write(fd, typed.encode())
        elif until_exit():
            return
if mode == "all":
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    reaped = []
    def exited():
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            reaped.append(status)
        return bool(done)
    drain(fd, exited)
    status = reaped[0] if reaped else os.waitpid(pid, 0)[1]
    sys.stdout.buffer.write(shown)
    sys.exit(os.waitstatus_to_exitcode(status))
master, slave = pty.openpty()
child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
os.close(slave)
out = child.stdout.read()
drain(master, lambda: child.poll() is not None)
child.wait()
sys.stdout.buffer.write(shown + b"\\0" + out)
sys.exit(child.returncode)
`;

function onTerminal(mode: 'all' | 'stderr', typed: string, args: string[]): Promise<{ code: number | null; shown: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', PTY, mode, typed, process.execPath, BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      const nul = mode === 'stderr' ? text.indexOf('\0') : -1;
      resolve({ code, shown: nul === -1 ? text : text.slice(0, nul), stdout: nul === -1 ? '' : text.slice(nul + 1) });
    });
  });
}

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

let capture: CaptureServer | undefined;
afterEach(async () => {
  await capture?.close();
  capture = undefined;
});

describe('inject on a terminal', () => {
  it('the password prompt echoes nothing (no characters, no asterisks), before connecting, and AUTH follows', async () => {
    const result = await onTerminal('all', 'pa55word\r', ['inject', '--auth', 'plain', '--user', 'alice']);
    const shown = result.shown.replace(ANSI, '');
    expect(result.code).toBe(0);
    expect(shown).toMatch(/^Password for alice: \r?\n/);
    expect(shown).not.toContain('pa55word');
    expect(shown).not.toMatch(/\*{3,}/);
    expect(shown).toContain('AUTH PLAIN [redacted]');
    expect(shown).toMatch(/<~ +235 /);
  });

  it('--count shows its progress on stderr, cleared at the end; stdout has the summary only', async () => {
    capture = await startCaptureServer({ tls: false, keepMessages: false, byteEvents: false });
    const result = await onTerminal('stderr', '', ['inject', `127.0.0.1:${capture.port}`, '--count', '300', '--concurrency', '2']);
    expect(result.code).toBe(0);
    expect(result.shown).toMatch(/\r\x1b\[K\d+ of 300 messages, \d+ accepted, \d+ messages\/s/);
    expect(result.shown.endsWith('\r\x1b[K')).toBe(true);
    expect(result.stdout).toMatch(/^=== 300 of 300 messages over 2 connections/m);
    expect(result.stdout).not.toContain('\x1b[K');
  });

  it('--count with stderr not a terminal writes nothing there', async () => {
    capture = await startCaptureServer({ tls: false, keepMessages: false, byteEvents: false });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--count', '50']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
