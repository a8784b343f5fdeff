import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'space-before-colon';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'header-bytes';
export const description = 'white space between a field name and its colon (obsolete syntax)';
export const rfc = 'RFC 5322 §4.5';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
