import { UsageError } from '../errors.js';
import { recognizeLines } from '../smtp/terminators.js';
import { DEFAULT_BODY_TEXT, unfoldedGroups, type MessageEntity } from './compose.js';

/**
 * The message an inject sends, as lines without terminators: `payload.ts` terminates,
 * dot-stuffs and ends them. Sans I/O: files are read by the caller.
 */
export interface MessageLines {
  lines: Buffer[];
  /** Where the lines came from, for the report. */
  source: string;
}

export interface TemplateOptions {
  /** The envelope sender, '' for the null sender. */
  from: string;
  to: readonly string[];
  /** The variant being sent; the Subject names it so that stored copies can be told apart. */
  variant: string;
  date: Date;
  messageId: string;
  /** `--header` fields: each replaces the built-in field of its name, or is added after them. */
  headers?: readonly string[];
  /** `--add-header` fields, added after every other field whatever their names. */
  addHeaders?: readonly string[];
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time, in UTC. */
export function formatRfc5322Date(date: Date): string {
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** RFC 5322 §2.2: a field name is printable US-ASCII but ":", then a colon. */
export function parseHeaderOption(value: string, option = '--header'): string {
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(value)) throw new UsageError(`${option} ${JSON.stringify(value)}: expected "Name: value"`);
  if (/[\r\n]/.test(value)) throw new UsageError(`${option}: the value cannot hold line ends (use --data for folded fields)`);
  return value;
}

/**
 * `--from`/`--to` as the user may write them: `a@b` or `<a@b>`; `<>` and '' are the null
 * sender (RFC 5321 §4.5.5). Returns the address without its brackets, as it goes between
 * the brackets of MAIL FROM:<…> and RCPT TO:<…>.
 */
export function parseAddressOption(value: string, option: '--from' | '--to'): string {
  const address = value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
  if (/[\r\n]/.test(address)) throw new UsageError(`${option} ${JSON.stringify(value)}: an address cannot hold a line end`);
  if (/[<>]/.test(address)) throw new UsageError(`${option} ${JSON.stringify(value)}: give the address with one pair of angle brackets or none`);
  if (option === '--to' && address === '') throw new UsageError('--to: an empty recipient (<>) is no address; the null address is for --from');
  return address;
}

/**
 * The From field for the null sender: RFC 5322 §3.6.2 wants a mailbox, and "<>" is what
 * broken pipelines leave behind (lint-mbox reports it as a placeholder). A message with a
 * null sender is a notification, so it names the mailer, as bounces do.
 */
const nullSenderFrom = 'Mail Delivery System <MAILER-DAEMON@localhost>';

const fieldName = (line: string) => line.slice(0, line.indexOf(':')).toLowerCase();

/**
 * Applies `--header` and `--add-header` to header lines: a `--header` field replaces every
 * field of its name (with its folded continuation lines), in the place of the first one, as
 * swaks does; those naming no field present follow the fields, and `--add-header` comes last.
 */
export function editHeader(lines: readonly string[], headers: readonly string[], addHeaders: readonly string[]): string[] {
  const out: string[] = [];
  const present = new Set<string>();
  for (const field of unfoldedGroups(lines)) {
    const name = fieldName(field[0]!);
    const replacing = headers.filter((header) => fieldName(header) === name);
    if (replacing.length === 0) out.push(...field);
    else if (!present.has(name)) out.push(...replacing);
    present.add(name);
  }
  return [...out, ...headers.filter((header) => !present.has(fieldName(header))), ...addHeaders];
}

/**
 * The built-in message: Date, From, To, Message-ID, a Subject naming the variant, and a
 * short body; or, with `entity` (`--body`, `--attach`), the MIME fields and body built from
 * them. Then `--header` and `--add-header` (editHeader).
 */
export function templateMessage(options: TemplateOptions, entity?: MessageEntity): MessageLines {
  const builtIn = [
    `Date: ${formatRfc5322Date(options.date)}`,
    `From: ${options.from === '' ? nullSenderFrom : `<${options.from}>`}`,
    `To: ${options.to.map((to) => `<${to}>`).join(', ')}`,
    `Message-ID: <${options.messageId}>`,
    `Subject: smtpdbg inject: ${options.variant}`,
    ...(entity?.fields ?? []),
  ];
  // The addresses and --header values come from the command line, which Node reads as UTF-8:
  // UTF-8 is what the user typed (RFC 6532 headers with SMTPUTF8), never a latin1 truncation.
  const header = editHeader(builtIn, options.headers ?? [], options.addHeaders ?? []).map((line) => Buffer.from(line, 'utf8'));
  if (entity) return { lines: [...header, Buffer.alloc(0), ...entity.body], source: entity.description };
  const body = [
    DEFAULT_BODY_TEXT,
    `Variant: ${options.variant}.`,
  ];
  return { lines: [...header, Buffer.alloc(0), ...body.map((line) => Buffer.from(line, 'latin1'))], source: 'built-in template' };
}

/** The second transaction of `--smuggle`: a plain, standard message. */
export function smuggledMessage(options: Omit<TemplateOptions, 'variant' | 'headers' | 'addHeaders'>): MessageLines {
  const text = [
    `Date: ${formatRfc5322Date(options.date)}`,
    `From: ${options.from === '' ? nullSenderFrom : `<${options.from}>`}`,
    `To: ${options.to.map((to) => `<${to}>`).join(', ')}`,
    `Message-ID: <${options.messageId}>`,
    'Subject: smtpdbg smuggled message',
    '',
    'If this message was stored, the server took a non-standard end of data for the end.',
  ];
  return { lines: text.map((line) => Buffer.from(line, 'utf8')), source: 'smuggled template' };
}

/** `--data FILE|-`: the file's own lines, whatever its convention (LF, CRLF or CR). */
export function messageFromData(bytes: Buffer, source: string): MessageLines {
  return { lines: recognizeLines(bytes).lines, source };
}
