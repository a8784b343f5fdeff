import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { RawTranscriptFormatter, hexRow } from '../../../src/transcript/raw-format.js';
import { eventFromJson, parseTranscript, withReplies } from '../../../src/transcript/reader.js';
import { eventToJson } from '../../../src/transcript/recorder.js';

const header = JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: '2026-01-01T00:00:00.000Z', command: 'proxy', target: '127.0.0.1:25' });
const line = (event: SessionEvent) => JSON.stringify(eventToJson(event));
const recv = (data: string, extra: Partial<SessionEvent> = {}): SessionEvent => ({ type: 'recv', t: 1, tls: false, conn: 1, leg: 'upstream', data: Buffer.from(data, 'latin1'), ...extra }) as SessionEvent;

describe('parseTranscript', () => {
  it('reads back every byte 0-255 the recorder wrote', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const parsed = parseTranscript(`${header}\n${line({ type: 'send', t: 5, tls: true, conn: 2, leg: 'client', data: all })}\n`);
    expect(parsed.damage).toEqual([]);
    const event = parsed.entries[0]!.event;
    expect(event).toMatchObject({ type: 'send', t: 5, tls: true, conn: 2, leg: 'client' });
    expect(event.type === 'send' && event.data.equals(all)).toBe(true);
  });

  it('survives the UTF-8 round trip of a file (latin1 characters above 0x7f)', () => {
    const text = Buffer.from(`${header}\n${line(recv('caf\xe9\r\n'))}\n`, 'utf8').toString('utf8');
    const event = parseTranscript(text).entries[0]!.event;
    expect(event.type === 'recv' && event.data.toString('latin1')).toBe('caf\xe9\r\n');
  });

  it.each([
    ['a truncated last line', `${header}\n${line(recv('220 a\r\n'))}\n{"t":3,"type":"re`, [{ line: 3, message: 'truncated: the file ends inside this line (the recording was cut off)' }], 1],
    ['a line that is not JSON, in the middle', `${header}\n${line(recv('220 a\r\n'))}\ngarbage here\n${line(recv('250 b\r\n'))}\n`, [{ line: 3, message: expect.stringMatching(/^not JSON .*"garbage here"$/) }], 2],
    ['an unknown version', `${header.replace('"version":1', '"version":7')}\n${line(recv('220 a\r\n'))}\n`, [{ line: 1, message: 'unknown transcript version 7 (this smtpdbg reads version 1); showing what it can' }], 1],
    ['an unknown event type', `${header}\n{"t":1,"type":"teleport","tls":false}\n${line(recv('220 a\r\n'))}\n`, [{ line: 2, message: 'unknown event type "teleport"' }], 1],
    ['no header', `${line(recv('220 a\r\n'))}\n`, [{ line: 1, message: 'no header line: the file does not start like a smtpdbg transcript' }], 1],
    ['an unknown leg', `${header}\n{"t":1,"type":"info","tls":false,"leg":"sideways","message":"x"}\n`, [{ line: 2, message: 'info event with an unknown leg "sideways"' }], 0],
  ])('reports %s with its line number and keeps the rest', (_name, text, damage, kept) => {
    const parsed = parseTranscript(text);
    expect(parsed.damage).toEqual(damage);
    expect(parsed.entries).toHaveLength(kept);
  });

  it('a complete last line without a line end is not damage', () => {
    expect(parseTranscript(`${header}\n${line(recv('220 a\r\n'))}`).damage).toEqual([]);
  });

  it('rejects an event without a time', () => {
    expect(eventFromJson({ type: 'info', message: 'x' })).toBe('info event without a time ("t")');
  });
});

describe('withReplies', () => {
  const bytes = '250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n535 5.7.8 no\r\n';
  it.each(Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))('finds the replies wherever the bytes were cut (at %i)', (cut) => {
    const events = withReplies([recv(bytes.slice(0, cut)), recv(bytes.slice(cut))]);
    const replies = events.filter((e) => e.type === 'reply');
    expect(replies.map((r) => r.type === 'reply' && [r.code, r.lines, r.enhanced, r.conn, r.leg])).toEqual([
      [250, ['mx', 'PIPELINING', 'STARTTLS'], undefined, 1, 'upstream'],
      [535, ['5.7.8 no'], '5.7.8', 1, 'upstream'],
    ]);
  });

  it("leaves a proxy's client leg alone: what it receives are commands", () => {
    expect(withReplies([recv('250 looks like a reply\r\n', { leg: 'client' })]).filter((e) => e.type === 'reply')).toEqual([]);
  });
});

describe('RawTranscriptFormatter', () => {
  it('numbers offsets per connection, leg and direction', () => {
    const raw = new RawTranscriptFormatter();
    const out = [
      ...raw.format(recv('220 hi\r\n')),
      ...raw.format({ type: 'send', t: 2, tls: false, conn: 1, leg: 'upstream', data: Buffer.from('EHLO x\n') }),
      ...raw.format(recv('250 ok\r\n')),
      ...raw.format(recv('220 other\r\n', { conn: 2 })),
    ];
    expect(out).toEqual([
      '[#1 upstream] received, 8 octets at offset 0 (+1 ms)',
      hexRow(0, Buffer.from('220 hi\r\n')),
      '[#1 upstream] sent, 7 octets at offset 0 (+2 ms)',
      hexRow(0, Buffer.from('EHLO x\n')),
      '[#1 upstream] received, 8 octets at offset 8 (+1 ms)',
      hexRow(8, Buffer.from('250 ok\r\n')),
      '[#2 upstream] received, 11 octets at offset 0 (+1 ms)',
      hexRow(0, Buffer.from('220 other\r\n')),
    ]);
  });

  it('shows hex and escaped bytes, sixteen to a row', () => {
    expect(hexRow(0x10, Buffer.from('MAIL FROM:<a@b>\r\n', 'latin1').subarray(0, 16))).toBe(
      '  00000010  4d 41 49 4c 20 46 52 4f  4d 3a 3c 61 40 62 3e 0d  MAIL FROM:<a@b>\\r',
    );
    expect(hexRow(0, Buffer.from([0x0a, 0xff]))).toBe(`  00000000  0a ff${' '.repeat(18)}  ${' '.repeat(23)}  \\n\\xff`);
  });
});
