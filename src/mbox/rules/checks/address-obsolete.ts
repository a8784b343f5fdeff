import type { Severity } from '../../types.js';
import { addressFields } from '../field-roles.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'address-obsolete';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'an address field uses obsolete syntax that readers must accept: a route (<@host:a@b>), an empty list element (a, , b), white space or a comment next to "." in an address';
export const rfc = 'RFC 5322 §4.4, §4';
export const fields: readonly string[] = addressFields;
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, address.ts)' };
