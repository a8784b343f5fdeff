import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'invalid-field-name';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a field name contains characters outside printable US-ASCII or is empty';
export const rfc = 'RFC 5322 §2.2, §3.6.8';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
