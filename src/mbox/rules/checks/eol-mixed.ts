import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'eol-mixed';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = "a message's line endings differ from the file's convention";
export const rfc = 'RFC 4155 §2 (local line-ending convention)';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the message linter (message-linter.ts)' };
