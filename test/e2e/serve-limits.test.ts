/**
 * `smtpdbg serve` (the built CLI) bounded and lossless under hostile clients and a failing
 * disk: memory measured from outside (the kernel's VmHWM of the serve process), descriptors
 * counted in /proc, a real file-size limit (`ulimit -f`) and a real full device (/dev/full).
 * Inputs are small so that the suite stays fast; bench/soak-serve.mjs has the long variants.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotUnstuff } from '../../src/smtp/dot-stuffing.js';
import { connectRaw, waitFor, type RawClient } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';
import { mboxEntries, openDescriptors, peakRss, startServe, type RunningServe } from './serve-cli.js';

const MiB = 2 ** 20;
const QUEUED = /^250 2\.0\.0 Ok: queued as [0-9A-F]{12} \(kept here, never relayed\)\r\n$/;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the test body, then stops serve (exit 0 expected); a failure of the body is the one reported. */
async function withServe(serve: RunningServe, body: () => Promise<void>): Promise<string> {
  let failure: unknown;
  await body().catch((error: unknown) => (failure = error));
  const code = await serve.stop();
  if (failure !== undefined) throw failure;
  expect(code).toBe(0);
  return serve.stdout();
}

/** Greets, and pipelines the envelope up to the 354. */
async function openData(port: number, sender = 'limits@example.test'): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.readReply();
  await client.send(`EHLO limits.test\r\nMAIL FROM:<${sender}>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n`);
  for (const code of ['250', '250', '250', '354']) expect((await client.readReply()).slice(0, 3)).toBe(code);
  return client;
}

/** Sends a message on a client at its 354 and returns the reply. */
async function sendMessage(client: RawClient, stuffed: string, timeoutMs = 10_000): Promise<string> {
  await client.send(`${stuffed}.\r\n`);
  return client.readReply(timeoutMs);
}

/**
 * A socket that keeps its side open after the server's FIN, as a client that never closes
 * does (node would otherwise close at once); `ended` turns true at the server's FIN.
 */
async function halfOpenClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let received = '';
  const state = { ended: false, failed: false };
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('end', () => (state.ended = true));
  socket.on('error', () => (state.failed = true));
  socket.on('close', () => (state.failed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, state, received: () => received };
}

/**
 * Message content (after unstuffing) with lines that need dot-stuffing and mboxrd quoting;
 * `pad` lengthens every line (fewer lines, fewer printed events).
 */
function messageLines(octets: number, pad = 0): string {
  const lines = ['From the start of a line, quoted in the mbox', '.a leading dot, stuffed on the wire', '>From already quoted once', 'plain text '.repeat(6)];
  const parts: string[] = ['Subject: big\r\n\r\n'];
  let size = parts[0]!.length;
  const padding = 'p'.repeat(pad);
  for (let i = 0; size < octets; i++) {
    const line = `${lines[i % lines.length]} ${i}${padding}\r\n`;
    parts.push(line);
    size += line.length;
  }
  return parts.join('');
}

/** Client-side dot-stuffing (RFC 5321 §4.5.2) of CRLF content. */
const stuff = (content: string) => content.replace(/(^|\r\n)\./g, '$1..');
/** What mboxrd stores for a content: one more '>' on every line matching /^>*From /. */
const quoted = (content: string) => content.replace(/(^|\n)(>*From )/g, '$1>$2');

