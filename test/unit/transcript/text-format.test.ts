import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { plainTextLine, TextTranscriptFormatter } from '../../../src/transcript/text-format.js';

const recv = (data: string, tls = false): SessionEvent => ({ type: 'recv', t: 0, tls, data: Buffer.from(data, 'latin1') });
const send = (data: string, tls = false, redacted = false): SessionEvent => ({ type: 'send', t: 0, tls, data: Buffer.from(data, 'latin1'), ...(redacted ? { redacted } : {}) });

function render(events: SessionEvent[]): string[] {
  const f = new TextTranscriptFormatter();
  return [...events.flatMap((e) => f.format(e)), ...f.flushAll()].map(plainTextLine);
}

describe('TextTranscriptFormatter', () => {
  it('uses swaks markers, plain and inside TLS, and shows terminators', () => {
    expect(render([recv('220 hi\r\n'), send('EHLO x\r\n'), recv('250 ok\r\n', true), send('QUIT\n', true)])).toEqual([
      '<-  220 hi␍␊',
      ' -> EHLO x␍␊',
      '<~  250 ok␍␊',
      ' ~> QUIT␊',
    ]);
  });

  it('joins chunks into lines and keeps a bare CR inside its line', () => {
    expect(render([send('Date: Fri\rFrom: a'), send('@b\r\n')])).toEqual([' -> Date: Fri␍From: a@b␍␊']);
  });

  it('shows a partial line when the direction changes or the stream ends', () => {
    expect(render([send('MAIL FROM:<a>'), recv('250 ok\r\n'), recv('221 by')])).toEqual([
      ' -> MAIL FROM:<a> (no line end)',
      '<-  250 ok␍␊',
      '<-  221 by (no line end)',
    ]);
  });

  it('marks redacted secrets and explains negative enhanced codes', () => {
    const lines = render([
      send('AUTH PLAIN [redacted]\r\n', true, true),
      recv('535 5.7.8 Authentication failed\r\n', true),
      { type: 'reply', t: 0, tls: true, code: 535, lines: ['5.7.8 Authentication failed'], enhanced: '5.7.8' },
      { type: 'close', t: 0, tls: true, by: 'peer', reason: 'server closed the connection after 535 5.7.8 Authentication failed' },
    ]);
    expect(lines).toEqual([
      ' ~> AUTH PLAIN [redacted]␍␊ (secret redacted)',
      '<~  535 5.7.8 Authentication failed␍␊',
      '=== 5.7.8: permanent failure: authentication credentials invalid',
      '=== connection closed (by the server): server closed the connection after 535 5.7.8 Authentication failed',
    ]);
  });

  it('decodes 334 challenges and flags one that is not base64', () => {
    const reply = (text: string): SessionEvent => ({ type: 'reply', t: 0, tls: true, code: 334, lines: [text] });
    expect(render([reply('VXNlcm5hbWU6'), reply('Password:')])).toEqual([
      '=== 334 challenge decoded: "Username:"',
      '*** 334 challenge is not base64 (RFC 4954 §4): "Password:"',
    ]);
  });

  it('prefixes proxy events with the connection and leg', () => {
    expect(render([{ type: 'recv', t: 0, tls: false, conn: 3, leg: 'upstream', data: Buffer.from('220 x\r\n') }])).toEqual(['[#3 upstream] <-  220 x␍␊']);
  });
});
