import type { Severity } from '../../types.js';
import { addressFields } from '../field-roles.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'address-invalid';
export const severity: Severity = 'error';
export const group: RuleGroup = 'values';
export const description = 'an address field does not parse as a mailbox or address list';
export const rfc = 'RFC 5322 §3.4';
export const fields: readonly string[] = addressFields;
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, address.ts)' };
