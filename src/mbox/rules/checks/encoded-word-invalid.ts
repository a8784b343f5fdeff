import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'encoded-word-invalid';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'values';
export const description = 'a malformed RFC 2047 encoded-word';
export const rfc = 'RFC 2047 §2, §5';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, encoded-word.ts)' };
