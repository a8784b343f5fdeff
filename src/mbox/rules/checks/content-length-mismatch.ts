import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'content-length-mismatch';
export const severity: Severity = 'error';
export const group: RuleGroup = 'framing';
export const description = 'Content-Length does not match the body length found between separators';
export const rfc = 'mboxcl/mboxcl2 (Solaris, qmail mbox(5)); RFC 4155 Appendix A';
export const fields: readonly string[] = ['content-length'];
export const check: SharedPass = { sharedPass: 'the scanner and the message linter (message-linter.ts)' };
