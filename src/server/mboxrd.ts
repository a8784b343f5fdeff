import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';

/**
 * mboxrd (the "From_ quoting" variant described with the other mbox formats at
 * https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml): a From_ separator
 * line, the message with every line matching /^>*From / given one more '>', and a blank
 * line. Unlike mboxo the quoting is reversible, so the stored bytes are the received bytes.
 * Lines are what mbox readers take them to be: LF-delimited, whatever precedes the LF.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** C's asctime() layout ("Mon Nov  3 05:07:09 2026"), in UTC, as From_ lines use. */
export function asctime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/**
 * The envelope sender as the From_ line shows it. An empty reverse-path becomes
 * MAILER-DAEMON: writing nothing gives `From  Mon…`, which some readers do not take as a
 * separator (design.md, incident 4). Whitespace would split the line's fields.
 */
function fromLineSender(sender: string): string {
  return sender === '' ? 'MAILER-DAEMON' : sender.replace(/\s/g, '_');
}

function quoteFromLines(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let lineStart = 0; lineStart < data.length;) {
    let i = lineStart;
    while (data[i] === 0x3e) i++;
    if (data.subarray(i, i + 5).toString('latin1') === 'From ') {
      parts.push(data.subarray(from, lineStart), Buffer.from('>'));
      from = lineStart;
    }
    const lf = data.indexOf(0x0a, lineStart);
    if (lf === -1) break;
    lineStart = lf + 1;
  }
  if (parts.length === 0) return data;
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

function formatMboxrdEntry(sender: string, receivedAt: Date, data: Buffer): Buffer {
  const separator = Buffer.from(`From ${fromLineSender(sender)} ${asctime(receivedAt)}\n`, 'latin1');
  const body = quoteFromLines(data);
  // The message must end in a line end before the blank line that closes the entry.
  const close = body.length === 0 || body[body.length - 1] === 0x0a ? '\n' : '\n\n';
  return Buffer.concat([separator, body, Buffer.from(close)]);
}

/**
 * Appends entries in order, whole, so that an interrupted run leaves whole entries.
 * `append` resolves once the bytes are written: the 250 goes out only after that. Entries
 * that arrive while a write is under way go out together in the next one (a group commit),
 * so that many clients at once cost one write, not one each.
 */
export class MboxrdWriter {
  private constructor(readonly path: string, private readonly handle: FileHandle) {}
  private pending: Array<{ entry: Buffer; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing: Promise<void> | undefined;

  static async open(path: string): Promise<MboxrdWriter> {
    try {
      return new MboxrdWriter(path, await open(path, 'a'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new InputError(`--mbox ${path}: cannot open for appending (${reason})`, { cause: error });
    }
  }

  append(sender: string, receivedAt: Date, data: Buffer): Promise<void> {
    const entry = formatMboxrdEntry(sender, receivedAt, data);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      // Wait for the end of this turn of the event loop: the other sessions' entries join the batch.
      this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.handle.writev(batch.map((p) => p.entry));
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.writing = undefined;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}
