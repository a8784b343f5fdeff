import { describe, expect, it } from 'vitest';
import { lintMessage } from '../../../src/mbox/index.js';
import { checkAddressList, fastPaths, fullAddressCheck } from '../../../src/mbox/rules/values.js';
import { prng } from './helpers.js';

/** The rules of address values. */
const addressRules = new Set(['address-invalid', 'address-obsolete', 'encoded-word-in-quoted-string', 'encoded-word-invalid', 'placeholder-address']);

/** The address rules' findings for one header field in an otherwise clean message, as `rule severity detail`. */
function findingsFor(field: string): string[] {
  const from = /^from:/i.test(field) ? '' : 'From: Alice <alice@example.org>\n';
  const message = `Date: Fri, 8 Sep 2017 13:44:33 -0400\n${from}Message-ID: <1@example.org>\n${field}\n\nbody\n`;
  return lintMessage(Buffer.from(message, 'latin1'))
    .filter((f) => addressRules.has(f.rule))
    .map((f) => `${f.rule} ${f.severity} ${f.detail}`);
}

/** `value` written as UTF-8, read back as the latin1 string the checks see. */
const utf8 = (value: string): string => Buffer.from(value, 'utf8').toString('latin1');

describe('address fields: RFC 5322 §3.4 groups, quoted strings and comments', () => {
  it.each([
    // sendmail's standard To when a message had none: a group, then a comment.
    ['To: unlisted-recipients:; (no To-header on input)', 0],
    ['Bcc: A Group:a@b.c;(comment)', 1],
    // Quoted-pairs inside a quoted display name (RFC 5322 §3.2.4).
    ['From: "Marrinan, Shonagh \\(CAP, GCF\\)" <s@example.com>', 1],
    ['To: "Giant; \\"Big\\" Box" <sysservices@example.net>, boss@nil.test', 2],
  ])('%j is valid, with %i mailboxes, and gives no finding', (field, mailboxes) => {
    const [name, value] = [field.slice(0, field.indexOf(':')), field.slice(field.indexOf(':') + 1)];
    expect(checkAddressList(value, name.toLowerCase())).toMatchObject({ mailboxes, problem: undefined, obsolete: undefined });
    expect(findingsFor(field)).toEqual([]);
  });

  it.each([
    // Near misses: the comment is not closed, or text follows the group's ";".
    ['To: unlisted-recipients:; (no To-header on input', 'To: "(no To-header on input": a comment is not closed'],
    ['To: unlisted-recipients:; no To-header', 'To: "unlisted-recipients:; no To-header": text after the ";" that ends the group'],
    // The same name unquoted: its "," splits it, and "(…)" is a comment.
    ['From: Marrinan, Shonagh \\(CAP, GCF\\) <s@example.com>', 'From: "Marrinan": a name without an address'],
    // The escaped closing quote leaves the quoted string open.
    ['From: "Marrinan, Shonagh \\(CAP, GCF\\)\\" <s@example.com>', 'From: ""Marrinan, Shonagh \\(CAP, GCF\\)\\" <s@example.com>": a quoted string is not closed'],
  ])('%j is address-invalid', (field, detail) => {
    expect(findingsFor(field)).toEqual([`address-invalid error ${detail}`]);
  });
});

