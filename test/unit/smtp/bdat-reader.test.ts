import { describe, expect, it } from 'vitest';
import { parseBdatArgument } from '../../../src/smtp/bdat-command.js';
import { parseForwardAttributes, XCLIENT_ATTRIBUTES } from '../../../src/smtp/xclient.js';
import { ServerReader } from '../../../src/smtp/server-reader.js';

/**
 * Plays a client's bytes through the reader like the session does: a "BDAT n [LAST]" line
 * makes the next n octets a chunk. Returns the lines and the chunks, in order.
 */
function play(chunks: Buffer[]): { lines: string[]; chunks: string[]; bareLf: number[][] } {
  const reader = new ServerReader();
  const out = { lines: [] as string[], chunks: [] as string[], bareLf: [] as number[][] };
  let content: Buffer[] = [];
  let first = true;
  for (const chunk of chunks) {
    reader.feed(chunk);
    for (let item = reader.next(); item; item = reader.next()) {
      if (item.type === 'line') {
        const text = item.line.toString('latin1');
        out.lines.push(text);
        const bdat = /^BDAT (\d+)( LAST)?$/.exec(text);
        if (bdat) {
          reader.startChunk(Number(bdat[1]), first);
          first = bdat[2] !== undefined;
        }
      } else if (item.type === 'data') {
        content.push(item.bytes);
      } else if (item.type === 'chunk-end') {
        out.chunks.push(Buffer.concat(content).toString('latin1'));
        out.bareLf.push([...item.bareLfLines]);
        content = [];
      }
    }
  }
  return out;
}

const INPUT = 'BDAT 13\r\nab\r\n.\r\nQUIT\r\nBDAT 0\r\nBDAT 4 LAST\r\nx\ny\nNOOP\r\n';

describe('ServerReader chunk mode (RFC 3030 §2)', () => {
  const whole = Buffer.from(INPUT, 'latin1');
  const cases: Array<[string, Buffer[]]> = [['whole', [whole]], ['byte by byte', [...whole].map((b) => Buffer.from([b]))]];
  for (let i = 1; i < whole.length; i++) cases.push([`cut at ${i}`, [whole.subarray(0, i), whole.subarray(i)]]);

  it.each(cases)('reads exactly the announced octets, whatever they hold (%s)', (_name, chunks) => {
    expect(play(chunks)).toEqual({
      lines: ['BDAT 13', 'BDAT 0', 'BDAT 4 LAST', 'NOOP'],
      chunks: ['ab\r\n.\r\nQUIT\r\n', '', 'x\ny\n'],
      // Line accounting runs across the chunks of one message: only CRLF ends a line, so both
      // bare LFs are on its line 4.
      bareLf: [[], [], [4]],
    });
  });

  it('says how many octets of the chunk are still to come', () => {
    const reader = new ServerReader();
    reader.startChunk(10, true);
    reader.feed(Buffer.from('abc'));
    expect(reader.next()).toMatchObject({ type: 'data' });
    expect(reader.chunkRemaining).toBe(7);
    expect(reader.next()).toBeUndefined();
  });
});

describe('parseBdatArgument', () => {
  it.each([
    ['7', { ok: true, size: 7, last: false }],
    ['7 LAST', { ok: true, size: 7, last: true }],
    ['0 last', { ok: true, size: 0, last: true }],
    ['  12\tLAST ', { ok: true, size: 12, last: true }],
    ['7 FIRST', { ok: false, size: 7 }],
    ['7 LAST more', { ok: false, size: 7 }],
    ['ten', { ok: false }],
    ['', { ok: false }],
    ['-1', { ok: false }],
    ['1234567890123456', { ok: false }],
  ])('%j', (argument, expected) => {
    const parsed = parseBdatArgument(argument);
    expect(parsed).toMatchObject(expected);
    if (!('size' in expected)) expect(parsed).not.toHaveProperty('size');
  });
});

describe('XCLIENT / XFORWARD attributes', () => {
  it('refuses a value whose xtext escape is broken (RFC 3461 §4)', () => {
    for (const value of ['a+2', 'a+ZZ', 'a+2b']) expect(parseForwardAttributes(`NAME=${value}`, XCLIENT_ATTRIBUTES)).toMatchObject({ ok: false });
  });

  it('parses NAME=value pairs, names in any case, values decoded; unknown names and missing "=" are refused', () => {
    expect(parseForwardAttributes('name=mail+2Eexample ADDR=192.0.2.1 HELO=[UNAVAILABLE]', XCLIENT_ATTRIBUTES)).toEqual({
      ok: true,
      attributes: { NAME: 'mail.example', ADDR: '192.0.2.1', HELO: '[UNAVAILABLE]' },
    });
    expect(parseForwardAttributes('SOURCE=LOCAL', XCLIENT_ATTRIBUTES)).toMatchObject({ ok: false, reason: 'unknown attribute name "SOURCE"' });
    expect(parseForwardAttributes('ADDR', XCLIENT_ATTRIBUTES)).toMatchObject({ ok: false });
    expect(parseForwardAttributes('', XCLIENT_ATTRIBUTES)).toMatchObject({ ok: false, reason: 'no attributes' });
  });
});
