import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'empty-required';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a Date or From field is empty';
export const rfc = 'RFC 5322 §3.6.1, §3.6.2';
export const fields: readonly string[] = ['date', 'from'];
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