describe('RFC 5322 Appendix A.5 and A.6.1: obsolete syntax is accepted everywhere, at most an info finding (item 3)', () => {
  it.each([
    ['Cc:(Empty list)(start)Undisclosed recipients  :(nobody(that I know))  ;', 0],
    ['From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>', 1],
    ["To:A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)", 3],
    // A.6.1: a "." in a display name is obs-phrase, which every reader takes: no finding.
    ['From: Joe Q. Public <john.q.public@example.com>', 1],
  ])('A.5 / A.6.1 %j: current syntax, no finding', (field, mailboxes) => {
    const value = field.slice(field.indexOf(':') + 1).replace(/\n/g, '');
    expect(checkAddressList(value)).toMatchObject({ mailboxes, problem: undefined, obsolete: undefined });
    expect(findingsFor(field)).toEqual([]);
  });

  it('A.6.1 `To: Mary Smith <@machine.tld:mary@example.net>, , jdoe@test   . example`: one address-obsolete (info) naming its three obsolete forms', () => {
    expect(findingsFor('To: Mary Smith <@machine.tld:mary@example.net>, , jdoe@test   . example')).toEqual([
      'address-obsolete info To: a route before the address ("<@machine.tld:"); an empty list element (", ,"); white space or a comment next to "." in "jdoe@test   . example"',
    ]);
  });

  it.each(['From', 'Sender', 'Reply-To', 'To', 'Cc', 'Bcc'])('%s: each obsolete form is address-obsolete, never address-invalid, alone and inside a group', (name) => {
    for (const value of ['Mary Smith <@machine.tld:mary@example.net>', 'a@example.org, , b@example.org', 'a@example.org,', ', a@example.org', 'jdoe@test   . example', '"a".b@example.org', 'a@[1.2.3.4\\]]']) {
      for (const field of [`${name}: ${value}`, `${name}: G: ${value};`]) {
        const rules = findingsFor(field).map((f) => f.split(' ')[0]);
        // But for Sender's own rule: one mailbox, not a list or a group (RFC 5322 §3.6.2).
        const list = name === 'Sender' && (field.includes(' G: ') || value.includes(', , b@'));
        expect(rules, field).toEqual(list ? ['address-invalid', 'address-obsolete'] : ['address-obsolete']);
      }
    }
  });

  it.each([
    // Near misses: a route without its ":", a domain with an empty part.
    ['To: Mary Smith <@machine.tld mary@example.net>', 'To: "Mary Smith <@machine.tld mary@example.net>": "@machine.tld mary@example.net" is not an addr-spec (an empty local part)'],
    ['To: jdoe@test . . example', 'To: "jdoe@test . . example": not an addr-spec (two "." in a row in the domain)'],
  ])('%j is address-invalid', (field, detail) => {
    expect(findingsFor(field)).toEqual([`address-invalid error ${detail}`]);
  });
});

describe('an unterminated group is address-invalid (item 11)', () => {
  it.each([
    [utf8('From: qvaC:"\\My Documents\\…" <a@b>'), 'From: "qvaC:" starts a group that no ";" ends (a display name with ":" must be quoted)', 1],
    ['To: Group: a@b, c@d', 'To: "Group:" starts a group that no ";" ends (a display name with ":" must be quoted)', 2],
  ])('%j', (field, detail, mailboxes) => {
    expect(findingsFor(field)).toEqual([`address-invalid error ${detail}`]);
    expect(checkAddressList(field.slice(field.indexOf(':') + 1)).mailboxes).toBe(mailboxes);
  });

  it.each([utf8('From: "qvaC:\\\\My Documents\\\\…" <a@b>'), 'To: Group: a@b, c@d;'])('near miss %j: closed or quoted, no finding', (field) => {
    expect(findingsFor(field)).toEqual([]);
  });
});

