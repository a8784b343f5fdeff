import { describe, expect, it } from 'vitest';
import { CommandTracker, type ReplyVerdict } from '../../../src/smtp/command-tracker.js';

const b = (text: string) => Buffer.from(text, 'latin1');
const kinds = (tracker: CommandTracker, codes: number[]): string[] =>
  codes.map((code) => {
    const verdict: ReplyVerdict = tracker.received({ code });
    return verdict.kind === 'unsolicited' ? `unsolicited:${verdict.why}` : verdict.kind;
  });

/** A tracker past the greeting and EHLO. */
function ready(redact = true): CommandTracker {
  const tracker = new CommandTracker({ redact });
  expect(kinds(tracker, [220])).toEqual(['expected']);
  tracker.sent(b('EHLO me\r\n'));
  expect(kinds(tracker, [250])).toEqual(['expected']);
  return tracker;
}

/** What the tracker shows for `text` sent in pieces cut at every pair of offsets. */
function shownForEverySplit(text: string, before: (t: CommandTracker) => void = () => undefined): Set<string> {
  const bytes = b(text);
  const seen = new Set<string>();
  for (let x = 0; x <= bytes.length; x++) {
    for (let y = x; y <= bytes.length; y++) {
      const tracker = ready();
      before(tracker);
      const shown = [bytes.subarray(0, x), bytes.subarray(x, y), bytes.subarray(y)]
        .map((piece) => tracker.sent(piece).shown ?? piece)
        .map((piece) => piece.toString('latin1'))
        .join('');
      seen.add(shown);
    }
  }
  return seen;
}

