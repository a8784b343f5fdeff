import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'missing-date';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'the header has no Date field';
export const rfc = 'RFC 5322 §3.6';
export const fields: readonly string[] = ['date'];
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
