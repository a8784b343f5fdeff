import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'no-trailing-newline';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = 'the file does not end with a line ending (truncated?)';
export const rfc = 'RFC 4155 §2';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the scanner (scanner.ts)' };
