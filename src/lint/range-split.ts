import { readSync } from 'node:fs';
import { parseFromLineBytes } from '../mbox/from-line.js';
import { blankBefore } from '../mbox/scanner.js';

/** One piece of a file that a worker lints on its own (see MboxScanner's `range`). */
export interface FileRange {
  start: number;
  /** Where the next range's From_ line starts, or the file's size for the last range. */
  end: number;
  /** Where reading stops: past the end of the next range's From_ line, so that the scanner sees it. */
  readEnd: number;
  startAfterBlank: boolean;
}

/**
 * A From_ line used as a range boundary is at most this long. Real ones are under 200
 * octets; the limit keeps it far below the scanner's `lineKeepBytes`, where long lines are
 * treated differently in headers and bodies.
 */
const maxBoundaryLine = 1000;
const windowBytes = 1 << 16;
const nlFrom = Buffer.from('\nFrom ');

interface Boundary {
  at: number;
  lineEnd: number;
  afterBlank: boolean;
}

/**
 * Cuts a file into ranges of about `rangeBytes` at From_ lines that carry a date, one range
 * at a time (`next`), so that the first ranges can be scanned while the rest are cut. Such a
 * line separates messages wherever the sequential scanner meets it (at the start of a
 * header line, in a header, in a body), so every range can be scanned from a fresh state
 * and the findings, concatenated, are those of one scan of the whole file. Reads about one
 * small window per boundary; a file without such lines is one range.
 */
export class RangeCutter {
  private start: Boundary | undefined = { at: 0, lineEnd: 0, afterBlank: false };
  /**
   * One window buffer for every read: a fresh one per boundary left thousands of dead
   * 64 KiB buffers in the main thread's malloc heap until V8 collected them (about 27 MB
   * of peak RSS on 4 GB).
   */
  private readonly buf: Buffer;

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly rangeBytes: number,
  ) {
    this.buf = Buffer.allocUnsafeSlow(Math.min(windowBytes, size));
  }

  /** True once the last range has been cut. */
  get done(): boolean {
    return this.start === undefined;
  }

  /** The next range in file order, or undefined after the last. */
  next(): FileRange | undefined {
    const start = this.start;
    if (!start) return undefined;
    const from = start.at + this.rangeBytes;
    const found = from < this.size ? findBoundary(this.fd, this.size, from, this.buf) : undefined;
    this.start = found;
    return {
      start: start.at,
      end: found?.at ?? this.size,
      readEnd: found ? found.lineEnd + 1 : this.size,
      startAfterBlank: start.afterBlank,
    };
  }
}

/** The first separator From_ line starting at or after `from` (and after a LF), if any. */
function findBoundary(fd: number, size: number, from: number, buf: Buffer): Boundary | undefined {
  // Windows start three bytes before the first candidate LF's line: the empty-line test needs them.
  let windowStart = Math.max(0, from - 3);
  let searchFrom = from - 1 - windowStart;
  for (;;) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, size - windowStart), windowStart);
    const window = buf.subarray(0, got);
    const atEnd = got === 0 || windowStart + got >= size;
    let next = windowStart + got - (nlFrom.length - 1) - 2;
    for (let i = window.indexOf(nlFrom, searchFrom); i >= 0; i = window.indexOf(nlFrom, i + 1)) {
      const q = i + 1;
      const nl = window.indexOf(10, q);
      if (nl < 0) {
        // The line goes on past the window: read again from its LF, unless it is too long anyway.
        if (!atEnd && got - q <= maxBoundaryLine + 1) next = windowStart + i - 2;
        break;
      }
      const lineEnd = nl > q && window[nl - 1] === 13 ? nl - 1 : nl;
      if (lineEnd - q > maxBoundaryLine || parseFromLineBytes(window, q + 5, lineEnd).dateKind === 'none') continue;
      return { at: windowStart + q, lineEnd: windowStart + nl, afterBlank: blankBefore(window, q) > 0 };
    }
    if (atEnd) return undefined;
    windowStart = Math.max(next, windowStart + 1);
    searchFrom = 2;
  }
}
