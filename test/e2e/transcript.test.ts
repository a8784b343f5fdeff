/**
 * `smtpdbg transcript` (built) on files written by the real recorder: the three formats,
 * the filters, and damaged or unreadable files with their exit codes.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStream, type EventInput, type SessionEvent } from '../../src/transcript/events.js';
import { TranscriptRecorder } from '../../src/transcript/recorder.js';
import { normalize, runCli } from '../harness/run-cli.js';

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
