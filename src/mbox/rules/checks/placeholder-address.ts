import type { Severity } from '../../types.js';
import { addressFields } from '../field-roles.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'placeholder-address';
export const severity: Severity = 'error';
export const group: RuleGroup = 'header-bytes';
export const description = 'an address field holds a placeholder such as [no-from] or MISSING_MAILBOX';
export const rfc = 'sendmail/c-client placeholders; RFC 5322 §3.6.2';
export const fields: readonly string[] = addressFields;
export const check: SharedPass = { sharedPass: 'the header block pass (header-bytes.ts)' };