describe('CommandTracker: which replies were asked for', () => {
  it('the greeting is owed once; a second reply before any command is unsolicited', () => {
    const tracker = new CommandTracker({ redact: true });
    expect(kinds(tracker, [220, 250])).toEqual(['expected', 'unsolicited:no-command']);
  });

  it('one reply per command; one too many is unsolicited', () => {
    const tracker = ready();
    tracker.sent(b('NOOP\r\n'));
    expect(kinds(tracker, [250, 250])).toEqual(['expected', 'unsolicited:no-command']);
  });

  it('a pipelined group owes one reply per line, however the write was cut', () => {
    const tracker = ready();
    tracker.sent(b('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r'));
    tracker.sent(b('\nRCPT TO:<e@f>\nDATA\r\n'));
    expect(tracker.outstanding).toBe(4);
    expect(kinds(tracker, [250, 250, 250, 354, 250])).toEqual(['expected', 'expected', 'expected', 'expected', 'unsolicited:no-command']);
  });

  it.each([
    ['CRLF.CRLF', 'Subject: x\r\n\r\nbody\r\n.\r\n'],
    ['an empty message', '.\r\n'],
    ['a stuffed dot line before the end', 'a\r\n..\r\n.b\r\n.\r\n'],
  ])('DATA content owes one reply at %s, split anywhere', (_name, content) => {
    const bytes = b(content);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const tracker = ready();
      tracker.sent(b('DATA\r\n'));
      expect(kinds(tracker, [354])).toEqual(['expected']);
      tracker.sent(bytes.subarray(0, cut));
      tracker.sent(bytes.subarray(cut));
      expect(tracker.outstanding).toBe(1);
      expect(kinds(tracker, [250, 250])).toEqual(['expected', 'unsolicited:no-command']);
    }
  });

  it.each([
    ['\\n.\\n', 'a\n.\nMAIL FROM:<x@y>\r\n'],
    ['\\r.\\r', 'a\r.\rMAIL FROM:<x@y>\r\n'],
    ['\\r\\n.\\n', 'a\r\n.\nMAIL FROM:<x@y>\r\n'],
    ['\\n.\\r\\n', 'a\n.\r\nMAIL FROM:<x@y>\r\n'],
    ['a NUL before the dot', 'a\r\n\0.\r\nMAIL FROM:<x@y>\r\n'],
    ['a NUL after the dot', 'a\r\n.\0\r\nMAIL FROM:<x@y>\r\n'],
  ])('after a possible end of data (%s) extra replies are not blamed on the server', (_name, content) => {
    const tracker = ready();
    tracker.sent(b('DATA\r\n'));
    kinds(tracker, [354]);
    tracker.sent(Buffer.concat([b(content), b('\r\n.\r\n')]));
    expect(kinds(tracker, [250, 250, 250])).toEqual(['expected', 'uncounted', 'uncounted']);
  });

  it('a DATA refused with nothing behind it leaves the next lines as commands', () => {
    const tracker = ready();
    tracker.sent(b('DATA\r\n'));
    expect(kinds(tracker, [554])).toEqual(['expected']);
    tracker.sent(b('NOOP\r\n'));
    expect(kinds(tracker, [250, 250])).toEqual(['expected', 'unsolicited:no-command']);
  });

  it('BDAT content is counted by size, not read as lines (RFC 3030)', () => {
    const tracker = ready();
    tracker.sent(b('BDAT 12 LAST\r\nNOOP\r\nNOOP\r\n'));
    tracker.sent(b('NOOP\r\n'));
    expect(kinds(tracker, [250, 250, 250])).toEqual(['expected', 'expected', 'unsolicited:no-command']);
  });

  it('a "." line inside a chunk (split across writes): replies past the count are uncounted, not blamed', () => {
    const tracker = ready();
    tracker.sent(b('BDAT 14 LAST\r\nhi\r'));
    tracker.sent(b('\n.\r\nNOOP\r\n'));
    // A server reading the chunk as DATA ends at the dot and answers the NOOP too.
    expect(kinds(tracker, [250, 250])).toEqual(['expected', 'uncounted']);
  });

  it('LMTP: the end of data is owed one reply per accepted recipient (RFC 2033 §4.2), no more', () => {
    const tracker = new CommandTracker({ redact: true, lmtp: true });
    expect(kinds(tracker, [220])).toEqual(['expected']);
    tracker.sent(b('LHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nRCPT TO:<y@b>\r\nRCPT TO:<z@b>\r\nDATA\r\n'));
    expect(kinds(tracker, [250, 250, 250, 550, 250, 354])).toEqual(Array(6).fill('expected'));
    tracker.sent(b('hi\r\n.\r\n'));
    // y was refused at RCPT: x and z each get a reply, a third is out of step.
    expect(tracker.received({ code: 250 })).toEqual({ kind: 'expected', moreForRecipients: 1 });
    expect(kinds(tracker, [452, 250])).toEqual(['expected', 'unsolicited:no-command']);
  });

  it('LMTP with BDAT: the reply to BDAT LAST is the first of one per recipient; an SMTP tracker owes one', () => {
    for (const [lmtp, extra] of [[true, 'expected'], [false, 'unsolicited:no-command']] as const) {
      const tracker = new CommandTracker({ redact: true, lmtp });
      expect(kinds(tracker, [220])).toEqual(['expected']);
      tracker.sent(b('MAIL FROM:<a@b>\r\nRCPT TO:<x@b>\r\nRCPT TO:<y@b>\r\nBDAT 3\r\n.\r\nBDAT 2 LAST\r\n\r\n'));
      expect(kinds(tracker, [250, 250, 250, 250, 250, 250])).toEqual([...Array(5).fill('expected'), extra]);
    }
  });

  it('a reply after the 220 to STARTTLS is unsolicited of its own kind; after TLS, nothing is owed', () => {
    const tracker = ready();
    tracker.sent(b('STARTTLS\r\n'));
    expect(kinds(tracker, [220, 250])).toEqual(['expected', 'unsolicited:after-starttls']);
    tracker.restartAfterTls();
    expect(kinds(tracker, [250])).toEqual(['unsolicited:no-command']);
    tracker.sent(b('EHLO me\r\n'));
    expect(kinds(tracker, [250])).toEqual(['expected']);
  });

  it('a 421 with nothing owed answers the next command (RFC 5321 §3.8)', () => {
    const tracker = ready();
    expect(kinds(tracker, [421])).toEqual(['shutdown']);
    tracker.sent(b('MAIL FROM:<a@b>\r\n'));
    expect(tracker.outstanding).toBe(0);
    expect(kinds(tracker, [250])).toEqual(['unsolicited:no-command']);
  });

  it('a line the server answered before its LF (a CR as terminator) is not out of step', () => {
    const tracker = ready();
    tracker.sent(b('NOOP\r'));
    expect(kinds(tracker, [250, 250])).toEqual(['uncounted', 'unsolicited:no-command']);
  });
});

