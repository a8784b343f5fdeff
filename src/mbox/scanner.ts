import { inModule, lfCount, lfsSearched, nextFromLine, scanLineInModule } from './byte-search.js';
import { parseFromLineBytes, type FromLine } from './from-line.js';
import { lineKeepBytes, SourceLine, startsWithFrom, type Line } from './line.js';
import { MessageLinter } from './message-linter.js';
import { checkFromLine } from './rules/framing.js';
import { classifyHeaderLine, LineBytes, LineKind, looksLikeFieldStart, scanLineBytes } from './rules/header-bytes.js';
import { crToLf, sniff, sniffBytes, type Sniffed } from './sniff.js';
import { Eol, Variant, type Finding, type MessageInfo, type Severity } from './types.js';

export interface ScanOptions {
  file: string;
  /** False when the input is one message as a server stored it, without a From_ line. */
  framing: boolean;
  isEnabled(rule: string, severity?: Severity): boolean;
  /** Bytes looked at before the variant is decided (tests make it small to exercise chunking). */
  sniffBytes?: number;
  /** Work out each message's origin for `--group-by` (default true); it costs regexes per message. */
  origins?: boolean;
  /** Called once per message, in file order, with that message's findings in offset order. */
  onMessage(info: MessageInfo, findings: Finding[]): void;
  /**
   * Scan one range of a file (see range-split.ts): its bytes are pushed from `start` on,
   * the variant and line endings come from the whole file's start, and the scan stops
   * with `RangeEnd` when the message at `stopAt` would begin. Message and line numbers
   * count from 1 at `start`.
   */
  range?: ScanRange;
}

export interface ScanRange {
  /** File offset of the first byte pushed: a From_ line that is a separator wherever it stands. */
  start: number;
  /** True when an empty line comes just before `start`. */
  startAfterBlank: boolean;
  /** File offset of the next range's From_ line, or undefined for a range that runs to the end. */
  stopAt: number | undefined;
  sniffed: Sniffed;
  /** Asked before each later message: true ends the range there (a worker holding many findings). */
  full(): boolean;
}

/**
 * Thrown when a range scan stops before a message (at `stopAt`, or early when the range was
 * full): every message before it was handed out, and a range can start again at `at`. Not
 * an Error: it ends every range but the last, and an Error records the stack where it is
 * made (about 50 µs here, a few ms per worker on 512 MB).
 */
export class RangeEnd {
  constructor(
    /** Lines (LFs) between the range's start and `at`. */
    readonly lines: number,
    /** File offset of the From_ line where the scan stopped. */
    readonly at: number,
    /** True when an empty line comes just before `at`. */
    readonly afterBlank: boolean,
  ) {}
}

/** How many bytes after an LF tell whether a From_ line starts there: "From ". */
const fromBytes = 5;
/** How much of the next chunk `join` copies after the unread bytes. */
const joinBytes = 4096;
const empty = Buffer.alloc(0);
/** How far past a candidate From_ line we look for the start of a header field. */
const lookaheadBytes = 1000;
/** How many trailing bytes are remembered for the `no-trailing-newline` report. */
const tailBytes = 32;

const State = { start: 'start', header: 'header', body: 'body' } as const;
type State = (typeof State)[keyof typeof State];

/** Length of the line end (LF or CRLF) just before `i`, or 0. */
const lineEndBefore = (buf: Uint8Array, i: number): number => (i < 1 || buf[i - 1] !== 10 ? 0 : i >= 2 && buf[i - 2] === 13 ? 2 : 1);

/** Length of the empty line that ends just before `i` (0, 1 for LF or 2 for CRLF). */
export function blankBefore(buf: Uint8Array, i: number): number {
  if (i < 2 || buf[i - 1] !== 10) return 0;
  if (buf[i - 2] === 10) return 1;
  return i >= 3 && buf[i - 2] === 13 && buf[i - 3] === 10 ? 2 : 0;
}

