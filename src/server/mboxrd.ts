import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { MessageSpool } from './message-spool.js';
import { StorageFailure, writeAll, type WriteProgress } from './storage.js';

/**
 * mboxrd (the "From_ quoting" variant described with the other mbox formats at
 * https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml): a From_ separator
 * line, the message with every line matching /^>*From / given one more '>', and a blank
 * line. Unlike mboxo the quoting is reversible, so the stored bytes are the received bytes.
 * Lines are what mbox readers take them to be: LF-delimited, whatever precedes the LF.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const LF = 0x0a;
const GT = 0x3e;
const FROM_ = Buffer.from('From ', 'latin1');
const QUOTED_FROM_ = Buffer.from('>From ', 'latin1');

/** C's asctime() layout ("Mon Nov  3 05:07:09 2026"), in UTC, as From_ lines use. */
export function asctime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/**
 * The envelope sender as the From_ line shows it. An empty reverse-path becomes
 * MAILER-DAEMON: writing nothing gives `From  Mon…` (two spaces), which some mbox readers do
 * not take as a separator. Whitespace would split the line's fields.
 */
function fromLineSender(sender: string): string {
  return sender === '' ? 'MAILER-DAEMON' : sender.replace(/\s/g, '_');
}

/**
 * The quoting of mboxrd, fed the message in chunks cut anywhere: a "From " split across two
 * chunks, or a run of '>' before it, is quoted as if the message had come in one piece. The
 * extra '>' may go anywhere in the run of '>', so the run passes through as it comes and only
 * the (at most five) octets of a possible "From " are held back.
 */
export class MboxrdQuoter {
  private atLineStart = true;
  /** Octets of "From " matched at the start of the current line and not yet passed on. */
  private matched = 0;

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let from = 0;
    const carried = this.matched;
    let fromCarried = carried > 0;
    for (let i = 0; i < chunk.length;) {
      if (!this.atLineStart) {
        const lf = chunk.indexOf(LF, i);
        if (lf === -1) break;
        i = lf + 1;
        this.atLineStart = true;
        continue;
      }
      const byte = chunk[i]!;
      if (this.matched === 0 && byte === GT) {
        i++;
        continue;
      }
      if (byte === FROM_[this.matched]) {
        this.matched++;
        i++;
        if (this.matched === FROM_.length) {
          // Where "From " began in this chunk (at 0 when part of it came in an earlier one).
          const start = fromCarried ? 0 : i - FROM_.length;
          if (start > from) out.push(chunk.subarray(from, start));
          out.push(QUOTED_FROM_);
          from = i;
          fromCarried = false;
          this.matched = 0;
          this.atLineStart = false;
        }
        continue;
      }
      // Not a From_ line: what was held back from an earlier chunk goes out first.
      if (fromCarried) {
        out.push(FROM_.subarray(0, carried));
        fromCarried = false;
      }
      this.matched = 0;
      this.atLineStart = false;
    }
    // A "From " still being matched at the end of the chunk is held back (the part of it from
    // earlier chunks already is).
    const held = fromCarried ? chunk.length : this.matched;
    if (chunk.length - held > from) out.push(chunk.subarray(from, chunk.length - held));
    return out;
  }

  /** The end of the message: octets held back as a possible "From " were content after all. */
  end(): Buffer[] {
    const held = this.matched;
    this.matched = 0;
    this.atLineStart = true;
    return held > 0 ? [FROM_.subarray(0, held)] : [];
  }
}

/** The From_ line that opens an entry. */
function separator(sender: string, receivedAt: Date): Buffer {
  return Buffer.from(`From ${fromLineSender(sender)} ${asctime(receivedAt)}\n`, 'latin1');
}

/** The message must end in a line end before the blank line that closes the entry. */
function closing(size: number, lastByte: number | undefined): Buffer {
  return Buffer.from(size === 0 || lastByte === LF ? '\n' : '\n\n');
}

/**
 * The body of an entry built while the message arrives: content in, quoted, into a spool
 * that keeps a little in memory and the rest in a temporary file. Memory stays at the
 * spool's threshold whatever the message's size.
 */
export class MboxrdBody {
  private readonly quoter = new MboxrdQuoter();
  private size = 0;
  private lastByte: number | undefined;

  constructor(private readonly spool: MessageSpool) {}

