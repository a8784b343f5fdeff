import { describe, expect, it } from 'vitest';
import { endOfData, eodNames, namedEods, nonStandardEods, parseEod, STANDARD_EOD } from '../../../src/smtp/eod.js';

describe('the end-of-data table', () => {
  // The end-of-data table the README gives, byte for byte.
  it.each([
    ['crlf', '\r\n.\r\n'],
    ['lf', '\n.\n'],
    ['cr', '\r.\r'],
    ['cr-lf', '\r.\n'],
    ['lf-cr', '\n.\r'],
    ['lf-crlf', '\n.\r\n'],
    ['crlf-lf', '\r\n.\n'],
    ['cr-crlf', '\r.\r\n'],
    ['crlf-cr', '\r\n.\r'],
    ['nul-before', '\r\n\0.\r\n'],
    ['nul-after', '\r\n.\0\r\n'],
    ['crlf-crcrlf', '\r\n.\r\r\n'],
    ['crcrlf', '\r\r\n.\r\r\n'],
  ])('%s is %j', (name, bytes) => {
    const eod = parseEod(name);
    expect(eod.bytes.toString('latin1')).toBe(bytes);
    expect(eod.name).toBe(name);
    expect(eod.standard).toBe(name === 'crlf');
  });

  it('has exactly the 13 named variants', () => {
    expect(eodNames).toHaveLength(13);
    expect(Object.values(namedEods).every((v) => v.includes('.'))).toBe(true);
  });

  it('names are case-insensitive', () => {
    expect(parseEod('CRLF-LF').name).toBe('crlf-lf');
  });

  it.each([
    ['\\n.\\r\\n', '\n.\r\n', '\\n.\\r\\n'],
    ['\\r\\n.\\x00\\r\\n', '\r\n.\0\r\n', '\\r\\n.\\0\\r\\n'],
  ])('escaped %s gives the bytes', (text, bytes, name) => {
    const eod = parseEod(text);
    expect(eod.bytes.toString('latin1')).toBe(bytes);
    expect(eod.name).toBe(name);
  });

  it('an escaped standard end is standard', () => {
    expect(parseEod('\\r\\n.\\r\\n').standard).toBe(true);
  });

  it.each([
    ['\\q', /unknown escape/],
    ['\\r\\n\\r\\n', /needs a "\."/],
  ])('%s is a usage error', (text, message) => {
    expect(() => parseEod(text)).toThrow(message);
  });

  // A compliant relay dot-stuffs a "." that begins a line (after CRLF, RFC 5321 §4.5.2),
  // so such a variant never reaches the next server unchanged.
  it.each([
    ['lf', true],
    ['cr', true],
    ['cr-lf', true],
    ['lf-cr', true],
    ['lf-crlf', true],
    ['cr-crlf', true],
    ['nul-before', true],
    ['crlf-lf', false],
    ['crlf-cr', false],
    ['nul-after', false],
    ['crlf-crcrlf', false],
    ['crcrlf', false],
    ['crlf', false],
  ])('%s producible through a relay: %s', (name, producible) => {
    expect(parseEod(name).producibleThroughRelay).toBe(producible);
  });

  it('--eod all is every variant but the standard one, in table order', () => {
    expect(nonStandardEods().map((e) => e.name)).toEqual(eodNames.filter((n) => n !== 'crlf'));
    expect(endOfData('x', STANDARD_EOD).standard).toBe(true);
  });
});
