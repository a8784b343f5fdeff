import type { Line } from './line.js';

/** One header field: its first line, its continuation lines and the unfolded value. */
export interface Field {
  name: string;
  lower: string;
  /** Unfolded value (RFC 5322 §2.2.3: CRLF removed, the white space kept), latin1, cut. */
  value: string;
  line: Line;
}

/** Where problems go; the message linter implements it and fills in message context. */
export interface RuleSink {
  report(rule: string, line: Line, offset: number, detail: string): void;
}

/** Cut for unfolded values, so a header of folded lines cannot grow without bound. */
export const valueKeepChars = 64 * 1024;
