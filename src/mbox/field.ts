import { latin1, type Line, type SourceLine } from './line.js';
import { Eol, type Severity } from './types.js';
import type { RuleId } from './rules/catalog.js';

/** Cut for unfolded values, so a header of folded lines cannot grow without bound. */
export const valueKeepChars = 64 * 1024;

export interface AddressList {
  mailboxes: number;
  /** The first problem found, if any. */
  problem: string | undefined;
}

/** What a field's name says about it, worked out once per spelling (`Classified`, header-bytes.ts). */
export interface FieldName {
  /** As written, without the white space before the colon. */
  readonly name: string;
  readonly lower: string;
  /** What the rules do with the field (field-roles.ts). */
  readonly role: number;
}

/**
 * Where the checks that read a value's bytes (rules/values.ts) find them: `buf[start..end)`.
 * Filled by `Field.valueBytes`; valid until the next call.
 */
export class ValueBytes {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
}

/** A decoded value written out again as latin1, for `valueBytes`: one buffer serves every call. */
let rewritten = Buffer.allocUnsafeSlow(1024);

/** How much of a field's first line it keeps for the rules and findings. */
const keptLineBytes = 4096;
const noBytes = new Uint8Array(0);

/**
 * One header field: its first line, its continuation lines and the unfolded value. A field
 * is its own first line (`Line`), so that findings can point at it without another object.
 *
 * Most values (Received, DKIM-Signature, X-…) are never read by a rule, so the value is
 * decoded only when asked for: until then the field holds views of its value bytes.
 * `settle` decodes it at once, for callers that must not keep those views.
 */
export class Field implements Line {
  name = '';
  lower = '';
  role = 0;
  offset = 0;
  lineNo = 0;
  length = 0;
  eol: Eol = Eol.none;
  /** The first line's kept bytes, `lineBuf[lineStart..lineEnd)`. */
  private lineBuf: Uint8Array = noBytes;
  private lineStart = 0;
  private lineEnd = 0;
  /** Worked out once by the rules that need them (`addressListOf`, `placeholderOf`). */
  addresses?: AddressList = undefined;
  placeholder?: string | null = undefined;
  /**
   * Set by the value checks when a fast path accepted the value in a grammar that leaves no
   * ":" before white space (a plain date, address list, Message-ID, MIME-Version or
   * Content-Transfer-Encoding): such a value cannot hold a merged field (`merged-field`).
   */
  noColonSpace = false;
  /** A merged field was reported in this field's lines (`merged-field`). */
  merged = false;
  /** The field's line was written `>From …` and is this field once a mbox reader un-escapes it (`unescapedFromField`). */
  unescaped = false;
  private decoded = '';
  /**
   * Until the value is decoded: the bytes holding it and its range there, which spans the
   * field's continuation lines too (line endings included, `folded`) while they follow
   * the first line in the same buffer.
   */
  private src: Uint8Array | undefined = undefined;
  private valueStart = 0;
  private valueEnd = 0;
  private folded = false;
  /** Continuation lines not decoded yet that are not in `src`. */
  private more: Uint8Array[] | undefined = undefined;
  /** Whether the undecoded bytes hold "=?", when the lines' callers said; undefined: look. */
  private encodedWordStart: boolean | undefined = undefined;

  /**
   * Starts the field at its first line (a field that was in use starts afresh): nothing of
   * `line` is kept but its buffer, so the scanner's moving line may be passed. `value` is
   * where the value starts in `line.buf`; `encodedWordStart` whether the line holds "=?",
   * when the caller has looked. `copyLine` copies the line's bytes instead of keeping a
   * view of the buffer (for headers so large that they must not pin every chunk).
   */
  begin(name: FieldName, line: SourceLine, value: number, encodedWordStart: boolean | undefined, copyLine: boolean): this {
    this.name = name.name;
    this.lower = name.lower;
    this.role = name.role;
    this.offset = line.offset;
    this.lineNo = line.lineNo;
    this.length = line.length;
    this.eol = line.eol;
    const lineEnd = Math.min(line.end, line.start + keptLineBytes);
    this.lineBuf = copyLine ? Buffer.from(line.buf.subarray(line.start, lineEnd)) : line.buf;
    this.lineStart = copyLine ? 0 : line.start;
    this.lineEnd = copyLine ? lineEnd - line.start : lineEnd;
    this.addresses = undefined;
    this.placeholder = undefined;
    this.noColonSpace = false;
    this.unescaped = false;
    this.merged = false;
    this.decoded = '';
    this.src = line.buf;
    this.valueStart = value;
    this.valueEnd = line.end;
    this.folded = false;
    this.more = undefined;
    this.encodedWordStart = encodedWordStart;
    return this;
  }

  /** The field's first line: the field itself. */
  get line(): Line {
    return this;
  }

  /** The first line's bytes without its terminator, cut to a few kilobytes. */
  get bytes(): Uint8Array {
    return this.lineBuf.subarray(this.lineStart, this.lineEnd);
  }

