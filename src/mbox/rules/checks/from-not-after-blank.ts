import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-not-after-blank';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = 'a From_ line is not preceded by an empty line';
export const rfc = 'RFC 4155 §2 (messages end with an empty line)';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the From_ line checks (framing.ts)' };
