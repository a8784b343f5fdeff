import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-date-nonstandard';
export const severity: Severity = 'info';
export const group: RuleGroup = 'framing';
export const description = 'the From_ line date is not in asctime form (`Www Mmm dd hh:mm:ss yyyy`)';
export const rfc = 'RFC 4155 §2 (asctime timestamp)';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the From_ line checks (framing.ts)' };
