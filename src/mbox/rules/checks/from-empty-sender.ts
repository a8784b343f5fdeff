import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-empty-sender';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = 'From_ line with an empty envelope sender (`From  Mon …`, two spaces)';
export const rfc = 'RFC 4155 §2; readers that split on one space misread it';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the From_ line checks (framing.ts)' };
