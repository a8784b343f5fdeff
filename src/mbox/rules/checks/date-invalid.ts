import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'date-invalid';
export const severity: Severity = 'error';
export const group: RuleGroup = 'values';
export const description = 'the Date field is not an RFC 5322 date-time';
export const rfc = 'RFC 5322 §3.3';
export const fields: readonly string[] = ['date'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, date.ts)' };