describe('serve memory is bounded by its limits, not by the client', () => {
  it('stops reading a client that never reads its replies (commands pipelined without end): bounded memory, another client served meanwhile, the first dropped at --idle-timeout', async () => {
    const serve = await startServe(['--idle-timeout', '2000']);
    const out = await withServe(serve, async () => {
      const flood = net.connect({ host: '127.0.0.1', port: serve.port });
      await new Promise((resolve) => flood.once('data', resolve));
      // From here on the flood client reads nothing: its replies back up into the server.
      flood.pause();
      flood.on('error', () => undefined);
      // VRFY rather than NOOP: a longer reply fills the kernel's socket buffers with fewer
      // commands, so there is less for serve to print before it stops reading.
      const chunk = Buffer.from('VRFY x\r\n'.repeat(8_000));
      let sent = 0;
      let stalled = false;
      const other = (async () => {
        await sleep(300);
        const started = Date.now();
        const client = await openData(serve.port, 'other@example.test');
        const answer = await sendMessage(client, 'Subject: other\r\n\r\nbody\r\n', 15_000);
        await client.send('QUIT\r\n');
        return [answer, await client.readReply(15_000), Date.now() - started] as const;
      })();
      while (sent < 16 * MiB && !stalled) {
        sent += chunk.length;
        if (!flood.write(chunk)) {
          stalled = !(await Promise.race([new Promise((resolve) => flood.once('drain', () => resolve(true))), sleep(1500).then(() => false)]));
        }
      }
      const [answer, bye, elapsed] = await other;
      expect(answer).toMatch(QUEUED);
      expect(bye).toBe('221 2.0.0 Bye\r\n');
      // Four round trips; the flood must not make them wait for its backlog.
      expect(elapsed).toBeLessThan(3000);
      // Not reading means the client's writes stop too: what it sent waits in its own buffers.
      expect(stalled).toBe(true);
      // Unread input no longer counts as activity: the client is dropped at its idle timeout.
      await waitFor(() => /\[#1\] === connection closed \(by the server\): closed after 421/.test(serve.stdout()), 15_000, 'the flood client to be closed at its idle timeout');
      expect(peakRss(serve.child.pid!)).toBeLessThan(200 * MiB);
      flood.destroy();
    });
    expect(out).toMatch(/\[#1\] === idle for 2000 ms/);
  }, 60_000);

  it('streams a 32 MiB message to the mbox: peak RSS far below the message, stored byte-exact (dot-unstuffed, >From quoted)', async () => {
    const mbox = path.join(dir, 'big.mbox');
    const serve = await startServe(['--quiet', '--mbox', mbox, '--max-size', String(40 * MiB)]);
    const content = messageLines(32 * MiB);
    await withServe(serve, async () => {
      const client = await openData(serve.port, 'big@example.test');
      expect(await sendMessage(client, stuff(content), 60_000)).toMatch(QUEUED);
      expect(peakRss(serve.child.pid!)).toBeLessThan(150 * MiB);
      client.close();
    });
    const stored = await readFile(mbox);
    expect(stored.length).toBeGreaterThan(32 * MiB);
    const entries = mboxEntries(stored);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.body === quoted(content)).toBe(true);
  }, 90_000);

  it('spools a message past 256 KiB to a temporary file in $TMPDIR while it arrives, stores it exactly wherever the chunks were cut, and removes the file', async () => {
    const mbox = path.join(dir, 'cut.mbox');
    const temp = path.join(dir, 'tmp');
    await mkdir(temp);
    const serve = await startServe(['--mbox', mbox], { env: { TMPDIR: temp } });
    // Each piece ends where a transform must carry state into the next: inside "From ", a
    // CR before its LF, a CRLF before a stuffed dot, a run of '>'.
    const pieces = [`Subject: cut\r\n\r\n${'a'.repeat(300 * 1024)}\r\nFr`, 'om split\r\n..', 'dot\r', '\n..second dot\r\n>>', '>From run\r\nend\r\n'];
    const content = dotUnstuff(Buffer.from(pieces.join(''), 'latin1')).toString('latin1');
    const out = await withServe(serve, async () => {
      const client = await openData(serve.port, 'cut@example.test');
      for (const piece of pieces.slice(0, 1)) await client.send(piece);
      const spooled = await waitFor(async () => {
        const dirs = await readdir(temp);
        const files = dirs.length === 1 ? await readdir(path.join(temp, dirs[0]!)) : [];
        return files.length === 1 ? (await stat(path.join(temp, dirs[0]!, files[0]!))).size : 0;
      }, 10_000, 'the message to reach its temporary file');
      expect(spooled).toBeGreaterThanOrEqual(256 * 1024);
      for (const piece of pieces.slice(1)) {
        await client.send(piece);
        await sleep(30);
      }
      expect(await sendMessage(client, '')).toMatch(QUEUED);
      client.close();
    });
    expect(await readdir(temp)).toEqual([]);
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'cut@example.test', body: quoted(content) }]);
    expect(out).toContain('[#1] <-  ..dot␍␊');
    expect(out).toContain('[#1] <-  >>>From run␍␊');
    expect(out).toMatch(new RegExp(`message [0-9A-F]{12}: ${content.length} octets from <cut@example\\.test> to <x@example\\.test>, appended to `));
  }, 60_000);

  it('stops reading clients while its own output is not read (stdout a pipe nobody drains), then carries on', async () => {
    const serve = await startServe(['--max-size', String(40 * MiB)]);
    await withServe(serve, async () => {
      const client = await openData(serve.port, 'piped@example.test');
      serve.child.stdout.pause();
      const content = messageLines(24 * MiB, 900);
      const sending = client.send(`${stuff(content)}.\r\n`);
      // The message is larger than what the kernel's socket buffers hold: the client can only
      // finish sending it if serve reads on while nobody reads its output.
      expect(await Promise.race([sending.then(() => 'sent'), sleep(2000).then(() => 'held back')])).toBe('held back');
      // Every line of the message is printed: held back, the output would be the message again.
      expect(peakRss(serve.child.pid!)).toBeLessThan(150 * MiB);
      serve.child.stdout.resume();
      await sending;
      expect(await client.readReply(60_000)).toMatch(QUEUED);
      client.close();
    });
  }, 90_000);
});

