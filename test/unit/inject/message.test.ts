import { describe, expect, it } from 'vitest';
import { messageFromMbox } from '../../../src/inject/mbox-message.js';
import { formatRfc5322Date, messageFromData, parseHeaderOption, templateMessage } from '../../../src/inject/message.js';

const texts = (lines: Buffer[]) => lines.map((l) => l.toString('latin1'));

describe('templateMessage', () => {
  it('has Date, From, To, Message-ID, a Subject naming the variant, --header fields, a short body', () => {
    const m = templateMessage({
      from: 'a@b',
      to: ['c@d', 'e@f'],
      variant: 'lines ended by CR',
      date: new Date(Date.UTC(2017, 8, 8, 17, 44, 33)),
      messageId: 'id@smtpdbg.invalid',
      headers: ['X-Test: 1'],
    });
    const text = texts(m.lines);
    expect(text.slice(0, 7)).toEqual([
      'Date: Fri, 8 Sep 2017 17:44:33 +0000',
      'From: <a@b>',
      'To: <c@d>, <e@f>',
      'Message-ID: <id@smtpdbg.invalid>',
      'Subject: smtpdbg inject: lines ended by CR',
      'X-Test: 1',
      '',
    ]);
    expect(text.length).toBeGreaterThan(7);
  });

  it('writes UTF-8 addresses and --header values as the UTF-8 octets typed (RFC 6532), not latin1 truncations', () => {
    const message = templateMessage({ from: 'jö@example.org', to: ['jürgen@example.org'], variant: 'v', date: new Date(0), messageId: 'id@x', headers: ['Subject: Grüße 🎉'] });
    const byName = (name: string) => message.lines.find((line) => line.toString('latin1').startsWith(`${name}:`))!;
    expect(byName('From').equals(Buffer.from('From: <jö@example.org>', 'utf8'))).toBe(true);
    expect(byName('To').equals(Buffer.from('To: <jürgen@example.org>', 'utf8'))).toBe(true);
    expect(byName('Subject').equals(Buffer.from('Subject: Grüße 🎉', 'utf8'))).toBe(true);
  });

  it('formats RFC 5322 dates', () => {
    expect(formatRfc5322Date(new Date(Date.UTC(2026, 0, 5, 3, 4, 5)))).toBe('Mon, 5 Jan 2026 03:04:05 +0000');
  });

  it.each(['no colon', ': empty name', 'Bad Name: x', 'X: a\r\nb'])('--header %j is a usage error', (value) => {
    expect(() => parseHeaderOption(value)).toThrow(/--header/);
  });
});

describe('messageFromData', () => {
  it.each([
    ['Subject: a\nX: b\n\nbody\n'],
    ['Subject: a\r\nX: b\r\n\r\nbody\r\n'],
    ['Subject: a\rX: b\r\rbody\r'],
  ])('recognises the lines of %j', (input) => {
    expect(texts(messageFromData(Buffer.from(input, 'latin1'), 'f').lines)).toEqual(['Subject: a', 'X: b', '', 'body']);
  });
});

describe('messageFromMbox', () => {
  const mboxrd = [
    'From a@b Thu Jan  1 00:00:00 1970',
    'Subject: one',
    '',
    '>From here',
    '>>From quoted',
    '',
    'From c@d Thu Jan  1 00:00:01 1970',
    'Subject: two',
    '',
    'body two',
    '',
  ].join('\n');

  it('replays message N without its From_ line, >From un-escaped for mboxrd', () => {
    const m = messageFromMbox(Buffer.from(mboxrd, 'latin1'), 1, 'x.mbox');
    expect(m.variant).toBe('mboxrd');
    expect(texts(m.lines)).toEqual(['Subject: one', '', 'From here', '>From quoted']);
    expect(texts(messageFromMbox(Buffer.from(mboxrd, 'latin1'), 2, 'x.mbox').lines)).toEqual(['Subject: two', '', 'body two']);
  });

  it('mboxo: ">From " is read back as "From "', () => {
    const mboxo = 'From a@b Thu Jan  1 00:00:00 1970\nSubject: one\n\n>From here\n>>not rd\n\n';
    const m = messageFromMbox(Buffer.from(mboxo, 'latin1'), 1, 'o.mbox');
    expect(m.variant).toBe('mboxo');
    expect(texts(m.lines)).toEqual(['Subject: one', '', 'From here', '>>not rd']);
  });

  it('keeps a bare CR inside a line (incident 1 replayed from the stored mbox)', () => {
    const mbox = 'From a@b Thu Jan  1 00:00:00 1970\nDate: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\rFrom: x\nSubject: s\n\nb\n\n';
    expect(texts(messageFromMbox(Buffer.from(mbox, 'latin1'), 1, 'n').lines)[0]).toBe('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\rFrom: x');
  });

  it('an index past the end is an input error naming the file', () => {
    expect(() => messageFromMbox(Buffer.from(mboxrd, 'latin1'), 3, 'x.mbox')).toThrow(/x\.mbox: no message 3 \(the file holds 2\)/);
  });
});
