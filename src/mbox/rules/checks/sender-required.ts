import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'sender-required';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'From has several mailboxes but there is no Sender field';
export const rfc = 'RFC 5322 §3.6.2';
export const fields: readonly string[] = ['from', 'sender'];
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
