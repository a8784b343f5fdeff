import type { Field, RuleSink } from '../field.js';
import type { Line } from '../line.js';
import { checkAddressField, checkQuotedEncodedWords } from './address.js';
import { checkDateField } from './date.js';
import { checkEncodedWordField } from './encoded-word.js';
import { Role } from './field-roles.js';
import { checkMessageIdField } from './message-id.js';
import { checkMimeFieldValue } from './mime.js';
import { placeholderOf } from './placeholder.js';
import { isBlankValue } from './value-lexer.js';

/*
 * The value rules, one grammar per file: date.ts (RFC 5322 §3.3), address.ts and
 * addr-spec.ts (§3.4), message-id.ts (§3.6.4), mime.ts (RFC 2045), encoded-word.ts
 * (RFC 2047), on the lexer they share (value-lexer.ts). The names the other rules and the
 * tests import are exported here too.
 */
export { addressListOf, checkAddressList } from './address.js';
export { checkDate } from './date.js';
export { checkEncodedWords } from './encoded-word.js';
export { checkMessageId } from './message-id.js';
export { checkMimeField, fullMimeCheck, isPlainMimeValue } from './mime.js';
export { findPlaceholder, placeholderOf, placeholders } from './placeholder.js';
export { isBlank, isBlankValue } from './value-lexer.js';

/** The value rules over a whole header; `placeholder-address` fields are not parsed again. */
export function checkFieldValues(sink: RuleSink, fields: readonly Field[], anchor: Line): void {
  let messageIds = 0;
  for (const f of fields) {
    const role = f.role;
    if (role & Role.date) {
      checkDateField(sink, f);
    } else if (role & Role.address) {
      if (!isBlankValue(f) && placeholderOf(f) === undefined) checkAddressField(sink, f);
    } else if (role & Role.messageId) {
      messageIds++;
      checkMessageIdField(sink, f);
    } else if (role & Role.mime) {
      checkMimeFieldValue(sink, f);
    }
    if (f.mayHaveEncodedWord()) {
      checkEncodedWordField(sink, f);
      if (role & Role.address) checkQuotedEncodedWords(sink, f);
    }
  }
  if (messageIds === 0) sink.report('missing-message-id', anchor, anchor.offset, 'no Message-ID field in the header');
}
