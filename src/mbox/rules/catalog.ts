import type { Severity } from '../types.js';
import * as fromMissingAtStart from './checks/from-missing-at-start.js';
import * as fromEmptySender from './checks/from-empty-sender.js';
import * as fromSenderSpaces from './checks/from-sender-spaces.js';
import * as fromDateNonstandard from './checks/from-date-nonstandard.js';
import * as fromUnparseable from './checks/from-unparseable.js';
import * as fromNotAfterBlank from './checks/from-not-after-blank.js';
import * as fromNotFollowedByHeader from './checks/from-not-followed-by-header.js';
import * as unescapedFrom from './checks/unescaped-from.js';
import * as contentLengthMismatch from './checks/content-length-mismatch.js';
import * as eolMixed from './checks/eol-mixed.js';
import * as noTrailingNewline from './checks/no-trailing-newline.js';
import * as archivePattern from './checks/archive-pattern.js';
import * as crLineEnds from './checks/cr-line-ends.js';
import * as bareCr from './checks/bare-cr.js';
import * as bareLf from './checks/bare-lf.js';
import * as mergedField from './checks/merged-field.js';
import * as dateTrailingText from './checks/date-trailing-text.js';
import * as placeholderAddress from './checks/placeholder-address.js';
import * as missingDate from './checks/missing-date.js';
import * as missingFrom from './checks/missing-from.js';
import * as emptyRequired from './checks/empty-required.js';
import * as duplicateField from './checks/duplicate-field.js';
import * as senderRequired from './checks/sender-required.js';
import * as lineTooLong from './checks/line-too-long.js';
import * as invalidFieldName from './checks/invalid-field-name.js';
import * as spaceBeforeColon from './checks/space-before-colon.js';
import * as continuationFirst from './checks/continuation-first.js';
import * as blankContinuation from './checks/blank-continuation.js';
import * as noBodySeparator from './checks/no-body-separator.js';
import * as envelopeInHeader from './checks/envelope-in-header.js';
import * as raw8bit from './checks/raw-8bit.js';
import * as controlChar from './checks/control-char.js';
import * as dateInvalid from './checks/date-invalid.js';
import * as dateZone from './checks/date-zone.js';
import * as dateWeekday from './checks/date-weekday.js';
import * as addressInvalid from './checks/address-invalid.js';
import * as addressObsolete from './checks/address-obsolete.js';
import * as messageIdInvalid from './checks/message-id-invalid.js';
import * as messageIdObsolete from './checks/message-id-obsolete.js';
import * as encodedWordInvalid from './checks/encoded-word-invalid.js';
import * as encodedWordInQuotedString from './checks/encoded-word-in-quoted-string.js';
import * as mimeHeaderInvalid from './checks/mime-header-invalid.js';
import * as missingMessageId from './checks/missing-message-id.js';
import * as lineOver78 from './checks/line-over-78.js';
import { addCheckedFields } from './field-roles.js';
import type { HeaderCheck, RuleGroup, RuleModule } from './rule.js';

/**
 * Every rule lint-mbox knows, in `--list-rules` order: one module per rule under checks/,
 * named by its id. To add a rule, add its file there and its import and entry here.
 *
 * A module whose `check` is a function is called once per header with the fields it names
 * (any field, by name): missing-message-id and encoded-word-in-quoted-string are written
 * so, and so is a new rule. The others run in passes that many rules share and that read
 * each byte or value once for all of them; their modules hold what the catalog says of
 * them and name that pass, and their checks stay in it because taking them out would read
 * the same bytes again or cost the hot loop:
 * - the framing rules (From_ lines, escaping, Content-Length, line ends) run in the
 *   scanner's byte loop (scanner.ts, framing.ts, message-linter.ts), which sees each line of
 *   the file once, before any field exists;
 * - the header line rules (bare-cr, control-char, raw-8bit, line-too-long, line-over-78,
 *   invalid-field-name, space-before-colon, the continuation rules, envelope-in-header)
 *   read the bytes of each line while it is classified (header-bytes.ts);
 * - the header block rules (missing-date, missing-from, empty-required, duplicate-field,
 *   sender-required, placeholder-address) and merged-field share one walk over the fields
 *   (header-bytes.ts, merged-field.ts);
 * - the date, address, Message-ID, MIME and encoded-word rules share the value pass
 *   (values.ts): its fast paths read a value's bytes in place once and decide several rules
 *   from one parse (date-invalid, date-zone, date-weekday and date-trailing-text come from
 *   one date-time parse), and V8 compiles them as one function with the fast paths inlined
 *   (the address fast path took 15–20% longer when its helpers crossed a module boundary).
 */
export const ruleModules = [
  fromMissingAtStart,
  fromEmptySender,
  fromSenderSpaces,
  fromDateNonstandard,
  fromUnparseable,
  fromNotAfterBlank,
  fromNotFollowedByHeader,
  unescapedFrom,
  contentLengthMismatch,
  eolMixed,
  noTrailingNewline,
  archivePattern,
  crLineEnds,
  bareCr,
  bareLf,
  mergedField,
  dateTrailingText,
  placeholderAddress,
  missingDate,
  missingFrom,
  emptyRequired,
  duplicateField,
  senderRequired,
  lineTooLong,
  invalidFieldName,
  spaceBeforeColon,
  continuationFirst,
  blankContinuation,
  noBodySeparator,
  envelopeInHeader,
  raw8bit,
  controlChar,
  dateInvalid,
  dateZone,
  dateWeekday,
  addressInvalid,
  addressObsolete,
  messageIdInvalid,
  messageIdObsolete,
  encodedWordInvalid,
  encodedWordInQuotedString,
  mimeHeaderInvalid,
  missingMessageId,
  lineOver78,
] as const satisfies readonly RuleModule[];

/** What `--list-rules` shows of a rule (its JSON form is part of the output). */
export interface RuleMeta<Id extends string = string> {
  id: Id;
  severity: Severity;
  group: RuleGroup;
  description: string;
  /** The RFC section or the software whose behaviour makes this a problem. */
  source: string;
  /** Rules off by default run only when named with `--rule`. */
  defaultOn: boolean;
}

/** A rule's id: only the catalog's ids compile, so a misspelt id cannot be reported and never fire. */
export type RuleId = (typeof ruleModules)[number]['id'];

/** Every rule, in `--list-rules` order. */
export const ruleCatalog: readonly RuleMeta<RuleId>[] = ruleModules.map((m: RuleModule<RuleId>) => ({
  id: m.id,
  severity: m.severity,
  group: m.group,
  description: m.description,
  source: m.rfc,
  defaultOn: m.defaultOn ?? true,
}));

export const ruleById: ReadonlyMap<string, RuleMeta> = new Map(ruleCatalog.map((r) => [r.id, r]));

/** A rule whose check the message linter calls per header, with the fields it names. */
export interface FieldRule {
  readonly id: RuleId;
  readonly fields: readonly string[];
  readonly check: HeaderCheck;
}

/** The rules with a check of their own (see above), in catalog order. */
export const fieldRules: readonly FieldRule[] = ruleModules.flatMap((m: RuleModule<RuleId>) => (typeof m.check === 'function' ? [{ id: m.id, fields: m.fields, check: m.check }] : []));

// The field-name cache keeps these fields for their rules, whether or not another rule reads them.
addCheckedFields(fieldRules.flatMap((r) => r.fields));