describe('CommandTracker: secrets', () => {
  it.each([
    ['AUTH PLAIN with an initial response', 'AUTH PLAIN AGJvYgBodW50ZXIy\r\n', 'AUTH PLAIN [redacted]\r\n'],
    ['lower case', 'auth plain AGJvYgBodW50ZXIy\r\n', 'auth plain [redacted]\r\n'],
    ['tabs between the words (Postfix accepts them)', 'AUTH\tPLAIN\tAGJvYgBodW50ZXIy\r\n', 'AUTH\tPLAIN\t[redacted]\r\n'],
    ['white space before the verb', ' \tAuth Login Ym9i\n', ' \tAuth Login [redacted]\n'],
    ['a bare LF terminator', 'AUTH PLAIN AGJvYgBodW50ZXIy\n', 'AUTH PLAIN [redacted]\n'],
    ['no initial response', 'AUTH LOGIN\r\n', 'AUTH LOGIN\r\n'],
    ['another command', 'MAIL FROM:<auth@plain>\r\n', 'MAIL FROM:<auth@plain>\r\n'],
    ['a verb that only starts like AUTH', 'AUTHX PLAIN abc\r\n', 'AUTHX PLAIN abc\r\n'],
  ])('%s: shown the same whatever the write was cut into', (_name, line, expected) => {
    expect([...shownForEverySplit(line)]).toEqual([expected]);
  });

  it('every line answering a 334 is hidden, the user name too (AUTH LOGIN)', () => {
    const tracker = ready();
    expect(tracker.sent(b('AUTH LOGIN\r\n')).shown).toBeUndefined();
    kinds(tracker, [334]);
    expect(tracker.sent(b('Ym9i\r\n')).shown?.toString()).toBe('[redacted]\r\n');
    kinds(tracker, [334]);
    expect(tracker.sent(b('aHVudGVyMg==\r\n')).shown?.toString()).toBe('[redacted]\r\n');
    kinds(tracker, [235]);
    expect(tracker.sent(b('MAIL FROM:<a@b>\r\n')).shown).toBeUndefined();
  });

  it('SCRAM-SHA-256: the client-first and client-final (its proof), and a cancelling "*" are hidden', () => {
    const tracker = ready();
    expect(tracker.sent(b('AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n')).shown?.toString()).toBe('AUTH SCRAM-SHA-256 [redacted]\r\n');
    kinds(tracker, [334]);
    expect(tracker.sent(b('Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8scD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n')).shown?.toString()).toBe('[redacted]\r\n');
    kinds(tracker, [334]);
    // The empty acknowledgement of the server's signature holds nothing to hide: shown as sent.
    expect(tracker.sent(b('\r\n')).shown).toBeUndefined();
    kinds(tracker, [235]);
    tracker.sent(b('AUTH CRAM-MD5\r\n'));
    kinds(tracker, [334]);
    expect(tracker.sent(b('*\r\n')).shown?.toString()).toBe('[redacted]\r\n');
    kinds(tracker, [501]);
    expect(tracker.sent(b('AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHRvawEB\r\n')).shown?.toString()).toBe('AUTH XOAUTH2 [redacted]\r\n');
  });

  it('a line answering a 334, cut anywhere, shows one marker and its terminator', () => {
    const seen = shownForEverySplit('aHVudGVyMg==\r\n', (tracker) => {
      tracker.sent(b('AUTH LOGIN\r\n'));
      kinds(tracker, [334]);
    });
    expect([...seen]).toEqual(['[redacted]\r\n']);
  });

  it('lines pipelined behind an unanswered AUTH are hidden: they may be its answers', () => {
    const tracker = ready();
    const shown = tracker.sent(b('AUTH LOGIN\r\nYm9i\r\naHVudGVyMg==\r\n')).shown?.toString();
    expect(shown).toBe('AUTH LOGIN\r\n[redacted]\r\n[redacted]\r\n');
  });

  it('DATA content is never taken for AUTH', () => {
    const tracker = ready();
    tracker.sent(b('DATA\r\n'));
    kinds(tracker, [354]);
    expect(tracker.sent(b('AUTH PLAIN not-a-secret\r\n.\r\n')).shown).toBeUndefined();
  });

  it('with redaction off nothing is replaced, and replies are still counted', () => {
    const tracker = ready(false);
    expect(tracker.sent(b('AUTH PLAIN AGJvYgBodW50ZXIy\r\n')).shown).toBeUndefined();
    expect(kinds(tracker, [235, 250])).toEqual(['expected', 'unsolicited:no-command']);
  });
});
