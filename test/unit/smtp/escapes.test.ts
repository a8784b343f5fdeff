import { describe, expect, it } from 'vitest';
import { formatEscaped, parseEscaped } from '../../../src/smtp/escapes.js';
import { segmentBytes, showBytes } from '../../../src/smtp/visible.js';

describe('parseEscaped', () => {
  it.each([
    ['MAIL FROM:<a@b>\\r\\n', 'MAIL FROM:<a@b>\r\n'],
    ['\\r.\\r', '\r.\r'],
    ['a\\tb\\0c', 'a\tb\0c'],
    ['\\x00\\xff\\x7F', '\x00\xff\x7f'],
    ['back\\\\slash', 'back\\slash'],
    ['caf\u00e9', 'caf\u00e9'],
  ])('%j gives the exact bytes', (input, bytes) => {
    expect(parseEscaped(input).toString('latin1')).toBe(bytes);
  });

  it.each([
    ['\\q', /unknown escape \\q at offset 0/],
    ['ab\\x4', /\\x at offset 2 needs two hex digits/],
    ['end\\', /lone backslash/],
    ['\u20ac', /not a byte/],
  ])('%j is a usage error naming the offset', (input, message) => {
    expect(() => parseEscaped(input)).toThrow(message);
  });

  it('round-trips every byte through formatEscaped', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(parseEscaped(formatEscaped(all)).equals(all)).toBe(true);
  });
});

describe('visible terminators', () => {
  it('shows CRLF, bare CR, bare LF and controls distinctly', () => {
    expect(showBytes(Buffer.from('Date: x\rFrom: y\r\nZ\n\0'))).toBe('Date: x␍From: y␍␊Z␊␀');
    expect(segmentBytes(Buffer.from('a\rb\r\n\n')).map((s) => s.kind)).toEqual(['text', 'bare-cr', 'text', 'crlf', 'bare-lf']);
  });

  it('treats a CR at the end of a chunk as bare (no LF follows in these bytes)', () => {
    expect(segmentBytes(Buffer.from('x\r')).map((s) => s.kind)).toEqual(['text', 'bare-cr']);
  });
});
