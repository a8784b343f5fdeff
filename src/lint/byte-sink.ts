/**
 * Output encoded piece by piece into a buffer. A finding's line is made of a few pieces
 * that repeat (its rule's head, its line's text, its message's From_ line…), numbers and a
 * short string: written as bytes one after the other, they cost a copy each, where the same
 * line built as one string first (two bytes per character, for the line-ending pictures)
 * was flattened and encoded again for every finding.
 * What happens when the buffer is full is the subclass's choice: write it out, or grow.
 */
type Utf8Writing = Buffer & { utf8Write(s: string, offset: number, length: number): number };

export abstract class ByteSink {
  protected buf: Buffer;
  /** Bytes written into `buf` so far. */
  protected used = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /** Counts the times written bytes were dropped (see `repeat`). */
  protected era = 0;

  /** Called when `n` more bytes do not fit after `used`: afterwards they must. */
  protected abstract makeRoom(n: number): void;

  /**
   * Makes room for `n` more bytes and returns where they will start: what is written next,
   * up to `n` bytes, stays in one piece that `repeat` can copy.
   */
  reserve(n: number): number {
    if (this.used + n > this.buf.length) this.makeRoom(n);
    return this.used;
  }

  /** Where the next byte goes. */
  get position(): number {
    return this.used;
  }

  /** Changes whenever bytes written before are dropped: with `position`, what `repeat` needs. */
  get epoch(): number {
    return this.era;
  }

  /**
   * Writes again the bytes written at `[start, end)` during `epoch`, copied within the buffer.
   * False when they are no longer there (written out, or the sink emptied) or do not fit
   * without making room: the caller writes them anew.
   */
  repeat(start: number, end: number, epoch: number): boolean {
    if (epoch !== this.era || this.used + end - start > this.buf.length) return false;
    this.buf.copyWithin(this.used, start, end);
    this.used += end - start;
    return true;
  }

  bytes(b: Uint8Array): void {
    if (this.used + b.length > this.buf.length) this.makeRoom(b.length);
    this.buf.set(b, this.used);
    this.used += b.length;
  }

  /** `s` as UTF-8. */
  string(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + s.length * 3 > this.buf.length) this.makeRoom(s.length * 3);
    // Buffer's own encoder: `write`'s argument handling cost as much as the encoding of these short strings.
    this.used += (this.buf as Utf8Writing).utf8Write(s, this.used, this.buf.length - this.used);
  }

  /**
   * `JSON.stringify(s)` as UTF-8, written in one pass: for a finding's line (a short
   * two-byte string, for its pictures), stringifying and then encoding cost more. The same
   * escapes as JSON.stringify: `\"`, `\\`, the short forms of BS, HT, LF, FF and CR, a
   * six-character `\u` escape for the other C0 controls and for unpaired surrogates.
   * Strings built by concatenation (a finding's detail) are read slowly character by
   * character: JSON.stringify, which flattens them first, is faster for those.
   */
  jsonString(s: string): void {
    const n = s.length;
    // Six bytes at most per UTF-16 code unit (`\u001f`), and the quotes.
    if (this.used + n * 6 + 2 > this.buf.length) this.makeRoom(n * 6 + 2);
    const b = this.buf;
    let u = this.used;
    b[u++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) b[u++] = c;
        else u = writeAsciiEscape(b, u, c);
      } else if (c < 0x800) {
        b[u++] = 0xc0 | (c >> 6);
        b[u++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[u++] = 0xe0 | (c >> 12);
        b[u++] = 0x80 | ((c >> 6) & 0x3f);
        b[u++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const p = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          b[u++] = 0xf0 | (p >> 18);
          b[u++] = 0x80 | ((p >> 12) & 0x3f);
          b[u++] = 0x80 | ((p >> 6) & 0x3f);
          b[u++] = 0x80 | (p & 0x3f);
          i++;
        } else {
          u = writeUnicodeEscape(b, u, c);
        }
      }
    }
    b[u++] = 0x22;
    this.used = u;
  }

  byte(b: number): void {
    if (this.used === this.buf.length) this.makeRoom(1);
    this.buf[this.used++] = b;
  }

  /** The decimal digits of the non-negative integer `n` (up to 2^53). */
  digits(n: number): void {
    if (this.used + 16 > this.buf.length) this.makeRoom(16);
    this.used = writeDigits(n, this.buf, this.used);
  }
}

/** JSON's short escapes for the ASCII characters that have one (`"`, `\`, BS, HT, LF, FF, CR). */
const shortEscapes = new Map([0x22, 0x5c, 0x08, 0x09, 0x0a, 0x0c, 0x0d].map((c, i) => [c, '"\\btnfr'.charCodeAt(i)]));

/** `"`, `\` or a C0 control as JSON writes it inside a string; returns the end. */
function writeAsciiEscape(b: Uint8Array, u: number, c: number): number {
  const short = shortEscapes.get(c);
  if (short === undefined) return writeUnicodeEscape(b, u, c);
  b[u] = 0x5c;
  b[u + 1] = short;
  return u + 2;
}

const hexDigits = Buffer.from('0123456789abcdef');

/** A `\u` escape with four lower-case hex digits, as JSON.stringify writes it; returns the end. */
function writeUnicodeEscape(b: Uint8Array, u: number, c: number): number {
  b[u] = 0x5c;
  b[u + 1] = 0x75;
  b[u + 2] = hexDigits[(c >> 12) & 15]!;
  b[u + 3] = hexDigits[(c >> 8) & 15]!;
  b[u + 4] = hexDigits[(c >> 4) & 15]!;
  b[u + 5] = hexDigits[c & 15]!;
  return u + 6;
}

/** Writes the decimal digits of the non-negative integer `n` at `at`, returns the end. */
export function writeDigits(n: number, to: Uint8Array, at: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    to[i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/**
 * A sink that hands its bytes to `write` whenever its buffer is full, and on `flush`.
 * 64 KiB: 1 MiB buffers were no faster and added 13 MB to peak RSS on 512 MB.
 */
export class BatchedWriter extends ByteSink {
  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly size = 1 << 16,
  ) {
    super(size);
  }

  flush(): void {
    if (this.used === 0) return;
    this.write(this.buf.subarray(0, this.used));
    // A fresh buffer: an asynchronous stream may still hold the one written.
    this.buf = Buffer.allocUnsafeSlow(this.size);
    this.used = 0;
    this.era++;
  }

  protected makeRoom(n: number): void {
    this.flush();
    // A piece longer than the buffer gets one of its own until the next flush.
    if (n > this.buf.length) this.buf = Buffer.allocUnsafeSlow(n);
  }
}

/** A sink that keeps everything, growing its buffer; `reset` empties it for reuse. */
export class GrowingBytes extends ByteSink {
  get length(): number {
    return this.used;
  }

  /** The bytes written, `[start, end)`: a view, valid until the next write or reset. */
  view(start = 0, end = this.used): Buffer {
    return this.buf.subarray(start, end);
  }

  reset(): void {
    this.used = 0;
    this.era++;
  }

  protected makeRoom(n: number): void {
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + n));
    this.buf.copy(bigger, 0, 0, this.used);
    this.buf = bigger;
  }
}
