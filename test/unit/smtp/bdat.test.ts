import { describe, expect, it } from 'vitest';
import { bdatCommand, chunkBytes, parseChunkSizes, splitChunks } from '../../../src/smtp/bdat.js';

const b = (text: string) => Buffer.from(text, 'latin1');
const shape = (chunks: ReturnType<typeof splitChunks>) => chunks.map((c) => [bdatCommand(c), c.bytes.toString('latin1')]);

describe('splitChunks (RFC 3030)', () => {
  it('the whole message in one BDAT LAST; an empty one is BDAT 0 LAST', () => {
    expect(shape(splitChunks(b('a\r\n.\r\n'), { kind: 'whole' }))).toEqual([['BDAT 6 LAST', 'a\r\n.\r\n']]);
    expect(shape(splitChunks(b(''), { kind: 'whole' }))).toEqual([['BDAT 0 LAST', '']]);
  });

  it('chunks of a size, the last one shorter', () => {
    expect(shape(splitChunks(b('abcdefg'), { kind: 'size', size: 3 }))).toEqual([['BDAT 3', 'abc'], ['BDAT 3', 'def'], ['BDAT 1 LAST', 'g']]);
  });

  it('sizes in order, what remains in one more chunk; an exact sum ends at the last size', () => {
    expect(shape(splitChunks(b('abcdefgh'), { kind: 'sizes', sizes: [2, 0, 3] }))).toEqual([['BDAT 2', 'ab'], ['BDAT 0', ''], ['BDAT 3', 'cde'], ['BDAT 3 LAST', 'fgh']]);
    expect(shape(splitChunks(b('abc'), { kind: 'sizes', sizes: [1, 2] }))).toEqual([['BDAT 1', 'a'], ['BDAT 2 LAST', 'bc']]);
  });

  it('sizes adding up to more than the message are an input error naming both', () => {
    expect(() => splitChunks(b('abc'), { kind: 'sizes', sizes: [2, 2] })).toThrow('--chunks 2,2 adds up to 4 octets, but the message is 3');
  });

  it('a chunk goes out as its command, the line end, then its bytes exactly', () => {
    const [chunk] = splitChunks(b('x\n.\n'), { kind: 'whole' });
    expect(chunkBytes(chunk!).toString('latin1')).toBe('BDAT 4 LAST\r\nx\n.\n');
    expect(chunkBytes(chunk!, b('\n')).toString('latin1')).toBe('BDAT 4 LAST\nx\n.\n');
  });
});

describe('parseChunkSizes', () => {
  it('reads a comma list and refuses anything else', () => {
    expect(parseChunkSizes('100, 7,1')).toEqual([100, 7, 1]);
    expect(() => parseChunkSizes('100,-7')).toThrow('--chunks 100,-7: give sizes in octets separated by commas');
    expect(() => parseChunkSizes('')).toThrow('give sizes');
  });
});
