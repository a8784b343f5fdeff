import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'date-zone';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'values';
export const description = 'the Date field has a missing, obsolete or impossible time zone';
export const rfc = 'RFC 5322 §3.3, §4.3';
export const fields: readonly string[] = ['date'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, date.ts)' };
