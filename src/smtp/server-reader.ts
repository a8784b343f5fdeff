/**
 * The server's side of the wire, sans I/O: fed chunks as they arrive, it hands back command
 * lines with the exact terminator that ended them, and DATA content with the end-of-data
 * indicator found wherever the chunks were cut. It knows nothing of verbs; the session
 * tells it when DATA begins (after its 354), because only the session knows whether the
 * DATA command was accepted.
 *
 * Pull-based like nodemailer's smtp-stream: `next()` returns one item at a time and leaves
 * the rest buffered, so bytes a client pipelines after STARTTLS can still be thrown away
 * (RFC 3207 §6) and bytes after DATA are not parsed as commands before the 354.
 */

const CR = 0x0d;
const LF = 0x0a;

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF. */
export const COMMAND_LINE_LIMIT = 512;
/** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF. */
export const TEXT_LINE_LIMIT = 1000;
/**
 * RFC 4954 §4 lifts the 512 limit for AUTH responses and asks servers to take at least
 * 12288 octets; lines longer than this are cut (and reported as such) to bound memory.
 */
export const STORED_LINE_LIMIT = 12288 + 2;

export type LineTerminator = 'crlf' | 'lf';

export interface CommandLine {
  type: 'line';
  /** The line without its terminator, cut at STORED_LINE_LIMIT. May hold bare CRs. */
  line: Buffer;
  terminator: LineTerminator;
  /** Octets of the whole line as received, terminator included (even when cut). */
  length: number;
  /** True when `line` was cut because the line exceeded STORED_LINE_LIMIT. */
  truncated: boolean;
}

export interface DataChunk {
  type: 'data';
  /** Content bytes exactly as received (still dot-stuffed), in order. */
  bytes: Buffer;
}

export interface DataEnd {
  type: 'data-end';
  /** Lines of the content longer than TEXT_LINE_LIMIT (RFC 5321 §4.5.3.1.6), 1-based. */
  longLines: number[];
  /** 1-based line numbers (CRLF-delimited) holding a bare CR or a bare LF. */
  bareCrLines: number[];
  bareLfLines: number[];
  /** Content octets, terminator excluded. */
  size: number;
}

/** The end of a BDAT chunk (RFC 3030 §2): its announced octets were all handed out. */
export interface ChunkEnd extends Omit<DataEnd, 'type'> {
  type: 'chunk-end';
}

export type ReaderItem = CommandLine | DataChunk | DataEnd | ChunkEnd;

/** Reported line lists are capped so that a hostile message cannot grow them without end. */
const MAX_REPORTED_LINES = 100;

function note(list: number[], line: number): void {
  if (list.length < MAX_REPORTED_LINES && list[list.length - 1] !== line) list.push(line);
}

/**
 * The end-of-data indicator is CRLF "." CRLF (RFC 5321 §4.1.1.4). `matched` counts how much
 * of it ends the bytes seen so far; DATA starts with 2 because the CRLF that ended the DATA
 * command counts, so content that begins with ".\r\n" is an empty message.
 */
const END_OF_DATA = Buffer.from('\r\n.\r\n', 'latin1');

export class ServerReader {
  private buffer: Buffer = Buffer.alloc(0);
  private mode: 'command' | 'data' | 'chunk' = 'command';
  /** Octets of the current BDAT chunk still to hand out. */
  private chunkLeft = 0;

  // Command-line state: bytes of an over-long line already dropped.
  private droppedLength = 0;

  // DATA state.
  private matched = 0;
  private held: Buffer = Buffer.alloc(0);
  private dataSize = 0;
  private lineNumber = 1;
  private lineLength = 0;
  private previousWasCr = false;
  private longLines: number[] = [];
  private bareCrLines: number[] = [];
  private bareLfLines: number[] = [];
  /** The content's last chunk was handed out; the DataEnd comes next. */
  private pendingEnd = false;