describe('Sender is one mailbox (RFC 5322 §3.6.2)', () => {
  it.each([
    ['Sender: a@example.org, b@example.org', 'Sender: holds 2 mailboxes, where RFC 5322 §3.6.2 allows exactly one mailbox'],
    ['Sender: Alice <a@example.org>, Bob <b@example.org>, c@example.org', 'Sender: holds 3 mailboxes, where RFC 5322 §3.6.2 allows exactly one mailbox'],
    ['Sender: Team: a@example.org, b@example.org;', 'Sender: holds a group (2 mailboxes), where RFC 5322 §3.6.2 allows exactly one mailbox'],
    ['Sender: undisclosed-recipients:;', 'Sender: holds a group, where RFC 5322 §3.6.2 allows exactly one mailbox'],
    ['Sender: Team: a@example.org;', 'Sender: holds a group (1 mailbox), where RFC 5322 §3.6.2 allows exactly one mailbox'],
  ])('%j is address-invalid', (field, detail) => {
    expect(findingsFor(field)).toEqual([`address-invalid error ${detail}`]);
  });

  it.each([
    'Sender: a@example.org',
    // Near misses: a "," or ":" inside a quoted display name or a comment does not make a list or a group.
    'Sender: "Smith, John" <john@example.org>',
    'Sender: "Team: ops" <ops@example.org>',
    'Sender: john@example.org (John, of the ops team)',
    // A list is fine in the fields that take one.
    'Reply-To: a@example.org, b@example.org',
    'To: Team: a@example.org, b@example.org;',
  ])('near miss %j: no finding', (field) => {
    expect(findingsFor(field)).toEqual([]);
  });
});

describe('an encoded-word inside a quoted string is an info finding (item 14, RFC 2047 §5)', () => {
  it('`"=?iso-8859-1?Q?RPM=2DList?=" <…>`: encoded-word-in-quoted-string, info', () => {
    expect(findingsFor('To: "=?iso-8859-1?Q?RPM=2DList?=" <rpm-list@freshrpms.net>')).toEqual([
      'encoded-word-in-quoted-string info To: "=?iso-8859-1?Q?RPM=2DList?=" is a quoted string, where an encoded-word is not decoded',
    ]);
  });

  it.each([
    'To: =?iso-8859-1?Q?RPM=2DList?= <rpm-list@freshrpms.net>',
    'To: "RPM =? List ?=" <rpm-list@freshrpms.net>, =?utf-8?Q?caf=C3=A9?= <c@example.org>',
    'To: "RPM List" (=?iso-8859-1?Q?RPM=2DList?=) <rpm-list@freshrpms.net>',
  ])('near miss %j: no finding', (field) => {
    expect(findingsFor(field)).toEqual([]);
  });
});

describe('what address findings quote', () => {
  it('at most 80 characters of the value, then "…"', () => {
    const name = 'x'.repeat(200);
    expect(findingsFor(`To: ${name}`)).toEqual([`address-invalid error To: "${'x'.repeat(80)}…": a name without an address`]);
  });
});

describe('the address fast path', () => {
  it('accepts only what the full grammar accepts, with the same count and nothing obsolete, on generated lists with random damage', () => {
    const random = prng(53224);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const mailboxes = ['a@example.org', 'a.b@c.example', 'Alice <alice@example.org>', '"Bob, Jr." <bob@example.org>', 'x y <z@example.org>', '"" <e@x.y>', '<n@x.y>', '. <a@b>', 'Joe Q. Public <j@x.y>', '"Lincoln, D. (Dan) <x>" <d@f.example>', '"S \\(CAP\\) \\"x\\" \\\\" <s@x.y>', 'J\xf6rg \xc3\xa9 <j@x.y>'];
    const damage = ['', '', '(', ')', '\\', '"', ';', ',', '<', '>', '@', ':', '.', ' ', '\t', '\r\n ', '[', ']', '\xe9', '(c)', '\x7f', '\x01'];
    let accepted = 0;
    for (let i = 0; i < 30_000; i++) {
      let value = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(mailboxes)).join(pick([', ', ',', ' , ']));
      if (random() < 0.1) value += ' (comment)';
      const at = Math.floor(random() * (value.length + 1));
      value = value.slice(0, at) + pick(damage) + value.slice(at + (random() < 0.3 ? 1 : 0));
      const plain = fastPaths.plainMailboxCount(value);
      if (plain < 0) continue;
      accepted++;
      expect(fullAddressCheck(value), value).toEqual({ mailboxes: plain, problem: undefined, obsolete: undefined, groups: 0 });
    }
    expect(accepted).toBeGreaterThan(3000);
  });
});
