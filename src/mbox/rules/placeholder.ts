import type { Field } from '../field.js';
import { mayHoldPlaceholder } from './plain-values.js';
import { bytesOf, scratch } from './value-lexer.js';

/** `[no-from]` and friends: what MTAs and IMAP libraries write when an address was lost. */
export const placeholders = /\[no-(?:from|to|sender|address)\]|\[no address\]|MISSING_MAILBOX|SYNTAX[-_]ERROR|UNEXPECTED_DATA_AFTER_ADDRESS|^\s*<?unknown@unknown>?\s*$|^\s*<>\s*$/i;

/** The placeholder in `value`, trimmed, if it holds one. */
export function findPlaceholder(value: string): string | undefined {
  const { buf, start, end } = bytesOf(value);
  return mayHoldPlaceholder(buf, start, end) ? placeholders.exec(value)?.[0]?.trim() : undefined;
}

/** `findPlaceholder` of a field's value, worked out once for all the rules that ask. */
export function placeholderOf(f: Field): string | undefined {
  if (f.placeholder === undefined) {
    const { buf, start, end } = f.valueBytes(scratch);
    f.placeholder = mayHoldPlaceholder(buf, start, end) ? (placeholders.exec(f.value)?.[0]?.trim() ?? null) : null;
  }
  return f.placeholder ?? undefined;
}
