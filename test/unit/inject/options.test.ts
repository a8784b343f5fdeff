import { describe, expect, it } from 'vitest';
import { MboxMessagePicker, messageFromMbox } from '../../../src/inject/mbox-message.js';
import { parseAddressOption, templateMessage } from '../../../src/inject/message.js';
import { parsePauses } from '../../../src/inject/pause.js';
import { screenEvents } from '../../../src/inject/screen.js';

describe('parseAddressOption', () => {
  it.each([
    ['a@b', '--from', 'a@b'],
    ['<a@b>', '--from', 'a@b'],
    ['<>', '--from', ''],
    ['', '--from', ''],
    ['<a@b>', '--to', 'a@b'],
  ] as const)('%j (%s) is %j', (value, option, address) => {
    expect(parseAddressOption(value, option)).toBe(address);
  });

  it.each([['<>', '--to'], ['', '--to'], ['<a@b', '--from'], ['a@b>x', '--to'], ['a@b\nRSET', '--from']] as const)('%j (%s) is a usage error', (value, option) => {
    expect(() => parseAddressOption(value, option)).toThrow(new RegExp(option));
  });
});

describe('templateMessage --header / --add-header', () => {
  const base = { from: 'a@b', to: ['c@d'], variant: 'v', date: new Date(0), messageId: 'id@x' };
  const names = (lines: Buffer[]) => lines.slice(0, lines.findIndex((l) => l.length === 0)).map((l) => l.toString('latin1'));

  it('two --header fields of one built-in name both take its place', () => {
    expect(names(templateMessage({ ...base, headers: ['To: <x@y>', 'to: <z@w>'] }).lines)).toEqual([
      'Date: Thu, 1 Jan 1970 00:00:00 +0000', 'From: <a@b>', 'To: <x@y>', 'to: <z@w>', 'Message-ID: <id@x>', 'Subject: smtpdbg inject: v',
    ]);
  });

  it('the null sender gets a mailbox in From', () => {
    expect(names(templateMessage({ ...base, from: '' }).lines)[1]).toBe('From: Mail Delivery System <MAILER-DAEMON@localhost>');
  });
});

describe('parsePauses', () => {
  it('stages and milliseconds, any case', () => {
    expect([...parsePauses(['MAIL=30000', 'content=0'])]).toEqual([['mail', 30000], ['content', 0]]);
  });
});

describe('MboxMessagePicker', () => {
  const mbox = Buffer.from([1, 2, 3, 4].map((n) => `From a@b Thu Jan  1 00:00:0${n} 1970\nSubject: m${n}\n\n${'body\n'.repeat(n * 50)}\n`).join(''), 'latin1');

  it.each([1, 7, 64, 4096])('fed in chunks of %i octets, it cuts out the same message as from the whole file', (size) => {
    for (const index of [1, 3, 4]) {
      const picker = new MboxMessagePicker('f', index);
      for (let at = 0; at < mbox.length; at += size) if (picker.push(mbox.subarray(at, at + size))) break;
      const expected = messageFromMbox(mbox, index, 'f');
      const got = picker.end();
      expect(got.lines.map(String)).toEqual(expected.lines.map(String));
      expect(got.lines[0]!.toString()).toBe(`Subject: m${index}`);
    }
  });

  it('refuses message N larger than the limit', () => {
    const picker = new MboxMessagePicker('f', 2, 100);
    expect(() => {
      picker.push(mbox);
      picker.end();
    }).toThrow('f: message 2 is larger than 100 octets (--max-size): refused before reading further');
  });
});

describe('screenEvents', () => {
  it('a large write is shown by head and tail at line boundaries, the rest counted', () => {
    const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => `line ${i}\r\n`).join(''), 'latin1');
    const [head, note, tail] = screenEvents({ type: 'send', t: 1, tls: false, data });
    expect(head).toMatchObject({ type: 'send' });
    expect(note).toMatchObject({ type: 'info', message: expect.stringMatching(/^… \d+ more octets sent, not shown here/) });
    const h = (head as { data: Buffer }).data.toString('latin1');
    const t = (tail as { data: Buffer }).data.toString('latin1');
    expect(h.startsWith('line 0\r\n') && h.endsWith('\r\n')).toBe(true);
    expect(t.endsWith('line 9999\r\n') && /^line \d+\r\n/.test(t)).toBe(true);
    const hidden = Number(/… (\d+) more/.exec((note as { message: string }).message)![1]);
    expect(h.length + t.length + hidden).toBe(data.length);
  });

  it('small writes and other events pass as they are', () => {
    const event = { type: 'send' as const, t: 1, tls: false, data: Buffer.from('MAIL FROM:<>\r\n') };
    expect(screenEvents(event)).toEqual([event]);
  });
});
