/**
 * `smtpdbg transcript` (built) on files written by the real recorder: the three formats,
 * the filters, and damaged or unreadable files with their exit codes.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStream, type EventInput, type SessionEvent } from '../../src/transcript/events.js';
import { TranscriptRecorder } from '../../src/transcript/recorder.js';
import { runCliMeasured } from '../harness/peak-rss.js';
import { BIN, normalize, REPO_ROOT, runCli } from '../harness/run-cli.js';

let dir: string;
let recorded: string;

/** Two proxy connections, the first with STARTTLS on both legs, a bare LF and a 535. */
function record(file: string): void {
  const events = new EventStream(Date.now() - 1000);
  const recorder = new TranscriptRecorder(file, { command: 'proxy', target: '127.0.0.1:2525' }, events.startedAt).attach(events);
  let t = 0;
  const emit = (event: EventInput) => events.emit({ tls: false, ...event, t: t++ } as SessionEvent);
  const b = (text: string) => Buffer.from(text, 'latin1');
  emit({ type: 'connect', conn: 1, leg: 'client', host: '127.0.0.1', port: 50001 });
  emit({ type: 'connect', conn: 1, leg: 'upstream', host: '127.0.0.1', port: 2525 });
  emit({ type: 'recv', conn: 1, leg: 'upstream', data: b('220 mx ESMTP\r\n') });
  emit({ type: 'send', conn: 1, leg: 'client', data: b('220 mx ESMTP\r\n') });
  emit({ type: 'recv', conn: 1, leg: 'client', data: b('EHLO app\n') });
  emit({ type: 'connect', conn: 2, leg: 'client', host: '127.0.0.1', port: 50002 });
  emit({ type: 'send', conn: 1, leg: 'upstream', data: b('EHLO app\n') });
  emit({ type: 'recv', conn: 1, leg: 'upstream', tls: true, data: b('535 5.7.8 Authentication') });
  emit({ type: 'recv', conn: 1, leg: 'upstream', tls: true, data: b(' failed\r\n') });
  emit({ type: 'send', conn: 1, leg: 'client', tls: true, data: b('535 5.7.8 Authentication failed\r\n') });
  emit({ type: 'recv', conn: 2, leg: 'client', data: b('QUIT\r\n') });
  emit({ type: 'close', conn: 1, leg: 'upstream', by: 'peer', reason: 'server closed the connection' });
  emit({ type: 'close', conn: 1, leg: 'client', by: 'local', reason: 'the proxy closed it' });
  recorder.close();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-transcript-'));
  recorded = path.join(dir, 'proxy.jsonl');
  record(recorded);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('smtpdbg transcript (built)', () => {
  it('renders text with the markers, visible terminators and explained enhanced codes', async () => {
    const result = await runCli(['transcript', recorded]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(normalize(result.stdout).split('\n')).toEqual([
      '=== smtpdbg transcript <TIME> proxy 127.0.0.1:<PORT>',
      '[#1 client] === client connected from 127.0.0.1:<PORT>',
      '[#1 upstream] === connected to 127.0.0.1:<PORT>',
      '[#1 upstream] <-  220 mx ESMTP␍␊',
      '[#1 client]  -> 220 mx ESMTP␍␊',
      '[#1 client] <-  EHLO app␊',
      '[#2 client] === client connected from 127.0.0.1:<PORT>',
      '[#1 upstream]  -> EHLO app␊',
      '[#1 upstream] <~  535 5.7.8 Authentication failed␍␊',
      '[#1 upstream] === 5.7.8: permanent failure: authentication credentials invalid',
      '[#1 client]  ~> 535 5.7.8 Authentication failed␍␊',
      '[#2 client] <-  QUIT␍␊',
      '[#1 upstream] === connection closed (by the server): server closed the connection',
      '[#1 client] === connection closed (by us): the proxy closed it',
      '',
    ]);
  });

  it('renders raw bytes as hex and escapes, with offsets per connection, leg and direction', async () => {
    const result = await runCli(['transcript', recorded, '--format', 'raw', '--connection', '1', '--only', 'tls']);
    expect(result.code).toBe(0);
    expect(normalize(result.stdout).split('\n')).toEqual([
      '=== smtpdbg transcript <TIME> proxy 127.0.0.1:<PORT>',
      // Offsets count the plain bytes filtered out before (the 14 octets of the banner).
      '[#1 upstream] received in TLS, 24 octets at offset 14 (+<DURATION>)',
      '  0000000e  35 33 35 20 35 2e 37 2e  38 20 41 75 74 68 65 6e  535 5.7.8 Authen',
      '  0000001e  74 69 63 61 74 69 6f 6e                           tication',
      '[#1 upstream] received in TLS, 9 octets at offset 38 (+<DURATION>)',
      '  00000026  20 66 61 69 6c 65 64 0d  0a                        failed\\r\\n',
      '[#1 client] sent in TLS, 33 octets at offset 14 (+<DURATION>)',
      '  0000000e  35 33 35 20 35 2e 37 2e  38 20 41 75 74 68 65 6e  535 5.7.8 Authen',
      '  0000001e  74 69 63 61 74 69 6f 6e  20 66 61 69 6c 65 64 0d  tication failed\\r',
      '  0000002e  0a                                                \\n',
      '',
    ]);
  });

  it('renders json: one document with the header, the damage and the selected events', async () => {
    const result = await runCli(['transcript', recorded, '--format', 'json', '--connection', '2']);
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { header: Record<string, unknown>; damage: unknown[]; events: Array<Record<string, unknown>> };
    expect(document.header).toMatchObject({ type: 'header', version: 1, command: 'proxy' });
    expect(document.damage).toEqual([]);
    expect(document.events).toEqual([
      { t: 5, type: 'connect', tls: false, conn: 2, leg: 'client', host: '127.0.0.1', port: 50002 },
      { t: 10, type: 'recv', tls: false, conn: 2, leg: 'client', data: 'QUIT\r\n' },
    ]);
  });

  it('reports a damaged file line by line on stderr, shows the rest, and exits 1', async () => {
    const lines = (await readFile(recorded, 'utf8')).split('\n');
    lines[0] = lines[0]!.replace('"version":1', '"version":2');
    lines.splice(3, 0, 'this is not json');
    const damaged = path.join(dir, 'damaged.jsonl');
    await writeFile(damaged, `${lines.join('\n')}{"t":99,"type":"recv","tls":false,"conn":1,"leg":"clie`);
    const result = await runCli(['transcript', damaged]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')).toEqual([
      `smtpdbg: ${damaged} line 1: unknown transcript version 2 (this smtpdbg reads version 1); showing what it can`,
      expect.stringMatching(new RegExp(`^smtpdbg: ${damaged} line 4: not JSON \\(.*\\): "this is not json"$`)),
      `smtpdbg: ${damaged} line 16: truncated: the file ends inside this line (the recording was cut off)`,
      '',
    ]);
    expect(result.stdout).toContain('[#1 client]  ~> 535 5.7.8 Authentication failed␍␊');
    expect(result.stdout).toContain('[#2 client] <-  QUIT␍␊');
  });

  it.each([
    ['a missing file', 'missing.jsonl', undefined, /missing\.jsonl: cannot read \(ENOENT\)/],
    ['a text transcript', 'session.txt', '=== smtpdbg transcript 2026-01-01T00:00:00.000Z session mx:25\n<-  220 mx\n', /this is a text transcript/],
    ['a file that is no transcript', 'notes.jsonl', 'hello\nworld\n', /not a smtpdbg transcript \(line 1: not JSON/],
    ['an empty file', 'empty.jsonl', '', /not a smtpdbg transcript \(empty\)/],
  ])('exits 2 for %s', async (_name, file, content, message) => {
    const target = path.join(dir, file);
    if (content !== undefined) await writeFile(target, content);
    const result = await runCli(['transcript', target]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 for a connection the transcript does not have, naming the ones it has', async () => {
    const result = await runCli(['transcript', recorded, '--connection', '7']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--connection 7: no such connection in the transcript (it has 1, 2)');
  });

  it('keeps reading a file that a live recording is still appending to', async () => {
    const growing = path.join(dir, 'growing.jsonl');
    await writeFile(growing, await readFile(recorded));
    await appendFile(growing, '{"t":100,"type":"info","tls":false,"conn":2,"leg":"client","message":"still going"}\n');
    const result = await runCli(['transcript', growing, '--connection', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[#2 client] === still going');
  });
});

const HEADER_LINE = JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: '2026-01-01T00:00:00.000Z', command: 'session', target: '127.0.0.1:25' });

/** A transcript with `total` octets of one line sent in events of `chunk` octets, then a 250. */
function writeLongLine(file: string, total: number, chunk: number): void {
  const fd = openSync(file, 'w');
  writeSync(fd, `${HEADER_LINE}\n`);
  const event = `{"t":1,"type":"send","tls":false,"data":"${'a'.repeat(chunk)}"}\n`;
  for (let sent = 0; sent < total; sent += chunk) writeSync(fd, event);
  writeSync(fd, '{"t":2,"type":"recv","tls":false,"data":"250 ok\\r\\n"}\n');
  closeSync(fd);
}

describe('smtpdbg transcript (built) on large files: linear, bounded, never aborted', () => {
  it('renders a 24 MiB line without a line end, recorded in 4 KiB events, in bounded time and memory', async () => {
    const file = path.join(dir, 'long-line.jsonl');
    writeLongLine(file, 24 * 1024 * 1024, 4096);
    const run = await runCliMeasured(['transcript', file], { timeoutMs: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Before: every event re-copied the whole held line (110 s and 1 GB for this file).
    expect(run.durationMs).toBeLessThan(20_000);
    expect(run.peakMib).toBeLessThan(160);
    expect(run.stdout.split('\n').slice(-3)).toEqual([
      ` -> ${'a'.repeat(65536)}… ${24 * 1024 * 1024 - 65536} more octets (no line end)`,
      '<-  250 ok␍␊',
      '',
    ]);
  });

  it('reads a file with one 64 MiB event as a stream: the event is reported with its line and skipped, the rest shown, exit 1', async () => {
    const file = path.join(dir, 'one-event.jsonl');
    const fd = openSync(file, 'w');
    writeSync(fd, `${HEADER_LINE}\n{"t":0,"type":"recv","tls":false,"data":"220 mx\\r\\n"}\n{"t":1,"type":"send","tls":false,"data":"`);
    const block = 'b'.repeat(1024 * 1024);
    for (let i = 0; i < 64; i++) writeSync(fd, block);
    writeSync(fd, '"}\n{"t":2,"type":"recv","tls":false,"data":"250 ok\\r\\n"}\n');
    closeSync(fd);
    const run = await runCliMeasured(['transcript', file], { timeoutMs: 60_000 });
    // Before: the whole file was read into one string; at 500 MiB node aborted (SIGABRT) out of heap.
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`smtpdbg: ${file} line 3: ${64 * 1024 * 1024 + 43} octets, over the 16777216-octet limit for one event (--max-event-size): skipped\n`);
    expect(run.stdout).toContain('<-  220 mx␍␊\n<-  250 ok␍␊\n');
    expect(run.peakMib).toBeLessThan(160);
  });

  it('--max-event-size sets the limit: under it the event is rendered, over it skipped', async () => {
    const file = path.join(dir, 'limit.jsonl');
    await writeFile(file, `${HEADER_LINE}\n{"t":1,"type":"send","tls":false,"data":"${'c'.repeat(200_000)}\\r\\n"}\n`);
    const over = await runCli(['transcript', file, '--max-event-size', '100000']);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/line 2: 2000\d\d octets, over the 100000-octet limit for one event \(--max-event-size\): skipped/);
    const under = await runCli(['transcript', file]);
    expect(under.code).toBe(0);
    expect(under.stdout).toContain(` -> ${'c'.repeat(65536)}… ${200_000 - 65536} more octets␍␊`);
    const bad = await runCli(['transcript', file, '--max-event-size', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-event-size lots: expected a whole number, 1024 to 1073741824 octets');
  });

  it('--format json streams one valid document, damage listed after the events', async () => {
    const file = path.join(dir, 'json-stream.jsonl');
    await writeFile(file, `${HEADER_LINE}\n{"t":1,"type":"recv","tls":false,"data":"220 mx\\r\\n"}\nnot json\n{"t":2,"type":"send","tls":false,"data":"QUIT\\r\\n"}\n`);
    const result = await runCli(['transcript', file, '--format', 'json']);
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(['header', 'events', 'damage']);
    expect(document.events).toEqual([
      { t: 1, type: 'recv', tls: false, data: '220 mx\r\n' },
      { t: 2, type: 'send', tls: false, data: 'QUIT\r\n' },
    ]);
    expect(document.damage).toEqual([{ line: 3, message: expect.stringMatching(/^not JSON/) }]);
  });
});

/** Runs the CLI with its standard output on `stdout` (a file descriptor, or a pipe the test may close). */
function runWithStdout(args: string[], stdout: number | 'pipe', onStdout?: (chunk: Buffer, close: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (child.stdout) child.stdout.on('data', (chunk: Buffer) => onStdout?.(chunk, () => child.stdout!.destroy()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

describe('smtpdbg transcript (built) when its output cannot be written', () => {
  it('standard output on a full device: one line naming it and the errno, exit 2', async () => {
    const fd = openSync('/dev/full', 'w');
    const result = await runWithStdout(['transcript', recorded], fd);
    closeSync(fd);
    expect(result.stderr).toBe('smtpdbg: cannot write standard output: ENOSPC (no space left on device)\n');
    expect(result.code).toBe(2);
  });

  it('a reader that closes the pipe early (| head): quiet, exit 0', async () => {
    const file = path.join(dir, 'pipe.jsonl');
    writeLongLine(file, 4 * 1024 * 1024, 100);
    // Lines of 100 octets each end with a CRLF here, so there are many lines to write.
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('"data":"aaaa', '"data":"\\r\\naaa'));
    let closed = false;
    const result = await runWithStdout(['transcript', file], 'pipe', (_chunk, close) => {
      if (!closed) {
        closed = true;
        close();
      }
    });
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
  });
});

