import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { plainTextLine, TextTranscriptFormatter } from '../../../src/transcript/text-format.js';

const lines = (...events: SessionEvent[]) => {
  const formatter = new TextTranscriptFormatter();
  return [...events.flatMap((e) => formatter.format(e)), ...formatter.flushAll()].map(plainTextLine);
};

describe('text lines of a proxy transcript', () => {
  it('names the side that connected and closed on each leg', () => {
    expect(lines(
      { type: 'connect', t: 0, tls: false, conn: 3, leg: 'client', host: '127.0.0.1', port: 50000 },
      { type: 'connect', t: 1, tls: false, conn: 3, leg: 'upstream', host: 'mx.test', port: 25, remoteAddress: '127.0.0.2' },
      { type: 'close', t: 2, tls: false, conn: 3, leg: 'upstream', by: 'peer', reason: 'after 535' },
      { type: 'close', t: 3, tls: false, conn: 3, leg: 'client', by: 'peer', reason: 'the client closed the connection' },
    )).toEqual([
      '[#3 client] === client connected from 127.0.0.1:50000',
      '[#3 upstream] === connected to mx.test:25 (127.0.0.2)',
      '[#3 upstream] === connection closed (by the server): after 535',
      '[#3 client] === connection closed (by the client): the client closed the connection',
    ]);
  });

  it('does not call a handshake that asked no certificate a failed verification', () => {
    const summary = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', servername: null, alpn: null, chain: [], verified: false, verifyError: null, verifyCode: null };
    expect(lines({ type: 'tls', t: 0, tls: true, conn: 1, leg: 'client', summary })).toEqual([
      '[#1 client] === TLS started: TLSv1.3, TLS_AES_128_GCM_SHA256, no SNI',
      '[#1 client] === no peer certificate (none was asked for)',
    ]);
  });

  it('keeps a partial line whole while another connection’s bytes come in between', () => {
    expect(lines(
      { type: 'recv', t: 0, tls: false, conn: 1, leg: 'client', data: Buffer.from('EHLO o') },
      { type: 'recv', t: 1, tls: false, conn: 2, leg: 'client', data: Buffer.from('EHLO t\r\n') },
      { type: 'recv', t: 2, tls: false, conn: 1, leg: 'client', data: Buffer.from('ne\n') },
      { type: 'send', t: 3, tls: false, conn: 1, leg: 'client', data: Buffer.from('250 o') },
      { type: 'recv', t: 4, tls: false, conn: 1, leg: 'client', data: Buffer.from('QUIT\r\n') },
    )).toEqual([
      '[#2 client] <-  EHLO t␍␊',
      '[#1 client] <-  EHLO one␊',
      // A change of direction on the same connection and leg still ends a partial line.
      '[#1 client]  -> 250 o (no line end)',
      '[#1 client] <-  QUIT␍␊',
    ]);
  });
});
