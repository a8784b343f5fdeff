import { describe, expect, it } from 'vitest';
import { parseFromLine, parseFromLineBytes } from '../../../src/mbox/from-line.js';
import { prng, lintPieces } from './helpers.js';
import { checkAddressList, checkDate, checkEncodedWords, checkMessageId, checkMimeField, findPlaceholder, fullMimeCheck, isBlank, isPlainMimeValue, placeholders } from '../../../src/mbox/rules/values.js';
import { stripComments } from '../../../src/mbox/rules/value-lexer.js';

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

describe('From_ lines read from their bytes', () => {
  it('agree with the parse of the decoded line, and a plain line has nothing for the sender checks', () => {
    const random = prng(4155);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const pieces = ['a@b', 'Mon', 'MAILER-DAEMON', ' ', '  ', '\t', 'Fri Sep  8 17:44:32 2017', 'Wed Feb  9 22:02 MET 2000', 'Sun Jan 01 00:00:00 2001', 'x y@z', '\u00e9', '12:00', ''];
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      // Half of them the usual shape, `sender SP date`, from pieces that may spoil it.
      const rest =
        random() < 0.5
          ? `${pick(['a@b', 'MAILER-DAEMON', 'Mon', 'x y@z', '', 'a\u00e9@b'])} ${pick(pieces)}`
          : Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(pieces)).join(pick(['', ' ']));
      const bytes = Buffer.from(`From ${rest}`, 'latin1');
      const fromBytes = parseFromLineBytes(bytes, 5, bytes.length);
      const fromText = parseFromLine(rest);
      expect([fromBytes.dateKind, fromBytes.plain], rest).toEqual([fromText.dateKind, fromText.plain]);
      if (fromBytes.plain) {
        plain++;
        expect(fromText.dateKind).toBe('asctime');
        expect(fromText.sender).toMatch(/^\S+$/);
      } else {
        expect([fromBytes.sender, fromBytes.date]).toEqual([fromText.sender, fromText.date]);
      }
    }
    expect(plain).toBeGreaterThan(500);
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

  it('a comment never closed is not trailing text but a date-invalid reason (date.test.ts has the cases)', () => {
    expect(checkDate('Fri, 8 Sep 2017 13:44:33 -0400 (never closed')).toEqual({ problems: [['date-invalid', 'the comment "(never closed" is not closed']], trailing: '' });
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
    expect(checkMessageId(' <1@example.org>').problem).toBeUndefined();
    expect(checkMessageId('1@example.org').problem).toBeDefined();
  });

  it('encoded-words: B must be base64, Q must be printable, encoding B or Q', () => {
    expect(checkEncodedWords('=?utf-8?B?Y2Fmw6k=?=')).toBeUndefined();
    expect(checkEncodedWords('=?utf-8?B?Y2Fmw6k?=')).toMatch(/base64/);
    expect(checkEncodedWords('=?utf-8?X?abc?=')).toMatch(/unknown encoding/);
  });

  it.each([
    // RFC 2047 §4.2: in Q, "=" starts two hex digits; it is never itself.
    ['=?utf-8?Q?Caf=C3=A9=ZZ?= x', '=?utf-8?Q?Caf=C3=A9=ZZ?=: invalid Q encoding'],
    ['=?utf-8?Q?a=b?=', '=?utf-8?Q?a=b?=: invalid Q encoding'],
    // A word without its "?=" is shown as it is by every reader.
    ['=?utf-8?Q?Caf=C3=A9 and more', '=?utf-8?Q?Caf=C3=A9: not closed with "?="'],
    ['=?utf-8?Q?what?_is?=', '=?utf-8?Q?what?…: "?" in the encoded text'],
  ])('encoded-word %j: %s', (value, problem) => {
    expect(checkEncodedWords(value)).toBe(problem);
  });

  it.each(['=?utf-8?Q?Caf=C3=A9=3D_x?=', '=?UTF-8?Q?Caf?= =?UTF-8?Q?=C3=A9?=', '=?utf-8*en?Q?Caf=C3=A9?=', 'Is a =? b ?', 'https://example.org/?a=?b', '=?x?y'])('near miss %j: no problem', (value) => {
    expect(checkEncodedWords(value)).toBeUndefined();
  });
});

