import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'blank-continuation';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'header-bytes';
export const description = 'a folded header line consists only of white space';
export const rfc = 'RFC 5322 §3.2.2, §4.2';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
