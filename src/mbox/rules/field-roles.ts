/**
 * What the rules do with a field, by its lower-cased name. The field-name cache works it
 * out once per spelling, so that the rules test bits instead of comparing names per field.
 */
export const Role = {
  structured: 1,
  address: 2,
  date: 4,
  messageId: 8,
  mime: 16,
  /** Read by the scanner for mboxcl (`content-length-mismatch`). */
  contentLength: 32,
  /** Read by `--group-by` only (MessageLinter.origin). */
  origin: 64,
  /** Named in the `fields` of a rule module with a check of its own (catalog.ts). */
  checked: 128,
} as const;

/** RFC 5322 §3.6: fields that may appear at most once. Their role holds their index + 1 from `singletonShift` on. */
export const singletons = ['date', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'message-id', 'in-reply-to', 'references', 'subject'] as const;
const singletonShift = 8;

/** RFC 5322 §3.6.2, §3.6.3: the fields whose values are addresses. */
export const addressFields = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc'] as const;
const structured = [...addressFields, 'date', 'message-id', 'in-reply-to', 'references', 'return-path', 'mime-version', 'content-type', 'content-transfer-encoding'];
const mimeFields = ['mime-version', 'content-type', 'content-transfer-encoding'];

const roles = new Map<string, number>();
const add = (names: readonly string[], role: (name: string, i: number) => number): void =>
  names.forEach((name, i) => roles.set(name, (roles.get(name) ?? 0) | role(name, i)));
add(structured, () => Role.structured);
add(addressFields, () => Role.address);
add(mimeFields, () => Role.mime);
add(['date'], () => Role.date);
add(['message-id'], () => Role.messageId);
add(['content-length'], () => Role.contentLength);
add(['x-mailer', 'user-agent', 'list-id', 'received'], () => Role.origin);
add(singletons, (_, i) => (i + 1) << singletonShift);

/** Gives the `checked` role to `names` (lower case): called by the catalog as it loads, before any field is read. */
export function addCheckedFields(names: readonly string[]): void {
  add(names, () => Role.checked);
}

export const fieldRole = (lower: string): number => roles.get(lower) ?? 0;

/** Index in `singletons`, or -1. */
export const singletonIndex = (role: number): number => (role >> singletonShift) - 1;
