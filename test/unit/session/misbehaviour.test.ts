import { describe, expect, it } from 'vitest';
import { clientHello } from '../../../src/net/client-hello.js';
import { parseStage, parseStalls } from '../../../src/session/misbehaviour.js';

describe('--close-after and --stall-after stages', () => {
  it('parses stages, case-insensitively', () => {
    expect(parseStage('Mid-Data', '--close-after')).toBe('mid-data');
    expect([...parseStalls(['rcpt=10', 'DATA-START=0'])]).toEqual([['rcpt', 10], ['data-start', 0]]);
  });

  it.each([
    [['quit=1'], /expected one of/],
    [['rcpt=-1'], /expected STAGE=MS/],
    [['rcpt=86400001'], /at most 86400000 ms/],
    [['rcpt=1', 'rcpt=2'], /given twice/],
  ])('%j is a usage error', (values, message) => {
    expect(() => parseStalls(values)).toThrow(message);
  });
});

describe('clientHello', () => {
  it('is one TLS handshake record holding a ClientHello, with the SNI and within the versions asked for', async () => {
    const hello = await clientHello({ servername: 'mx.example.test', verifyName: 'mx.example.test', maxVersion: 'TLSv1.2' });
    expect(hello[0]).toBe(0x16);
    expect(hello.readUInt16BE(3) + 5).toBe(hello.length);
    expect(hello[5]).toBe(0x01);
    // client_version of a TLS 1.2 ClientHello: 3.3.
    expect([hello[9], hello[10]]).toEqual([0x03, 0x03]);
    expect(hello.includes(Buffer.from('mx.example.test'))).toBe(true);
  });

  it('without a name (an IP address target) sends no SNI', async () => {
    const hello = await clientHello({ servername: null, verifyName: '127.0.0.1' });
    expect(hello[5]).toBe(0x01);
    expect(hello.includes(Buffer.from('127.0.0.1'))).toBe(false);
  });
});
