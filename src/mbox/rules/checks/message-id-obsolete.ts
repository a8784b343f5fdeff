import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'message-id-obsolete';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'Message-ID uses obsolete syntax that readers must accept: a quoted id-left, white space or a comment inside <…>';
export const rfc = 'RFC 5322 §3.6.4, §4.5.4';
export const fields: readonly string[] = ['message-id'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, message-id.ts)' };
