import { addressFields, singletons } from './field-roles.js';
import type { RuleModule, SharedPass } from './rule.js';

/**
 * The rules whose checks run in a pass that many rules share (see catalog.ts for which pass
 * and why): what the catalog says of each, one entry per rule, in one module so that every
 * worker thread loads one file for them rather than one per rule.
 */

/** The shared passes, each named once: where the rules below are checked. */
const passes = {
  scanner: { sharedPass: 'the scanner (scanner.ts)' },
  scannerAndLinter: { sharedPass: 'the scanner and the message linter (message-linter.ts)' },
  fromLine: { sharedPass: 'the From_ line checks (framing.ts)' },
  messageLinter: { sharedPass: 'the message linter (message-linter.ts)' },
  headerLine: { sharedPass: 'the header line pass (header-bytes.ts)' },
  headerBlock: { sharedPass: 'the header block pass (header-bytes.ts)' },
  mergedField: { sharedPass: 'the merged-field pass (merged-field.ts, header-bytes.ts)' },
  dateValues: { sharedPass: 'the value pass (values.ts, date.ts)' },
  addressValues: { sharedPass: 'the value pass (values.ts, address.ts)' },
  messageIdValues: { sharedPass: 'the value pass (values.ts, message-id.ts)' },
  encodedWordValues: { sharedPass: 'the value pass (values.ts, encoded-word.ts)' },
  mimeValues: { sharedPass: 'the value pass (values.ts, mime.ts)' },
  archivePatterns: { sharedPass: 'the archive-pattern fold over a file\'s findings (archive-patterns.ts)' },
} as const satisfies Record<string, SharedPass>;

export const fromMissingAtStart = {
  id: 'from-missing-at-start',
  severity: 'error',
  group: 'framing',
  description: 'the file does not begin with a From_ line',
  rfc: 'RFC 4155 §2',
  fields: [],
  check: passes.scanner,
} as const satisfies RuleModule;

export const fromEmptySender = {
  id: 'from-empty-sender',
  severity: 'warning',
  group: 'framing',
  description: 'From_ line with an empty envelope sender (`From  Mon …`, two spaces)',
  rfc: 'RFC 4155 §2; readers that split on one space misread it',
  fields: [],
  check: passes.fromLine,
} as const satisfies RuleModule;

export const fromSenderSpaces = {
  id: 'from-sender-spaces',
  severity: 'warning',
  group: 'framing',
  description: 'the envelope sender in the From_ line contains spaces',
  rfc: 'RFC 4155 §2 (sender is one token)',
  fields: [],
  check: passes.fromLine,
} as const satisfies RuleModule;

export const fromDateNonstandard = {
  id: 'from-date-nonstandard',
  severity: 'info',
  group: 'framing',
  description: 'the From_ line date is not in asctime form (`Www Mmm dd hh:mm:ss yyyy`)',
  rfc: 'RFC 4155 §2 (asctime timestamp)',
  fields: [],
  check: passes.fromLine,
} as const satisfies RuleModule;

export const fromUnparseable = {
  id: 'from-unparseable',
  severity: 'error',
  group: 'framing',
  description: 'a separator line starting with "From " has no recognisable date',
  rfc: 'RFC 4155 §2',
  fields: [],
  check: passes.fromLine,
} as const satisfies RuleModule;

export const fromNotAfterBlank = {
  id: 'from-not-after-blank',
  severity: 'warning',
  group: 'framing',
  description: 'a From_ line is not preceded by an empty line',
  rfc: 'RFC 4155 §2 (messages end with an empty line)',
  fields: [],
  check: passes.fromLine,
} as const satisfies RuleModule;

export const fromNotFollowedByHeader = {
  id: 'from-not-followed-by-header',
  severity: 'error',
  group: 'framing',
  description: 'the line after a From_ line is not a header field',
  rfc: 'RFC 4155 §2; RFC 5322 §2.2',
  fields: [],
  check: passes.scannerAndLinter,
} as const satisfies RuleModule;

export const unescapedFrom = {
  id: 'unescaped-from',
  severity: 'warning',
  group: 'framing',
  description: 'a body line starts with "From " and was not escaped as ">From "',
  rfc: 'RFC 4155 §2 and mboxrd/mboxo escaping; loose readers split here',
  fields: [],
  check: passes.scanner,
} as const satisfies RuleModule;

export const contentLengthMismatch = {
  id: 'content-length-mismatch',
  severity: 'error',
  group: 'framing',
  description: 'Content-Length does not match the body length found between separators',
  rfc: 'mboxcl/mboxcl2 (Solaris, qmail mbox(5)); RFC 4155 Appendix A',
  fields: ['content-length'],
  check: passes.scannerAndLinter,
} as const satisfies RuleModule;

