import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { MAX_REPLY_LINE, ReplyParser } from '../../../src/smtp/reply-parser.js';
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
});
