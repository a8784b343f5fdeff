import { describe, expect, it } from 'vitest';
import { lintMbox, lintMessage } from '../../../src/mbox/index.js';
import { lintPieces, prng } from './helpers.js';

/** `text` with what quoted strings and comments hold made inert (RFC 5322 §3.2.2, §3.2.4). */
function outsideQuotesAndComments(text: string): string {
  let out = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const inside = quoted || depth > 0;
    if (c === '\\') {
      out += inside ? 'xx' : c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (quoted) quoted = c !== '"';
    else if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    out += inside && c !== '"' && c !== ')' ? 'x' : c;
  }
  return out;
}

describe('merged-field in structured values: exactly where " Name: " of a known field stands outside quotes and comments', () => {
  // The rule's reading of a value is skipped where a fast path has already accepted it in a
  // grammar without ":" before white space: whatever the value, the finding must be the one
  // that reading the unfolded value gives. (A name in a quoted string or a comment, as in
  // "Team To: All" <team@…>, is text.)
  const known = /[ \t\r](From|To|Cc|Bcc|Date|Sender|Reply-To|Subject|Message-ID|In-Reply-To|References|Return-Path|MIME-Version|Content-Type|Content-Transfer-Encoding|X-Mailer|Received):[ \t]/i;
  const random = prng(2822);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const values: Record<string, readonly string[]> = {
    Date: ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', 'Fri, 8 Sep 2017 13:44:33 -0400'],
    From: ['Alice <alice@example.org>', 'a@example.org', '"A: B" <a@example.org>'],
    To: ['a@example.org, b@example.org', 'Bob <b@example.org> (x)'],
    'Message-ID': ['<1.2@example.org>', '<a:b@example.org>'],
    'MIME-Version': ['1.0', '1.0 (c)'],
    'Content-Transfer-Encoding': ['7bit', 'base64 (c)'],
    'Content-Type': ['text/plain; charset="a: b"', 'multipart/mixed; boundary="b"'],
  };
  const inserts = [' From: x', ' to: y', ':', ': ', ' Date:\t1', ' Subject: s', ' X-Mailer: m', ''];

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('%s', (_, eol) => {
    let merged = 0;
    let quoted = 0;
    for (let i = 0; i < 3000; i++) {
      const fields = Object.entries(values).map(([name, list]): [string, string] => {
        const value = pick(list);
        const at = Math.floor(random() * (value.length + 1));
        // Now and then a fold where the value has white space.
        return [name, (value.slice(0, at) + pick(inserts) + value.slice(at)).replace(/ /g, (ws) => (random() < 0.1 ? `${eol}${ws}` : ws))];
      });
      const bytes = Buffer.from(`From a@example.org Fri Sep  8 17:44:32 2017${eol}${fields.map(([n, v]) => `${n}: ${v}`).join(eol)}${eol}${eol}b${eol}`, 'latin1');
      const found = lintPieces([bytes]).filter((f) => f.rule === 'merged-field');
      // The value is what follows the colon, the space included, unfolded.
      const unfolded = fields.map(([, v]) => ` ${v.split(eol).join('')}`);
      const expected = unfolded.filter((v) => known.test(outsideQuotesAndComments(v))).length;
      quoted += unfolded.filter((v) => known.test(v) && !known.test(outsideQuotesAndComments(v))).length;
      expect(found.length, JSON.stringify(fields)).toBe(expected);
      expect(found.every((f) => f.severity === 'error')).toBe(true);
      merged += found.length;
    }
    expect(merged).toBeGreaterThan(1000);
    expect(quoted).toBeGreaterThan(50);
  });
});

describe('merged-field in other fields, line by line', () => {
  const header = (line: string) => Buffer.from(`From a@example.org Fri Sep  8 17:44:32 2017\nDate: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nSubject: s\nMessage-ID: <1@x>\n${line}\n\nbody\n`, 'latin1');
  const merged = (line: string) =>
    lintMbox(header(line))
      .findings.filter((f) => f.rule === 'merged-field')
      .map((f) => `${f.severity} ${f.detail.replace(/^.*\((high|medium) confidence: (.*)\)$/, '$1: $2')}`);

  it.each([
    ['X-Mailer: foo X-Priority: 3', ['error high: an X- field name']],
    ['X-Mailer: foo\rX-Priority: 3', ['error high: an X- field name']],
    ['X-Spam-Status: No autolearn=hamFrom: User <user@example.com>', ['error high: the text after it is a valid From value, glued to the text before it']],
    ['X-Original: x To: Bob <bob@example.org>', ['error high: the text after it is a valid To value']],
    ['X-Header: Reply-To: rowespirit@example.org', ["warning medium: the field's whole value is a Reply-To field"]],
    ['Received: from a by b with SMTP id 1 Content-Type: text/plain', ['error high: the text after it is a valid Content-Type value']],
    ['User-Agent: Foo/1.0 Content-Disposition: inline', ['warning medium: a field name of capitalised words']],
    ['Thread-Topic: hello X-Mailer: Foo', ['warning medium: an X- field name, in free text']],
  ])('%s', (line, expected) => {
    expect(merged(line)).toEqual(expected);
  });

  it.each([
    'X-Spam-Report: * 1.1 DATE_IN_PAST_06_12 Date: is 6 to 12 hours before Received: date',
    'X-Spam-Report: * 1.6 SUBJ_ALL_CAPS Subject: is all capitals',
    'Authentication-Results: mx; spf=pass (example.org: domain of a@example.org designates 192.0.2.1 as permitted sender)',
    'Thread-Topic: Re: Fwd: To: the whole list',
    'Comments: see Reply-To: for answers',
    'X-Note: reply to: me, cc: you',
    'X-Comment: "X-Priority: 3" (X-Mailer: quoted)',
    'Received: from a (ident: x\n smtp-auth: <none> TLS-CIPHER: <none>) by b; Fri, 8 Sep 2017 13:44:32 -0400',
    'List-Help: <mailto:list@example.org?subject=help>',
  ])('no finding: %s', (line) => {
    expect(merged(line)).toEqual([]);
  });

  it('a lone message as a server stored it is read the same way', () => {
    const bytes = Buffer.from('Date: Fri, 8 Sep 2017 13:44:32 -0400\r\nFrom: a@example.org\r\nMessage-ID: <1@x>\r\nX-Mailer: foo X-Priority: 3\r\n\r\nbody\r\n', 'latin1');
    expect(lintMessage(bytes).map((f) => [f.rule, f.line, f.offset])).toEqual([['merged-field', 4, 92]]);
  });
});
