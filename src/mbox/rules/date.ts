import { openCommentStart, stripComments } from './value-lexer.js';
import type { RuleId } from './catalog.js';

/**
 * The Date field's grammar (RFC 5322 §3.3, with the obsolete forms of §4.3), for the values
 * that the fast path (values.ts) does not take. Problems are `[ruleId, detail]` pairs; the
 * caller places them.
 */
export type ValueProblem = readonly [rule: RuleId, detail: string];

export interface DateCheck {
  readonly problems: readonly ValueProblem[];
  trailing: string;
}

export const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** No place on Earth keeps a time more than 14 hours from UTC (UTC+14, Line Islands). */
export const maxZoneMinutes = 14 * 60;

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export const daysInMonth = (year: number, month: number): number =>
  month === 1 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : monthDays[month]!;

/** Day of the week (0 for Sunday) of a Gregorian date from year 1 on, `month` from 0 (Sakamoto's method). */
const monthShift = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
export function weekdayOf(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  return (y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + monthShift[month]! + day) % 7;
}

/** RFC 5322 §4.3 obsolete zones: readers may treat the military letters as -0000. */
const obsoleteZones = new Set(['UT', 'GMT', 'EST', 'EDT', 'CST', 'CDT', 'MST', 'MDT', 'PST', 'PDT']);

/**
 * RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two- and three-digit years,
 * named zones) accepted so that they can be reported as such, and the shapes of the
 * mistakes writers make: a one-digit hour and a 12-hour clock's AM or PM. Comments (CFWS)
 * between tokens are removed first; what is left after the zone is trailing text.
 */
const dateTime =
  /^\s*(?:([A-Za-z]{3})\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\s*([AaPp][Mm])(?![A-Za-z]))?(?:\s+([+-]\d{4}|[A-Za-z]{1,5})(?![\w]))?(.*)$/s;

/** What is wrong with the zone, if anything (RFC 5322 §3.3 zone, §4.3 obs-zone). */
function zoneProblem(zone: string | undefined): string | undefined {
  if (zone === undefined) return 'no time zone';
  if (zone[0] === '+' || zone[0] === '-') {
    // ±HHMM: hours and minutes of the offset from UTC.
    const minutes = Number(zone.slice(3));
    if (minutes > 59) return `zone ${zone} has more than 59 minutes`;
    if (Number(zone.slice(1, 3)) * 60 + minutes > maxZoneMinutes) return `zone ${zone} is more than 14 hours from UTC, which no time zone is`;
    return undefined;
  }
  if (obsoleteZones.has(zone.toUpperCase()) || /^[A-IK-Za-ik-z]$/.test(zone)) return `obsolete zone name "${zone}" (use a numeric offset)`;
  return `unknown zone "${zone}"`;
}

/**
 * The full check. A value that is not a date-time gets one `date-invalid` problem naming
 * every reason, its zone and any trailing text among them; `date-zone`, `date-weekday` and
 * the trailing text are reported apart only for a value that is otherwise a date.
 */
export function fullDateCheck(value: string): DateCheck {
  const m = dateTime.exec(stripComments(value));
  // A comment left open swallows the rest of the value for a reader (RFC 5322 §3.2.2).
  const open = openCommentStart(value);
  const openComment = open < 0 ? undefined : `the comment "${value.slice(open).trim().slice(0, 40)}" is not closed`;
  if (!m) {
    const detail = `"${value.trim().slice(0, 80)}" is not an RFC 5322 date-time`;
    return { problems: [['date-invalid', openComment === undefined ? detail : `${detail}; ${openComment}`]], trailing: '' };
  }
  const [, wd, dd, mon, yy, hh, mi, ss, ampm, zone, rest] = m;
  const invalid: string[] = [];
  const month = months.indexOf(mon!.toLowerCase() as (typeof months)[number]);
  // RFC 5322 §4.3: two-digit years from 00 to 49 are 20xx, other two- and three-digit years 1900 + year.
  let year = Number(yy);
  if (yy!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yy!.length === 3) year += 1900;
  const day = Number(dd);
  if (month < 0) invalid.push(`unknown month "${mon}"`);
  else if (day < 1 || day > daysInMonth(year, month)) invalid.push(`day ${day} does not exist in ${mon} ${year}`);
  if (year < 1900) invalid.push(`year ${yy} is before 1900`);
  if (hh!.length === 1) invalid.push(`hour "${hh}" is not two digits`);
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss ?? 0) > 60) invalid.push(`time ${hh}:${mi}${ss ? `:${ss}` : ''} is out of range`);
  if (ampm !== undefined) invalid.push(`"${ampm}": RFC 5322 times are 24-hour, without AM or PM`);
  if (openComment !== undefined) invalid.push(openComment);
  const zoneIssue = zoneProblem(zone);
  const trailing = rest!.trim();
  if (invalid.length > 0) {
    if (zoneIssue !== undefined) invalid.push(zoneIssue);
    if (trailing !== '') invalid.push(`text after the date: "${trailing.slice(0, 80)}"`);
    return { problems: [['date-invalid', invalid.join('; ')]], trailing: '' };
  }
  const problems: ValueProblem[] = [];
  if (zoneIssue !== undefined) problems.push(['date-zone', zoneIssue]);
  if (wd !== undefined) {
    const actual = weekdays[weekdayOf(year, month, day)]!;
    if (wd.toLowerCase() !== actual) problems.push(['date-weekday', `${dd} ${mon} ${year} is a ${actual[0]!.toUpperCase()}${actual.slice(1)}, not ${wd}`]);
  }
  return { problems, trailing };
}
