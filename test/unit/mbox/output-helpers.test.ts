import { describe, expect, it } from 'vitest';
import { FindingJson, LineBatcher } from '../../../src/mbox/finding-json.js';
import type { Finding } from '../../../src/mbox/types.js';

const finding = (over: Partial<Finding>): Finding => ({
  rule: 'bare-cr',
  severity: 'error',
  file: 'a.mbox',
  message: 3,
  line: 41,
  offset: 1234,
  text: 'Date: Fri, 8 Sep 2017␍From: x␍␊',
  detail: 'CR without LF',
  fromLine: 'From a@b Fri Sep  8 17:44:32 2017␊',
  messageId: '<id@example.org>',
  ...over,
});

describe('FindingJson: the ndjson form of a finding', () => {
  it.each([
    ['plain', finding({})],
    ['no From_ line and no Message-ID', finding({ fromLine: undefined, messageId: undefined })],
    ['quotes, backslashes, controls and non-ASCII', finding({ text: 'Subject: "a\\b"\t\u0001 é ␀ \ud800', detail: 'x "y"', file: 'dir/"odd"\\name' })],
    ['only a Message-ID', finding({ fromLine: undefined })],
  ])('%s: byte-identical to JSON.stringify', (_, f) => {
    expect(new FindingJson().format(f)).toBe(JSON.stringify(f));
  });

  it('reuses nothing stale when consecutive findings belong to different messages', () => {
    const json = new FindingJson();
    const all = [
      finding({}),
      finding({ rule: 'missing-date', severity: 'warning' }),
      finding({ message: 4, fromLine: 'From b Sat Sep  9 00:00:00 2017␊', messageId: undefined }),
      finding({ message: 5, fromLine: undefined, messageId: '<other@x>' }),
      finding({ message: 6, file: 'b.mbox' }),
    ];
    expect(all.map((f) => json.format(f))).toEqual(all.map((f) => JSON.stringify(f)));
  });
});

describe('LineBatcher', () => {
  const collect = (size: number) => {
    const written: Buffer[] = [];
    const batcher = new LineBatcher((b) => written.push(Buffer.from(b)), false, size);
    return { batcher, text: () => Buffer.concat(written).toString('utf8'), writes: () => written.length };
  };

  it('writes every line, UTF-8 encoded and LF-terminated, in order', () => {
    const { batcher, text } = collect(64);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ␍␊ é ${'x'.repeat(i % 7)}`);
    for (const l of lines) batcher.add(l);
    batcher.flush();
    expect(text()).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  it('writes nothing until full or flushed, and a line longer than the buffer on its own', () => {
    const { batcher, text, writes } = collect(32);
    batcher.add('ab');
    expect(writes()).toBe(0);
    batcher.add('y'.repeat(100));
    batcher.add('cd');
    batcher.flush();
    batcher.flush();
    expect(text()).toBe(`ab\n${'y'.repeat(100)}\ncd\n`);
    expect(writes()).toBe(3);
  });
});
