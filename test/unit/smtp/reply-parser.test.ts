import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { MAX_REPLY_LINE, MAX_REPLY_LINES, MAX_REPLY_OCTETS, ReplyParser } from '../../../src/smtp/reply-parser.js';
import type { Reply } from '../../../src/smtp/reply.js';

const simplify = (replies: Reply[]) => replies.map((r) => ({ code: r.code, lines: r.lines, enhanced: r.enhanced, raw: r.raw.toString('latin1') }));

function feedAllSplits(input: string): Array<ReturnType<typeof simplify>> {
  const bytes = Buffer.from(input, 'latin1');
  const results: Array<ReturnType<typeof simplify>> = [];
  for (let a = 0; a <= bytes.length; a++) {
    for (let b = a; b <= bytes.length; b++) {
      const parser = new ReplyParser();
      const out = [
        ...parser.feed(bytes.subarray(0, a)),
        ...parser.feed(bytes.subarray(a, b)),
        ...parser.feed(bytes.subarray(b)),
      ];
      results.push(simplify(out));
    }
  }
  return results;
}

describe('ReplyParser', () => {
  const cases: Array<[string, string, Array<{ code: number; lines: string[]; enhanced: string | undefined }>]> = [
    ['single line', '220 mx.example.org ESMTP\r\n', [{ code: 220, lines: ['mx.example.org ESMTP'], enhanced: undefined }]],
    ['multi-line EHLO', '250-mx greets you\r\n250-PIPELINING\r\n250 STARTTLS\r\n', [{ code: 250, lines: ['mx greets you', 'PIPELINING', 'STARTTLS'], enhanced: undefined }]],
    ['enhanced code', '535 5.7.8 Authentication failed\r\n', [{ code: 535, lines: ['5.7.8 Authentication failed'], enhanced: '5.7.8' }]],
    ['enhanced class must match the reply', '250 5.7.8 odd text\r\n', [{ code: 250, lines: ['5.7.8 odd text'], enhanced: undefined }]],
    ['bare LF terminator tolerated', '250 ok\n354 go\n', [{ code: 250, lines: ['ok'], enhanced: undefined }, { code: 354, lines: ['go'], enhanced: undefined }]],
    ['code alone', '250\r\n', [{ code: 250, lines: [''], enhanced: undefined }]],
    ['two replies in one chunk', '250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n', [{ code: 250, lines: ['2.1.0 Ok'], enhanced: '2.1.0' }, { code: 250, lines: ['2.1.5 Ok'], enhanced: '2.1.5' }]],
  ];

  it.each(cases)('%s: same replies whatever the split points', (_name, input, expected) => {
    for (const result of feedAllSplits(input)) {
      expect(result.map(({ code, lines, enhanced }) => ({ code, lines, enhanced }))).toEqual(expected);
      expect(result.map((r) => r.raw).join('')).toBe(input);
    }
  });

  it('keeps a partial multi-line reply pending and reports its lines', () => {
    const parser = new ReplyParser();
    expect(parser.feed(Buffer.from('250-first\r\n250-sec'))).toEqual([]);
    expect(parser.pendingLines).toEqual(['first']);
    expect(parser.pendingBytes).toBe('250-first\r\n250-sec'.length);
  });

  it('rejects a line without a three-digit code', () => {
    const parser = new ReplyParser();
    expect(() => parser.feed(Buffer.from('hello there\r\n'))).toThrow(/malformed reply line "hello there"/);
  });

  it('rejects a multi-line reply whose code changes', () => {
    const parser = new ReplyParser();
    expect(() => parser.feed(Buffer.from('250-a\r\n251 b\r\n'))).toThrow(ProtocolError);
  });

  it('bounds memory: a line longer than the limit without LF is an error, fed in small chunks', () => {
    const parser = new ReplyParser();
    const chunk = Buffer.alloc(4096, 0x41);
    chunk.write('220 ', 0, 'latin1');
    let thrown: unknown;
    let fed = 0;
    try {
      while (fed < 4 * 1024 * 1024) {
        parser.feed(chunk);
        fed += chunk.length;
      }
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect(String((thrown as Error).message)).toContain(`longer than ${MAX_REPLY_LINE} bytes`);
    expect(fed).toBeLessThanOrEqual(MAX_REPLY_LINE + chunk.length);
  });

  it('reset() discards buffered bytes (RFC 3207 §6)', () => {
    const parser = new ReplyParser();
    parser.feed(Buffer.from('250-injected\r\n250 by a man in the mid'));
    parser.reset();
    expect(parser.pendingBytes).toBe(0);
    expect(simplify(parser.feed(Buffer.from('250 clean\r\n')))[0]?.lines).toEqual(['clean']);
  });

  /** Feeds `input` cut at every offset; returns each run's error message (or '' when none). */
  function errorsForEverySplit(input: Buffer): Set<string> {
    const messages = new Set<string>();
    for (let cut = 0; cut <= input.length; cut++) {
      const parser = new ReplyParser();
      try {
        parser.feed(input.subarray(0, cut));
        parser.feed(input.subarray(cut));
        messages.add('');
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        messages.add((error as Error).message);
      }
    }
    return messages;
  }

  it.each(['999', '600', '000', '199', '100'])('rejects reply code %s: the first digit must be 2 to 5 (RFC 5321 §4.2.1)', (code) => {
    expect([...errorsForEverySplit(Buffer.from(`${code} hello\r\n`))]).toEqual([`invalid reply code ${code} (RFC 5321 §4.2.1: the first digit is 2, 3, 4 or 5): "${code} hello"`]);
  });

  it.each([
    ['alert 10 (its byte is a line end)', [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a], 'TLS alert record received where an SMTP reply was expected (alert 10 unexpected_message, fatal)'],
    ['alert 70', [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 70], 'TLS alert record received where an SMTP reply was expected (alert 70 protocol_version, fatal)'],
    ['a handshake record', [0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00], 'TLS handshake record received where an SMTP reply was expected'],
  ])('names a TLS record where a reply should start: %s, cut anywhere', (_name, bytes, message) => {
    const messages = errorsForEverySplit(Buffer.from(bytes));
    expect(messages.size).toBe(1);
    expect([...messages][0]).toContain(message);
  });

  it('names a TLS alert after a complete reply in the same chunk', () => {
    const parser = new ReplyParser();
    expect(() => parser.feed(Buffer.concat([Buffer.from('220 ok\r\n'), Buffer.from([0x15, 3, 3, 0, 2, 2, 40])]))).toThrow(/alert 40 handshake_failure/);
  });

  it(`accepts a reply of ${MAX_REPLY_LINES} lines, refuses one more`, () => {
    const lines = (n: number) => Buffer.from(`${'250-x\r\n'.repeat(n - 1)}250 end\r\n`);
    expect(new ReplyParser().feed(lines(MAX_REPLY_LINES))[0]?.lines).toHaveLength(MAX_REPLY_LINES);
    expect(() => new ReplyParser().feed(lines(MAX_REPLY_LINES + 1))).toThrow(`multi-line reply without an end: ${MAX_REPLY_LINES} lines`);
  });

  it(`refuses a reply past ${MAX_REPLY_OCTETS} octets before its last line, fed in small chunks`, () => {
    const parser = new ReplyParser();
    const line = Buffer.from(`250-${'z'.repeat(4000)}\r\n`);
    let fed = 0;
    expect(() => {
      for (;;) {
        parser.feed(line);
        fed += line.length;
      }
    }).toThrow(`over the limit of ${MAX_REPLY_OCTETS} octets per reply`);
    expect(fed).toBeLessThanOrEqual(MAX_REPLY_OCTETS + line.length);
  });
});