  /** Resolves once the bytes are buffered or written (the caller waits: backpressure). */
  async write(content: readonly Buffer[]): Promise<void> {
    const quoted: Buffer[] = [];
    for (const piece of content) {
      if (piece.length === 0) continue;
      this.size += piece.length;
      this.lastByte = piece[piece.length - 1];
      quoted.push(...this.quoter.push(piece));
    }
    await this.spool.write(quoted);
  }

  async end(): Promise<void> {
    await this.spool.write(this.quoter.end());
  }

  /** Why the body could not be kept (a temporary file that could not be written), if so. */
  get failure(): StorageFailure | undefined {
    return this.spool.failure;
  }

  segments(sender: string, receivedAt: Date): EntrySegment[] {
    return [separator(sender, receivedAt), ...this.spool.segments(), closing(this.size, this.lastByte)];
  }

  dispose(): Promise<void> {
    return this.spool.dispose();
  }
}

/** An entry's bytes: in memory, or a part of a temporary file to copy. */
export type EntrySegment = Buffer | { handle: FileHandle; path: string; size: number };

function segmentSize(segment: EntrySegment): number {
  return Buffer.isBuffer(segment) ? segment.length : segment.size;
}

/** A whole message in memory, as an entry. */
function entryOf(sender: string, receivedAt: Date, data: Buffer): EntrySegment[] {
  const quoter = new MboxrdQuoter();
  return [separator(sender, receivedAt), ...quoter.push(data), ...quoter.end(), closing(data.length, data[data.length - 1])];
}

/** An mboxrd entry as one buffer (tests, and readers that want to compare bytes). */
export function formatMboxrdEntry(sender: string, receivedAt: Date, data: Buffer): Buffer {
  return Buffer.concat(entryOf(sender, receivedAt, data) as Buffer[]);
}

interface PendingEntry {
  segments: EntrySegment[];
  size: number;
  resolve: () => void;
  reject: (error: StorageFailure) => void;
}

/** How many entries of a batch are wholly within its first `written` octets. */
function wholeEntries(batch: readonly PendingEntry[], written: number): number {
  let whole = 0;
  for (let kept = 0; whole < batch.length && kept + batch[whole]!.size <= written; whole++) kept += batch[whole]!.size;
  return whole;
}

/** Temporary files are copied into the mbox in pieces of this size. */
const COPY_PIECE = 1 << 20;

/**
 * Appends entries in order, whole, and only whole: `append` resolves once every byte of the
 * entry is written (and synced to the disk, when asked; the 250 goes out only then), and rejects with a StorageFailure when a
 * write fails, after cutting the file back to its last complete entry, so the mbox never
 * ends in half an entry. Entries that arrive while a write is under way go out together in
 * the next one (a group commit), so that many clients at once cost one write, not one each.
 * The queue is the lock: one write at a time, in order. The file is assumed to be written
 * by this process only (its length is tracked, not read back before each write).
 */
export class MboxrdWriter {
  private pending: PendingEntry[] = [];
  private writing: Promise<void> | undefined;
  /** Length of the file up to the end of its last complete entry. */
  private size: number;
  /** A roll-back that failed: the file is longer than `size` and is cut before the next write. */
  private unrolled: StorageFailure | undefined;
  private copyBuffer: Buffer | undefined;

  /** `sync`: each batch is synced to the disk before its entries are acknowledged. */
  private constructor(readonly path: string, private readonly handle: FileHandle, size: number, private readonly sync: boolean) {
    this.size = size;
  }

  /**
   * `sync` asks for each batch to reach the disk before it is acknowledged (fdatasync). A
   * device or a pipe (/dev/null, a FIFO) has no disk to wait for and is never synced.
   */
  static async open(path: string, options: { sync?: boolean } = {}): Promise<MboxrdWriter> {
    try {
      const handle = await open(path, 'a');
      const stat = await handle.stat();
      return new MboxrdWriter(path, handle, stat.size, (options.sync ?? false) && stat.isFile());
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new InputError(`--mbox ${path}: cannot open for appending (${reason})`, { cause: error });
    }
  }

  /** Appends a message held in memory. */
  append(sender: string, receivedAt: Date, data: Buffer): Promise<void> {
    return this.appendSegments(entryOf(sender, receivedAt, data));
  }