/**
 * The streaming mbox splitter and header scanner. It is fed chunks cut anywhere and keeps
 * only the unfinished line of a header (at most `lineKeepBytes` of it) and a few bytes of a
 * body: bodies are skipped with a native search for "\nFrom ", so memory is bounded by one
 * header line, not by the file.
 *
 * A line starting with "From " separates messages (RFC 4155 §2) when it is at the start of
 * the file, when it carries a date, or when it follows an empty line and is followed by a
 * header field; any other such line is reported (`envelope-in-header`, `unescaped-from`).
 */
export class MboxScanner {
  private buf: Buffer = empty;
  /** File offset of buf[0]. */
  private base = 0;
  private pending: Buffer[] | undefined = [];
  private pendingBytes = 0;
  private state: State = State.start;
  private pos = 0;
  private lineNo = 1;
  private countedTo = 0;
  private msg: MessageLinter | undefined;
  /**
   * Kept while the scanner lives, so that a thread which keeps a scanner keeps a message
   * linter as well (see `shapeAnchor` in range-worker.ts).
   */
  private firstMsg: MessageLinter | undefined;
  private msgNo = 0;
  private msgStart = 0;
  private bodyStart = 0;
  private scanFrom = 0;
  private afterFromLine = false;
  /** A line longer than `lineKeepBytes` whose end is still to come (see `startLongLine`). */
  private long: { offset: number; lineNo: number; prefix: Buffer; length: number; lastByte: number; inBody: boolean } | undefined;
  private inputEnded = false;
  private tail: Buffer = empty;
  /** `buf` is in the search module's memory (`inModule`): decided when it is set, not per line. */
  private bufInModule = false;
  /** The last line read while no body had started (the scanner's moving line, or a From_ line). */
  private lastLine: SourceLine | undefined;
  /** Each header line in turn (see SourceLine): one object, moved from line to line. */
  private readonly moving = new SourceLine(empty, 0, 0, 0, 0, 0, Eol.none);
  /** What `run` found in the bytes of the line it hands to `headerZoneLine`. */
  private readonly lineBytes = new LineBytes();
  variant: Variant = Variant.mboxo;
  eol: Eol = Eol.none;
  /** See `Sniffed.contentEol`. */
  private contentEol: Eol = Eol.none;
  /**
   * The file's lines end with CR only (classic Mac OS): no mbox reader splits it, which one
   * finding says (`cr-line-ends`), and its messages are linted with CR as the line end, each
   * chunk read with its CRs made LFs (`crToLf`). Offsets stay those of the file.
   */
  private crLines = false;
  bytes = 0;
  messages = 0;

