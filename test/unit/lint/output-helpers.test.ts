import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { PendingFindings, type FindingLayout } from '../../../src/lint/pending-findings.js';
import type { Finding } from '../../../src/mbox/types.js';
import { FindingEncoder, type StreamedFormat } from '../../../src/lint/finding-encoder.js';
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

/** Findings through the main thread's encoder, as the text written. */
function encoded(format: StreamedFormat, findings: Finding[], level: 0 | 1 = 0): { text: string; writes: number } {
  const written: Buffer[] = [];
  const encoder = new FindingEncoder(new FindingFormatter(format, new Chalk({ level })), (b) => written.push(Buffer.from(b)));
  for (const f of findings) encoder.add(f);
  encoder.flush();
  return { text: Buffer.concat(written).toString('utf8'), writes: written.length };
}

/** One finding through a range worker's path: parts before the numbers, then drained with them. */
function pendingThenDrained(formatter: FindingFormatter, findings: Finding[], messages = 0, lines = 0, written = 0): string {
  const pending = new PendingFindings(formatter);
  for (const f of findings) pending.add({ ...f, message: f.message - messages, line: f.line - lines });
  const writes: Buffer[] = [];
  pending.drain(messages, lines, written, (b) => writes.push(Buffer.from(b)));
  return Buffer.concat(writes).toString('utf8');
}

describe('ndjson: a finding encoded piece by piece', () => {
  it.each([
    ['plain', finding({})],
    ['no From_ line and no Message-ID', finding({ fromLine: undefined, messageId: undefined })],
    ['quotes, backslashes, controls and non-ASCII', finding({ text: 'Subject: "a\\b"\t\u0001 é ␀ \ud800', detail: 'x "y" ü', file: 'dir/"odd"\\name' })],
    ['only a Message-ID', finding({ fromLine: undefined })],
  ])('%s: byte-identical to JSON.stringify', (_, f) => {
    expect(encoded('ndjson', [f]).text).toBe(`${JSON.stringify(f)}\n`);
  });

  it('reuses nothing stale when consecutive findings belong to different messages', () => {
    const all = [
      finding({}),
      finding({ rule: 'missing-date', severity: 'warning' }),
      finding({ message: 4, fromLine: 'From b Sat Sep  9 00:00:00 2017␊', messageId: undefined }),
      finding({ message: 5, fromLine: undefined, messageId: '<other@x>' }),
      finding({ message: 6, file: 'b.mbox', text: 'other line␊' }),
      finding({ message: 6, file: 'b.mbox', offset: 9_007_199_254_740_991 }),
    ];
    expect(encoded('ndjson', all).text).toBe(all.map((f) => `${JSON.stringify(f)}\n`).join(''));
  });

  it("a message's From_ line and Message-ID, written once and copied for its later findings, survive full batches and new ranges", () => {
    // Thousands of findings of one message fill several 64 KiB batches: a copy must never be
    // taken from a batch already written out, nor from another range's storage.
    const many = Array.from({ length: 3000 }, (_, i) => finding({ offset: i, text: `line ${i}␊` }));
    const expected = many.map((f) => `${JSON.stringify(f)}\n`).join('');
    const { text, writes } = encoded('ndjson', many);
    expect(writes).toBeGreaterThan(3);
    expect(text).toBe(expected);
    const formatter = new FindingFormatter('ndjson', new Chalk({ level: 0 }));
    expect(pendingThenDrained(formatter, many.slice(0, 1500)) + pendingThenDrained(formatter, many.slice(1500))).toBe(expected);
  });

  it('batches: nothing is written until the buffer is full or flushed; a piece longer than the buffer goes whole', () => {
    const small = finding({});
    const long = finding({ messageId: `<${'m'.repeat(200_000)}@x>`, detail: 'é'.repeat(70_000) });
    const all = [small, long, small, long, small];
    const { text, writes } = encoded('ndjson', all);
    expect(text).toBe(all.map((f) => `${JSON.stringify(f)}\n`).join(''));
    expect(writes).toBeGreaterThan(3);
    expect(encoded('ndjson', [small, small]).writes).toBe(1);
  });
});

