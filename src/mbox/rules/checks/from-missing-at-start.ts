import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-missing-at-start';
export const severity: Severity = 'error';
export const group: RuleGroup = 'framing';
export const description = 'the file does not begin with a From_ line';
export const rfc = 'RFC 4155 §2';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the scanner (scanner.ts)' };
