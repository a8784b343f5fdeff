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

export function parseFromLine(rest: string): FromLine {
  const m = weekdayDate.exec(rest);
  if (!m) return { sender: rest.trim(), date: '', dateKind: 'none' };
  const date = m[2]!.trimEnd();
  return { sender: m[1]!.trim(), date, dateKind: asctime.test(date) ? 'asctime' : 'other' };
}
