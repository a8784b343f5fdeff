import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'missing-message-id';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'the header has no Message-ID field';
export const rfc = 'RFC 5322 §3.6.4 (SHOULD)';
export const fields: readonly string[] = ['message-id'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts)' };