  /** Unfolded value (RFC 5322 §2.2.3: CRLF removed, the white space kept), latin1, cut. */
  get value(): string {
    if (this.src) this.settle();
    return this.decoded;
  }

  /**
   * The value's bytes for the checks that read bytes, without decoding them: the field's own
   * while it holds them in one range (continuation lines included, with their line endings:
   * LF or CRLF, each followed by the white space that starts the next line, which is what
   * the unfolded value has there); else the decoded value, written out again as latin1.
   */
  valueBytes(out: ValueBytes): ValueBytes {
    if (this.src && !this.more) {
      out.buf = this.src;
      out.start = this.valueStart;
      out.end = this.valueEnd;
      return out;
    }
    const value = this.value;
    if (rewritten.length < value.length) rewritten = Buffer.allocUnsafeSlow(Math.max(value.length, 2 * rewritten.length));
    out.buf = rewritten;
    out.start = 0;
    out.end = rewritten.write(value, 0, 'latin1');
    return out;
  }

  /**
   * True when the value has a ":" followed by white space (a fold's line end counts as the
   * white space after it): where a merged field's name would end (`merged-field`). Read in
   * place, bytes or decoded string, without writing a settled value out again as bytes.
   */
  hasColonThenSpace(): boolean {
    if (this.src && !this.more) return colonThenSpace(this.src, this.valueStart, this.valueEnd) >= 0;
    const value = this.value;
    for (let i = value.indexOf(':'); i >= 0 && i + 1 < value.length; i = value.indexOf(':', i + 1)) {
      const next = value.charCodeAt(i + 1);
      if (next === 0x20 || next === 0x09) return true;
    }
    return false;
  }

  /** A continuation line's bytes join the value. */
  append(bytes: Uint8Array): void {
    if (this.src) {
      (this.more ??= []).push(bytes);
      this.encodedWordStart = undefined;
    } else if (this.decoded.length < valueKeepChars) {
      this.decoded += latin1(bytes);
    }
  }

  /**
   * The continuation line `buf[start..end)` joins the value. When it comes right after the
   * value's bytes, as it nearly always does, the range grows over it instead: no view and
   * no list per folded line. Past `valueKeepChars` the lines are kept apart for the cut.
   * `encodedWordStart` is as for `begin`: one answer per line is enough, since a
   * continuation line starts with white space and no "=?" can span two lines.
   */
  appendLine(buf: Uint8Array, start: number, end: number, encodedWordStart?: boolean): void {
    const after = this.valueEnd;
    const adjacent = start - after === 1 ? buf[after] === 10 : start - after === 2 && buf[after] === 13 && buf[after + 1] === 10;
    const known = this.encodedWordStart;
    if (this.src === buf && !this.more && adjacent && end - this.valueStart < valueKeepChars) {
      this.valueEnd = end;
      this.folded = true;
    } else {
      this.append(buf.subarray(start, end));
    }
    if (this.src && known !== undefined && encodedWordStart !== undefined) this.encodedWordStart = known || encodedWordStart;
  }

  /** True when the value contains `=?` (RFC 2047 §2), found without decoding it when it has none. */
  mayHaveEncodedWord(): boolean {
    if (this.src && !(this.encodedWordStart ?? this.hasEncodedWordStart(this.src))) return false;
    return this.value.includes('=?');
  }

  settle(): void {
    const src = this.src;
    if (!src) return;
    this.src = undefined;
    const joined = latin1(src, this.valueStart, this.valueEnd);
    // Only line endings are removed: a line's bytes never end with the CR of a CRLF.
    this.decoded = this.folded ? joined.replace(/\r?\n/g, '') : joined;
    const more = this.more;
    this.more = undefined;
    if (more) for (const bytes of more) this.append(bytes);
  }

  /** True when the undecoded value bytes, lines joined, contain "=?". */
  private hasEncodedWordStart(src: Uint8Array): boolean {
    let previous = -1;
    for (let i = this.valueStart; i < this.valueEnd; i++) {
      const b = src[i]!;
      if (b === 0x3f && previous === 0x3d) return true;
      previous = b;
    }
    for (const bytes of this.more ?? []) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]!;
        if (b === 0x3f && previous === 0x3d) return true;
        previous = b;
      }
    }
    return false;
  }
}

/**
 * Index of the first ":" followed by white space in `b[from..end)`, or -1: in a field's
 * value bytes, where a fold's line end stands for the white space after it.
 */
export function colonThenSpace(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) {
    if (b[i] !== 0x3a) continue;
    const next = b[i + 1];
    if (next === 0x20 || next === 0x09 || next === 0x0a || (next === 0x0d && i + 2 < end && b[i + 2] === 0x0a)) return i;
  }
  return -1;
}

/** Where problems go; the message linter implements it and fills in message context. */
export interface RuleSink {
  report(rule: RuleId, line: Line, offset: number, detail: string, severity?: Severity): void;
}