export const eolMixed = {
  id: 'eol-mixed',
  severity: 'warning',
  group: 'framing',
  description: "a message's line endings differ from the file's convention",
  rfc: 'RFC 4155 §2 (local line-ending convention)',
  fields: [],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const noTrailingNewline = {
  id: 'no-trailing-newline',
  severity: 'warning',
  group: 'framing',
  description: 'the file does not end with a line ending (truncated?)',
  rfc: 'RFC 4155 §2',
  fields: [],
  check: passes.scanner,
} as const satisfies RuleModule;

export const archivePattern = {
  id: 'archive-pattern',
  severity: 'warning',
  group: 'framing',
  description: "(nearly) every message of the file carries one archiver's transformation (pipermail's \"user at host\", a ctime() Date:): said once, the findings it explains folded (--disable archive-pattern lists them)",
  rfc: 'Mailman pipermail and archive runner; RFC 5322 §3.3, §3.4',
  fields: [],
  check: passes.archivePatterns,
} as const satisfies RuleModule;

export const crLineEnds = {
  id: 'cr-line-ends',
  severity: 'error',
  group: 'framing',
  description: "the file's lines end with CR only (classic Mac OS): mbox readers see one line; said once, and its messages are linted with CR as the line end",
  rfc: 'RFC 4155 §2 (lines end with the local convention: LF)',
  fields: [],
  check: passes.scanner,
} as const satisfies RuleModule;

export const bareCr = {
  id: 'bare-cr',
  severity: 'error',
  group: 'header-bytes',
  description: 'a CR not followed by LF in a header: CR is not a line end, readers disagree',
  rfc: 'RFC 5322 §2.2, RFC 5321 §2.3.8',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const bareLf = {
  id: 'bare-lf',
  severity: 'error',
  group: 'header-bytes',
  description: 'an LF-only line in a header whose other lines end with CRLF',
  rfc: 'RFC 5322 §2.1, RFC 5321 §2.3.8',
  fields: ['*'],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const mergedField = {
  id: 'merged-field',
  severity: 'error',
  group: 'header-bytes',
  description: 'a structured field value contains " Field-Name: " of a known field (two fields merged)',
  rfc: 'RFC 5322 §3.6 (one field per line)',
  fields: ['*'],
  check: passes.mergedField,
} as const satisfies RuleModule;

export const dateTrailingText = {
  id: 'date-trailing-text',
  severity: 'error',
  group: 'header-bytes',
  description: 'the Date field has text after the date-time',
  rfc: 'RFC 5322 §3.3',
  fields: ['date'],
  check: passes.dateValues,
} as const satisfies RuleModule;

export const placeholderAddress = {
  id: 'placeholder-address',
  severity: 'error',
  group: 'header-bytes',
  description: 'an address field holds a placeholder such as [no-from] or MISSING_MAILBOX',
  rfc: 'sendmail/c-client placeholders; RFC 5322 §3.6.2',
  fields: addressFields,
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const missingDate = {
  id: 'missing-date',
  severity: 'error',
  group: 'header-bytes',
  description: 'the header has no Date field',
  rfc: 'RFC 5322 §3.6',
  fields: ['date'],
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const missingFrom = {
  id: 'missing-from',
  severity: 'error',
  group: 'header-bytes',
  description: 'the header has no From field',
  rfc: 'RFC 5322 §3.6',
  fields: ['from'],
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const emptyRequired = {
  id: 'empty-required',
  severity: 'error',
  group: 'header-bytes',
  description: 'a Date or From field is empty',
  rfc: 'RFC 5322 §3.6.1, §3.6.2',
  fields: ['date', 'from'],
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const duplicateField = {
  id: 'duplicate-field',
  severity: 'error',
  group: 'header-bytes',
  description: 'a field that may occur once occurs more than once (names compared case-insensitively)',
  rfc: 'RFC 5322 §3.6 table, §1.2.2',
  fields: singletons,
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const senderRequired = {
  id: 'sender-required',
  severity: 'error',
  group: 'header-bytes',
  description: 'From has several mailboxes but there is no Sender field',
  rfc: 'RFC 5322 §3.6.2',
  fields: ['from', 'sender'],
  check: passes.headerBlock,
} as const satisfies RuleModule;

export const lineTooLong = {
  id: 'line-too-long',
  severity: 'error',
  group: 'header-bytes',
  description: 'a header line is longer than 998 octets',
  rfc: 'RFC 5322 §2.1.1',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const invalidFieldName = {
  id: 'invalid-field-name',
  severity: 'error',
  group: 'header-bytes',
  description: 'a field name contains characters outside printable US-ASCII or is empty',
  rfc: 'RFC 5322 §2.2, §3.6.8',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const spaceBeforeColon = {
  id: 'space-before-colon',
  severity: 'warning',
  group: 'header-bytes',
  description: 'white space between a field name and its colon (obsolete syntax)',
  rfc: 'RFC 5322 §4.5',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const continuationFirst = {
  id: 'continuation-first',
  severity: 'error',
  group: 'header-bytes',
  description: 'the first header line starts with white space (a continuation of nothing)',
  rfc: 'RFC 5322 §2.2.3',
  fields: ['*'],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const blankContinuation = {
  id: 'blank-continuation',
  severity: 'warning',
  group: 'header-bytes',
  description: 'a folded header line consists only of white space',
  rfc: 'RFC 5322 §3.2.2, §4.2',
  fields: ['*'],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const noBodySeparator = {
  id: 'no-body-separator',
  severity: 'warning',
  group: 'header-bytes',
  description: 'the header does not end with an empty line',
  rfc: 'RFC 5322 §2.1',
  fields: [],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const envelopeInHeader = {
  id: 'envelope-in-header',
  severity: 'error',
  group: 'header-bytes',
  description: 'a header line starts with "From " (an envelope line); mbox readers split the message there',
  rfc: 'RFC 4155 §2; RFC 5322 §3.6.8',
  fields: [],
  check: passes.messageLinter,
} as const satisfies RuleModule;

export const raw8bit = {
  id: 'raw-8bit',
  severity: 'warning',
  group: 'header-bytes',
  description: 'a header line contains 8-bit bytes (not encoded-words)',
  rfc: 'RFC 5322 §2.2, RFC 2047 (RFC 6532 only with SMTPUTF8)',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const controlChar = {
  id: 'control-char',
  severity: 'error',
  group: 'header-bytes',
  description: 'a header line contains NUL or another control character',
  rfc: 'RFC 5322 §2.2, §3.2.3',
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;

export const dateInvalid = {
  id: 'date-invalid',
  severity: 'error',
  group: 'values',
  description: 'the Date field is not an RFC 5322 date-time',
  rfc: 'RFC 5322 §3.3',
  fields: ['date'],
  check: passes.dateValues,
} as const satisfies RuleModule;

export const dateZone = {
  id: 'date-zone',
  severity: 'warning',
  group: 'values',
  description: 'the Date field has a missing, obsolete or impossible time zone',
  rfc: 'RFC 5322 §3.3, §4.3',
  fields: ['date'],
  check: passes.dateValues,
} as const satisfies RuleModule;

export const dateWeekday = {
  id: 'date-weekday',
  severity: 'warning',
  group: 'values',
  description: 'the day of the week does not match the date',
  rfc: 'RFC 5322 §3.3',
  fields: ['date'],
  check: passes.dateValues,
} as const satisfies RuleModule;

export const addressInvalid = {
  id: 'address-invalid',
  severity: 'error',
  group: 'values',
  description: 'an address field does not parse as a mailbox or address list',
  rfc: 'RFC 5322 §3.4',
  fields: addressFields,
  check: passes.addressValues,
} as const satisfies RuleModule;

export const addressObsolete = {
  id: 'address-obsolete',
  severity: 'info',
  group: 'values',
  description: 'an address field uses obsolete syntax that readers must accept: a route (<@host:a@b>), an empty list element (a, , b), white space or a comment next to "." in an address',
  rfc: 'RFC 5322 §4.4, §4',
  fields: addressFields,
  check: passes.addressValues,
} as const satisfies RuleModule;

export const messageIdInvalid = {
  id: 'message-id-invalid',
  severity: 'warning',
  group: 'values',
  description: 'Message-ID is not of the form <left@right>',
  rfc: 'RFC 5322 §3.6.4',
  fields: ['message-id'],
  check: passes.messageIdValues,
} as const satisfies RuleModule;

export const messageIdObsolete = {
  id: 'message-id-obsolete',
  severity: 'info',
  group: 'values',
  description: 'Message-ID uses obsolete syntax that readers must accept: a quoted id-left, white space or a comment inside <…>',
  rfc: 'RFC 5322 §3.6.4, §4.5.4',
  fields: ['message-id'],
  check: passes.messageIdValues,
} as const satisfies RuleModule;

export const encodedWordInvalid = {
  id: 'encoded-word-invalid',
  severity: 'warning',
  group: 'values',
  description: 'a malformed RFC 2047 encoded-word',
  rfc: 'RFC 2047 §2, §5',
  fields: ['*'],
  check: passes.encodedWordValues,
} as const satisfies RuleModule;

export const mimeHeaderInvalid = {
  id: 'mime-header-invalid',
  severity: 'warning',
  group: 'values',
  description: 'MIME-Version, Content-Type or Content-Transfer-Encoding is malformed',
  rfc: 'RFC 2045 §4, §5.1, §6.1; RFC 2046 §5.1.1',
  fields: ['mime-version', 'content-type', 'content-transfer-encoding'],
  check: passes.mimeValues,
} as const satisfies RuleModule;

export const lineOver78 = {
  id: 'line-over-78',
  severity: 'info',
  group: 'values',
  description: 'a header line is longer than 78 characters',
  rfc: 'RFC 5322 §2.1.1 (SHOULD)',
  defaultOn: false,
  fields: ['*'],
  check: passes.headerLine,
} as const satisfies RuleModule;