  constructor(private readonly opts: ScanOptions) {
    if (!opts.framing) this.variant = Variant.message;
    const range = opts.range;
    if (range) {
      this.pending = undefined;
      this.variant = range.sniffed.variant;
      this.eol = range.sniffed.eol;
      this.contentEol = range.sniffed.contentEol;
      this.crLines = opts.framing && range.sniffed.eol === Eol.cr;
      this.base = this.bytes = this.countedTo = range.start;
    }
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.crLines) b = crToLf(Buffer.from(b));
    this.bytes += b.length;
    this.tail = b.length >= tailBytes ? b.subarray(b.length - tailBytes) : Buffer.concat([this.tail, b]).subarray(-tailBytes);
    if (this.pending) {
      this.pending.push(Buffer.from(b));
      this.pendingBytes += b.length;
      if (this.pendingBytes >= (this.opts.sniffBytes ?? sniffBytes)) this.releasePending(false);
      return;
    }
    this.feed(b, false);
  }

  end(): void {
    this.inputEnded = true;
    if (this.pending) this.releasePending(true);
    else this.feed(empty, true);
    this.finishInput();
  }

  private releasePending(final: boolean): void {
    const all = Buffer.concat(this.pending!);
    this.pending = undefined;
    const found = sniff(all.subarray(0, this.opts.sniffBytes ?? sniffBytes));
    this.eol = found.eol;
    this.contentEol = found.contentEol;
    if (this.opts.framing) this.variant = found.variant;
    // A lone message is not an mbox file: there a CR is the bare CR its rules report.
    this.crLines = this.opts.framing && found.eol === Eol.cr;
    if (this.crLines) {
      crToLf(all);
      this.tail = crToLf(Buffer.from(this.tail));
    }
    this.feed(all, final);
  }

  private feed(chunk: Buffer, final: boolean): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.bufInModule = inModule(chunk);
      this.pos = 0;
    } else {
      this.join(chunk);
    }
    this.run(final);
    const keepFrom = this.pos;
    this.lineAt(this.base + keepFrom);
    this.buf = Buffer.from(this.buf.subarray(keepFrom));
    this.bufInModule = false;
    this.base += keepFrom;
    this.pos = 0;
  }

  /**
   * Makes the unread bytes and `chunk` the buffer. Nearly every chunk ends inside a line:
   * rather than copy all of the next one after it, the unread bytes are read joined with
   * the chunk's start, and reading goes on in the chunk itself once past them.
   */
  private join(chunk: Buffer): void {
    let joined = 0;
    if (chunk.length > 2 * joinBytes) {
      const kept = this.buf.length - this.pos;
      this.rebase();
      joined = joinBytes;
      this.buf = Buffer.concat([this.buf, chunk.subarray(0, joined)]);
      this.bufInModule = false;
      this.run(false);
      if (this.pos >= kept) {
        this.lineAt(this.base + this.pos);
        this.pos -= kept;
        this.base += kept;
        this.buf = chunk;
        this.bufInModule = inModule(chunk);
        return;
      }
    }
    this.rebase();
    if (chunk.length !== joined) {
      this.buf = Buffer.concat([this.buf, chunk.subarray(joined)]);
      this.bufInModule = false;
    }
  }

  /** Drops the bytes before `pos` from the buffer (a view: the caller copies). */
  private rebase(): void {
    this.lineAt(this.base + this.pos);
    this.buf = this.buf.subarray(this.pos);
    this.base += this.pos;
    this.pos = 0;
  }

  /** 1-based line number of the line containing file offset `at`; `at` never goes back. */
  private lineAt(at: number): number {
    const buf = this.buf;
    const i = this.countedTo - this.base;
    const stop = at - this.base;
    if (i < stop) {
      this.lineNo += lfCount(buf, i, stop, this.bufInModule);
      this.countedTo = at;
    }
    return this.lineNo;
  }

  /** The line at buffer index `start` ends at the LF at `nl`: the next line's number needs no search. */
  private countLineEnd(start: number, nl: number): void {
    if (this.countedTo !== this.base + start) return;
    this.lineNo++;
    this.countedTo = this.base + nl + 1;
  }

  /** The line `buf[start..end)`, in an object of its own. */
  private makeLine(start: number, end: number, eol: Eol): SourceLine {
    const offset = this.base + start;
    return new SourceLine(this.buf, start, Math.min(end, start + lineKeepBytes), offset, this.lineAt(offset), end - start, eol);
  }

  /** The header line `buf[start..end)`, in the moving line. */
  private moveTo(start: number, end: number, eol: Eol): SourceLine {
    const offset = this.base + start;
    return this.moving.moveTo(this.buf, start, Math.min(end, start + lineKeepBytes), offset, this.lineAt(offset), end - start, eol);
  }

  private run(final: boolean): void {
    for (;;) {
      if (this.long && !this.continueLongLine(final)) return;
      if (this.state === State.body) {
        if (!this.scanBody(final)) return;
        continue;
      }
      const buf = this.buf;
      const p = this.pos;
      if (p >= buf.length) return;
      // The kept bytes are looked at on the way to the LF; past them it is searched for.
      const keepEnd = Math.min(buf.length, p + lineKeepBytes);
      let nl = this.bufInModule ? scanLineInModule(buf, p, keepEnd, this.lineBytes) : scanLineBytes(buf, p, keepEnd, this.lineBytes);
      if (nl < 0 && keepEnd < buf.length) nl = buf.indexOf(10, keepEnd);
      if (nl < 0) {
        if (!final) {
          if (buf.length - p > lineKeepBytes) this.startLongLine();
          else return;
          continue;
        }
        this.pos = buf.length;
        this.headerZoneLine(this.moveTo(p, buf.length, Eol.none), buf.length, this.lineBytes);
        continue;
      }
      const crlf = nl > p && buf[nl - 1] === 13;
      const line = this.moveTo(p, crlf ? nl - 1 : nl, crlf ? Eol.crlf : Eol.lf);
      this.countLineEnd(p, nl);
      this.pos = nl + 1;
      this.headerZoneLine(line, nl + 1, this.lineBytes);
    }
  }

  /**
   * A line longer than `lineKeepBytes` that goes on past the buffer, from buffer index `p`:
   * keep its start, count the rest. A header line, or in a body a line starting with
   * "From " (reported with its whole length, wherever the chunks were cut).
   */
  private startLongLine(p = this.pos, inBody = false): void {
    const offset = this.base + p;
    this.long = { offset, lineNo: this.lineAt(offset), prefix: Buffer.from(this.buf.subarray(p, p + lineKeepBytes)), length: this.buf.length - p, lastByte: this.buf[this.buf.length - 1]!, inBody };
    this.pos = this.buf.length;
  }

  private continueLongLine(final: boolean): boolean {
    const long = this.long!;
    const buf = this.buf;
    const nl = buf.indexOf(10, this.pos);
    const stop = nl < 0 ? buf.length : nl;
    if (stop > this.pos) long.lastByte = buf[stop - 1]!;
    long.length += stop - this.pos;
    this.pos = nl < 0 ? buf.length : nl + 1;
    if (nl < 0 && !final) return false;
    this.long = undefined;
    const eol = nl < 0 ? Eol.none : long.lastByte === 13 ? Eol.crlf : Eol.lf;
    const length = eol === Eol.crlf ? long.length - 1 : long.length;
    const line = new SourceLine(long.prefix, 0, Math.min(length, lineKeepBytes), long.offset, long.lineNo, length, eol);
    if (!long.inBody) {
      this.headerZoneLine(line, this.pos);
      return true;
    }
    // Too long to be a separator: the body walk goes on from its LF (and the bytes before
    // that LF stay, for the empty-line test of a From_ line right after it).
    this.reportUnescapedFrom(line);
    if (nl >= 0) {
      this.scanFrom = this.base + nl;
      this.pos = Math.max(0, nl - 2);
    }
    return true;
  }

  /** `parsed` is the From_ line already parsed by the caller, if it was. */
  private startMessage(fromLine: SourceLine | undefined, precededByBlank: boolean, parsed?: FromLine): void {
    const range = this.opts.range;
    if (range && fromLine && (fromLine.offset === range.stopAt || (fromLine.offset > range.start && range.full()))) {
      throw new RangeEnd(fromLine.lineNo - 1, fromLine.offset, precededByBlank);
    }
    this.msgNo++;
    this.msgStart = fromLine?.offset ?? this.base + this.pos;
    this.msg = new MessageLinter(
      {
        file: this.opts.file,
        message: this.msgNo,
        // Lines of a CR file are read as LF lines (`crLines`).
        fileEol: this.opts.framing ? (this.crLines ? Eol.lf : this.eol) : undefined,
        contentEol: this.opts.framing ? this.contentEol : undefined,
        isEnabled: this.opts.isEnabled,
        variant: this.variant,
        crLines: this.crLines,
        origins: this.opts.origins !== false,
      },
      fromLine,
    );
    this.firstMsg ??= this.msg;
    if (fromLine) {
      checkFromLine(this.msg, fromLine, parsed ?? parseFromLineBytes(fromLine.buf, fromLine.start + 5, fromLine.end), precededByBlank, fromLine.offset === 0);
      this.afterFromLine = true;
    }
    this.state = State.header;
  }

  /**
   * `trailingBlank` is the length of the empty line that ends the message, if any; `lineEnd`
   * that of the line end just before `end` otherwise (see `MessageLinter.contentLengthFits`).
   */
  private endMessage(end: number, trailingBlank: number, lineEnd = 0): void {
    const msg = this.msg!;
    if (this.inputEnded && end === this.bytes) this.checkTrailingNewline(msg);
    if (this.state === State.body) msg.checkContentLength(Math.max(0, end - trailingBlank - this.bodyStart), trailingBlank || lineEnd);
    const findings = msg.finish();
    this.messages++;
    this.opts.onMessage(
      { file: this.opts.file, message: this.msgNo, start: this.msgStart, end, findings: findings.length, hasFromLine: msg.fromLine !== undefined, origin: this.opts.origins === false ? undefined : msg.origin() },
      findings,
    );
    this.msg = undefined;
  }

  private enterBody(bodyStart: number, scanFrom: number): void {
    this.state = State.body;
    this.bodyStart = bodyStart;
    this.scanFrom = scanFrom;
  }

  /**
   * One complete line while no body has started. `next` is the buffer index after it;
   * `bytes` is what `scanLineBytes` found in it, when it was read that way. The line may be
   * the moving one: what keeps it pins it.
   */
  private headerZoneLine(line: SourceLine, next: number, bytes?: LineBytes): void {
    this.lastLine = line;
    const framing = this.opts.framing;
    const fromLike = framing && line.end - line.start >= 5 && startsWithFrom(line.buf, line.start);
    if (this.state === State.start) {
      if (fromLike) {
        this.startMessage(line.pin(), this.opts.range?.startAfterBlank ?? false);
        this.reportCrLines(line);
        return;
      }
      this.startMessage(undefined, false);
      this.reportCrLines(line);
      if (framing) this.msg!.report('from-missing-at-start', line, line.offset, 'the file does not start with a From_ line: it is not an mbox, or its start is missing');
    }
    const msg = this.msg!;
    if (this.afterFromLine) {
      this.afterFromLine = false;
      if (classifyHeaderLine(line.buf, line.start, line.end).kind !== LineKind.field) msg.fromNotFollowedByHeader();
    }
    if (line.length === 0) {
      msg.endHeader(true, line);
      this.enterBody(this.base + next, this.base + next - 1);
      return;
    }
    const parsed = fromLike ? parseFromLineBytes(line.buf, line.start + 5, line.end) : undefined;
    if (parsed && parsed.dateKind !== 'none') {
      msg.endHeader(false, line);
      this.endMessage(line.offset, 0);
      this.startMessage(line.pin(), false, parsed);
      return;
    }
    if (!msg.addHeaderLine(line, bytes)) {
      msg.endHeader(false, line);
      this.enterBody(line.offset, this.base + next - 1);
    }
  }

  /**
   * Skips a body to the next separator. Returns false when more input is needed; the bytes
   * from which the walk resumes (and two before them, for the empty-line test) are kept.
   *
   * The walk goes from LF to LF, with a native search for each: every line of a body has to
   * be counted anyway (line numbers), and on the way each LF is checked for "From " after
   * it. A search for "From " on top of the count cost as much again on header-dense archives.
   */
  private scanBody(final: boolean): boolean {
    const buf = this.buf;
    const base = this.base;
    const moduleBytes = this.bufInModule;
    if (!this.opts.framing) return this.bodyEnds(final);
    for (let from = Math.max(0, this.scanFrom - base), i = 0; ; from = i + 1) {
      i = nextFromLine(buf, from, moduleBytes);
      this.countSearched(from, i, lfsSearched());
      if (i < 0) return this.bodyEnds(final);
      if (buf.length - i - 1 < fromBytes) {
        if (final) continue;
        this.scanFrom = base + i;
        return this.keepFrom(base + i - 2);
      }
      this.scanFrom = base + i;
      const start = i + 1;
      const nl = buf.indexOf(10, start);
      if (nl < 0 && !final) {
        if (buf.length - start <= lineKeepBytes) return this.keepFrom(base + i - 2);
        this.startLongLine(start, true);
        return false;
      }
      const lineEnd = nl < 0 ? buf.length : nl;
      const crlf = nl > start && buf[nl - 1] === 13;
      const line = this.makeLine(start, crlf ? lineEnd - 1 : lineEnd, nl < 0 ? Eol.none : crlf ? Eol.crlf : Eol.lf);
      const blank = blankBefore(buf, start);
      let separator = false;
      let parsed: FromLine | undefined;
      if (line.length <= lineKeepBytes) {
        parsed = parseFromLineBytes(buf, start + 5, line.end);
        separator = parsed.dateKind !== 'none';
        if (!separator && blank > 0 && nl >= 0) {
          const lookEnd = Math.min(buf.length, nl + 1 + lookaheadBytes);
          const looks = looksLikeFieldStart(buf, nl + 1, lookEnd);
          if (looks === undefined && !final && lookEnd === buf.length && buf.length - nl - 1 < lookaheadBytes) return this.keepFrom(base + i - 2);
          separator = looks === true;
        }
      }
      // A From_ line that the message's Content-Length points at separates it too (mboxcl
      // readers split there), with or without a date or an empty line before it.
      const endBefore = blank || lineEndBefore(buf, start);
      if (!separator && line.length <= lineKeepBytes) separator = this.msg!.contentLengthFits(line.offset - blank - this.bodyStart, endBefore);
      if (separator) {
        this.endMessage(line.offset, blank, endBefore);
        this.pos = nl < 0 ? buf.length : nl + 1;
        this.startMessage(line, blank > 0, parsed);
        this.lastLine = line;
        return true;
      }
      this.reportUnescapedFrom(line);
    }
  }

  /**
   * Counts the lines a body search from buffer index `from` went past: `lfs` LFs before `at`
   * (before the buffer's end when `at` is -1), and the LF at `at`. The search counts them on
   * its way; a second pass to count them cost a third of the body walk. The LF at `from`
   * itself may be counted already (the walk resumes at the LF before the line to look at).
   */
  private countSearched(from: number, at: number, lfs: number): void {
    const base = this.base;
    const buf = this.buf;
    if (this.countedTo < base + from) this.lineAt(base + from);
    const counted = this.countedTo - base;
    if (counted === from + 1 && buf[from] === 10) lfs--;
    else if (counted !== from) {
      // Counted past the search's start some other way: count from there.
      this.lineAt(base + (at < 0 ? buf.lastIndexOf(10) : at) + 1);
      return;
    }
    if (at >= 0) {
      this.lineNo += lfs + 1;
      this.countedTo = base + at + 1;
    } else if (lfs > 0) {
      this.lineNo += lfs;
      this.countedTo = base + buf.lastIndexOf(10) + 1;
    }
  }

  /** Once per file, at its first line (see `crLines`). */
  private reportCrLines(first: SourceLine): void {
    if (!this.crLines || first.offset !== 0) return;
    this.msg!.report('cr-line-ends', first, first.offset + first.length, "the file's lines end with CR only (classic Mac OS): mbox readers end lines at LF, see one line and no message boundaries; its messages are linted here with CR as the line end");
  }

  /** A body line starting with "From " that is not a separator (mboxcl2 readers skip bodies by their length). */
  private reportUnescapedFrom(line: Line): void {
    if (this.variant !== Variant.mboxcl2) {
      this.msg!.report('unescaped-from', line, line.offset, 'body line starting with "From " is not escaped (">From "): loose mbox readers start a new message here');
    }
  }

  /** No separator follows in the buffer: the message ends with the input, or more is needed. */
  private bodyEnds(final: boolean): false {
    const buf = this.buf;
    if (final) {
      this.pos = buf.length;
      this.endMessage(this.base + buf.length, blankBefore(buf, buf.length), lineEndBefore(buf, buf.length));
      this.state = State.start;
      return false;
    }
    // The next LF is in bytes still to come.
    this.scanFrom = this.base + buf.length;
    return this.keepFrom(this.scanFrom - 2);
  }

  private keepFrom(at: number): false {
    this.pos = Math.max(0, Math.min(at - this.base, this.buf.length - 3));
    return false;
  }

  private finishInput(): void {
    if (this.long) this.run(true);
    if (this.state === State.header && this.msg) {
      this.msg.endHeader(!this.opts.framing, this.lastLine);
      this.endMessage(this.bytes, 0);
    }
  }

  /** RFC 4155 §2: every line of an mbox, the last one included, ends with a line ending. */
  private checkTrailingNewline(msg: MessageLinter): void {
    if (!this.opts.framing || this.bytes === 0 || this.tail[this.tail.length - 1] === 10) return;
    const bytes = this.tail.subarray(this.tail.lastIndexOf(10) + 1);
    const end = this.bytes;
    const line: Line = { offset: end - bytes.length, lineNo: this.lineAt(end), bytes, length: bytes.length, eol: Eol.none };
    msg.report('no-trailing-newline', line, end, 'the file does not end with a line ending: it may be truncated');
  }
}
