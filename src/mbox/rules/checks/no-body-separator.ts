import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'no-body-separator';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'header-bytes';
export const description = 'the header does not end with an empty line';
export const rfc = 'RFC 5322 §2.1';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
