import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '../../../src/smtp/capabilities.js';
import {
  checkEnvelopeRequest,
  envelopeLines,
  extensionFor,
  orcptValue,
  parseNotify,
  parseRawParam,
  xtextDecode,
  xtextEncode,
  type EnvelopeRequest,
} from '../../../src/smtp/envelope-params.js';

const caps = (...lines: string[]) => parseCapabilities({ lines: ['mx.test hello', ...lines] });
const request = (extra: Partial<EnvelopeRequest> = {}): EnvelopeRequest => ({ mailParams: [], rcptParams: [], force: false, ...extra });

describe('xtext (RFC 3461 §4)', () => {
  it.each([
    ['plain', 'plain'],
    ['a+b=c', 'a+2Bb+3Dc'],
    ['with space', 'with+20space'],
    ['tab\tand\r\n', 'tab+09and+0D+0A'],
    ['ü', '+C3+BC'],
    ['~!', '~!'],
  ])('%j ⇄ %j', (text, encoded) => {
    expect(xtextEncode(text)).toBe(encoded);
    expect(xtextDecode(encoded)).toBe(text);
  });

  it('rejects what is not xtext: a lone "+", lower-case hex, "=" or a space', () => {
    for (const bad of ['a+', 'a+2b', 'a=b', 'a b', '+G0']) expect(xtextDecode(bad)).toBeUndefined();
  });
});

describe('parameters and their extensions', () => {
  it.each([
    ['SIZE', '100', 'SIZE'],
    ['BODY', '8BITMIME', '8BITMIME'],
    ['BODY', '7BIT', '8BITMIME'],
    ['body', 'binarymime', 'BINARYMIME'],
    ['RET', 'FULL', 'DSN'],
    ['ENVID', 'x', 'DSN'],
    ['NOTIFY', 'NEVER', 'DSN'],
    ['ORCPT', 'rfc822;a@b', 'DSN'],
    ['SMTPUTF8', undefined, 'SMTPUTF8'],
    ['REQUIRETLS', undefined, 'REQUIRETLS'],
    ['HOLDFOR', '60', 'FUTURERELEASE'],
    ['XSOMETHING', 'v', 'XSOMETHING'],
  ])('%s=%s needs %s', (keyword, value, extension) => {
    expect(extensionFor(keyword, value)).toBe(extension);
  });

  it('raw parameters follow RFC 5321 §4.1.2', () => {
    expect(parseRawParam('x-foo=bar', '--mail-param')).toMatchObject({ keyword: 'X-FOO', value: 'bar', extension: 'X-FOO' });
    expect(() => parseRawParam('A B', '--mail-param')).toThrow(/keyword/);
    expect(() => parseRawParam('A=b c', '--mail-param')).toThrow(/printable ASCII/);
    expect(() => parseRawParam('A=b=c', '--rcpt-param')).toThrow(/--rcpt-param/);
    expect(() => parseRawParam('=x', '--mail-param')).toThrow(/keyword/);
  });

  it('NOTIFY is NEVER alone or a list of SUCCESS, FAILURE, DELAY (RFC 3461 §4.1)', () => {
    expect(parseNotify('success,failure')).toBe('SUCCESS,FAILURE');
    expect(parseNotify('never')).toBe('NEVER');
    expect(() => parseNotify('NEVER,SUCCESS')).toThrow(/RFC 3461/);
    expect(() => parseNotify('SOMETIMES')).toThrow(/RFC 3461/);
    expect(() => parseNotify('DELAY,DELAY')).toThrow(/RFC 3461/);
  });

  it('ORCPT is addr-type;xtext, rfc822 unless the user names a type', () => {
    expect(orcptValue('a+b@example.org')).toBe('rfc822;a+2Bb@example.org');
    expect(orcptValue('utf-8;jö@example.org')).toBe('utf-8;j+C3+B6@example.org');
  });
});

