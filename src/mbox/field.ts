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
  /** Value bytes not decoded yet: the first line's after the colon, then continuation lines. */
  private pending: Uint8Array[] | undefined;
  private pendingStart = 0;

  constructor(
    readonly name: string,
    readonly lower: string,
    readonly line: Line,
    /** The whole first line (`line.bytes` may be cut) and where its value starts. */
    firstLine: Uint8Array,
    valueStart: number,
  ) {
    this.pending = [firstLine];
    this.pendingStart = valueStart;
  }

  /** Unfolded value (RFC 5322 §2.2.3: CRLF removed, the white space kept), latin1, cut. */
  get value(): string {
    if (this.pending) this.settle();
    return this.decoded;
  }

  /** A continuation line's bytes join the value. */
  append(bytes: Uint8Array): void {
    if (this.pending) this.pending.push(bytes);
    else if (this.decoded.length < valueKeepChars) this.decoded += latin1(bytes);
  }

  /** True when the value contains `=?` (RFC 2047 §2), found without decoding it when it has none. */
  mayHaveEncodedWord(): boolean {
    const parts = this.pending;
    if (parts && !hasEncodedWordStart(parts, this.pendingStart)) return false;
    return this.value.includes('=?');
  }

  settle(): void {
    const parts = this.pending;
    if (!parts) return;
    this.pending = undefined;
    this.decoded = latin1(parts[0]!, this.pendingStart);
    for (let i = 1; i < parts.length; i++) this.append(parts[i]!);
  }
}

/** True when the parts joined from `parts[0][start]` on contain "=?". */
function hasEncodedWordStart(parts: readonly Uint8Array[], start: number): boolean {
  let previous = -1;
  for (let p = 0; p < parts.length; p++) {
    const bytes = parts[p]!;
    for (let i = p === 0 ? start : 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x3f && previous === 0x3d) return true;
      previous = b;
    }
  }
  return false;
}

/** Where problems go; the message linter implements it and fills in message context. */
export interface RuleSink {
  report(rule: string, line: Line, offset: number, detail: string): void;
}
