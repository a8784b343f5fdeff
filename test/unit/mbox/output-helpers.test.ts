import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { FindingJson, LineBatcher } from '../../../src/mbox/finding-json.js';
import { PendingFindings, type FindingParts } from '../../../src/mbox/pending-findings.js';
import type { Finding } from '../../../src/mbox/types.js';
import { FindingFormatter } from '../../../src/ui/lint-report.js';

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
    const batcher = new LineBatcher((b) => written.push(Buffer.from(b)), size);
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

describe('FindingFormatter: a finding cut around its numbers, for range workers', () => {
  const joined = (p: FindingParts, f: Finding) => `${p.head}${f.message}${p.mid}${f.line}${p.tail}`;
  const all = [
    finding({}),
    finding({ fromLine: undefined, messageId: undefined, file: 'dir/ä "odd".mbox', message: 123456789, line: 9876543210 }),
    finding({ text: 'Subject: =?utf-8?q?x?= é\u0001', detail: 'x "y"', severity: 'info', rule: 'line-over-78' }),
  ];

  it('ndjson: the parts joined with the numbers are JSON.stringify of the finding', () => {
    const formatter = new FindingFormatter('ndjson', new Chalk({ level: 0 }));
    for (const f of all) {
      expect(formatter.line(f)).toBe(JSON.stringify(f));
      expect(joined(formatter.parts(f), f)).toBe(JSON.stringify(f));
    }
  });

  it('text: where, severity, rule, detail, byte; the line; From_ line and Message-ID', () => {
    const formatter = new FindingFormatter('text', new Chalk({ level: 0 }));
    const f = all[0]!;
    const expected =
      'a.mbox:3:41  error  bare-cr  CR without LF (byte 1234)\n' +
      '    Date: Fri, 8 Sep 2017␍From: x␍␊\n' +
      '    From_ From a@b Fri Sep  8 17:44:32 2017␊  Message-ID <id@example.org>';
    expect(formatter.line(f)).toBe(expected);
    expect(joined(formatter.parts(f), f)).toBe(expected);
  });

  it('coloured text: the numbers sit inside the bold place, in both forms', () => {
    const formatter = new FindingFormatter('text', new Chalk({ level: 1 }));
    for (const f of all) {
      const line = formatter.line(f);
      expect(line.startsWith(`\u001b[1m${f.file}:${f.message}:${f.line}\u001b[22m  `)).toBe(true);
      expect(joined(formatter.parts(f), f)).toBe(line);
    }
  });
});

describe('PendingFindings: lines encoded before their numbers are known', () => {
  const parts = (head: string, tail: string): FindingParts => ({ head, mid: ',"line":', tail });
  const drained = (pending: PendingFindings, messages: number, lines: number) => {
    const writes: Buffer[] = [];
    pending.drain(messages, lines, (b) => writes.push(Buffer.from(b)));
    return { text: Buffer.concat(writes).toString('utf8'), writes: writes.length };
  };

  it('writes each line with the numbers before the range added, UTF-8 intact', () => {
    const pending = new PendingFindings();
    pending.add(parts('{"file":"ä.mbox","message":', ',"text":"␍␊"}'), 1, 5);
    pending.add(parts('{"file":"b","message":', '}'), 2, 17);
    pending.add(parts('{"file":"ä.mbox","message":', ',"text":"é"}'), 2, 18);
    expect(pending.size).toBe(3);
    expect(drained(pending, 999_999, 9_999_999_999).text).toBe(
      '{"file":"ä.mbox","message":1000000,"line":10000000004,"text":"␍␊"}\n' +
        '{"file":"b","message":1000001,"line":10000000016}\n' +
        '{"file":"ä.mbox","message":1000001,"line":10000000017,"text":"é"}\n',
    );
  });

  it('batches thousands of lines, and a line longer than a batch, without losing a byte', () => {
    const pending = new PendingFindings();
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const tail = i === 1500 ? `,"x":"${'y'.repeat(200_000)}"}` : `,"i":${i}}`;
      pending.add(parts('{"m":', tail), i + 1, 2 * i + 1);
      expected.push(`{"m":${i + 11},"line":${2 * i + 1}${tail}\n`);
    }
    const { text, writes } = drained(pending, 10, 0);
    expect(text).toBe(expected.join(''));
    expect(writes).toBeGreaterThan(2);
  });

  it('a range after a drained one starts empty, in the storage the first one used', () => {
    const first = new PendingFindings();
    for (let i = 0; i < 100; i++) first.add(parts('{"a":', `,"long":"${'z'.repeat(i)}"}`), 1, i);
    drained(first, 0, 0);
    expect(first.size).toBe(100);
    const second = new PendingFindings();
    expect(second.size).toBe(0);
    second.add(parts('{"b":', '}'), 1, 1);
    expect(drained(second, 4, 6).text).toBe('{"b":5,"line":7}\n');
  });
});