describe('envelopeLines', () => {
  const all = caps('SIZE 1000000', '8BITMIME', 'DSN', 'SMTPUTF8', 'REQUIRETLS', 'PIPELINING');

  it('without a request, the plain commands as before (no SIZE even where offered)', () => {
    expect(envelopeLines(undefined, 'a@b', ['c@d'], all, 300)).toEqual({ mail: 'MAIL FROM:<a@b>', rcpt: ['RCPT TO:<c@d>'] });
  });

  it('SIZE is automatic where advertised, and a user SIZE replaces it (one SIZE)', () => {
    expect(envelopeLines(request(), 'a@b', ['c@d'], all, 300).mail).toBe('MAIL FROM:<a@b> SIZE=300');
    expect(envelopeLines(request(), 'a@b', ['c@d'], caps('8BITMIME'), 300).mail).toBe('MAIL FROM:<a@b>');
    expect(envelopeLines(request({ mailParams: ['SIZE=5'] }), 'a@b', ['c@d'], all, 300).mail).toBe('MAIL FROM:<a@b> SIZE=5');
  });

  it('named parameters, each on its command, per-recipient ORCPT in --to order', () => {
    const lines = envelopeLines(
      request({ bodyType: '8BITMIME', smtputf8: true, dsnRet: 'HDRS', dsnEnvid: 'id 1', dsnNotify: 'failure,delay', dsnOrcpt: ['x@y', 'z@w'], requireTls: true, rcptParams: ['X-A=1'] }),
      'a@b',
      ['c@d', 'é@f'],
      caps('8BITMIME', 'DSN', 'SMTPUTF8', 'REQUIRETLS', 'X-A'),
      300,
    );
    expect(lines.mail).toBe('MAIL FROM:<a@b> BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+201 REQUIRETLS');
    expect(lines.rcpt[0]).toBe('RCPT TO:<c@d> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@y X-A=1');
    // A UTF-8 address goes out as UTF-8 octets (RFC 6531 §3.2), written as latin1 characters.
    expect(Buffer.from(lines.rcpt[1]!, 'latin1').toString('utf8')).toBe('RCPT TO:<é@f> NOTIFY=FAILURE,DELAY ORCPT=rfc822;z@w X-A=1');
  });

  it('a parameter whose extension is not advertised stops the transaction with a one-line note', () => {
    expect(() => envelopeLines(request({ dsnRet: 'FULL' }), 'a@b', ['c@d'], caps('8BITMIME'), 1)).toThrow(
      'MAIL parameter RET=FULL (--dsn-ret): the server did not advertise DSN, so the transaction was not started (--force-param sends it anyway)',
    );
    expect(() => envelopeLines(request({ dsnNotify: 'never' }), 'a@b', ['c@d'], caps('8BITMIME'), 1)).toThrow(/^RCPT parameter NOTIFY=NEVER \(--dsn-notify\): the server did not advertise DSN/);
    expect(() => envelopeLines(request({ mailParams: ['X-NEW=1', 'X-OTHER'] }), 'a@b', ['c@d'], caps(), 1)).toThrow(/X-NEW=1 \(--mail-param\) \(and 1 more\)/);
  });

  it('BODY=BINARYMIME needs BINARYMIME advertised and BDAT, not DATA (RFC 3030 §3)', () => {
    const binary = request({ bodyType: 'BINARYMIME' });
    expect(() => envelopeLines(binary, 'a@b', ['c@d'], caps('8BITMIME'), 1)).toThrow(/did not advertise BINARYMIME/);
    expect(() => envelopeLines(binary, 'a@b', ['c@d'], caps('BINARYMIME', 'CHUNKING'), 1)).toThrow(/goes only with BDAT/);
    expect(envelopeLines(binary, 'a@b', ['c@d'], caps('BINARYMIME', 'CHUNKING'), 1, 'BDAT').mail).toBe('MAIL FROM:<a@b> BODY=BINARYMIME');
  });

  it('--force-param sends what was not advertised', () => {
    expect(envelopeLines(request({ dsnRet: 'FULL', requireTls: true, force: true }), 'a@b', ['c@d'], caps(), 1).mail).toBe('MAIL FROM:<a@b> RET=FULL REQUIRETLS');
  });
});

describe('checkEnvelopeRequest (before connecting)', () => {
  it('a UTF-8 address needs --smtputf8 (or --force-param)', () => {
    expect(() => checkEnvelopeRequest(request(), 'jö@b', ['c@d'])).toThrow('<jö@b> is not ASCII: a UTF-8 address goes only with --smtputf8 (RFC 6531 §3.4)');
    expect(() => checkEnvelopeRequest(request({ smtputf8: true }), 'jö@b', ['c@d'])).not.toThrow();
    expect(() => checkEnvelopeRequest(request({ force: true }), 'a@b', ['jö@d'])).not.toThrow();
  });

  it('one --dsn-orcpt per recipient, ENVID at most 100 characters once encoded', () => {
    expect(() => checkEnvelopeRequest(request({ dsnOrcpt: ['x@y'] }), 'a@b', ['c@d', 'e@f'])).toThrow(/one per recipient/);
    expect(() => checkEnvelopeRequest(request({ dsnEnvid: ' '.repeat(34) }), 'a@b', ['c@d'])).toThrow(/102 characters/);
    expect(() => checkEnvelopeRequest(request({ dsnEnvid: 'x'.repeat(100) }), 'a@b', ['c@d'])).not.toThrow();
  });
});
