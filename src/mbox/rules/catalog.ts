import type { Severity } from '../types.js';

export interface RuleMeta<Id extends string = string> {
  id: Id;
  severity: Severity;
  group: 'framing' | 'header-bytes' | 'values';
  description: string;
  /** The RFC section or the software whose behaviour makes this a problem. */
  source: string;
  /** Rules off by default run only when named with `--rule`. */
  defaultOn: boolean;
}

const rule = <const Id extends string>(
  id: Id,
  severity: Severity,
  group: RuleMeta['group'],
  description: string,
  source: string,
  defaultOn = true,
): RuleMeta<Id> => ({ id, severity, group, description, source, defaultOn });

/** Every rule lint-mbox knows, in `--list-rules` order. */
export const ruleCatalog = [
  rule('from-missing-at-start', 'error', 'framing', 'the file does not begin with a From_ line', 'RFC 4155 §2'),
  rule('from-empty-sender', 'warning', 'framing', 'From_ line with an empty envelope sender (`From  Mon …`, two spaces)', 'RFC 4155 §2; readers that split on one space misread it'),
  rule('from-sender-spaces', 'warning', 'framing', 'the envelope sender in the From_ line contains spaces', 'RFC 4155 §2 (sender is one token)'),
  rule('from-date-nonstandard', 'info', 'framing', 'the From_ line date is not in asctime form (`Www Mmm dd hh:mm:ss yyyy`)', 'RFC 4155 §2 (asctime timestamp)'),
  rule('from-unparseable', 'error', 'framing', 'a separator line starting with "From " has no recognisable date', 'RFC 4155 §2'),
  rule('from-not-after-blank', 'warning', 'framing', 'a From_ line is not preceded by an empty line', 'RFC 4155 §2 (messages end with an empty line)'),
  rule('from-not-followed-by-header', 'error', 'framing', 'the line after a From_ line is not a header field', 'RFC 4155 §2; RFC 5322 §2.2'),
  rule('unescaped-from', 'warning', 'framing', 'a body line starts with "From " and was not escaped as ">From "', 'RFC 4155 §2 and mboxrd/mboxo escaping; loose readers split here'),
  rule('content-length-mismatch', 'error', 'framing', 'Content-Length does not match the body length found between separators', 'mboxcl/mboxcl2 (Solaris, qmail mbox(5)); RFC 4155 Appendix A'),
  rule('eol-mixed', 'warning', 'framing', "a message's line endings differ from the file's convention", 'RFC 4155 §2 (local line-ending convention)'),
  rule('no-trailing-newline', 'warning', 'framing', 'the file does not end with a line ending (truncated?)', 'RFC 4155 §2'),
  rule('archive-pattern', 'warning', 'framing', "(nearly) every message of the file carries one archiver's transformation (pipermail's \"user at host\", a ctime() Date:): said once, the findings it explains folded (--disable archive-pattern lists them)", 'Mailman pipermail and archive runner; RFC 5322 §3.3, §3.4'),
  rule('cr-line-ends', 'error', 'framing', "the file's lines end with CR only (classic Mac OS): mbox readers see one line; said once, and its messages are linted with CR as the line end", 'RFC 4155 §2 (lines end with the local convention: LF)'),
  rule('bare-cr', 'error', 'header-bytes', 'a CR not followed by LF in a header: CR is not a line end, readers disagree', 'RFC 5322 §2.2, RFC 5321 §2.3.8'),
  rule('bare-lf', 'error', 'header-bytes', 'an LF-only line in a header whose other lines end with CRLF', 'RFC 5322 §2.1, RFC 5321 §2.3.8'),
  rule('merged-field', 'error', 'header-bytes', 'a structured field value contains " Field-Name: " of a known field (two fields merged)', 'RFC 5322 §3.6 (one field per line)'),
  rule('date-trailing-text', 'error', 'header-bytes', 'the Date field has text after the date-time', 'RFC 5322 §3.3'),
  rule('placeholder-address', 'error', 'header-bytes', 'an address field holds a placeholder such as [no-from] or MISSING_MAILBOX', 'sendmail/c-client placeholders; RFC 5322 §3.6.2'),
  rule('missing-date', 'error', 'header-bytes', 'the header has no Date field', 'RFC 5322 §3.6'),
  rule('missing-from', 'error', 'header-bytes', 'the header has no From field', 'RFC 5322 §3.6'),
  rule('empty-required', 'error', 'header-bytes', 'a Date or From field is empty', 'RFC 5322 §3.6.1, §3.6.2'),
  rule('duplicate-field', 'error', 'header-bytes', 'a field that may occur once occurs more than once (names compared case-insensitively)', 'RFC 5322 §3.6 table, §1.2.2'),
  rule('sender-required', 'error', 'header-bytes', 'From has several mailboxes but there is no Sender field', 'RFC 5322 §3.6.2'),
  rule('line-too-long', 'error', 'header-bytes', 'a header line is longer than 998 octets', 'RFC 5322 §2.1.1'),
  rule('invalid-field-name', 'error', 'header-bytes', 'a field name contains characters outside printable US-ASCII or is empty', 'RFC 5322 §2.2, §3.6.8'),
  rule('space-before-colon', 'warning', 'header-bytes', 'white space between a field name and its colon (obsolete syntax)', 'RFC 5322 §4.5'),
  rule('continuation-first', 'error', 'header-bytes', 'the first header line starts with white space (a continuation of nothing)', 'RFC 5322 §2.2.3'),
  rule('blank-continuation', 'warning', 'header-bytes', 'a folded header line consists only of white space', 'RFC 5322 §3.2.2, §4.2'),
  rule('no-body-separator', 'warning', 'header-bytes', 'the header does not end with an empty line', 'RFC 5322 §2.1'),
  rule('envelope-in-header', 'error', 'header-bytes', 'a header line starts with "From " (an envelope line); mbox readers split the message there', 'RFC 4155 §2; RFC 5322 §3.6.8'),
  rule('raw-8bit', 'warning', 'header-bytes', 'a header line contains 8-bit bytes (not encoded-words)', 'RFC 5322 §2.2, RFC 2047 (RFC 6532 only with SMTPUTF8)'),
  rule('control-char', 'error', 'header-bytes', 'a header line contains NUL or another control character', 'RFC 5322 §2.2, §3.2.3'),
  rule('date-invalid', 'error', 'values', 'the Date field is not an RFC 5322 date-time', 'RFC 5322 §3.3'),
  rule('date-zone', 'warning', 'values', 'the Date field has a missing, obsolete or impossible time zone', 'RFC 5322 §3.3, §4.3'),
  rule('date-weekday', 'warning', 'values', 'the day of the week does not match the date', 'RFC 5322 §3.3'),
  rule('address-invalid', 'error', 'values', 'an address field does not parse as a mailbox or address list', 'RFC 5322 §3.4'),
  rule('address-obsolete', 'info', 'values', 'an address field uses obsolete syntax that readers must accept: a route (<@host:a@b>), an empty list element (a, , b), white space or a comment next to "." in an address', 'RFC 5322 §4.4, §4'),
  rule('message-id-invalid', 'warning', 'values', 'Message-ID is not of the form <left@right>', 'RFC 5322 §3.6.4'),
  rule('message-id-obsolete', 'info', 'values', 'Message-ID uses obsolete syntax that readers must accept: a quoted id-left, white space or a comment inside <…>', 'RFC 5322 §3.6.4, §4.5.4'),
  rule('encoded-word-invalid', 'warning', 'values', 'a malformed RFC 2047 encoded-word', 'RFC 2047 §2, §5'),
  rule('encoded-word-in-quoted-string', 'info', 'values', 'an encoded-word inside a quoted string (a quoted display name): conforming readers show it as it is, many mail programs decode it', 'RFC 2047 §5 (3)'),
  rule('mime-header-invalid', 'warning', 'values', 'MIME-Version, Content-Type or Content-Transfer-Encoding is malformed', 'RFC 2045 §4, §5.1, §6.1; RFC 2046 §5.1.1'),
  rule('missing-message-id', 'info', 'values', 'the header has no Message-ID field', 'RFC 5322 §3.6.4 (SHOULD)'),
  rule('line-over-78', 'info', 'values', 'a header line is longer than 78 characters', 'RFC 5322 §2.1.1 (SHOULD)', false),
] as const satisfies readonly RuleMeta[];

/** A rule's id: only the catalog's ids compile, so a misspelt id cannot be reported and never fire. */
export type RuleId = (typeof ruleCatalog)[number]['id'];

export const ruleById: ReadonlyMap<string, RuleMeta> = new Map(ruleCatalog.map((r) => [r.id, r]));
