import type { RuleSink } from '../field.js';
import type { FromLine } from '../from-line.js';
import type { Line } from '../line.js';

/** Checks of one From_ line that was taken as a message separator (RFC 4155 §2). */
export function checkFromLine(sink: RuleSink, line: Line, parsed: FromLine, precededByBlank: boolean, atFileStart: boolean): void {
  const at = line.offset;
  if (!precededByBlank && !atFileStart) sink.report('from-not-after-blank', line, at, 'From_ line directly after a non-empty line: the previous message does not end with an empty line');
  // `sender SP asctime` with a sender of printable ASCII without spaces: nothing else to report.
  if (parsed.plain) return;
  if (parsed.dateKind === 'none') {
    sink.report('from-unparseable', line, at, 'line starting with "From " has no date: readers disagree on whether it starts a message');
  } else if (parsed.dateKind === 'other') {
    sink.report('from-date-nonstandard', line, at + 5 + Math.max(0, line.bytes.length - 5 - parsed.date.length), `date "${parsed.date}" is not asctime (Www Mmm dd hh:mm:ss yyyy)`);
  }
  if (parsed.dateKind !== 'none' && parsed.sender === '') {
    sink.report('from-empty-sender', line, at + 5, 'From_ line without an envelope sender: readers that split on spaces take the weekday as the sender');
  } else if (/\s/.test(parsed.sender)) {
    sink.report('from-sender-spaces', line, at + 5, `envelope sender "${parsed.sender}" contains spaces`);
  }
}
