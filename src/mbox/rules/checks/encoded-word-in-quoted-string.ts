import type { Severity } from '../../types.js';
import { addressFields } from '../field-roles.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'encoded-word-in-quoted-string';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'an encoded-word inside a quoted string (a quoted display name): conforming readers show it as it is, many mail programs decode it';
export const rfc = 'RFC 2047 §5 (3)';
export const fields: readonly string[] = addressFields;
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, address.ts)' };
