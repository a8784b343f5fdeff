import type { Eol, Finding } from '../mbox/types.js';
import { GrowingBytes, writeDigits, type ByteSink } from './byte-sink.js';

/**
 * How a streamed format lays a finding's output line out around its two numbers:
 * `head`, the message number, `mid`, the line number, the tail (ui/lint-report.ts).
 */
export interface FindingLayout {
  head(f: Finding): string;
  readonly mid: string;
  /** Everything after the line number, the line end included where the format has one. */
  writeTail(f: Finding, out: ByteSink): void;
  /** Written between two findings (the comma of `--format json`'s array), if anything. */
  readonly separator: string | undefined;
  /** A new file's findings come next; `eol` is its line-ending convention. */
  startFile(eol: Eol): void;
}

/** Per finding: the id of its head, where its tail starts in `bytes`, and its two numbers within the range. */
const slots = 4;

/** The memory of one range's findings. */
interface Storage {
  bytes: GrowingBytes;
  /**
   * Small integers nearly always: numbers within a range, offsets in its storage. Held as
   * such, they reach the encoding as the integers its optimized code expects, where a
   * Float64Array's doubles deoptimized `add`, `writeDigits` and `drain` ("not a Smi") a few
   * times per worker. A range with a number past 2^31 (two billion lines) gets doubles.
   */
  marks: Int32Array | Float64Array;
}

const maxInt32 = 0x7fffffff;

/**
 * Storage of drained ranges, used again. Fresh buffers for every range left tens of
 * megabytes of dead buffers outside the heap per worker before V8 collected them (peak RSS
 * on 512 MB with two workers 200 MB against 110 MB). As many are kept as one worker can
 * hold at once (the pool lets 4 ranges per worker get ahead of the output, 16 with the
 * default maximum of 4 workers): with 4 kept, a flood of findings (ranges ending after
 * 5,000 of them, 8 or more held) dropped and made storages again, and peak RSS grew with
 * the input (64 MiB of From_ lines in ranges of 256 KiB: 254 MB against 127 MB).
 */
const spare: Storage[] = [];
const maxSpare = 16;
/** The buffer `drain` fills: the writes are synchronous, so one serves every range. */
let out = Buffer.allocUnsafeSlow(1 << 16);

/**
 * The output lines of a range's findings, encoded as they are found, before the number of
 * messages and lines in the ranges before it is known; `drain` writes them with the numbers
 * filled in. The bytes live outside the JavaScript heap: a range worker keeps a few ranges
 * of findings, and holding them as objects until their turn had them promoted to the old
 * generation and collected there (two workers on 512 MB: about 3.7 s of CPU that way,
 * 3.2 s with the lines encoded).
 * Heads repeat (one per rule and file), so each is encoded once per range and findings
 * refer to it; the mid is the same for every finding of a layout.
 */
export class PendingFindings {
  private readonly storage: Storage = spare.pop() ?? { bytes: new GrowingBytes(1 << 16), marks: new Int32Array(slots * 1024) };
  private count = 0;
  /** The longest tail. */
  private longest = 0;
  private readonly headIds = new Map<string, number>();
  private readonly heads: Buffer[] = [];
  /** The longest head. */
  private longestHead = 0;
  private mid: Buffer | undefined;
  private separator: Buffer | undefined;

  constructor(private readonly layout: FindingLayout) {
    this.storage.bytes.reset();
  }

  get size(): number {
    return this.count;
  }

  add(f: Finding): void {
    const storage = this.storage;
    const start = storage.bytes.length;
    const wide = storage.marks instanceof Float64Array || f.message > maxInt32 || f.line > maxInt32 || start > maxInt32;
    if (storage.marks.length < (this.count + 1) * slots || (wide && storage.marks instanceof Int32Array)) {
      const marks = wide ? new Float64Array(storage.marks.length * 2) : new Int32Array(storage.marks.length * 2);
      marks.set(storage.marks);
      storage.marks = marks;
    }
    const { bytes, marks } = storage;
    const at = this.count * slots;
    marks[at] = this.headId(this.layout.head(f));
    marks[at + 1] = start;
    marks[at + 2] = f.message;
    marks[at + 3] = f.line;
    this.layout.writeTail(f, bytes);
    this.longest = Math.max(this.longest, bytes.length - start);
    this.count++;
  }

  /**
   * Every line, `messages` and `lines` added to its numbers, to `write` in batches of about
   * 64 KiB; `written` findings came before in the output (the first has no separator). Once
   * only: the storage then serves the next range. `write` must be done with the bytes when
   * it returns: the buffer is used again.
   */
  drain(messages: number, lines: number, written: number, write: (bytes: Buffer) => void): void {
    const mid = (this.mid ??= Buffer.from(this.layout.mid));
    const separator = this.layout.separator === undefined ? undefined : (this.separator ??= Buffer.from(this.layout.separator));
    // Room for the longest line: a separator, a head, the mid, a tail and two numbers of at most 16 digits.
    const room = this.longest + this.longestHead + mid.length + 32 + (separator?.length ?? 0);
    if (out.length < room) out = Buffer.allocUnsafeSlow(room);
    const { bytes, marks } = this.storage;
    const all = bytes.view();
    const heads = this.heads;
    let used = 0;
    for (let i = 0; i < this.count; i++) {
      const at = i * slots;
      const head = heads[marks[at]!]!;
      const tailStart = marks[at + 1]!;
      const tailEnd = i + 1 < this.count ? marks[at + slots + 1]! : all.length;
      if (used + head.length + mid.length + tailEnd - tailStart + 32 + (separator?.length ?? 0) > out.length) {
        write(out.subarray(0, used));
        used = 0;
      }
      if (separator !== undefined && written + i > 0) {
        out.set(separator, used);
        used += separator.length;
      }
      out.set(head, used);
      used = writeDigits(messages + marks[at + 2]!, out, used + head.length);
      out.set(mid, used);
      used = writeDigits(lines + marks[at + 3]!, out, used + mid.length);
      used += all.copy(out, used, tailStart, tailEnd);
    }
    if (used > 0) write(out.subarray(0, used));
    if (spare.length < maxSpare) spare.push(this.storage);
  }

  private headId(s: string): number {
    let id = this.headIds.get(s);
    if (id === undefined) {
      id = this.heads.length;
      const bytes = Buffer.from(s);
      this.heads.push(bytes);
      this.headIds.set(s, id);
      this.longestHead = Math.max(this.longestHead, bytes.length);
    }
    return id;
  }
}
