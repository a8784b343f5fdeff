import { latin1, type Line } from './line.js';

/** Cut for unfolded values, so a header of folded lines cannot grow without bound. */
export const valueKeepChars = 64 * 1024;

export interface AddressList {
  mailboxes: number;
  /** The first problem found, if any. */
  problem: string | undefined;
}

/**
 * One header field: its first line, its continuation lines and the unfolded value.
 *
 * Most values (Received, DKIM-Signature, X-…) are never read by a rule, so the value is
 * decoded only when asked for: until then the field holds views of its value bytes.
 * `settle` decodes it at once, for callers that must not keep those views.
 */
export class Field {
  /** Worked out once by the rules that need them (`addressListOf`, `placeholderOf`). */
  addresses?: AddressList;
  placeholder?: string | null;
  private decoded = '';
  /** Until the value is decoded: the bytes holding the first line's value, and its range. */
  private first: Uint8Array | undefined;
  private readonly valueStart: number;
  private readonly valueEnd: number;
  /** Continuation lines not decoded yet. */
  private more: Uint8Array[] | undefined;

  constructor(
    readonly name: string,
    readonly lower: string,
    readonly line: Line,
    /** Bytes holding the whole first line (`line.bytes` may be cut) and where its value is. */
    firstLine: Uint8Array,
    valueStart: number,
    valueEnd = firstLine.length,
  ) {
    this.first = firstLine;
    this.valueStart = valueStart;
    this.valueEnd = valueEnd;
  }

  /** Unfolded value (RFC 5322 §2.2.3: CRLF removed, the white space kept), latin1, cut. */
  get value(): string {
    if (this.first) this.settle();
    return this.decoded;
  }

  /** A continuation line's bytes join the value. */
  append(bytes: Uint8Array): void {
    if (this.first) (this.more ??= []).push(bytes);
    else if (this.decoded.length < valueKeepChars) this.decoded += latin1(bytes);
  }

  /** True when the value contains `=?` (RFC 2047 §2), found without decoding it when it has none. */
  mayHaveEncodedWord(): boolean {
    if (this.first && !this.hasEncodedWordStart(this.first)) return false;
    return this.value.includes('=?');
  }

  settle(): void {
    const first = this.first;
    if (!first) return;
    this.first = undefined;
    this.decoded = latin1(first, this.valueStart, this.valueEnd);
    const more = this.more;
    this.more = undefined;
    if (more) for (const bytes of more) this.append(bytes);
  }

  /** True when the undecoded value bytes, lines joined, contain "=?". */
  private hasEncodedWordStart(first: Uint8Array): boolean {
    let previous = -1;
    for (let i = this.valueStart; i < this.valueEnd; i++) {
      const b = first[i]!;
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

/** Where problems go; the message linter implements it and fills in message context. */
export interface RuleSink {
  report(rule: string, line: Line, offset: number, detail: string): void;
}
