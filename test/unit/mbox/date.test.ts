import { describe, expect, it } from 'vitest';
import { lintMessage } from '../../../src/mbox/index.js';
import { checkDate, fastPaths, fullDateCheck } from '../../../src/mbox/rules/values.js';
import { prng } from './helpers.js';

const dateRules = new Set(['date-invalid', 'date-zone', 'date-weekday', 'date-trailing-text']);

/** The date rules' findings for `Date: value` in an otherwise clean message, as `rule severity detail`. */
function findingsFor(value: string): string[] {
  const message = `Date: ${value}\nFrom: Alice <alice@example.org>\nMessage-ID: <1@example.org>\n\nbody\n`;
  return lintMessage(Buffer.from(message, 'latin1'))
    .filter((f) => dateRules.has(f.rule))
    .map((f) => `${f.rule} ${f.severity} ${f.detail}`);
}

describe('a 12-hour clock is not an RFC 5322 time', () => {
  it.each([
    ['27 Jun 01 3:36:25 AM', 'hour "3" is not two digits; "AM": RFC 5322 times are 24-hour, without AM or PM; no time zone'],
    ['Sat, 12 Jan 2002 06:50:21 PM -0400', '"PM": RFC 5322 times are 24-hour, without AM or PM'],
  ])('%j: one date-invalid finding with every reason, no date-zone or date-trailing-text', (value, detail) => {
    expect(findingsFor(value)).toEqual([`date-invalid error ${detail}`]);
  });

  it.each(['27 Jun 01 03:36:25 +0000', 'Sat, 12 Jan 2002 18:50:21 -0400', 'Sat, 12 Jan 2002 06:50:21 -0400 (PM)'])('near miss %j: a valid date, no finding', (value) => {
    expect(findingsFor(value)).toEqual([]);
  });
});

describe('a comment left open at the end of a Date value makes it invalid (RFC 5322 §3.2.2)', () => {
  it.each([
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT', 'the comment "(EDT" is not closed'],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT (summer)', 'the comment "(EDT (summer)" is not closed'],
    ['Fri, 8 Sep 2017 13:44:33 -0400 (EDT \\)', 'the comment "(EDT \\)" is not closed'],
    ['8 Sep 17 3:44 PM -0400 (EDT', 'hour "3" is not two digits; "PM": RFC 5322 times are 24-hour, without AM or PM; the comment "(EDT" is not closed'],
    ['(Friday Fri, 8 Sep 2017 13:44:33 -0400', '"(Friday Fri, 8 Sep 2017 13:44:33 -0400" is not an RFC 5322 date-time; the comment "(Friday Fri, 8 Sep 2017 13:44:33 -0400" is not closed'],
  ])('%j: one date-invalid finding naming it', (value, detail) => {
    expect(findingsFor(value)).toEqual([`date-invalid error ${detail}`]);
  });

  it.each(['Fri, 8 Sep 2017 13:44:33 -0400 (EDT)', 'Fri, 8 Sep 2017 13:44:33 -0400 (EDT (summer))', 'Fri, 8 Sep 2017 13:44:33 -0400 (EDT \\))', 'Fri, 8 Sep 2017 13:44:33 (CET) +0100'])('near miss %j: every comment closed, no finding', (value) => {
    expect(findingsFor(value)).toEqual([]);
  });
});

describe('zones are ±HHMM with MM below 60, at most 14 hours from UTC (item 9)', () => {
  it.each([
    ['Fri, 8 Sep 2017 13:44:33 -3000', 'zone -3000 is more than 14 hours from UTC, which no time zone is'],
    ['Fri, 8 Sep 2017 13:44:33 +2400', 'zone +2400 is more than 14 hours from UTC, which no time zone is'],
    ['Fri, 8 Sep 2017 13:44:33 +1401', 'zone +1401 is more than 14 hours from UTC, which no time zone is'],
    ['Fri, 8 Sep 2017 13:44:33 -0460', 'zone -0460 has more than 59 minutes'],
  ])('%j: date-zone', (value, detail) => {
    expect(findingsFor(value)).toEqual([`date-zone warning ${detail}`]);
  });

  it.each(['Fri, 8 Sep 2017 13:44:33 +1400', 'Fri, 8 Sep 2017 13:44:33 -1200', 'Fri, 8 Sep 2017 13:44:33 +1345', 'Fri, 8 Sep 2017 13:44:33 -0000'])('near miss %j: no finding', (value) => {
    expect(findingsFor(value)).toEqual([]);
  });
});

describe('a Date line that is not a date-time gets one date-invalid finding with all its reasons', () => {
  it.each([
    ['31 Feb 2017 25:00:00 +0000 (x) and more', 'day 31 does not exist in Feb 2017; time 25:00:00 is out of range; text after the date: "and more"'],
    ['32 Foo 2017 10:00:00 +2400', 'unknown month "Foo"; zone +2400 is more than 14 hours from UTC, which no time zone is'],
    ['Tue, 27 Aug 0102 23:35:10 +0700', 'year 0102 is before 1900'],
    ['Mon, 8 Sep 2017 9:44:33', 'hour "9" is not two digits; no time zone'],
  ])('%j', (value, detail) => {
    expect(findingsFor(value)).toEqual([`date-invalid error ${detail}`]);
  });

  it('near miss: a valid date with text after it is date-trailing-text alone, a wrong weekday date-weekday alone', () => {
    expect(findingsFor('Fri, 8 Sep 2017 13:44:33 -0400 and more')).toEqual(['date-trailing-text error text after the date: "and more"']);
    expect(findingsFor('Mon, 8 Sep 2017 13:44:33 GMT')).toEqual(['date-weekday warning 8 Sep 2017 is a Fri, not Mon', 'date-zone warning obsolete zone name "GMT" (use a numeric offset)']);
  });
});

describe('the date fast path', () => {
  it('accepts only dates the full check finds nothing wrong with, on generated dates with random damage', () => {
    const random = prng(5323);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Xyz'];
    const months = ['Jan', 'Feb', 'Sep', 'Dec', 'Foo'];
    const digits = (n: number, width: number) => String(n).padStart(width, '0');
    let accepted = 0;
    for (let i = 0; i < 40_000; i++) {
      let value = `${pick(weekdays)}, ${1 + Math.floor(random() * 31)} ${pick(months)} ${pick(['2017', '2016', '1899', '0102', '1900', '2100'])} ${digits(Math.floor(random() * 25), 2)}:${digits(Math.floor(random() * 61), 2)}:${digits(Math.floor(random() * 62), 2)} ${pick(['+', '-'])}${digits(Math.floor(random() * 16), 2)}${digits(pick([0, 30, 45, 59, 60, 99]), 2)}${pick(['', '', ' (EDT)', ' x'])}`;
      if (random() < 0.3) {
        const at = Math.floor(random() * (value.length + 1));
        value = value.slice(0, at) + pick([' ', '', ':', '0', 'a', '(', '\r\n ']) + value.slice(at + 1);
      }
      if (!fastPaths.isPlainDate(value)) continue;
      accepted++;
      expect(fullDateCheck(value), value).toEqual({ problems: [], trailing: '' });
      expect(checkDate(value).problems).toEqual([]);
    }
    expect(accepted).toBeGreaterThan(500);
  });
});
