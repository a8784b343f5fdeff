import { describe, expect, it } from 'vitest';
import { dotStuff, dotUnstuff } from '../../../src/smtp/dot-stuffing.js';
import { ServerReader } from '../../../src/smtp/server-reader.js';

const b = (text: string) => Buffer.from(text, 'latin1');
const text = (bytes: Buffer) => bytes.toString('latin1');

/** A small deterministic generator, so failures reproduce. */
function* randomContents(count: number): Generator<Buffer> {
  let seed = 0x2545f491;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
  const alphabet = [0x2e, 0x2e, 0x0d, 0x0a, 0x61, 0x20];
  for (let i = 0; i < count; i++) {
    const length = next() % 40;
    yield Buffer.from(Array.from({ length }, () => alphabet[next() % alphabet.length]!));
  }
}

describe('dotStuff / dotUnstuff (RFC 5321 §4.5.2)', () => {
  it.each([
    ['.a\r\nb\r\n.\r\n..c\r\n', '..a\r\nb\r\n..\r\n...c\r\n'],
    ['no dots\r\n', 'no dots\r\n'],
    ['a.b\r\n.', 'a.b\r\n..'],
    // Only CRLF starts a line: a period after a bare LF or CR is left alone by default.
    ['a\n.b\r.c\r\n', 'a\n.b\r.c\r\n'],
  ])('stuffs %j as %j', (input, stuffed) => {
    expect(text(dotStuff(b(input)))).toBe(stuffed);
    expect(text(dotUnstuff(b(stuffed)))).toBe(input);
  });

  it('also stuffs after bare terminators when asked, for lenient servers', () => {
    expect(text(dotStuff(b('a\n.b\r.c\r\n.d'), { afterBareTerminators: true }))).toBe('a\n..b\r..c\r\n..d');
  });

  it('round-trips any content', () => {
    for (const content of randomContents(2000)) {
      expect(dotUnstuff(dotStuff(content))).toEqual(content);
    }
  });

  it('never lets content end the DATA early: the server reader gets back exactly what was stuffed', () => {
    for (const raw of randomContents(2000)) {
      // A client ends the content with CRLF before the indicator (RFC 5321 §4.1.1.4).
      const content = raw.length === 0 || text(raw).endsWith('\r\n') ? raw : Buffer.concat([raw, b('\r\n')]);
      const reader = new ServerReader();
      reader.startData();
      reader.feed(Buffer.concat([dotStuff(content), b('.\r\nNOOP\r\n')]));
      const chunks: Buffer[] = [];
      let item = reader.next();
      for (; item?.type === 'data'; item = reader.next()) chunks.push(item.bytes);
      expect(item?.type).toBe('data-end');
      expect(dotUnstuff(Buffer.concat(chunks))).toEqual(content);
      expect(reader.next()).toMatchObject({ type: 'line', terminator: 'crlf' });
    }
  });
});