  feed(chunk: Uint8Array): void {
    // A view, not a copy: the reader never writes into what it is fed.
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.buffer, chunk]);
  }

  /** Bytes received and not yet handed out. */
  get buffered(): number {
    return this.buffer.length + this.held.length;
  }

  /** Octets of the current BDAT chunk not received yet. */
  get chunkRemaining(): number {
    return this.mode === 'chunk' ? this.chunkLeft : 0;
  }

  /** Switches to DATA content; call after the 354 reply (RFC 5321 §4.1.1.4). */
  startData(): void {
    this.mode = 'data';
    this.matched = 2;
    this.held = Buffer.alloc(0);
    this.resetAccounting();
  }

  /**
   * The next `size` octets are a BDAT chunk (RFC 3030 §2): handed out exactly as they are,
   * with no end-of-data search and no dot-unstuffing, then a ChunkEnd. `first` starts the
   * line accounting anew (the first chunk of a transaction); later chunks continue it, so
   * the flags of the last ChunkEnd cover the whole message.
   */
  startChunk(size: number, first: boolean): void {
    this.mode = 'chunk';
    this.chunkLeft = size;
    if (first) this.resetAccounting();
  }

  private resetAccounting(): void {
    this.dataSize = 0;
    this.lineNumber = 1;
    this.lineLength = 0;
    this.previousWasCr = false;
    this.longLines = [];
    this.bareCrLines = [];
    this.bareLfLines = [];
  }

  /**
   * Drops every byte received and not yet handed out, and returns them. STARTTLS needs this:
   * anything a client sent after the STARTTLS command and before the handshake must not be
   * taken as a command (RFC 3207 §6).
   */
  discardBuffered(): Buffer {
    const dropped = Buffer.concat([this.held, this.buffer]);
    this.buffer = Buffer.alloc(0);
    this.held = Buffer.alloc(0);
    this.droppedLength = 0;
    this.pendingEnd = false;
    this.mode = 'command';
    return dropped;
  }

  /** The next complete item, or undefined when more bytes are needed. */
  next(): ReaderItem | undefined {
    if (this.pendingEnd) return this.endItem();
    if (this.mode === 'chunk') return this.nextChunk();
    return this.mode === 'command' ? this.nextLine() : this.nextData();
  }

  private nextChunk(): DataChunk | ChunkEnd | undefined {
    if (this.chunkLeft === 0) {
      this.mode = 'command';
      return { ...this.endItem(), type: 'chunk-end' };
    }
    if (this.buffer.length === 0) return undefined;
    const take = Math.min(this.chunkLeft, this.buffer.length);
    const bytes = Buffer.from(this.buffer.subarray(0, take));
    this.buffer = this.buffer.subarray(take);
    this.chunkLeft -= take;
    for (const b of bytes) this.track(b);
    this.dataSize += take;
    return { type: 'data', bytes };
  }

  /**
   * Commands end at CRLF (RFC 5321 §2.3.8), but a bare LF is also taken as an end, since many
   * clients (openssl s_client among them) send one; the terminator is reported so that the
   * difference is visible. A bare CR stays part of the line.
   */
  private nextLine(): CommandLine | undefined {
    const lf = this.buffer.indexOf(LF);
    if (lf === -1) {
      if (this.buffer.length > STORED_LINE_LIMIT + 1) {
        // Keep the head (to show it and parse the verb) and the last byte (it may be the CR
        // of the CRLF still to come); forget the middle so memory stays bounded.
        const head = this.buffer.subarray(0, STORED_LINE_LIMIT);
        const last = this.buffer.subarray(this.buffer.length - 1);
        this.droppedLength += this.buffer.length - STORED_LINE_LIMIT - 1;
        this.buffer = Buffer.concat([head, last]);
      }
      return undefined;
    }
    const crlf = lf > 0 && this.buffer[lf - 1] === CR;
    const end = crlf ? lf - 1 : lf;
    const length = lf + 1 + this.droppedLength;
    const truncated = this.droppedLength > 0 || end > STORED_LINE_LIMIT;
    const line = Buffer.from(this.buffer.subarray(0, Math.min(end, STORED_LINE_LIMIT)));
    this.buffer = this.buffer.subarray(lf + 1);
    this.droppedLength = 0;
    return { type: 'line', line, terminator: crlf ? 'crlf' : 'lf', length, truncated };
  }

  private nextData(): DataChunk | DataEnd | undefined {
    if (this.buffer.length === 0) return undefined;
    const bytes = this.held.length === 0 ? this.buffer : Buffer.concat([this.held, this.buffer]);
    const start = this.held.length;
    this.held = Buffer.alloc(0);
    for (let i = start; i < bytes.length; i++) {
      const b = bytes[i]!;
      this.track(b);
      if (b === END_OF_DATA[this.matched]) {
        this.matched++;
      } else {
        this.matched = b === CR ? 1 : 0;
      }
      if (this.matched === END_OF_DATA.length) {
        // The CRLF before the "." is the last line's own end and stays content.
        const contentEnd = i + 1 - 3;
        const tail = bytes.subarray(0, Math.max(contentEnd, 0));
        this.buffer = Buffer.from(bytes.subarray(i + 1));
        this.mode = 'command';
        this.dataSize += tail.length;
        if (tail.length > 0) {
          // Hand out the last content first; the end follows on the next call.
          this.pendingEnd = true;
          return { type: 'data', bytes: Buffer.from(tail) };
        }
        return this.endItem();
      }
    }
    // Whatever might be the start of the end-of-data indicator is held back.
    const hold = Math.min(this.matched, bytes.length);
    const out = bytes.subarray(0, bytes.length - hold);
    this.held = Buffer.from(bytes.subarray(bytes.length - hold));
    this.buffer = Buffer.alloc(0);
    if (out.length === 0) return undefined;
    this.dataSize += out.length;
    return { type: 'data', bytes: Buffer.from(out) };
  }

  /** Line accounting for the flags; the terminator's own bytes pass through it harmlessly. */
  private track(b: number): void {
    if (this.previousWasCr && b !== LF) note(this.bareCrLines, this.lineNumber);
    if (b === LF) {
      if (this.previousWasCr) {
        if (this.lineLength + 1 > TEXT_LINE_LIMIT) note(this.longLines, this.lineNumber);
        this.lineNumber++;
        this.lineLength = 0;
        this.previousWasCr = false;
        return;
      }
      note(this.bareLfLines, this.lineNumber);
    }
    this.lineLength++;
    this.previousWasCr = b === CR;
  }

  /** The line lists are made anew by startData, so the receiver may keep them. */
  private endItem(): DataEnd {
    this.pendingEnd = false;
    return {
      type: 'data-end',
      longLines: this.longLines,
      bareCrLines: this.bareCrLines,
      bareLfLines: this.bareLfLines,
      size: this.dataSize,
    };
  }
}
