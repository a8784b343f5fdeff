import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'bare-cr';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'a CR not followed by LF in a header: CR is not a line end, readers disagree';
export const rfc = 'RFC 5322 §2.2, RFC 5321 §2.3.8';
export const fields: readonly string[] = ['*'];
export const check: SharedPass = { sharedPass: 'the header line pass (header-bytes.ts)' };
