import { describe, expect, it } from 'vitest';
import { ServerReader, STORED_LINE_LIMIT, type DataEnd } from '../../../src/smtp/server-reader.js';

interface Transcript {
  lines: Array<{ text: string; terminator: string; length: number; truncated: boolean }>;
  messages: Array<{ content: string; end: DataEnd }>;
}

/**
 * Plays a client's bytes through the reader like the session does: a "DATA" line switches
 * it to content. Each chunk is fed, then everything complete is drained.
 */
function play(chunks: Buffer[]): Transcript {
  const reader = new ServerReader();
  const out: Transcript = { lines: [], messages: [] };
  let content: Buffer[] = [];
  for (const chunk of chunks) {
    reader.feed(chunk);
    for (let item = reader.next(); item; item = reader.next()) {
      if (item.type === 'line') {
        const text = item.line.toString('latin1');
        out.lines.push({ text, terminator: item.terminator, length: item.length, truncated: item.truncated });
        if (text.toUpperCase() === 'DATA') reader.startData();
      } else if (item.type === 'data') {
        content.push(item.bytes);
      } else if (item.type === 'data-end') {
        out.messages.push({ content: Buffer.concat(content).toString('latin1'), end: item });
        content = [];
      }
    }
  }
  return out;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** Every way of cutting the input in two, plus one byte at a time. */
function splits(input: string): Array<[string, Buffer[]]> {
  const whole = bytes(input);
  const cases: Array<[string, Buffer[]]> = [['whole', [whole]]];
  for (let i = 1; i < whole.length; i++) cases.push([`split at ${i}`, [whole.subarray(0, i), whole.subarray(i)]]);
  cases.push(['byte by byte', [...whole].map((b) => Buffer.of(b))]);
  return cases;
}

const cases: Array<{ name: string; input: string; lines: Array<[string, string]>; messages: Array<{ content: string; bareCr?: number[]; bareLf?: number[]; long?: number[] }> }> = [
  {
    name: 'CRLF and bare-LF commands, a bare CR kept inside the line',
    input: 'EHLO a\r\nNOOP\nNO\rOP\r\n',
    lines: [['EHLO a', 'crlf'], ['NOOP', 'lf'], ['NO\rOP', 'crlf']],
    messages: [],
  },
  {
    name: 'a message and the command after it',
    input: 'DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n',
    lines: [['DATA', 'crlf'], ['QUIT', 'crlf']],
    messages: [{ content: 'Subject: x\r\n\r\nbody\r\n' }],
  },
  {
    name: 'an empty message: the CRLF of the DATA line counts for the end',
    input: 'DATA\r\n.\r\nRSET\r\n',
    lines: [['DATA', 'crlf'], ['RSET', 'crlf']],
    messages: [{ content: '' }],
  },
  {
    name: 'fake ends with bare CR/LF stay content (RFC 5321 §4.1.1.4), and are flagged',
    input: 'DATA\r\na\n.\nb\r.\rc\n.\r\nd\r\n.\r\nQUIT\n',
    lines: [['DATA', 'crlf'], ['QUIT', 'lf']],
    messages: [{ content: 'a\n.\nb\r.\rc\n.\r\nd\r\n', bareCr: [1], bareLf: [1] }],
  },
  {
    name: 'stuffed dots are left for dotUnstuff; CR CR LF is a bare CR then CRLF',
    input: 'DATA\r\n..x\r\ny\r\r\n.\r\n',
    lines: [['DATA', 'crlf']],
    messages: [{ content: '..x\r\ny\r\r\n', bareCr: [2] }],
  },
  {
    name: 'two messages back to back (pipelined)',
    input: 'DATA\r\none\r\n.\r\nDATA\r\ntwo\r\n.\r\n',
    lines: [['DATA', 'crlf'], ['DATA', 'crlf']],
    messages: [{ content: 'one\r\n' }, { content: 'two\r\n' }],
  },
];

describe('ServerReader', () => {
  for (const c of cases) {
    it.each(splits(c.input))(`${c.name} (%s)`, (_label, chunks) => {
      const result = play(chunks);
      expect(result.lines.map((l) => [l.text, l.terminator])).toEqual(c.lines);
      expect(result.messages.map((m) => m.content)).toEqual(c.messages.map((m) => m.content));
      result.messages.forEach((m, i) => {
        const want = c.messages[i]!;
        expect(m.end.bareCrLines).toEqual(want.bareCr ?? []);
        expect(m.end.bareLfLines).toEqual(want.bareLf ?? []);
        expect(m.end.longLines).toEqual(want.long ?? []);
        expect(m.end.size).toBe(Buffer.byteLength(want.content, 'latin1'));
      });
    });
  }

  it('finds the end of data at every pair of cut points', () => {
    const input = bytes('DATA\r\n.a\r\n\r\n.\r\nNOOP\r\n');
    for (let i = 1; i < input.length; i++) {
      for (let j = i + 1; j < input.length; j++) {
        const result = play([input.subarray(0, i), input.subarray(i, j), input.subarray(j)]);
        expect(result.messages.map((m) => m.content)).toEqual(['.a\r\n\r\n']);
        expect(result.lines.map((l) => l.text)).toEqual(['DATA', 'NOOP']);
      }
    }
  });

  it('flags text lines over 1000 octets including CRLF (RFC 5321 §4.5.3.1.6) without dropping them', () => {
    const ok = 'a'.repeat(998);
    const long = 'b'.repeat(999);
    const result = play([bytes(`DATA\r\n${ok}\r\n${long}\r\n.\r\n`)]);
    expect(result.messages[0]!.content).toBe(`${ok}\r\n${long}\r\n`);
    expect(result.messages[0]!.end.longLines).toEqual([2]);
  });

  it('reports a command line\'s real length, and cuts a huge one while keeping the next', () => {
    const huge = `NOOP ${'x'.repeat(50_000)}`;
    const input = bytes(`NOOP ${'y'.repeat(600)}\r\n${huge}\r\nQUIT\r\n`);
    for (const chunks of [[input], [...Array(Math.ceil(input.length / 700)).keys()].map((k) => input.subarray(k * 700, k * 700 + 700))]) {
      const result = play(chunks);
      expect(result.lines.map((l) => [l.length, l.truncated, l.terminator])).toEqual([
        [607, false, 'crlf'],
        [huge.length + 2, true, 'crlf'],
        [6, false, 'crlf'],
      ]);
      expect(result.lines[1]!.text).toBe(huge.slice(0, STORED_LINE_LIMIT));
    }
  });

  it('hands back, and forgets, what was pipelined behind STARTTLS (RFC 3207 §6)', () => {
    const reader = new ServerReader();
    reader.feed(bytes('STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n'));
    const first = reader.next();
    expect(first?.type === 'line' && first.line.toString()).toBe('STARTTLS');
    expect(reader.discardBuffered().toString()).toBe('MAIL FROM:<evil@example.test>\r\n');
    expect(reader.next()).toBeUndefined();
    reader.feed(bytes('EHLO again\r\n'));
    const next = reader.next();
    expect(next?.type === 'line' && next.line.toString()).toBe('EHLO again');
  });

  it('does not parse bytes after DATA as content until told the DATA was accepted', () => {
    const reader = new ServerReader();
    reader.feed(bytes('DATA\r\nRSET\r\n'));
    expect(reader.next()).toMatchObject({ type: 'line' });
    // A DATA refused with 503 leaves the reader in command mode: RSET is a command.
    const rset = reader.next();
    expect(rset?.type === 'line' && rset.line.toString()).toBe('RSET');
  });
});
