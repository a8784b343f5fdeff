import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'from-unparseable';
export const severity: Severity = 'error';
export const group: RuleGroup = 'framing';
export const description = 'a separator line starting with "From " has no recognisable date';
export const rfc = 'RFC 4155 §2';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the From_ line checks (framing.ts)' };