describe('serve never acknowledges what it did not store', () => {
  it('under a file-size limit (ulimit -f): 452 4.3.1, the mbox cut back to its last complete entry, one *** line, and serving goes on', async () => {
    const mbox = path.join(dir, 'limited.mbox');
    const temp = path.join(dir, 'limited-tmp');
    await mkdir(temp);
    // 64 KiB for every file serve writes, its temporary files included. SIGXFSZ is not
    // ignored here: serve must survive it on its own.
    const serve = await startServe(['--mbox', mbox], { before: 'ulimit -f 64', env: { TMPDIR: temp } });
    const body = (n: number, octets: number) => `Subject: ${n}\r\n\r\n${`${n}`.repeat(octets - 16)}\r\n`;
    const out = await withServe(serve, async () => {
      const client = await openData(serve.port, 'fill@example.test');
      const replies: string[] = [];
      for (const [n, octets] of [[1, 20_000], [2, 20_000], [3, 20_000], [4, 20_000], [5, 2000], [6, 400_000]] as const) {
        replies.push(await sendMessage(client, body(n, octets)));
        await client.send('MAIL FROM:<fill@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n');
        for (let i = 0; i < 3; i++) await client.readReply();
      }
      expect(replies.map((r) => r.slice(0, 9))).toEqual(['250 2.0.0', '250 2.0.0', '250 2.0.0', '452 4.3.1', '250 2.0.0', '452 4.3.1']);
      expect(replies[3]).toBe('452 4.3.1 Insufficient system storage: message not stored, try again later\r\n');
      await client.send('.\r\nQUIT\r\n');
      expect(await client.readReply()).toMatch(QUEUED);
      expect(await client.readReply()).toBe('221 2.0.0 Bye\r\n');
    });
    const stored = await readFile(mbox);
    expect(stored.length).toBeLessThanOrEqual(64 * 1024);
    const entries = mboxEntries(stored);
    expect(entries.map((e) => e.body)).toEqual([body(1, 20_000), body(2, 20_000), body(3, 20_000), body(5, 2000), '']);
    // The last entry (an empty message) is complete: its From_ line and the blank line closing it.
    expect(stored.toString('latin1')).toMatch(/\nFrom fill@example\.test [^\n]+ \d{4}\n\n$/);
    const problems = out.split('\n').filter((line) => line.includes('***'));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(new RegExp(`^\\[#1\\] \\*\\*\\* message from <fill@example\\.test> \\(20000 octets\\) not stored: cannot write ${mbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: EFBIG \\(file too large\\); ${mbox.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was rolled back to its last complete entry \\(\\d+ octets\\); answered 452 4\\.3\\.1$`));
    expect(problems[1]).toMatch(/^\[#1\] \*\*\* message from <fill@example\.test> \(400000 octets\) not stored: cannot write .*\/smtpdbg-serve-\w+\/1-6: EFBIG \(file too large\); answered 452 4\.3\.1$/);
    expect(await readdir(temp)).toEqual([]);
  }, 60_000);

  it('on a full device (/dev/full): 452 4.3.1 for every message, nothing acknowledged, serving goes on', async () => {
    const serve = await startServe(['--mbox', '/dev/full', '--json']);
    const out = await withServe(serve, async () => {
      const client = await openData(serve.port, 'full@example.test');
      expect(await sendMessage(client, 'Subject: full\r\n\r\nbody\r\n')).toBe('452 4.3.1 Insufficient system storage: message not stored, try again later\r\n');
      await client.send('NOOP\r\n');
      expect(await client.readReply()).toBe('250 2.0.0 Ok\r\n');
      client.close();
    });
    const events = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'message')).toEqual([]);
    expect(events).toContainEqual(expect.objectContaining({
      type: 'error',
      code: 'ENOSPC',
      message: 'message from <full@example.test> (23 octets) not stored: cannot write /dev/full: ENOSPC (no space left on device); nothing of it reached /dev/full, which still ends with its last complete entry; answered 452 4.3.1',
    }));
  }, 30_000);
});

