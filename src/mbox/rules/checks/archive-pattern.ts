import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'archive-pattern';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'framing';
export const description = "(nearly) every message of the file carries one archiver's transformation (pipermail's \"user at host\", a ctime() Date:): said once, the findings it explains folded (--disable archive-pattern lists them)";
export const rfc = 'Mailman pipermail and archive runner; RFC 5322 §3.3, §3.4';
export const fields: readonly string[] = [];
export const check: SharedPass = { sharedPass: 'the archive-pattern fold over a file\'s findings (archive-patterns.ts)' };
