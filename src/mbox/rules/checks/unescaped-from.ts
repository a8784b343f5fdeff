import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'unescaped-from';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = 'a body line starts with "From " and was not escaped as ">From "';
export const rfc = 'RFC 4155 §2 and mboxrd/mboxo escaping; loose readers split here';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the scanner (scanner.ts)' };
