import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'duplicate-field';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a field that may occur once occurs more than once (names compared case-insensitively)';
export const rfc = 'RFC 5322 §3.6 table, §1.2.2';
export const fields: readonly string[] = ['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'subject'];
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
