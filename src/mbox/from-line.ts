import { latin1 } from './line.js';

/**
 * Parses the body of an mbox From_ line (after "From "). RFC 4155 §2 describes it as
 * `From SP sender SP timestamp`, the timestamp in asctime form; real writers add zones,
 * drop seconds or leave the sender empty (`From  Mon …`), so the date is located from the
 * first weekday token and everything before it is the sender.
 */
export interface FromLine {
  dateKind: 'asctime' | 'other' | 'none';
  /**
   * `sender SP asctime` with a sender of printable ASCII without spaces, what nearly every
   * writer puts there: no check has anything to say of it. `parseFromLineBytes` then leaves
   * `sender` and `date` empty rather than decode them.
   */
  plain: boolean;
  sender: string;
  date: string;
}


const weekdayDate = /^(.*?)(?:^|[ \t]+)((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?![A-Za-z]).*?\d{1,2}:\d{2}.*)$/;
const asctime = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** Three bytes as one number, case kept: the names below are matched exactly, as in `asctime`. */
const key3 = (b: Uint8Array, i: number): number => (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
const keysOf = (names: string[]): number[] => names.map((name) => key3(Buffer.from(name, 'latin1'), 0));
const weekdayKeys = keysOf(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const monthKeys = keysOf(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
/** `Www Mmm dd hh:mm:ss yyyy` after the names: "d" is a digit, "s" a digit or a space. */
const asctimeTail = Buffer.from(' sd dd:dd:dd dddd', 'latin1');

/** True when the 24 bytes from `i` are a date that `asctime` matches. */
function isAsctimeAt(b: Uint8Array, i: number): boolean {
  if (b[i + 3] !== 0x20 || !weekdayKeys.includes(key3(b, i)) || !monthKeys.includes(key3(b, i + 4))) return false;
  for (let k = 0; k < asctimeTail.length; k++) {
    const want = asctimeTail[k];
    const c = b[i + 7 + k]!;
    const ok = want === 0x64 ? isDigit(c) : want === 0x73 ? isDigit(c) || c === 0x20 : c === want;
    if (!ok) return false;
  }
  return true;
}

/**
 * Where the date starts when the From_ line's rest, `b[start..end)`, is plain (see
 * `FromLine.plain`) and does not start like a weekday itself, or -1: such lines are parsed
 * as `weekdayDate` would, without it.
 */
function plainDateAt(b: Uint8Array, start: number, end: number): number {
  const dateAt = end - 24;
  if (dateAt - start < 2 || b[dateAt - 1] !== 0x20 || !isAsctimeAt(b, dateAt)) return -1;
  for (let i = start; i < dateAt - 1; i++) {
    const c = b[i]!;
    if (c <= 0x20 || c >= 0x7f) return -1;
  }
  if (weekdayKeys.includes(key3(b, start)) && !isLetter(b[start + 3]!)) return -1;
  return dateAt;
}

/** What `parseFromLineBytes` gives for every plain line: shared, so not to be changed. */
const plainLine: FromLine = Object.freeze({ dateKind: 'asctime', plain: true, sender: '', date: '' });

/** `parseFromLine` of the bytes after "From ", decoded only when the line is not plain. */
export function parseFromLineBytes(b: Uint8Array, start: number, end: number): FromLine {
  return plainDateAt(b, start, end) >= 0 ? plainLine : parseOther(latin1(b, start, end));
}

export function parseFromLine(rest: string): FromLine {
  const b = Buffer.from(rest, 'latin1');
  const dateAt = plainDateAt(b, 0, b.length);
  return dateAt >= 0 ? { dateKind: 'asctime', plain: true, sender: rest.slice(0, dateAt - 1), date: rest.slice(dateAt) } : parseOther(rest);
}

function parseOther(rest: string): FromLine {
  const m = weekdayDate.exec(rest);
  if (!m) return { dateKind: 'none', plain: false, sender: rest.trim(), date: '' };
  const date = m[2]!.trimEnd();
  return { dateKind: asctime.test(date) ? 'asctime' : 'other', plain: false, sender: m[1]!.trim(), date };
}
