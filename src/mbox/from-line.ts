/**
 * Parses the body of an mbox From_ line (after "From "). RFC 4155 §2 describes it as
 * `From SP sender SP timestamp`, the timestamp in asctime form; real writers add zones,
 * drop seconds or leave the sender empty (`From  Mon …`), so the date is located from the
 * first weekday token and everything before it is the sender.
 */
export interface FromLine {
  sender: string;
  date: string;
  dateKind: 'asctime' | 'other' | 'none';
}

const weekdayDate = /^(.*?)(?:^|[ \t]+)((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?![A-Za-z]).*?\d{1,2}:\d{2}.*)$/;
const asctime = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/;

/** Three characters as one number, case kept: the names below are matched exactly, as in `asctime`. */
const key3 = (s: string, i: number): number => (s.charCodeAt(i) << 16) | (s.charCodeAt(i + 1) << 8) | s.charCodeAt(i + 2);
const weekdayKeys = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((name) => key3(name, 0));
const monthKeys = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((name) => key3(name, 0));
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLetter = (c: number): boolean => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
/** `Www Mmm dd hh:mm:ss yyyy` after the names: "d" is a digit, "s" a digit or a space. */
const asctimeTail = ' sd dd:dd:dd dddd';

/** True when the 24 characters from `i` are a date that `asctime` matches. */
function isAsctimeAt(s: string, i: number): boolean {
  if (s.charCodeAt(i + 3) !== 0x20 || !weekdayKeys.includes(key3(s, i)) || !monthKeys.includes(key3(s, i + 4))) return false;
  for (let k = 0; k < asctimeTail.length; k++) {
    const want = asctimeTail.charCodeAt(k);
    const c = s.charCodeAt(i + 7 + k);
    const ok = want === 0x64 ? isDigit(c) : want === 0x73 ? isDigit(c) || c === 0x20 : c === want;
    if (!ok) return false;
  }
  return true;
}

/**
 * `sender SP asctime` with a sender of printable ASCII that does not itself start like a
 * weekday (what nearly every writer puts there): parsed as `weekdayDate` would, without it.
 */
function parsePlainFromLine(rest: string): FromLine | undefined {
  const dateAt = rest.length - 24;
  if (dateAt < 2 || rest.charCodeAt(dateAt - 1) !== 0x20 || !isAsctimeAt(rest, dateAt)) return undefined;
  for (let i = 0; i < dateAt - 1; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return undefined;
  }
  if (weekdayKeys.includes(key3(rest, 0)) && !isLetter(rest.charCodeAt(3))) return undefined;
  return { sender: rest.slice(0, dateAt - 1), date: rest.slice(dateAt), dateKind: 'asctime' };
}

export function parseFromLine(rest: string): FromLine {
  const plain = parsePlainFromLine(rest);
  if (plain) return plain;
  const m = weekdayDate.exec(rest);
  if (!m) return { sender: rest.trim(), date: '', dateKind: 'none' };
  const date = m[2]!.trimEnd();
  return { sender: m[1]!.trim(), date, dateKind: asctime.test(date) ? 'asctime' : 'other' };
}
