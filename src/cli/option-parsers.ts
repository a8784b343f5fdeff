import { UsageError } from '../errors.js';

/**
 * The parsers of option values that every command shares, so that the same kind of value
 * is read by the same rule everywhere: digits only (no sign, no exponent, no blank), within
 * a range each option states, and a usage error naming the option, the value and the range.
 */

/** The largest whole number any option takes; beyond it a value is a typo, not a wish. */
const largest = 1_000_000_000;

/** A day: the longest wait, delay or timeout any option takes, in milliseconds. */
export const maxMilliseconds = 86_400_000;

export interface WholeNumberRange {
  min: number;
  max?: number;
  /** Said in the error after the range, e.g. "milliseconds". */
  unit?: string;
}

/** Reads a whole number from `min` to `max` (inclusive), or throws a UsageError naming `option`. */
export function parseWholeNumber(option: string, value: string, { min, max = largest, unit }: WholeNumberRange): number {
  const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    const range = max === largest ? `at least ${min}` : `${min} to ${max}`;
    throw new UsageError(`${option} ${value}: expected a whole number, ${range}${unit ? ` ${unit}` : ''}`);
  }
  return n;
}

/** A commander option parser for a whole number in a range. */
export function wholeNumber(option: string, range: WholeNumberRange): (value: string) => number {
  return (value) => parseWholeNumber(option, value, range);
}

/** A commander option parser for a duration in milliseconds; `min` 0 where 0 means "off". */
export function milliseconds(option: string, min = 1): (value: string) => number {
  return wholeNumber(option, { min, max: maxMilliseconds, unit: 'milliseconds' });
}
