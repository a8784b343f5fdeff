import { describe, expect, it } from 'vitest';
import { redactAuthLine } from '../../../src/proxy/auth-secrets.js';
import { rewriteEhloReply } from '../../../src/proxy/ehlo-rewrite.js';

const ehlo = (...lines: string[]) => ({ code: 250, lines });
const text = (bytes: Buffer) => bytes.toString('latin1');

describe('rewriteEhloReply', () => {
  it.each([
    ['plain client leg, upstream over TLS (no STARTTLS left): STARTTLS is added', ehlo('mx hi', 'PIPELINING', 'AUTH PLAIN'), false, '250-mx hi\r\n250-PIPELINING\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n'],
    ['plain client leg, upstream already offers it: unchanged', ehlo('mx hi', 'STARTTLS', 'SIZE 10'), false, '250-mx hi\r\n250-STARTTLS\r\n250 SIZE 10\r\n'],
    ['TLS client leg: STARTTLS removed (RFC 3207 §4.2)', ehlo('mx hi', 'starttls', 'SIZE 10'), true, '250-mx hi\r\n250 SIZE 10\r\n'],
    ['single-line reply becomes multi-line', ehlo('mx'), false, '250-mx\r\n250 STARTTLS\r\n'],
    ['CHUNKING and BINARYMIME passed on (the proxy relays BDAT)', ehlo('mx', 'CHUNKING', 'BINARYMIME', '8BITMIME'), true, '250-mx\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n'],
  ])('%s', (_name, reply, clientTls, expected) => {
    expect(text(rewriteEhloReply(reply, clientTls).bytes)).toBe(expected);
  });

  it('says what it changed, and nothing when nothing changed', () => {
    expect(rewriteEhloReply(ehlo('mx', 'STARTTLS'), false).changes).toEqual([]);
    expect(rewriteEhloReply(ehlo('mx', 'STARTTLS', 'CHUNKING'), true).changes).toEqual([
      'STARTTLS removed (TLS with the client is already active)',
    ]);
  });
});

describe('redactAuthLine', () => {
  const crlf = Buffer.from('\r\n');
  const line = (s: string) => Buffer.from(s, 'latin1');
  it.each([
    ['AUTH PLAIN with an initial response', 'AUTH PLAIN AGFsaWNlAHMzY3JldA==', false, 'AUTH PLAIN <redacted>\r\n'],
    ['lower-case verb', 'auth login YWxpY2U=', false, 'auth login <redacted>\r\n'],
    ['AUTH LOGIN without a response: nothing secret yet', 'AUTH LOGIN', false, undefined],
    ['a line inside the exchange (after 334)', 'czNjcmV0', true, '<redacted>\r\n'],
    ['an ordinary command', 'MAIL FROM:<a@b>', false, undefined],
  ])('%s', (_name, input, inExchange, expected) => {
    const shown = redactAuthLine(line(input), crlf, inExchange);
    expect(shown === undefined ? undefined : text(shown)).toBe(expected);
  });

  it('keeps the terminator the client used, so a bare LF stays visible', () => {
    expect(text(redactAuthLine(line('AUTH PLAIN eA=='), Buffer.from('\n'), false)!)).toBe('AUTH PLAIN <redacted>\n');
  });
});
