import type { Severity } from '../../types.js';
import type { Field, RuleSink } from '../../field.js';
import { quotedEncodedWord } from '../address.js';
import { addressFields } from '../field-roles.js';
import type { RuleGroup } from '../rule.js';

export const id = 'encoded-word-in-quoted-string';
export const severity: Severity = 'info';
export const group: RuleGroup = 'values';
export const description = 'an encoded-word inside a quoted string (a quoted display name): conforming readers show it as it is, many mail programs decode it';
export const rfc = 'RFC 2047 §5 (3)';
export const fields: readonly string[] = addressFields;

export function check(found: readonly Field[], sink: RuleSink): void {
  for (const f of found) {
    const quoted = f.mayHaveEncodedWord() ? quotedEncodedWord(f.value) : undefined;
    if (quoted !== undefined) sink.report(id, f.line, f.line.offset, `${f.name}: ${quoted} is a quoted string, where an encoded-word is not decoded`);
  }
}
