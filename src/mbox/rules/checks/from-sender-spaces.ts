import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-sender-spaces';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = 'the envelope sender in the From_ line contains spaces';
export const rfc = 'RFC 4155 §2 (sender is one token)';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the From_ line checks (framing.ts)' };
