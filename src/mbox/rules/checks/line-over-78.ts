import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'line-over-78';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'a header line is longer than 78 characters';
export const rfc = 'RFC 5322 §2.1.1 (SHOULD)';
export const defaultOn = false;
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
