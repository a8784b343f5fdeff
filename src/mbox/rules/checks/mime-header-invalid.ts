import type { Severity } from '../../types.js';
import type { RuleGroup, SharedPass } from '../rule.js';

export const id = 'mime-header-invalid';
export const severity: Severity = 'warning';
export const group: RuleGroup = 'values';
export const description = 'MIME-Version, Content-Type or Content-Transfer-Encoding is malformed';
export const rfc = 'RFC 2045 §4, §5.1, §6.1; RFC 2046 §5.1.1';
export const fields: readonly string[] = ['mime-version', 'content-type', 'content-transfer-encoding'];
export const check: SharedPass = { sharedPass: 'the value pass (values.ts, mime.ts)' };