  /** Appends a message built while it arrived. */
  appendBody(sender: string, receivedAt: Date, body: MboxrdBody): Promise<void> {
    return this.appendSegments(body.segments(sender, receivedAt));
  }

  private appendSegments(segments: EntrySegment[]): Promise<void> {
    const size = segments.reduce((n, s) => n + segmentSize(s), 0);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ segments, size, resolve, reject });
      // Wait for the end of this turn of the event loop: the other sessions' entries join the batch.
      this.writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const left = await this.writeBatch(batch);
      // Entries behind a failed one are tried again on their own: a smaller one may still fit.
      this.pending.unshift(...left);
    }
    this.writing = undefined;
  }

  /** Writes a batch; returns the entries after a failed one, not yet tried. */
  private async writeBatch(batch: PendingEntry[]): Promise<PendingEntry[]> {
    const unrolled = this.unrolled;
    if (unrolled) {
      try {
        await this.handle.truncate(this.size);
        this.unrolled = undefined;
      } catch {
        for (const entry of batch) entry.reject(unrolled);
        return [];
      }
    }
    const progress: WriteProgress = { written: 0 };
    let group: Buffer[] = [];
    try {
      for (const entry of batch) {
        for (const segment of entry.segments) {
          if (Buffer.isBuffer(segment)) {
            group.push(segment);
            continue;
          }
          await writeAll(this.handle, group, progress);
          group = [];
          await this.copy(segment, progress);
        }
      }
      await writeAll(this.handle, group, progress);
    } catch (error) {
      return this.rollBack(batch, wholeEntries(batch, progress.written), progress.written, error);
    }
    try {
      // On the disk before the 250s, as an MTA does before it takes responsibility for a
      // message (RFC 5321 §6.1); one sync for the whole batch.
      if (this.sync) await this.handle.datasync();
    } catch (error) {
      // Written but perhaps not on the disk: none of the batch counts.
      return this.rollBack(batch, 0, progress.written, error);
    }
    this.size += progress.written;
    for (const entry of batch) entry.resolve();
    return [];
  }

  private async copy(segment: Exclude<EntrySegment, Buffer>, progress: WriteProgress): Promise<void> {
    this.copyBuffer ??= Buffer.allocUnsafe(COPY_PIECE);
    for (let position = 0; position < segment.size;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await segment.handle.read(this.copyBuffer, 0, Math.min(COPY_PIECE, segment.size - position), position));
        if (bytesRead === 0) throw Object.assign(new Error('EIO: the temporary file is shorter than written, read'), { code: 'EIO' });
      } catch (error) {
        throw new StorageFailure(segment.path, error, 'read');
      }
      await writeAll(this.handle, [this.copyBuffer.subarray(0, bytesRead)], progress);
      position += bytesRead;
    }
  }

  /**
   * After a failed write: the first `whole` entries stay (and are acknowledged), the file is
   * cut back to the end of the last of them, the next entry fails, and the ones after it are
   * handed back to be tried again.
   */
  private async rollBack(batch: PendingEntry[], whole: number, written: number, error: unknown): Promise<PendingEntry[]> {
    const kept = batch.slice(0, whole).reduce((n, entry) => n + entry.size, 0);
    const target = this.size + kept;
    const cause = error instanceof StorageFailure ? error : new StorageFailure(this.path, error);
    try {
      if (written > kept) {
        await this.handle.truncate(target);
        cause.explain(`${this.path} was rolled back to its last complete entry (${target} octets)`);
      } else {
        cause.explain(`nothing of it reached ${this.path}, which still ends with its last complete entry`);
      }
    } catch (truncateError) {
      const code = (truncateError as NodeJS.ErrnoException).code ?? 'EIO';
      cause.explain(`cutting ${this.path} back to its last complete entry (${target} octets) failed too (${code}): it is tried again before the next write`);
      this.unrolled = new StorageFailure(this.path, truncateError);
    }
    this.size = target;
    for (const entry of batch.slice(0, whole)) entry.resolve();
    batch[whole]?.reject(cause);
    return batch.slice(whole + 1);
  }

  async close(): Promise<void> {
    await this.writing;
    if (this.unrolled) await this.handle.truncate(this.size).catch(() => undefined);
    await this.handle.close();
  }
}
