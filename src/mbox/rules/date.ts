import type { Field, RuleSink } from '../field.js';
import { daysInMonth, isPlainValidDate, maxZoneMinutes, months, weekdayOf, weekdays } from './plain-values.js';
import { bytesOf, isBlankValue, scratch, stripComments } from './value-lexer.js';

/**
 * The Date field (RFC 5322 §3.3, with the obsolete forms of §4.3). Problems are
 * `[ruleId, detail]` pairs; the caller places them.
 */
export type ValueProblem = readonly [rule: string, detail: string];

export interface DateCheck {
  readonly problems: readonly ValueProblem[];
  trailing: string;
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

/** What `checkDate` says of a correct date: shared, so not to be changed. */
const validDate: DateCheck = Object.freeze({ problems: Object.freeze([]), trailing: '' });

export function checkDate(value: string): DateCheck {
  const { buf, start, end } = bytesOf(value);
  return isPlainValidDate(buf, start, end) ? validDate : fullDateCheck(value);
}

/** `checkDate` of a field's value, decoded only when the fast path cannot decide. */
function checkDateOf(f: Field): DateCheck {
  const { buf, start, end } = f.valueBytes(scratch);
  if (!isPlainValidDate(buf, start, end)) return fullDateCheck(f.value);
  f.noColonSpace = true;
  return validDate;
}

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
  if (!m) return { problems: [['date-invalid', `"${value.trim().slice(0, 80)}" is not an RFC 5322 date-time`]], trailing: '' };
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

/** The Date field's findings: `date-invalid`, `date-zone`, `date-weekday`, `date-trailing-text`. */
export function checkDateField(sink: RuleSink, f: Field): void {
  if (isBlankValue(f)) return;
  const { problems, trailing } = checkDateOf(f);
  for (const [rule, detail] of problems) sink.report(rule, f.line, f.line.offset, detail);
  if (trailing !== '') sink.report('date-trailing-text', f.line, f.line.offset, `text after the date: "${trailing.slice(0, 80)}"`);
}
