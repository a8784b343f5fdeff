import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'control-char';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a header line contains NUL or another control character';
export const rfc = 'RFC 5322 §2.2, §3.2.3';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
