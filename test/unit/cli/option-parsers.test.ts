import { describe, expect, it } from 'vitest';
import { milliseconds, parseWholeNumber, wholeNumber } from '../../../src/cli/option-parsers.js';

describe('option parsers', () => {
  it.each(['', ' 1', '1 ', '-1', '+1', '1e3', '0x10', '1.5', 'abc', '99999999999'])('refuses %j as a whole number', (value) => {
    expect(() => parseWholeNumber('--count', value, { min: 0 })).toThrow(`--count ${value}: expected a whole number, at least 0`);
  });

  it('takes the range each option states, 0 included only where the option says so', () => {
    expect(wholeNumber('--retry', { min: 0 })('0')).toBe(0);
    expect(() => wholeNumber('--count', { min: 1 })('0')).toThrow('--count 0: expected a whole number, at least 1');
    expect(wholeNumber('--jobs', { min: 1, max: 64 })('64')).toBe(64);
    expect(() => wholeNumber('--jobs', { min: 1, max: 64 })('65')).toThrow('--jobs 65: expected a whole number, 1 to 64');
  });

  it('reads milliseconds up to a day', () => {
    expect(milliseconds('--timeout')('30000')).toBe(30_000);
    expect(milliseconds('--idle-timeout', 0)('0')).toBe(0);
    expect(() => milliseconds('--timeout')('0')).toThrow('--timeout 0: expected a whole number, 1 to 86400000 milliseconds');
    expect(() => milliseconds('--timeout')('86400001')).toThrow('--timeout 86400001: expected a whole number, 1 to 86400000 milliseconds');
  });
});
