import { UsageError } from '../errors.js';
import { recognizeLines } from '../smtp/terminators.js';

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
  from: string;
  to: readonly string[];
  /** The variant being sent; the Subject names it so that stored copies can be told apart. */
  variant: string;
  date: Date;
  messageId: string;
  /** Extra `Name: value` fields (`--header`), after the built-in ones. */
  headers?: readonly string[];
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time, in UTC. */
export function formatRfc5322Date(date: Date): string {
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** RFC 5322 §2.2: a field name is printable US-ASCII but ":", then a colon. */
export function parseHeaderOption(value: string): string {
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(value)) throw new UsageError(`--header ${JSON.stringify(value)}: expected "Name: value"`);
  if (/[\r\n]/.test(value)) throw new UsageError('--header: the value cannot hold line ends (use --data for folded fields)');
  return value;
}

/** The built-in message: Date, From, To, Message-ID, a Subject naming the variant, a short body. */
export function templateMessage(options: TemplateOptions): MessageLines {
  const text = [
    `Date: ${formatRfc5322Date(options.date)}`,
    `From: <${options.from}>`,
    `To: ${options.to.map((to) => `<${to}>`).join(', ')}`,
    `Message-ID: <${options.messageId}>`,
    `Subject: smtpdbg inject: ${options.variant}`,
    ...(options.headers ?? []),
    '',
    'This message was sent by smtpdbg inject to see how a mail pipeline handles it.',
    `Variant: ${options.variant}.`,
  ];
  return { lines: text.map((line) => Buffer.from(line, 'latin1')), source: 'built-in template' };
}

/** The second transaction of `--smuggle`: a plain, standard message. */
export function smuggledMessage(options: Omit<TemplateOptions, 'variant' | 'headers'>): MessageLines {
  const text = [
    `Date: ${formatRfc5322Date(options.date)}`,
    `From: <${options.from}>`,
    `To: ${options.to.map((to) => `<${to}>`).join(', ')}`,
    `Message-ID: <${options.messageId}>`,
    'Subject: smtpdbg smuggled message',
    '',
    'If this message was stored, the server took a non-standard end of data for the end.',
  ];
  return { lines: text.map((line) => Buffer.from(line, 'latin1')), source: 'smuggled template' };
}

/** `--data FILE|-`: the file's own lines, whatever its convention (LF, CRLF or CR). */
export function messageFromData(bytes: Buffer, source: string): MessageLines {
  return { lines: recognizeLines(bytes).lines, source };
}
