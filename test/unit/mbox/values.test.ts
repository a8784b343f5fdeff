import { describe, expect, it } from 'vitest';
import { parseFromLine } from '../../../src/mbox/from-line.js';
import { checkAddressList, checkDate, checkEncodedWords, checkMessageId, findPlaceholder, isBlank, placeholders } from '../../../src/mbox/rules/values.js';

describe('From_ line parsing (RFC 4155 §2)', () => {
  it.each([
    ['a@b Fri Sep  8 17:44:32 2017', 'a@b', 'asctime'],
    ['a@b  Wed May 16 00:40:34 2001', 'a@b', 'asctime'],
    [' Mon Jan  1 00:00:00 2001', '', 'asctime'],
    ['magick-owner@x Wed Feb  9 22:02 MET 2000', 'magick-owner@x', 'other'],
    ['John Smith@x Fri Sep  8 17:44:32 2017', 'John Smith@x', 'asctime'],
    [' :<tst1@example.com>', ':<tst1@example.com>', 'none'],
    ['Monica@x Tue Mar 04 03:33:20 2003', 'Monica@x', 'asctime'],
  ])('%j', (rest, sender, dateKind) => {
    expect(parseFromLine(rest)).toMatchObject({ sender, dateKind });
  });
});

describe('RFC 5322 §3.3 dates', () => {
  it.each([
    ['Fri, 8 Sep 2017 13:44:33 -0400', [], ''],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT) From: "Example Name" <example@example.com>', [], 'From: "Example Name" <example@example.com>'],
    ['Fri, 7 Dec 2001 07:01:03', ['date-zone'], ''],
    ['Mon, 8 Sep 2017 13:44:33 +0000', ['date-weekday'], ''],
    ['31 Feb 2017 10:00:00 +0000', ['date-invalid'], ''],
    ['8 Sep 17 13:44 GMT', ['date-zone'], ''],
    ['yesterday', ['date-invalid'], ''],
  ])('%j', (value, problems, trailing) => {
    const r = checkDate(value);
    expect(r.problems.map(([rule]) => rule)).toEqual(problems);
    expect(r.trailing).toBe(trailing);
  });
});

describe('addresses, Message-ID and encoded-words', () => {
  it.each([
    ['Alice <alice@example.org>', 1, false],
    ['"Bob, Jr." <bob@example.org>, carol@example.org', 2, false],
    ['undisclosed-recipients:;', 0, false],
    ['friends: a@example.org, b@example.org;', 2, false],
    ['bob@@example.org', 1, true],
    ['Joseph <j@example.com>\n        magick@example.com', 1, true],
  ])('%j', (value, mailboxes, invalid) => {
    const r = checkAddressList(value);
    expect(r.mailboxes).toBe(mailboxes);
    expect(r.problem !== undefined).toBe(invalid);
  });

  it('Message-ID needs angle brackets and an @', () => {
    expect(checkMessageId(' <1@example.org>')).toBeUndefined();
    expect(checkMessageId('1@example.org')).toBeDefined();
  });

  it('encoded-words: B must be base64, Q must be printable, encoding B or Q', () => {
    expect(checkEncodedWords('=?utf-8?B?Y2Fmw6k=?=')).toBeUndefined();
    expect(checkEncodedWords('=?utf-8?B?Y2Fmw6k?=')).toMatch(/base64/);
    expect(checkEncodedWords('=?utf-8?X?abc?=')).toMatch(/unknown encoding/);
  });
});

describe('comments (CFWS, RFC 5322 §3.2.2) are removed before values are parsed', () => {
  it.each([
    [' <1@example.org> (sent by x)', undefined],
    [' (a (nested) comment) <1@example.org>', undefined],
    [' <1@example.org> (escaped \\) paren) ', undefined],
    [' <1@(comment)example.org>', '"1@ example.org" has a space'],
    [' <1@example.org> (unterminated', undefined],
    [' \\(<1@example.org>', 'not an id'],
  ])('Message-ID %j', (value, problem) => {
    expect(checkMessageId(value) === undefined).toBe(problem === undefined);
  });

  it.each([
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', ''],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT (nested) \\) x) trailing', 'trailing'],
    ['Fri, (a) 8 Sep 2017 13:44:33 -0400', ''],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (never closed', ''],
  ])('Date %j leaves trailing text %j', (value, trailing) => {
    const r = checkDate(value);
    expect(r.problems).toEqual([]);
    expect(r.trailing).toBe(trailing);
  });

  it.each([
    ['', true],
    [' \t ', true],
    ['\u00a0', true],
    [' x ', false],
  ])('isBlank(%j) is %s, like trim() === ""', (value, blank) => {
    expect(isBlank(value)).toBe(blank);
    expect(isBlank(value)).toBe(value.trim() === '');
  });
});

describe('placeholder addresses (what MTAs and IMAP libraries write for a lost address)', () => {
  it.each([
    ['[no-from]', '[no-from]'],
    ['"Someone" [No-Sender]', '[No-Sender]'],
    ['[no address]', '[no address]'],
    ['MISSING_MAILBOX@SYNTAX_ERROR', 'MISSING_MAILBOX'],
    ['syntax-error@x', 'syntax-error'],
    ['x@UNEXPECTED_DATA_AFTER_ADDRESS', 'UNEXPECTED_DATA_AFTER_ADDRESS'],
    [' <Unknown@Unknown> ', '<Unknown@Unknown>'],
    ['\t<>', '<>'],
    ['unknown@unknown.example', undefined],
    ['a-b@syntax.example', undefined],
    ['"x" <a_b@c>', undefined],
    ['<a@b>', undefined],
  ])('%j: %j', (value, expected) => {
    expect(findPlaceholder(value)).toBe(expected);
  });

  it('finds exactly what the placeholder regex alone finds, on values built from the characters that matter', () => {
    const pieces = ['[', ']', 'no-', 'from', 'No Address', '_', 'MISSING', 'mailbox', 'Syntax', '-', 'error', 'unknown', '@', '<', '>', ' ', '\t', 'a', '.', ','];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const value = Array.from({ length: 1 + Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect(findPlaceholder(value), value).toBe(placeholders.exec(value)?.[0]?.trim());
    }
  });
});
