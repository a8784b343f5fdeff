import type { Severity } from '../../types.js';
import type { Field, RuleSink } from '../../field.js';
import type { Line } from '../../line.js';
import type { RuleGroup } from '../rule.js';

export const id = 'missing-message-id';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'the header has no Message-ID field';
export const rfc = 'RFC 5322 §3.6.4 (SHOULD)';
export const fields: readonly string[] = ['message-id'];

export function check(found: readonly Field[], sink: RuleSink, anchor: Line): void {
  if (found.length === 0) sink.report(id, anchor, anchor.offset, 'no Message-ID field in the header');
}
