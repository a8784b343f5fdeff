import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { MAX_LISTED_DAMAGE, parseTranscript, readTranscript, type TranscriptItem } from '../../../src/transcript/reader.js';
import { EventStream } from '../../../src/transcript/events.js';
import { eventToJson, MAX_RECORDED_OCTETS, TranscriptRecorder } from '../../../src/transcript/recorder.js';

const header = JSON.stringify({ type: 'header', version: 1, tool: 'smtpdbg', started: '2026-01-01T00:00:00.000Z', command: 'session', target: 'mx:25' });
const recv = (data: string | Buffer, t = 1): SessionEvent => ({ type: 'recv', t, tls: false, data: Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1') });
const line = (event: SessionEvent) => JSON.stringify(eventToJson(event));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-read-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(text: string | Buffer, options: Parameters<typeof readTranscript>[1] = {}): Promise<TranscriptItem[]> {
  const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(file, text);
  const items: TranscriptItem[] = [];
  for await (const item of readTranscript(file, options)) items.push(item);
  return items;
}

const summary = (items: TranscriptItem[]) => items.map((item) => (item.type === 'damage' ? `${item.line} damage: ${item.message}` : item.type === 'event' ? `${item.line} ${item.event.type}` : `${item.line} header`));

describe('readTranscript (a file, streamed)', () => {
  it('yields what parseTranscript finds in the whole text, lines cut across read chunks included', async () => {
    // Lines of 100 KiB and more cross the reader's 256 KiB chunks at many places.
    const events = Array.from({ length: 12 }, (_, i) => recv(Buffer.alloc(100_000 + i * 7919, 0x41 + i), i));
    const text = `${header}\n${events.map(line).join('\n')}\nnot json\n${line(recv('221 bye\r\n', 99))}`;
    const streamed = await readAll(text);
    const whole = parseTranscript(text);
    const streamedEvents = streamed.flatMap((i) => (i.type === 'event' ? [i.event] : []));
    expect(streamedEvents).toHaveLength(whole.entries.length);
    streamedEvents.forEach((event, i) => {
      const expected = whole.entries[i]!.event;
      // Compared as buffers: a deep comparison of 100 KB byte by byte takes seconds.
      expect(event.type === 'recv' && expected.type === 'recv' && event.t === expected.t && event.data.equals(expected.data)).toBe(true);
    });
    expect(streamed.filter((i) => i.type === 'damage').map((i) => i.type === 'damage' && [i.line, i.message])).toEqual(whole.damage.map((d) => [d.line, d.message]));
    expect(streamed[0]).toMatchObject({ type: 'header', line: 1, header: { command: 'session' } });
  });

  it('reports a line over the limit with its number and size, skips it, and reads on', async () => {
    const big = line(recv(Buffer.alloc(300_000, 0x42)));
    const items = await readAll(`${header}\n${line(recv('220 hi\r\n'))}\n${big}\n${line(recv('250 ok\r\n', 3))}\n`, { maxEventOctets: 100_000, limitName: '--max-event-size' });
    expect(summary(items)).toEqual([
      '1 header',
      '2 recv',
      `3 damage: ${big.length} octets, over the 100000-octet limit for one event (--max-event-size): skipped`,
      '4 recv',
    ]);
  });

  it('says when an over-long last line is also cut off', async () => {
    const cut = `{"t":1,"type":"recv","tls":false,"data":"${'x'.repeat(5000)}`;
    const items = await readAll(`${header}\n${cut}`, { maxEventOctets: 1024 });
    expect(summary(items)).toEqual(['1 header', `2 damage: truncated and ${cut.length} octets, over the 1024-octet limit for one event (the limit): skipped`]);
  });

  it(`lists at most ${MAX_LISTED_DAMAGE} damaged lines, then counts the rest`, async () => {
    const bad = Array.from({ length: MAX_LISTED_DAMAGE + 50 }, () => 'garbage').join('\n');
    const items = await readAll(`${header}\n${bad}\n${line(recv('250 ok\r\n'))}\n`);
    const damage = items.filter((i) => i.type === 'damage');
    expect(damage).toHaveLength(MAX_LISTED_DAMAGE + 1);
    expect(damage.at(-1)).toEqual({ type: 'damage', line: MAX_LISTED_DAMAGE + 2, message: 'and 50 more damaged lines from here on, not listed' });
    expect(items.at(-2)).toMatchObject({ type: 'event', line: MAX_LISTED_DAMAGE + 52 });
  });

  it.each([
    ['a text transcript', '=== smtpdbg transcript 2026-01-01T00:00:00.000Z session mx:25\n<-  220 mx\n', /this is a text transcript/],
    ['no transcript at all', 'hello\nworld\n', /not a smtpdbg transcript \(line 1: not JSON/],
    ['an empty file', '', /not a smtpdbg transcript \(empty\)/],
    ['a line over the limit and nothing else', `{"t":1,"type":"recv","tls":false,"data":"${'x'.repeat(5000)}"}\n`, /not a smtpdbg transcript \(line 1: 5043 octets, over the 1024-octet limit for one event \(the limit\): skipped\)/],
  ])('refuses %s (exit 2) before yielding anything', async (_name, text, message) => {
    await expect(readAll(text, { maxEventOctets: 1024 })).rejects.toThrow(message);
  });

  it('refuses a missing file naming it', async () => {
    const items = readTranscript(path.join(dir, 'missing.jsonl'));
    await expect(items.next()).rejects.toThrow(/missing\.jsonl: cannot read \(ENOENT\)/);
  });
});

describe('TranscriptRecorder and a large write', () => {
  it(`records a write of more than ${MAX_RECORDED_OCTETS} octets as consecutive events of at most that, read back byte for byte`, async () => {
    const file = path.join(dir, 'large-write.jsonl');
    const events = new EventStream();
    const recorder = new TranscriptRecorder(file, { command: 'inject' }, events.startedAt).attach(events);
    const data = Buffer.from(Array.from({ length: 2 * MAX_RECORDED_OCTETS + 10 }, (_, i) => i % 256));
    events.emit({ type: 'send', t: 7, tls: true, data });
    recorder.close();
    const sent: Buffer[] = [];
    for await (const item of readTranscript(file, { maxEventOctets: 8 * MAX_RECORDED_OCTETS })) {
      if (item.type === 'event' && item.event.type === 'send') {
        expect(item.event).toMatchObject({ t: 7, tls: true });
        sent.push(item.event.data);
      }
    }
    expect(sent.map((b) => b.length)).toEqual([MAX_RECORDED_OCTETS, MAX_RECORDED_OCTETS, 10]);
    expect(Buffer.concat(sent).equals(data)).toBe(true);
  });
});
