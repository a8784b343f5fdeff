import { describe, expect, it } from 'vitest';
import { parseCapabilities } from '../../../src/smtp/capabilities.js';
import { encodeAttribute, parseProxyAttribute, proxyCommands, proxyRefusal } from '../../../src/smtp/xclient.js';

const caps = (...lines: string[]) => parseCapabilities({ lines: ['mx.test hello', ...lines] });

describe('XCLIENT and XFORWARD attributes', () => {
  it('parses NAME=VALUE (name upper-cased, value kept whole) and refuses anything else', () => {
    expect(parseProxyAttribute('addr=192.0.2.1', '--xclient')).toEqual({ name: 'ADDR', value: '192.0.2.1' });
    expect(parseProxyAttribute('HELO=a=b', '--xclient')).toEqual({ name: 'HELO', value: 'a=b' });
    expect(() => parseProxyAttribute('ADDR', '--xclient')).toThrow('--xclient "ADDR": give NAME=VALUE (e.g. ADDR=192.0.2.1)');
    expect(() => parseProxyAttribute('A-B=1', '--xforward')).toThrow(/letters only/);
  });

  it('xtext-encodes values, but sends [UNAVAILABLE] and [TEMPUNAVAIL] as Postfix defines them', () => {
    expect(encodeAttribute({ name: 'HELO', value: 'bad helo+x' })).toBe('HELO=bad+20helo+2Bx');
    expect(encodeAttribute({ name: 'NAME', value: '[unavailable]' })).toBe('NAME=[UNAVAILABLE]');
    expect(encodeAttribute({ name: 'NAME', value: '[TEMPUNAVAIL]' })).toBe('NAME=[TEMPUNAVAIL]');
  });

  it('checks the verb and every attribute against the EHLO keyword', () => {
    const offered = caps('XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT', 'XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT');
    expect(proxyRefusal('XCLIENT', [{ name: 'ADDR', value: '1' }], offered)).toBeUndefined();
    expect(proxyRefusal('XCLIENT', [{ name: 'IDENT', value: '1' }], offered)).toBe(
      "--xclient: the server's XCLIENT does not take IDENT (it lists NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT); nothing was sent",
    );
    expect(proxyRefusal('XFORWARD', [{ name: 'ADDR', value: '1' }], caps('PIPELINING'))).toMatch(/^--xforward: the server does not advertise XFORWARD to this client .*smtpd_authorized_xforward_hosts/);
  });

  it('splits into several commands so that none exceeds the 512-character line', () => {
    const long = 'h'.repeat(255);
    const lines = proxyCommands('XCLIENT', [{ name: 'NAME', value: long }, { name: 'HELO', value: long }, { name: 'ADDR', value: '192.0.2.1' }]);
    expect(lines).toEqual([`XCLIENT NAME=${long}`, `XCLIENT HELO=${long} ADDR=192.0.2.1`]);
    for (const line of lines) expect(line.length + 2).toBeLessThanOrEqual(512);
    expect(proxyCommands('XFORWARD', [{ name: 'NAME', value: 'a' }, { name: 'ADDR', value: 'b' }])).toEqual(['XFORWARD NAME=a ADDR=b']);
  });
});
