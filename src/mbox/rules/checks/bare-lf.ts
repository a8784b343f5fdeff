import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'bare-lf';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'an LF-only line in a header whose other lines end with CRLF';
export const rfc = 'RFC 5322 §2.1, RFC 5321 §2.3.8';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
