import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'cr-line-ends';
export const severity: Severity = 'error';
export const group: RuleGroup = 'framing';
export const description = "the file's lines end with CR only (classic Mac OS): mbox readers see one line; said once, and its messages are linted with CR as the line end";
export const rfc = 'RFC 4155 §2 (lines end with the local convention: LF)';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the scanner (scanner.ts)' };
