import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'merged-field';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a structured field value contains " Field-Name: " of a known field (two fields merged)';
export const rfc = 'RFC 5322 §3.6 (one field per line)';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the merged-field pass (merged-field.ts, header-bytes.ts)' };
