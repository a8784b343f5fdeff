/**
 * A finding's output line cut around its two numbers: `head`, the message number, `mid`,
 * the line number, `tail` (the streamed formats give them: ui/lint-report.ts).
 */
export interface FindingParts {
  head: string;
  mid: string;
  tail: string;
}

/** Per finding: the ids of its head and mid, where its tail starts in `bytes`, and its two numbers within the range. */
const slots = 5;

/** The memory of one range's findings. */
interface Storage {
  bytes: Buffer;
  marks: Float64Array;
}

/**
 * Storage of drained ranges, used again. Fresh buffers for every range left tens of
 * megabytes of dead buffers outside the heap per worker before V8 collected them (peak RSS
 * on 512 MB with two workers 200 MB against 110 MB).
 */
const spare: Storage[] = [];
const maxSpare = 4;
/** The buffer `drain` fills: the writes are synchronous, so one serves every range. */
let out = Buffer.allocUnsafeSlow(1 << 16);

/**
 * The output lines of a range's findings, encoded as they are found, before the number of
 * messages and lines in the ranges before it is known; `drain` writes them with the numbers
 * filled in. The bytes live outside the JavaScript heap: a range worker keeps a few ranges
 * of findings, and holding them as objects until their turn had them promoted to the old
 * generation and collected there (two workers on 512 MB: about 3.7 s of CPU that way,
 * 3.2 s with the lines encoded).
 * Heads and mids repeat (one per rule and file), so each is encoded once per range and
 * findings refer to it.
 */
export class PendingFindings {
  private storage: Storage = spare.pop() ?? { bytes: Buffer.allocUnsafeSlow(1 << 16), marks: new Float64Array(slots * 1024) };
  private used = 0;
  private count = 0;
  /** The longest tail. */
  private longest = 0;
  private readonly pieceIds = new Map<string, number>();
  private readonly pieces: Buffer[] = [];
  /** The longest head or mid. */
  private longestPiece = 0;

  get size(): number {
    return this.count;
  }

  add(parts: FindingParts, message: number, line: number): void {
    if (this.storage.marks.length < (this.count + 1) * slots) {
      const marks = new Float64Array(this.storage.marks.length * 2);
      marks.set(this.storage.marks);
      this.storage.marks = marks;
    }
    const marks = this.storage.marks;
    const at = this.count * slots;
    const start = this.used;
    marks[at] = this.pieceId(parts.head);
    marks[at + 1] = this.pieceId(parts.mid);
    marks[at + 2] = start;
    marks[at + 3] = message;
    marks[at + 4] = line;
    this.append(parts.tail);
    this.storage.bytes[this.used++] = 10;
    this.longest = Math.max(this.longest, this.used - start);
    this.count++;
  }

  /**
   * Every line, `messages` and `lines` added to its numbers, to `write` in batches of about
   * 64 KiB. Once only: the storage then serves the next range. `write` must be done with
   * the bytes when it returns: the buffer is used again.
   */
  drain(messages: number, lines: number, write: (bytes: Buffer) => void): void {
    // Room for the longest line: two pieces, a tail and two numbers of at most 16 digits.
    const room = this.longest + 2 * this.longestPiece + 32;
    if (out.length < room) out = Buffer.allocUnsafeSlow(room);
    const { bytes, marks } = this.storage;
    const pieces = this.pieces;
    let used = 0;
    for (let i = 0; i < this.count; i++) {
      const at = i * slots;
      const head = pieces[marks[at]!]!;
      const mid = pieces[marks[at + 1]!]!;
      const tailStart = marks[at + 2]!;
      const tailEnd = i + 1 < this.count ? marks[at + slots + 2]! : this.used;
      if (used + head.length + mid.length + tailEnd - tailStart + 32 > out.length) {
        write(out.subarray(0, used));
        used = 0;
      }
      out.set(head, used);
      used = writeDigits(messages + marks[at + 3]!, out, used + head.length);
      out.set(mid, used);
      used = writeDigits(lines + marks[at + 4]!, out, used + mid.length);
      used += bytes.copy(out, used, tailStart, tailEnd);
    }
    if (used > 0) write(out.subarray(0, used));
    if (spare.length < maxSpare) spare.push(this.storage);
  }

  private pieceId(s: string): number {
    let id = this.pieceIds.get(s);
    if (id === undefined) {
      id = this.pieces.length;
      const bytes = Buffer.from(s);
      this.pieces.push(bytes);
      this.pieceIds.set(s, id);
      this.longestPiece = Math.max(this.longestPiece, bytes.length);
    }
    return id;
  }

  /** Appends `s` and room for one more byte. */
  private append(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const worst = this.used + s.length * 3 + 1;
    if (worst > this.storage.bytes.length) {
      const bytes = Buffer.allocUnsafeSlow(Math.max(this.storage.bytes.length * 2, worst));
      this.storage.bytes.copy(bytes, 0, 0, this.used);
      this.storage.bytes = bytes;
    }
    this.used += this.storage.bytes.write(s, this.used);
  }
}

/** Writes the decimal digits of the non-negative integer `n` at `at`, returns the end. */
function writeDigits(n: number, to: Buffer, at: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    to[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}