describe('FindingFormatter: the same lines whole (main thread) and numbered later (range workers)', () => {
  const all = [
    finding({}),
    finding({ fromLine: undefined, messageId: undefined, file: 'dir/ä "odd".mbox', message: 123456789, line: 9876543210 }),
    finding({ text: 'Subject: =?utf-8?q?x?= é\u0001', detail: 'x "y"', severity: 'info', rule: 'line-over-78' }),
  ];

  it('ndjson: both are JSON.stringify of the finding', () => {
    const formatter = new FindingFormatter('ndjson', new Chalk({ level: 0 }));
    const expected = all.map((f) => `${JSON.stringify(f)}\n`).join('');
    expect(encoded('ndjson', all).text).toBe(expected);
    expect(pendingThenDrained(formatter, all, 100, 1000)).toBe(expected);
  });

  it('text: where, severity, rule, detail, byte; the line; From_ line and Message-ID', () => {
    const formatter = new FindingFormatter('text', new Chalk({ level: 0 }));
    const f = all[0]!;
    const expected =
      'a.mbox:3:41  error  bare-cr  CR without LF (byte 1234)\n' +
      '    Date: Fri, 8 Sep 2017␍From: x␍␊\n' +
      '    From_ From a@b Fri Sep  8 17:44:32 2017␊  Message-ID <id@example.org>\n';
    expect(encoded('text', [f]).text).toBe(expected);
    expect(pendingThenDrained(formatter, [f], 2, 40)).toBe(expected);
  });

  it('json: each finding on a line of its own, commas between them, in both forms (whatever came before a range)', () => {
    const formatter = new FindingFormatter('json', new Chalk({ level: 0 }));
    const expected = all.map((f) => `\n${JSON.stringify(f)}`).join(',');
    expect(encoded('json', all).text).toBe(expected);
    expect(pendingThenDrained(formatter, all, 100, 1000)).toBe(expected);
    // A range whose findings follow others: its first finding gets a comma too.
    expect(pendingThenDrained(formatter, all, 100, 1000, 7)).toBe(`,${expected}`);
    expect(JSON.parse(`{"findings":[${expected}\n]}`).findings).toEqual(JSON.parse(JSON.stringify(all)));
  });

  it("coloured text: a line end of the file's own convention is dim, a bare one is highlighted", () => {
    const formatter = new FindingFormatter('text', new Chalk({ level: 1 }));
    const dimLf = '\u001b[2m␊\u001b[22m';
    const loudLf = '\u001b[41m\u001b[37m\u001b[1m␊\u001b[22m\u001b[39m\u001b[49m';
    const loudCr = '\u001b[41m\u001b[37m\u001b[1m␍\u001b[22m\u001b[39m\u001b[49m';
    const lf = finding({ rule: 'date-zone', text: 'Date: x␊' });
    const bareLf = finding({ rule: 'bare-lf', text: 'Subject: x␊' });
    const bareCr = finding({ rule: 'bare-cr', text: 'Date: x␍From: y␊' });
    const show = (eol: 'lf' | 'crlf', f: Finding) => {
      formatter.startFile(eol);
      return pendingThenDrained(formatter, [f]);
    };
    expect(show('lf', lf)).toContain(`Date: x${dimLf}`);
    expect(show('crlf', lf)).toContain(`Date: x${loudLf}`);
    expect(show('lf', bareLf)).toContain(`Subject: x${loudLf}`);
    expect(show('lf', bareCr)).toContain(`Date: x${loudCr}From: y${dimLf}`);
  });

  it('coloured text: the numbers sit inside the bold place, in both forms', () => {
    const formatter = new FindingFormatter('text', new Chalk({ level: 1 }));
    for (const f of all) {
      const line = encoded('text', [f], 1).text;
      expect(line.startsWith(`\u001b[1m${f.file}:${f.message}:${f.line}\u001b[22m  `)).toBe(true);
      expect(pendingThenDrained(formatter, [f], 1, 1)).toBe(line);
    }
  });
});