describe('comments (CFWS, RFC 5322 §3.2.2) are removed before values are parsed', () => {
  it.each([
    [' <1@example.org> (sent by x)', 'valid'],
    [' (a (nested) comment) <1@example.org>', 'valid'],
    [' <1@example.org> (escaped \\) paren) ', 'valid'],
    // obs-id-right is a domain, which may hold CFWS (RFC 5322 §3.6.4, §4.5.4).
    [' <1@(comment)example.org>', 'obsolete'],
    // A comment that is never closed is no comment (RFC 5322 §3.2.2).
    [' <1@example.org> (unterminated', 'invalid'],
    [' \\(<1@example.org>', 'invalid'],
  ])('Message-ID %j is %s', (value, verdict) => {
    const { problem, obsolete } = checkMessageId(value);
    expect(problem !== undefined ? 'invalid' : obsolete !== undefined ? 'obsolete' : 'valid').toBe(verdict);
  });

  it.each([
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', ''],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT (nested) \\) x) trailing', 'trailing'],
    ['Fri, (a) 8 Sep 2017 13:44:33 -0400', ''],
  ])('Date %j leaves trailing text %j', (value, trailing) => {
    const r = checkDate(value);
    expect(r.problems).toEqual([]);
    expect(r.trailing).toBe(trailing);
  });

  it('comments are removed by a regex exactly as one character at a time would (nesting, escapes, comments never closed)', () => {
    const byChar = (value: string): string => {
      let out = '';
      let depth = 0;
      let from = 0;
      for (let i = 0; i < value.length; i++) {
        const c = value[i];
        if (c === '\\' && depth > 0) i++;
        else if (c === '(') {
          if (depth === 0) out += `${value.slice(from, i)} `;
          depth++;
        } else if (c === ')' && depth > 0 && --depth === 0) from = i + 1;
      }
      return depth === 0 ? out + value.slice(from) : out;
    };
    const random = prng(3222);
    const pieces = ['(', ')', '\\', 'a', ' ', 'bc', '\\(', '\\)', '"', '(x)', '((y))'];
    for (let i = 0; i < 50_000; i++) {
      const value = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      expect(stripComments(value), value).toBe(byChar(value));
    }
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

describe('MIME fields (RFC 2045 §4, §5.1, §6.1)', () => {
  it.each([
    ['mime-version', '1.0', undefined],
    ['mime-version', ' 1.0 (generated by x)', undefined],
    ['mime-version', '1 . 0', undefined],
    ['mime-version', '1.1', 'MIME-Version "1.1" is not 1.0'],
    ['mime-version', '1.0 x', 'MIME-Version "1.0 x" is not 1.0'],
    ['content-transfer-encoding', ' Base64', undefined],
    ['content-transfer-encoding', 'x-uuencode', undefined],
    ['content-transfer-encoding', 'base 64', 'unknown Content-Transfer-Encoding "base 64"'],
    ['content-type', 'text/plain; charset="utf-8"', undefined],
    ['content-type', 'Multipart/Mixed; Boundary="b1"', undefined],
    ['content-type', 'multipart/mixed; charset=x', 'multipart Content-Type without a boundary parameter'],
    ['content-type', 'multipart/mixed', 'multipart Content-Type without a boundary parameter'],
    ['content-type', 'multipart/mixed; x="a; boundary=b"', undefined],
    ['content-type', 'text', 'Content-Type "text" is not type/subtype; parameters'],
  ])('%s: %j', (name, value, problem) => {
    expect(checkMimeField(name, value)).toBe(problem);
  });

  it('the regex-free check accepts only what the full check accepts, on generated values with random damage', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const ws = () => pick(['', '', ' ', '\t', ' (c) ']);
    const param = () => `;${ws()}${pick(['boundary', 'BOUNDARY', 'charset', 'x-boundary'])}${ws()}=${ws()}${pick(['b1', '"b 1"', '"a; boundary=b"', '"(c)"', '""'])}`;
    const values: Record<string, () => string> = {
      'content-type': () => `${ws()}${pick(['multipart', 'Multipart', 'text', 'multipartx'])}/${pick(['mixed', 'plain'])}${Array.from({ length: Math.floor(random() * 3) }, param).join('')}${ws()}`,
      'mime-version': () => `${ws()}${pick(['1.0', '1 . 0', '1.1', '10'])}${ws()}`,
      'content-transfer-encoding': () => `${ws()}${pick(['base64', '7BIT', 'Quoted-Printable', 'x-uue', 'base 64'])}${ws()}`,
    };
    const damage = ['(', ')', '\\', '"', ';', '=', ' ', ':', ',', '/', '\r\n '];
    let accepted = 0;
    for (let i = 0; i < 30_000; i++) {
      const name = pick(Object.keys(values));
      let value = values[name]!();
      if (random() < 0.4) {
        const at = Math.floor(random() * (value.length + 1));
        value = value.slice(0, at) + pick(damage) + value.slice(at + (random() < 0.5 ? 1 : 0));
      }
      if (!isPlainMimeValue(name, value)) continue;
      accepted++;
      expect(fullMimeCheck(name, value), `${name}: ${value}`).toBeUndefined();
    }
    // The generated values reach the fast paths often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(5000);
  });
});

/** One value per field, picked from its list, with one of `inserts` put in at a random place. */
function damagedFields(values: Record<string, readonly string[]>, inserts: readonly string[], random: () => number): [string, string][] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  return Object.entries(values).map(([name, list]) => {
    const value = pick(list);
    const at = Math.floor(random() * (value.length + 1));
    return [name, value.slice(0, at) + pick(inserts) + value.slice(at)];
  });
}

describe('value checks read folded values in place, as their unfolded text reads', () => {
  // The checks read a field's bytes with the line endings of its continuation lines in
  // them: each finding must be the one the same value written on one line gives.
  const valueRules = new Set(['date-invalid', 'date-zone', 'date-weekday', 'date-trailing-text', 'address-invalid', 'address-obsolete', 'message-id-invalid', 'message-id-obsolete', 'mime-header-invalid', 'placeholder-address', 'merged-field', 'empty-required', 'sender-required', 'encoded-word-invalid', 'encoded-word-in-quoted-string']);
  const random = prng(5322);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const values: Record<string, readonly string[]> = {
    Date: ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', 'Fri, 8 Sep 2017 13:44:33 -0400', 'Mon, 8 Sep 2017 13:44:33 +0000', '8 Sep 17 13:44 GMT', 'Fri, 8 Sep 2017 13:44:33 -0400 From: "A B" <a@b.example>', '27 Jun 01 3:36:25 AM', 'Sat, 12 Jan 2002 06:50:21 PM -0400', 'Fri, 8 Sep 2017 13:44:33 -3000'],
    From: ['Alice Example <alice@example.org>', '"Bob, Jr." <bob@example.org>', 'a@example.org, b@example.org', '[no-from]', 'bob@@example.org', 'Carol <carol@example.org> (work)', '"Marrinan, Shonagh \\(CAP, GCF\\)" <s@example.com>', 'qvaC:"\\My Documents\\x" <a@b>'],
    To: ['a@example.org, Bob <b@example.org>, "C, D" <c@example.org>', 'friends: a@example.org, b@example.org;', '<unknown@unknown>', 'x y <z@example.org>', 'unlisted-recipients:; (no To-header on input)', 'Mary Smith <@machine.tld:mary@example.net>, , jdoe@test   . example', '"=?iso-8859-1?Q?RPM=2DList?=" <rpm@example.net>'],
    'Message-ID': ['<1.2@example.org>', '<1.2@example.org> (comment)', '1.2@example.org', '<a b@example.org>', '<9209252113.AA00975@ ebony >', '<"a  b"@MHS>', '<a..b@host>'],
    'Content-Type': ['multipart/alternative; boundary="b1"; charset=utf-8', 'multipart/mixed; charset=x', 'text/plain; charset="utf-8" (c)', 'text/plain;; format=flowed'],
    'MIME-Version': ['1.0', '1.0 (generated)', '1.1'],
    'Content-Transfer-Encoding': ['7bit', ' Quoted-Printable', 'base 64', 'x-uuencode'],
    Subject: ['=?utf-8?B?Y2Fmw6k=?= and =?utf-8?Q?caf=C3=A9?=', '=?utf-8?B?Y2Fmw6k?='],
  };
  const damage = ['', '', '', '(', ')', '\\', '"', ';', ',', '<', '>', '@', ':', ': ', '\r', '\t', ' '];

  /**
   * Breaks the value before some of its spaces and tabs (each fold keeps its white space),
   * but not after a CR, which the fold's LF would turn into a CRLF line end: the CR would
   * leave the value, and the one-line version would not read the same.
   */
  const fold = (value: string, eol: string): string =>
    value.replace(/[ \t]/g, (ws, at: number) => (random() < 0.4 && value[at - 1] !== '\r' ? `${eol}${random() < 0.5 ? ws : `${ws}${pick([' ', '\t'])}`}` : ws));

  const message = (fields: [string, string][], eol: string): Buffer =>
    Buffer.from(`From a@example.org Fri Sep  8 17:44:32 2017${eol}${fields.map(([name, value]) => `${name}: ${value}`).join(eol)}${eol}${eol}body${eol}`, 'latin1');

  const valueFindings = (bytes: Buffer): string[] =>
    lintPieces([bytes])
      .filter((f) => valueRules.has(f.rule))
      .map((f) => `${f.rule}: ${f.detail}`);

  it.each([['CRLF', '\r\n'], ['LF', '\n']])('%s', (_, eol) => {
    let folded = 0;
    for (let i = 0; i < 600; i++) {
      const fields = damagedFields(values, damage, random);
      const foldedFields = fields.map(([name, value]): [string, string] => [name, fold(value, eol)]);
      // Folding doubles white space at some folds: the one-line version has the same unfolded value.
      const unfolded = foldedFields.map(([name, value]): [string, string] => [name, value.split(eol).join('')]);
      folded += foldedFields.filter(([, value]) => value.includes(eol)).length;
      expect(valueFindings(message(foldedFields, eol)), JSON.stringify(foldedFields)).toEqual(valueFindings(message(unfolded, eol)));
    }
    expect(folded).toBeGreaterThan(1000);
  });
});
