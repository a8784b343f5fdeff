import type { Severity } from '../../types.js';
import { singletons } from '../field-roles.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'duplicate-field';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a field that may occur once occurs more than once (names compared case-insensitively)';
export const rfc = 'RFC 5322 §3.6 table, §1.2.2';
export const fields: readonly string[] = singletons;
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