describe('PendingFindings: lines encoded before their numbers are known', () => {
  /** A layout whose head and tail are carried by the finding (in `rule` and `detail`). */
  const layout: FindingLayout = { head: (f) => f.rule, mid: ',"line":', writeTail: (f, out) => out.string(`${f.detail}\n`), separator: undefined, startFile: () => {} };
  const parts = (head: string, tail: string) => ({ head, tail });
  const add = (pending: PendingFindings, p: { head: string; tail: string }, message: number, line: number) =>
    pending.add(finding({ rule: p.head, detail: p.tail, message, line }));
  const drained = (pending: PendingFindings, messages: number, lines: number) => {
    const writes: Buffer[] = [];
    pending.drain(messages, lines, 0, (b) => writes.push(Buffer.from(b)));
    return { text: Buffer.concat(writes).toString('utf8'), writes: writes.length };
  };

  it('writes each line with the numbers before the range added, UTF-8 intact', () => {
    const pending = new PendingFindings(layout);
    add(pending, parts('{"file":"ä.mbox","message":', ',"text":"␍␊"}'), 1, 5);
    add(pending, parts('{"file":"b","message":', '}'), 2, 17);
    add(pending, parts('{"file":"ä.mbox","message":', ',"text":"é"}'), 2, 18);
    expect(pending.size).toBe(3);
    expect(drained(pending, 999_999, 9_999_999_999).text).toBe(
      '{"file":"ä.mbox","message":1000000,"line":10000000004,"text":"␍␊"}\n' +
        '{"file":"b","message":1000001,"line":10000000016}\n' +
        '{"file":"ä.mbox","message":1000001,"line":10000000017,"text":"é"}\n',
    );
  });

  it('batches thousands of lines, and a line longer than a batch, without losing a byte', () => {
    const pending = new PendingFindings(layout);
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const tail = i === 1500 ? `,"x":"${'y'.repeat(200_000)}"}` : `,"i":${i}}`;
      add(pending, parts('{"m":', tail), i + 1, 2 * i + 1);
      expected.push(`{"m":${i + 11},"line":${2 * i + 1}${tail}\n`);
    }
    const { text, writes } = drained(pending, 10, 0);
    expect(text).toBe(expected.join(''));
    expect(writes).toBeGreaterThan(2);
  });

  it('numbers past 2^31 within a range (two billion lines) are kept whole, before and after the first of them', () => {
    const pending = new PendingFindings(layout);
    add(pending, parts('{"a":', '}'), 1, 7);
    add(pending, parts('{"a":', '}'), 2, 3_000_000_000);
    add(pending, parts('{"a":', '}'), 2_500_000_000, 3_000_000_001);
    expect(drained(pending, 1, 10).text).toBe('{"a":2,"line":17}\n{"a":3,"line":3000000010}\n{"a":2500000001,"line":3000000011}\n');
    // The storage, widened, serves the next range as well.
    const next = new PendingFindings(layout);
    add(next, parts('{"b":', '}'), 1, 1);
    expect(drained(next, 0, 0).text).toBe('{"b":1,"line":1}\n');
  });

  it('a range after a drained one starts empty, in the storage the first one used', () => {
    const first = new PendingFindings(layout);
    for (let i = 0; i < 100; i++) add(first, parts('{"a":', `,"long":"${'z'.repeat(i)}"}`), 1, i);
    drained(first, 0, 0);
    expect(first.size).toBe(100);
    const second = new PendingFindings(layout);
    expect(second.size).toBe(0);
    add(second, parts('{"b":', '}'), 1, 1);
    expect(drained(second, 4, 6).text).toBe('{"b":5,"line":7}\n');
  });
});
