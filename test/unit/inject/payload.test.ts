import { describe, expect, it } from 'vitest';
import { dataPayload, describeVariant, headerLineIndexes, lineTerminators, messageWithEnd } from '../../../src/inject/payload.js';
import { parseEod, standardEndOfData } from '../../../src/smtp/eod.js';

const lines = (...text: string[]) => text.map((t) => Buffer.from(t, 'latin1'));
const message = lines('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', 'From: "Example Name" <example@example.com>', 'Subject: hi', '', '.leading dot', 'last');
const s = (b: Buffer) => b.toString('latin1');

describe('lineTerminators and --term-after', () => {
  it('--term applies to every line', () => {
    expect(lineTerminators(message, { term: 'cr' }).map(s)).toEqual(Array(6).fill('\r'));
  });

  it('--term-after Date: the Date line only, CRLF elsewhere (incident 1)', () => {
    expect(lineTerminators(message, { term: 'cr', termAfter: 'date' }).map(s)).toEqual(['\r', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n']);
  });

  it('looks only at the header, and fails clearly when the field is absent', () => {
    expect(headerLineIndexes(lines('A: 1', '', 'Date: in the body'), 'Date')).toEqual([]);
    expect(() => lineTerminators(message, { term: 'lf', termAfter: 'Received' })).toThrow(/--term-after Received: the message has no Received header field/);
  });
});

describe('messageWithEnd', () => {
  it('dot-stuffs (RFC 5321 §4.5.2) and lets the end of data carry the last line end (§4.1.1.4)', () => {
    const bytes = messageWithEnd(lines('a', '.b', '..c', 'd'), { term: 'crlf', dotStuff: true, eod: standardEndOfData });
    expect(s(bytes)).toBe('a\r\n..b\r\n...c\r\nd\r\n.\r\n');
  });

  it('--no-dot-stuff sends lines as they are', () => {
    const bytes = messageWithEnd(lines('a', '.b'), { term: 'crlf', dotStuff: false, eod: standardEndOfData });
    expect(s(bytes)).toBe('a\r\n.b\r\n.\r\n');
  });

  it('stuffs lines after bare terminators too, since it knows where lines start', () => {
    expect(s(messageWithEnd(lines('a', '.b', 'c'), { term: 'lf', dotStuff: true, eod: standardEndOfData }))).toBe('a\n..b\nc\r\n.\r\n');
  });

  it.each([
    ['crlf', 'cr', 'Date: x\rSubject: y\r\rbody\r\n.\r\n'],
    ['crlf', 'lf', 'Date: x\nSubject: y\n\nbody\r\n.\r\n'],
    ['lf', 'lf', 'Date: x\nSubject: y\n\nbody\n.\n'],
    ['cr', 'crlf', 'Date: x\r\nSubject: y\r\n\r\nbody\r.\r'],
    ['nul-before', 'crlf', 'Date: x\r\nSubject: y\r\n\r\nbody\r\n\0.\r\n'],
  ])('--eod %s with --term %s', (eod, term, expected) => {
    const bytes = messageWithEnd(lines('Date: x', 'Subject: y', '', 'body'), { term: term as 'crlf', dotStuff: true, eod: parseEod(eod) });
    expect(s(bytes)).toBe(expected);
  });

  it('an escaped end that does not start with a line end keeps the last line end', () => {
    expect(s(messageWithEnd(lines('a'), { term: 'crlf', dotStuff: true, eod: parseEod('.\\r\\n') }))).toBe('a\r\n.\r\n');
  });
});

describe('dataPayload', () => {
  it('the standard end alone for --eod crlf', () => {
    expect(s(dataPayload(lines('a'), { term: 'crlf', dotStuff: true, eod: standardEndOfData }))).toBe('a\r\n.\r\n');
  });

  it('after a non-standard end, the standard one follows', () => {
    expect(s(dataPayload(lines('a'), { term: 'crlf', dotStuff: true, eod: parseEod('lf') }))).toBe('a\n.\n\r\n.\r\n');
  });

  it('--smuggle writes a whole second transaction behind the fake end, commands with CRLF', () => {
    const bytes = dataPayload(lines('a'), { term: 'crlf', dotStuff: true, eod: parseEod('lf') }, { from: 'x@y', to: ['p@q', 'r@s'], lines: lines('Subject: s', '', '.z') });
    expect(s(bytes)).toBe('a\n.\nMAIL FROM:<x@y>\r\nRCPT TO:<p@q>\r\nRCPT TO:<r@s>\r\nDATA\r\nSubject: s\r\n\r\n..z\r\n.\r\n');
  });
});

describe('describeVariant', () => {
  it.each([
    [{ term: 'cr' as const }, 'lines ended by CR'],
    [{ term: 'lf' as const, termAfter: 'Date' }, 'Date line ended by LF, the others by CRLF'],
    [{ term: 'crlf' as const, eod: parseEod('lf') }, 'lines ended by CRLF, end of data lf (\\n.\\n)'],
    [{ term: 'crlf' as const, eod: parseEod('\\n.\\r\\n') }, 'lines ended by CRLF, end of data \\n.\\r\\n'],
  ])('%j', (variant, text) => {
    expect(describeVariant(variant)).toBe(text);
  });
});
