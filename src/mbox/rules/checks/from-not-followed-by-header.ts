import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-not-followed-by-header';
export const severity: Severity = 'error';
export const group: RuleGroup = 'framing';
export const description = 'the line after a From_ line is not a header field';
export const rfc = 'RFC 4155 §2; RFC 5322 §2.2';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the scanner and the message linter (message-linter.ts)' };
