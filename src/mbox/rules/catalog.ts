import type { Severity } from '../types.js';
import * as shared from './shared-pass-rules.js';
import * as encodedWordInQuotedString from './checks/encoded-word-in-quoted-string.js';
import * as missingMessageId from './checks/missing-message-id.js';
import { addCheckedFields } from './field-roles.js';
import type { HeaderCheck, RuleGroup, RuleModule } from './rule.js';

/**
 * Every rule lint-mbox knows, in `--list-rules` order. To add a rule: one file under checks/,
 * named by its id, exporting what rule.ts's RuleModule lists (id, severity, group,
 * description, rfc, the fields it reads — any field, by name — and its check), and its
 * import and entry here. The message linter calls such a check once per header with the
 * fields it names; missing-message-id and encoded-word-in-quoted-string are written so.
 *
 * The other rules run in passes that many rules share and that read each byte or value once
 * for all of them; shared-pass-rules.ts holds what the catalog says of each and names its
 * pass, in one module: each worker thread loads every rule module at start, and 42 more files
 * cost each thread about 12 ms (+4% CPU on a 515 MB run), measured. Their checks stay in their
 * pass because taking them out would read the same bytes again or cost the hot loop:
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
  shared.fromMissingAtStart,
  shared.fromEmptySender,
  shared.fromSenderSpaces,
  shared.fromDateNonstandard,
  shared.fromUnparseable,
  shared.fromNotAfterBlank,
  shared.fromNotFollowedByHeader,
  shared.unescapedFrom,
  shared.contentLengthMismatch,
  shared.eolMixed,
  shared.noTrailingNewline,
  shared.archivePattern,
  shared.crLineEnds,
  shared.bareCr,
  shared.bareLf,
  shared.mergedField,
  shared.dateTrailingText,
  shared.placeholderAddress,
  shared.missingDate,
  shared.missingFrom,
  shared.emptyRequired,
  shared.duplicateField,
  shared.senderRequired,
  shared.lineTooLong,
  shared.invalidFieldName,
  shared.spaceBeforeColon,
  shared.continuationFirst,
  shared.blankContinuation,
  shared.noBodySeparator,
  shared.envelopeInHeader,
  shared.raw8bit,
  shared.controlChar,
  shared.dateInvalid,
  shared.dateZone,
  shared.dateWeekday,
  shared.addressInvalid,
  shared.addressObsolete,
  shared.messageIdInvalid,
  shared.messageIdObsolete,
  shared.encodedWordInvalid,
  encodedWordInQuotedString,
  shared.mimeHeaderInvalid,
  missingMessageId,
  shared.lineOver78,
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
