import { InputError } from '../errors.js';
import { MboxScanner } from '../mbox/scanner.js';
import { Variant, type MessageInfo } from '../mbox/types.js';
import { recognizeLines } from '../smtp/terminators.js';
import type { MessageLines } from './message.js';

const fromEscape = {
  // mboxrd quotes every ">*From " line with one more ">" (RFC 4155 §2, qmail's mbox(5)).
  [Variant.mboxrd]: /^>(>*From )/,
  // mboxo and mboxcl quote "From " only; ">From " cannot be told from a quoted line, so it is
  // read back as "From ", as their readers do.
  [Variant.mboxo]: /^>(From )/,
  [Variant.mboxcl]: /^>(From )/,
} as const;

/**
 * How far behind the bytes pushed the scanner may report where a message ends: it holds up
 * to its sniffing window (1 MiB) before it starts, and a From_ line with the lines it
 * looks at after it. Bytes older than that, and not in the wanted message, are let go.
 */
const SCAN_LAG_BYTES = 4 << 20;

/**
 * `--mbox FILE --index N`, fed chunk by chunk: message N (1-based, as lint-mbox numbers
 * them) without its From_ line and the blank line the writer put before the next one,
 * with ">From " un-escaped per the file's detected variant. Memory is bounded by message
 * N (at most `maxOctets`) plus the scanner's lag, whatever the file's size: messages
 * before N are skipped as they pass, and message N growing past `maxOctets` is refused
 * before more is read.
 */
export class MboxMessagePicker {
  private readonly scanner: MboxScanner;
  private kept: Buffer[] = [];
  /** File offset of kept[0]. */
  private keptStart = 0;
  private pushed = 0;
  private completed = 0;
  /** Where the message after the last completed one starts. */
  private currentStart = 0;
  private found: MessageInfo | undefined;

  constructor(
    private readonly file: string,
    private readonly index: number,
    private readonly maxOctets = Number.POSITIVE_INFINITY,
  ) {
    // Only the split and the variant are needed: rules and origins off, nothing is linted.
    this.scanner = new MboxScanner({
      file,
      framing: true,
      origins: false,
      isEnabled: () => false,
      onMessage: (info) => {
        this.completed = info.message;
        this.currentStart = info.end;
        if (info.message === this.index) this.found ??= info;
      },
    });
  }

  /** Feeds the next chunk; true once message N is complete (read no further). */
  push(chunk: Buffer): boolean {
    if (this.found) return true;
    this.kept.push(chunk);
    this.pushed += chunk.length;
    this.scanner.push(chunk);
    if (this.found) return true;
    const wanted = this.completed === this.index - 1;
    if (wanted && this.pushed - this.currentStart > this.maxOctets + SCAN_LAG_BYTES) throw this.tooLarge();
    this.release(wanted ? this.currentStart : Math.max(this.currentStart, this.pushed - SCAN_LAG_BYTES));
    return false;
  }

  /** The input ended: message N, or an input error naming the file. */
  end(): MessageLines & { variant: Variant } {
    if (!this.found) this.scanner.end();
    const info = this.found;
    if (!info) throw new InputError(`${this.file}: no message ${this.index} (the file holds ${this.completed})`);
    if (info.start < this.keptStart) {
      throw new InputError(`${this.file}: message ${this.index} could not be cut out (its From_ line came more than ${SCAN_LAG_BYTES} octets before the scanner confirmed it)`);
    }
    let body = this.slice(info.start, info.end);
    this.kept = [];
    if (body.subarray(0, 5).toString('latin1') === 'From ') {
      const nl = body.indexOf(0x0a);
      body = nl === -1 ? Buffer.alloc(0) : body.subarray(nl + 1);
    }
    if (body.length > this.maxOctets) throw this.tooLarge();
    const variant = this.scanner.variant;
    const lines = recognizeLines(body).lines;
    if (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
    const pattern = variant in fromEscape ? fromEscape[variant as keyof typeof fromEscape] : undefined;
    const unescaped = pattern
      ? lines.map((line) => (line[0] === 0x3e ? Buffer.from(line.toString('latin1').replace(pattern, '$1'), 'latin1') : line))
      : lines;
    return { lines: unescaped, source: `${this.file} message ${this.index} (${variant})`, variant };
  }

  private tooLarge(): InputError {
    return new InputError(`${this.file}: message ${this.index} is larger than ${this.maxOctets} octets (--max-size): refused before reading further`);
  }

  /** Lets go of the chunks that end before `offset`. */
  private release(offset: number): void {
    while (this.kept.length > 0 && this.keptStart + this.kept[0]!.length <= offset) {
      this.keptStart += this.kept.shift()!.length;
    }
  }

  private slice(start: number, end: number): Buffer {
    const all = this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept);
    return all.subarray(start - this.keptStart, end - this.keptStart);
  }
}

/** Message N of a whole mbox held in memory (see MboxMessagePicker). */
export function messageFromMbox(bytes: Buffer, index: number, file: string): MessageLines & { variant: Variant } {
  const picker = new MboxMessagePicker(file, index);
  picker.push(bytes);
  return picker.end();
}
