import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'line-too-long';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a header line is longer than 998 octets';
export const rfc = 'RFC 5322 §2.1.1';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
