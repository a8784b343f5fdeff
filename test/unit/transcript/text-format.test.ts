import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/transcript/events.js';
import { DISPLAY_LINE_LIMIT, plainTextLine, TextTranscriptFormatter } from '../../../src/transcript/text-format.js';

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

  describe('a line longer than what one displayed line holds', () => {
    const LIMIT = DISPLAY_LINE_LIMIT;
    const bytes = (n: number, fill = 'a') => Buffer.alloc(n, fill);
    const sendBytes = (data: Buffer, extra: Partial<SessionEvent> = {}): SessionEvent => ({ type: 'send', t: 0, tls: false, data, ...extra }) as SessionEvent;
    /** The line as `render` gives it, fed in chunks of `size`. */
    const inChunks = (data: Buffer, size: number) => {
      const events: SessionEvent[] = [];
      for (let at = 0; at < data.length; at += size) events.push(sendBytes(data.subarray(at, at + size)));
      return render(events);
    };

    it('renders 24 MiB without a line end, sent 4 KiB at a time, in linear time and bounded memory', () => {
      const chunk = bytes(4096);
      const f = new TextTranscriptFormatter();
      const before = process.memoryUsage().arrayBuffers;
      const started = performance.now();
      let lines = 0;
      for (let sent = 0; sent < 24 * 1024 * 1024; sent += chunk.length) lines += f.format(sendBytes(chunk)).length;
      const held = process.memoryUsage().arrayBuffers - before;
      const flushed = f.flushAll().map(plainTextLine);
      // Before: every chunk re-copied the whole held line, 6,144 copies of up to 24 MiB (minutes).
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(held).toBeLessThan(4 * 1024 * 1024);
      expect(lines).toBe(0);
      expect(flushed).toEqual([` -> ${'a'.repeat(LIMIT)}… ${24 * 1024 * 1024 - LIMIT} more octets (no line end)`]);
    });

    it('shows the first octets, counts the rest, then the terminator as received', () => {
      expect(inChunks(Buffer.concat([bytes(LIMIT + 10), Buffer.from('\r\n')]), 1000)).toEqual([` -> ${'a'.repeat(LIMIT)}… 10 more octets␍␊`]);
      expect(inChunks(Buffer.concat([bytes(LIMIT + 10), Buffer.from('\n')]), 1000)).toEqual([` -> ${'a'.repeat(LIMIT)}… 10 more octets␊`]);
      // A bare CR among the shown octets is still flagged.
      expect(inChunks(Buffer.concat([Buffer.from('x\ry'), bytes(LIMIT), Buffer.from('\r\n')]), 999)).toEqual([` -> x␍y${'a'.repeat(LIMIT - 3)}… 3 more octets␍␊`]);
    });

    it('keeps a line of exactly the limit whole, however it was cut', () => {
      const line = Buffer.concat([bytes(LIMIT), Buffer.from('\r\n')]);
      for (const size of [1, 2, 7, 4096, LIMIT, LIMIT + 1, LIMIT + 2]) {
        expect(inChunks(line, size)).toEqual([` -> ${'a'.repeat(LIMIT)}␍␊`]);
      }
    });

    it('tells CRLF from a bare LF when the CR and the LF arrive in different chunks', () => {
      const line = Buffer.concat([bytes(LIMIT + 5), Buffer.from('\r\n')]);
      expect(render([sendBytes(line.subarray(0, line.length - 1)), sendBytes(line.subarray(line.length - 1))])).toEqual([` -> ${'a'.repeat(LIMIT)}… 5 more octets␍␊`]);
      const bare = Buffer.concat([bytes(LIMIT + 5), Buffer.from('\r.\n')]);
      expect(render([sendBytes(bare.subarray(0, bare.length - 1)), sendBytes(bare.subarray(bare.length - 1))])).toEqual([` -> ${'a'.repeat(LIMIT)}… 7 more octets␊`]);
    });

    it('goes on with the next lines of the same chunk, and marks a redacted line after the count', () => {
      const data = Buffer.concat([bytes(LIMIT + 1, 'b'), Buffer.from('\r\nQUIT\r\n')]);
      expect(render([sendBytes(data.subarray(0, 100)), sendBytes(data.subarray(100), { redacted: true })])).toEqual([
        ` -> ${'b'.repeat(LIMIT)}… 1 more octet␍␊ (secret redacted)`,
        ' -> QUIT␍␊ (secret redacted)',
      ]);
    });
  });
});

