import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'continuation-first';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'the first header line starts with white space (a continuation of nothing)';
export const rfc = 'RFC 5322 §2.2.3';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
