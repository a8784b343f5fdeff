import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'message-id-invalid';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'values';
export const description = 'Message-ID is not of the form <left@right>';
export const rfc = 'RFC 5322 §3.6.4';
export const fields: readonly string[] = ['message-id'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, message-id.ts)' };
