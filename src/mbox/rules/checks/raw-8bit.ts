import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'raw-8bit';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'header-bytes';
export const description = 'a header line contains 8-bit bytes (not encoded-words)';
export const rfc = 'RFC 5322 §2.2, RFC 2047 (RFC 6532 only with SMTPUTF8)';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
