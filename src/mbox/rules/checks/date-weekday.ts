import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'date-weekday';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'values';
export const description = 'the day of the week does not match the date';
export const rfc = 'RFC 5322 §3.3';
export const fields: readonly string[] = ['date'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, date.ts)' };