describe('serve --fsync', () => {
  it('syncs the mbox before each 250 and is a usage error without --mbox', async () => {
    const mbox = path.join(dir, 'synced.mbox');
    const serve = await startServe(['--quiet', '--fsync', '--mbox', mbox]);
    await withServe(serve, async () => {
      const client = await openData(serve.port, 'sync@example.test');
      expect(await sendMessage(client, 'Subject: sync\r\n\r\nbody\r\n')).toMatch(QUEUED);
      client.close();
    });
    expect(mboxEntries(await readFile(mbox))).toEqual([{ sender: 'sync@example.test', body: 'Subject: sync\r\n\r\nbody\r\n' }]);
    const usage = await runCli(['serve', '--listen', '127.0.0.1:0', '--fsync']);
    expect(usage).toMatchObject({ code: 2, stdout: '' });
    expect(usage.stderr).toMatch(/^smtpdbg: --fsync applies to --mbox FILE, which is not given\n/);
  }, 30_000);
});

describe('serve frees slots and descriptors', () => {
  it('drops connections whose clients never close, 2 s after the server closed them (idle 421, refusals): the slots and descriptors come back', async () => {
    const serve = await startServe(['--quiet', '--max-connections', '5', '--idle-timeout', '800']);
    const out = await withServe(serve, async () => {
      const pid = serve.child.pid!;
      const baseline = openDescriptors(pid);
      const silent = await Promise.all(Array.from({ length: 5 }, () => halfOpenClient(serve.port)));
      const refused = await Promise.all(Array.from({ length: 30 }, () => halfOpenClient(serve.port)));
      await waitFor(() => refused.every((c) => c.state.ended), 5000, 'every refused client to get its FIN');
      expect(refused[0]!.received()).toBe('421 4.7.0 localhost Error: too many connections\r\n');
      await waitFor(() => silent.every((c) => c.state.ended), 5000, 'the idle 421 to every silent client');
      expect(silent.map((c) => c.received())).toEqual(Array(5).fill('220 localhost ESMTP smtpdbg capture server: accepts any recipient, relays nothing\r\n421 4.4.2 localhost Error: timeout exceeded\r\n'));
      // The slots are free at once: the sessions have ended.
      const next = await connectRaw(serve.port);
      expect(await next.readReply()).toMatch(/^220 /);
      next.close();
      // After the grace period the server has dropped the sockets: a write now is answered with a reset.
      await waitFor(() => openDescriptors(pid) <= baseline + 1, 6000, 'serve to close the descriptors of clients that never closed');
      // The first write draws the reset; the client, past the server's FIN, only sees it at the next.
      for (const client of silent) client.socket.write('NOOP\r\n');
      await sleep(300);
      for (const client of silent) client.socket.write('NOOP\r\n');
      await waitFor(() => silent.every((c) => c.state.failed), 5000, 'a reset for writes into dropped connections');
      for (const client of [...silent, ...refused]) client.socket.destroy();
    });
    expect(out).toMatch(/\[#1\] === the client had not closed its side 2000 ms after the server closed; the connection is dropped/);
  }, 40_000);
});

describe('serve stops cleanly', () => {
  it('exits 0 on SIGINT while a connection it closed unread is in its grace period', async () => {
    // The idle timeout is longer than the one-second wait that detects the stall, so serve
    // cannot close the connection (and start discarding what arrives) before the client's
    // writes back up, however slow the machine.
    const serve = await startServe(['--quiet', '--idle-timeout', '2500']);
    let failure: unknown;
    try {
      const client = await halfOpenClient(serve.port);
      client.socket.pause();
      // Commands until serve stops reading them (its replies back up); then serve's idle
      // timeout closes the connection while it is not being read.
      const chunk = Buffer.from('VRFY x\r\n'.repeat(8000));
      let stalled = false;
      for (let i = 0; i < 1000 && !stalled; i++) {
        if (!client.socket.write(chunk)) stalled = !(await Promise.race([new Promise((resolve) => client.socket.once('drain', () => resolve(true))), sleep(1000).then(() => false)]));
      }
      expect(stalled).toBe(true);
      await sleep(3000);
      // The client reads everything now, down to serve's FIN, and keeps its own side open.
      client.socket.resume();
      await waitFor(() => client.state.ended, 5000, "serve's FIN after the idle 421");
      expect(client.received()).toMatch(/421 4\.4\.2 localhost Error: timeout exceeded\r\n$/);
    } catch (error) {
      failure = error;
    }
    // Within the 2 s grace period of that connection.
    const code = await serve.stop();
    if (failure !== undefined) throw failure;
    expect(code).toBe(0);
  }, 30_000);
});

describe('serve deadlines for clients that drip their bytes (slow-loris)', () => {
  it('closes a command line that is not complete --line-timeout after it began, though each byte resets the idle timer; a line sent in time is answered', async () => {
    const serve = await startServe(['--quiet', '--max-connections', '4', '--line-timeout', '1500']);
    const out = await withServe(serve, async () => {
      const loris = await Promise.all(Array.from({ length: 4 }, () => connectRaw(serve.port)));
      for (const client of loris) await client.readReply();
      const started = Date.now();
      let dripping = true;
      const drip = (async () => {
        for (let i = 0; dripping && i < 20; i++) {
          await Promise.all(loris.map((client) => client.send('E').catch(() => undefined)));
          await sleep(300);
        }
      })();
      for (const client of loris) expect(await client.readReply(5000)).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
      const elapsed = Date.now() - started;
      dripping = false;
      await drip;
      expect(elapsed).toBeGreaterThanOrEqual(1400);
      expect(elapsed).toBeLessThan(4500);
      // The slots are free again, and a line that takes less than the deadline is fine.
      const client = await connectRaw(serve.port);
      await client.readReply();
      for (const byte of 'NOOP\r\n') {
        await client.send(byte);
        await sleep(150);
      }
      expect(await client.readReply()).toBe('250 2.0.0 Ok\r\n');
      client.close();
    });
    expect(out).toMatch(/=== a command line was not complete 1500 ms after it began \(\d+ octets so far; --line-timeout\)/);
    expect(out).toContain('=== timeouts: idle 300000 ms, a command line 1500 ms, DATA at most 300000 ms behind 1024 octets/s\n');
  }, 30_000);

  it('closes a DATA that falls more than --data-timeout behind --data-min-rate, a fast start banking nothing; a message sent at that rate is stored', async () => {
    const serve = await startServe(['--quiet', '--data-timeout', '1000', '--data-min-rate', '100']);
    const out = await withServe(serve, async () => {
      const slow = await openData(serve.port, 'drip@example.test');
      const started = Date.now();
      let dripping = true;
      const drip = (async () => {
        for (let i = 0; dripping && i < 40; i++) {
          await slow.send('x\r\n').catch(() => undefined);
          await sleep(250);
        }
      })();
      expect(await slow.readReply(8000)).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
      dripping = false;
      await drip;
      // 1000 ms, plus 10 ms back for each of the ~12 octets/s received.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(3500);
      // 300 octets per 250 ms: faster than the minimum, so the message may take longer than --data-timeout.
      const steady = await openData(serve.port, 'steady@example.test');
      for (let i = 0; i < 8; i++) {
        await steady.send(`${'y'.repeat(298)}\r\n`);
        await sleep(250);
      }
      expect(await sendMessage(steady, '')).toMatch(QUEUED);
      // A fast start earns no more than --data-timeout: 50 KB at once (500 s at 100 octets/s),
      // then silence, is cut after about 1000 ms.
      await steady.send('MAIL FROM:<banked@example.test>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n');
      for (let i = 0; i < 3; i++) await steady.readReply();
      await steady.send(`${'z'.repeat(998)}\r\n`.repeat(50));
      const burst = Date.now();
      expect(await steady.readReply(5000)).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
      expect(Date.now() - burst).toBeLessThan(2500);
      steady.close();
    });
    expect(out).toMatch(/=== DATA too slow: \d+ octets in \d+ ms; it may fall at most 1000 ms behind 100 octets\/s \(--data-timeout, --data-min-rate\)/);
    expect(out).toContain('=== timeouts: idle 300000 ms, a command line 60000 ms, DATA at most 1000 ms behind 100 octets/s\n');
  }, 30_000);
});
