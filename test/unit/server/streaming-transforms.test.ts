/**
 * The DATA transforms that run chunk by chunk while a message arrives (dot-unstuffing, then
 * mboxrd quoting) must give exactly what the whole-message versions give, wherever the
 * chunks are cut: every input is fed split at every offset, and in random pieces.
 */
import { describe, expect, it } from 'vitest';
import { dotUnstuff } from '../../../src/smtp/dot-stuffing.js';
import { DotUnstuffer } from '../../../src/server/dot-unstuffer.js';
import { MboxrdQuoter } from '../../../src/server/mboxrd.js';
import { cut, prng } from '../mbox/helpers.js';

const b = (text: string) => Buffer.from(text, 'latin1');

/** mboxrd quoting as its definition says: one more '>' on every LF-delimited line matching /^>*From /. */
function quoteReference(data: Buffer): string {
  return data.toString('latin1').replace(/(^|\n)(>*From )/g, '$1>$2');
}

const asBuffer = (piece: Uint8Array) => Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);

function unstuffInPieces(pieces: Uint8Array[]): Buffer {
  const unstuffer = new DotUnstuffer();
  return Buffer.concat(pieces.flatMap((piece) => unstuffer.push(asBuffer(piece))));
}

function quoteInPieces(pieces: Uint8Array[]): Buffer {
  const quoter = new MboxrdQuoter();
  return Buffer.concat([...pieces.flatMap((piece) => quoter.push(asBuffer(piece))), ...quoter.end()]);
}

function* randomContents(count: number, alphabet: string): Generator<Buffer> {
  const random = prng(0x2545f491);
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * 48);
    yield Buffer.from(Array.from({ length }, () => alphabet.charCodeAt(Math.floor(random() * alphabet.length))));
  }
}

/** Random sorted offsets into `input`, at most `most` of them. */
function randomCuts(random: () => number, input: Buffer, most: number): number[] {
  return Array.from({ length: Math.floor(random() * (most + 1)) }, () => Math.floor(random() * (input.length + 1))).sort((x, y) => x - y);
}

const unstuffCases = ['.a\r\nb\r\n..\r\n...c\r\n', '..\r\n.', 'a.b\r\n.', 'a\n.b\r.c\r\n.d', '\r\n.\r\n.\r\n', '.', '\r', '\r\n', '\r\n.x'];
const quoteCases = [
  'From a\nFrom b\r\n>From c\n>>From d\nnot From e\n',
  'From ',
  'From',
  'Fro\nFrom x',
  '>>>>',
  '>>>From \n>\nFrom\n',
  'x\nFromage\n>Fro\n',
  '\nFrom \n\n',
];

describe('DotUnstuffer (RFC 5321 §4.5.2, fed in chunks)', () => {
  it.each(unstuffCases)('unstuffs %j like the whole-message version at every split and every pair of splits', (text) => {
    const input = b(text);
    const expected = dotUnstuff(input);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) expect(unstuffInPieces(cut(input, [i, j]))).toEqual(expected);
    }
  });

  it('unstuffs random content in random pieces like the whole-message version', () => {
    const random = prng(7);
    for (const content of randomContents(3000, '..\r\na ')) {
      expect(unstuffInPieces(cut(content, randomCuts(random, content, 4)))).toEqual(dotUnstuff(content));
    }
  });

  it('gives views of its input, never copies', () => {
    const input = b('..a\r\n..b\r\n');
    const out = new DotUnstuffer().push(input);
    expect(out.map((piece) => piece.buffer === input.buffer)).toEqual([true, true]);
    expect(Buffer.concat(out).toString()).toBe('.a\r\n.b\r\n');
  });
});

describe('MboxrdQuoter (mboxrd >From quoting, fed in chunks)', () => {
  it.each(quoteCases)('quotes %j like the definition at every split and every pair of splits', (text) => {
    const input = b(text);
    const expected = quoteReference(input);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) expect(quoteInPieces(cut(input, [i, j])).toString('latin1')).toBe(expected);
    }
  });

  it('quotes random content in random pieces like the definition', () => {
    const random = prng(11);
    for (const content of randomContents(3000, 'From >\n\rx')) {
      expect(quoteInPieces(cut(content, randomCuts(random, content, 5))).toString('latin1')).toBe(quoteReference(content));
    }
  });

  it('holds back at most the octets of a possible "From ", however long the run of ">" before it', () => {
    const quoter = new MboxrdQuoter();
    const run = b('>'.repeat(100_000));
    expect(Buffer.concat(quoter.push(run)).length).toBe(run.length);
    expect(Buffer.concat(quoter.push(b('Fro'))).length).toBe(0);
    expect(Buffer.concat([...quoter.push(b('m x\n')), ...quoter.end()]).toString()).toBe('>From x\n');
  });
});
