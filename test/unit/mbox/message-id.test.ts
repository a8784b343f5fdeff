import { describe, expect, it } from 'vitest';
import { lintMessage } from '../../../src/mbox/index.js';
import { checkMessageId, fastPaths, fullMessageIdCheck } from '../../../src/mbox/rules/values.js';
import { prng } from './helpers.js';

/** The Message-ID rules' findings for `Message-ID: value` in an otherwise clean message, as `rule severity detail`. */
function findingsFor(value: string): string[] {
  const message = `Date: Fri, 8 Sep 2017 13:44:33 -0400\nFrom: Alice <alice@example.org>\nMessage-ID: ${value}\n\nbody\n`;
  return lintMessage(Buffer.from(message, 'latin1'))
    .filter((f) => f.rule.startsWith('message-id'))
    .map((f) => `${f.rule} ${f.severity} ${f.detail}`);
}

const x400 = '<"020828081752Z.WT24519.  6*/PN=Robin.Hill/OU=Technical/OU=NOTES/O=BAe MAA/PRMD=BAE/ADMD=GOLD 400/C=GB/"@MHS>';

describe('obsolete Message-IDs are an info finding, not message-id-invalid', () => {
  it.each([
    // An X.400 gateway's quoted local part (obs-id-left, RFC 5322 §3.6.4).
    [x400, `"${x400.slice(0, 80)}": a quoted id-left`],
    // CFWS inside the brackets (obs-id-right is a domain, which may hold CFWS).
    ['<9209252113.AA00975@ ebony >', '"<9209252113.AA00975@ ebony >": white space or a comment inside "<…>"'],
    ['<1234   @   local(blah)  .machine .example>', '"<1234   @   local(blah)  .machine .example>": white space or a comment inside "<…>"'],
  ])('%j: message-id-obsolete', (value, detail) => {
    expect(findingsFor(value)).toEqual([`message-id-obsolete info ${detail}`]);
  });

  it.each([
    // Near misses: the quoted string is not closed; text after ">".
    [x400.replace('/"@', '/@'), 'a quoted string is not closed'],
    ['<9209252113.AA00975@ ebony > x', 'text after ">"'],
  ])('near miss %j: message-id-invalid', (value, why) => {
    expect(findingsFor(value)).toEqual([`message-id-invalid warning "${value.slice(0, 80)}" is not <id-left@id-right>: ${why}`]);
  });
});

describe('id-left and id-right are dot-atoms (item 10, RFC 5322 §3.6.4)', () => {
  it.each([
    ['<00004ee7187c$00004968$00001798@.>', 'a "." at the start of the domain'],
    ['<000073173ef4$00003636$00002f97@..>', 'a "." at the start of the domain'],
    ['<a..b@host>', 'two "." in a row in the local part'],
    ['<Mail2L:20020923.1@host>', '":" where "@" should be'],
    ['<a@b..c>', 'two "." in a row in the domain'],
    ['<a.@host>', 'a "." at the end of the local part'],
    ['<a@host.>', 'a "." at the end of the domain'],
    ['<a@b@c>', '"@" where ">" should be'],
  ])('%j: message-id-invalid', (value, why) => {
    expect(findingsFor(value)).toEqual([`message-id-invalid warning "${value}" is not <id-left@id-right>: ${why}`]);
  });

  it.each(['<a.b@host>', '<a@b.c>', '<a@[127.0.0.1]>', '<Mail2L.20020923.1@host>', "<!#$%&'*+/=?^_`{|}~-@x>", ' <a@b> (comment)'])('near miss %j: valid, no finding', (value) => {
    expect(findingsFor(value)).toEqual([]);
  });
});

describe('the Message-ID fast path', () => {
  it('accepts only ids the full grammar takes as valid and current, on generated ids with random damage', () => {
    const random = prng(3364);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const damage = ['', '.', '..', '@', ':', ' ', '"', '(', ')', '(c)', '[', ']', '<', '>', '\\', '\r\n ', '\xe9'];
    let accepted = 0;
    for (let i = 0; i < 30_000; i++) {
      let value = `${pick(['', ' '])}<${pick(['a', 'a.b', '1234.5678', 'x$y'])}@${pick(['host', 'b.example', '[1.2.3.4]'])}>${pick(['', ' (c)', ' '])}`;
      const at = Math.floor(random() * (value.length + 1));
      value = value.slice(0, at) + pick(damage) + value.slice(at + (random() < 0.3 ? 1 : 0));
      if (!fastPaths.isPlainMessageId(value)) continue;
      accepted++;
      expect(fullMessageIdCheck(value), value).toEqual({ problem: undefined, obsolete: undefined });
      expect(checkMessageId(value)).toEqual({ problem: undefined, obsolete: undefined });
    }
    expect(accepted).toBeGreaterThan(2000);
  });
});
