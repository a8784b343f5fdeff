import { basename } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { recognizeLines } from '../smtp/terminators.js';

/**
 * `--body` and `--attach`: the MIME part of a built message (RFC 2045, RFC 2046), composed by
 * nodemailer's MailComposer. The built-in header fields (Date, From, To, Message-ID, Subject)
 * are the template's; this gives the MIME fields and the body lines that follow them, which
 * `payload.ts` then terminates with the user's `--term` like any other message.
 */
export interface MessageEntity {
  /** MIME-Version, Content-Type, Content-Transfer-Encoding, folded lines as composed. */
  fields: string[];
  /** The body, encoded (7-bit: quoted-printable or base64 where needed), without terminators. */
  body: Buffer[];
  /** What was built, for the report: "text body (12 octets), report.pdf (application/pdf, 3 KiB)". */
  description: string;
}

/** `--body TEXT|@FILE`: the text itself, or a file to read ("-" for stdin). */
export type BodyOption = { text: string } | { file: string };

export function parseBodyOption(value: string): BodyOption {
  if (!value.startsWith('@')) return { text: value };
  const file = value.slice(1);
  if (file === '') throw new UsageError('--body @: give a file name after the @ (@- reads stdin)');
  return { file };
}

/** `--attach FILE[;type=MIME/TYPE][;filename=NAME]`: curl -F's spelling for a file part. */
export interface AttachOption {
  path: string;
  type?: string;
  filename?: string;
}

const mimeType = /^[!#$%&'*+.^\w|~-]+\/[!#$%&'*+.^\w|~-]+$/;

export function parseAttachOption(value: string): AttachOption {
  const spec: AttachOption = { path: value };
  // Parsed from the end, so that a file name may itself hold a ";".
  for (let match = /;(type|filename)=([^;]*)$/i.exec(spec.path); match; match = /;(type|filename)=([^;]*)$/i.exec(spec.path)) {
    const key = match[1]!.toLowerCase() as 'type' | 'filename';
    if (spec[key] !== undefined) throw new UsageError(`--attach ${value}: ${key}= given twice`);
    spec[key] = match[2]!;
    spec.path = spec.path.slice(0, match.index);
  }
  if (spec.path === '') throw new UsageError(`--attach ${JSON.stringify(value)}: give a file name`);
  if (spec.type !== undefined && !mimeType.test(spec.type)) throw new UsageError(`--attach ${value}: type=${spec.type} is no MIME type (e.g. type=text/plain)`);
  if (spec.filename !== undefined && (spec.filename === '' || /[\r\n"]/.test(spec.filename))) {
    throw new UsageError(`--attach ${value}: filename= cannot be empty or hold quotes or line ends`);
  }
  return spec;
}

/** The body text when only attachments were asked for. */
export const DEFAULT_BODY_TEXT = 'This message was sent by smtpdbg inject to see how a mail pipeline handles it.';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const sized = (octets: number) => (octets < 10_240 ? `${octets} octets` : `${Math.round(octets / 1024)} KiB`);

/**
 * Builds the MIME part: a text body alone, or multipart/mixed with the text first and each
 * attachment after it (base64; content type from `type=` or guessed from the file name's
 * extension). The text must be UTF-8: it is declared so, and MailComposer picks 7bit,
 * quoted-printable or base64 for it; other bytes are what --data or --attach are for.
 */
export async function composeEntity(body: { bytes: Buffer; from: string } | undefined, attachments: ReadonlyArray<AttachOption & { bytes: Buffer }>): Promise<MessageEntity> {
  let text = DEFAULT_BODY_TEXT;
  if (body) {
    try {
      text = utf8.decode(body.bytes);
    } catch {
      throw new InputError(`--body ${body.from}: the text is not UTF-8; attach the file with --attach, or send its bytes as they are with --data`);
    }
  }
  const mail = {
    // The text's own line ends become the message's; --term then decides what ends them.
    // An empty text is given as an empty buffer: the composer would leave an empty string out.
    text: text === '' ? { content: Buffer.alloc(0) } : text.replace(/\r\n?/g, '\n'),
    attachments: attachments.map((a) => ({
      content: a.bytes,
      filename: a.filename ?? basename(a.path),
      ...(a.type !== undefined ? { contentType: a.type } : {}),
    })),
    // MailComposer hands this to each MIME node (its typings leave it out): CRLF throughout,
    // so that the lines are recognised as the composer meant them.
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  // Loaded only here: nodemailer's composer costs tens of milliseconds at start, and only a built message needs it.
  // A CommonJS module: Node gives its exports as the default export, which its typings (export =) do not say.
  const MailComposer = ((await import('nodemailer/lib/mail-composer/index.js')) as unknown as { default: typeof import('nodemailer/lib/mail-composer/index.js') }).default;
  const composer = new MailComposer(mail);
  // The attachments as composed, with the content type chosen for each (typed as a list, it is { attached, related }).
  const { attached } = composer.getAttachments(false) as unknown as { attached: Array<{ contentType?: string }> };
  const built = await new Promise<Buffer>((resolve, reject) => composer.compile().build((error, bytes) => (error ? reject(error) : resolve(bytes))));
  const lines = recognizeLines(built).lines;
  const blank = lines.findIndex((line) => line.length === 0);
  // The template's Date and Message-ID take the place of MailComposer's own.
  const fields = unfoldedGroups(lines.slice(0, blank).map((line) => line.toString('latin1')))
    .filter((group) => !/^(date|message-id):/i.test(group[0]!))
    .flat();
  const parts = [
    ...(body ? [`text body (${sized(body.bytes.length)})`] : []),
    ...attachments.map((a, i) => `${a.filename ?? basename(a.path)} (${attached[i]?.contentType ?? a.type}, ${sized(a.bytes.length)})`),
  ];
  return { fields, body: lines.slice(blank + 1), description: `built: ${parts.join(', ')}` };
}

/** RFC 5322 §2.2.3: a line starting with a space or tab continues the field before it. */
export function unfoldedGroups(lines: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && groups.length > 0) groups[groups.length - 1]!.push(line);
    else groups.push([line]);
  }
  return groups;
}
