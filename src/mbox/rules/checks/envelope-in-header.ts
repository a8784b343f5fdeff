import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'envelope-in-header';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a header line starts with "From " (an envelope line); mbox readers split the message there';
export const rfc = 'RFC 4155 §2; RFC 5322 §3.6.8';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
