import type { Finding } from './types.js';

/** What comes between a finding's message number and its line number. */
export const lineKey = ',"line":';

/**
 * `JSON.stringify(finding)` for the ndjson stream, built by hand: on header-dense archives
 * there are hundreds of findings per megabyte, and serialising each whole object was a
 * visible share of the run. The strings that repeat (file, rule, the message's From_ line and
 * Message-ID) are escaped once and reused; the output is byte-identical to
 * `JSON.stringify`, keys in the same order and `undefined` fields left out.
 */
export class FindingJson {
  private readonly quoted = new Map<string, string>();
  /** `{"rule":…,"severity":…,"file":…,"message":` by rule, for `headsFile`. */
  private readonly heads = new Map<string, { severity: string; json: string }>();
  private headsFile: string | undefined;
  private lastText: string | undefined;
  private lastTextJson = '';
  private lastFromLine: string | undefined;
  private lastFromLineJson = '';
  private lastMessageId: string | undefined;
  private lastMessageIdJson = '';

  /** One finding as a JSON object, without a line ending. */
  format(f: Finding): string {
    return `${this.head(f)}${f.message}${lineKey}${f.line}${this.tail(f)}`;
  }

  /** The members after the line number, and the closing brace. */
  tail(f: Finding): string {
    // Several findings of a message often show the same line (its first line, for one).
    if (f.text !== this.lastText) {
      this.lastText = f.text;
      this.lastTextJson = JSON.stringify(f.text);
    }
    let out = `,"offset":${f.offset},"text":${this.lastTextJson},"detail":${JSON.stringify(f.detail)}`;
    if (f.fromLine !== undefined) {
      // The findings of one message share these strings, so the last one is usually it.
      if (f.fromLine !== this.lastFromLine) {
        this.lastFromLine = f.fromLine;
        this.lastFromLineJson = `,"fromLine":${JSON.stringify(f.fromLine)}`;
      }
      out += this.lastFromLineJson;
    }
    if (f.messageId !== undefined) {
      if (f.messageId !== this.lastMessageId) {
        this.lastMessageId = f.messageId;
        this.lastMessageIdJson = `,"messageId":${JSON.stringify(f.messageId)}`;
      }
      out += this.lastMessageIdJson;
    }
    return `${out}}`;
  }

  /** The members before the message number, one string per rule and file. */
  head(f: Finding): string {
    if (f.file !== this.headsFile) {
      this.heads.clear();
      this.headsFile = f.file;
    }
    let head = this.heads.get(f.rule);
    if (head === undefined || head.severity !== f.severity) {
      head = { severity: f.severity, json: `{"rule":${this.cached(f.rule)},"severity":${this.cached(f.severity)},"file":${this.cached(f.file)},"message":` };
      if (this.heads.size < 1000) this.heads.set(f.rule, head);
    }
    return head.json;
  }

  /** Rule ids, severities and file names: few distinct values, kept for the whole run. */
  private cached(s: string): string {
    let json = this.quoted.get(s);
    if (json === undefined) {
      json = JSON.stringify(s);
      if (this.quoted.size < 1000) this.quoted.set(s, json);
    }
    return json;
  }
}

/**
 * Text lines encoded straight into a buffer that goes to `write` when full. Appending to
 * a string and writing that encodes a rope of thousands of pieces at once, which cost
 * more than formatting the lines.
 */
export class LineBatcher {
  private buf: Buffer;
  private used = 0;

  constructor(
    private readonly write: (bytes: Buffer) => void,
    /** 64 KiB: 1 MiB buffers were no faster and added 13 MB to peak RSS on 512 MB. */
    private readonly size = 1 << 16,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Adds `line` and a LF. */
  add(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const worst = line.length * 3 + 1;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) {
        this.write(Buffer.from(`${line}\n`));
        return;
      }
    }
    this.used += this.buf.write(line, this.used);
    this.buf[this.used++] = 10;
  }

  flush(): void {
    if (this.used === 0) return;
    this.write(this.buf.subarray(0, this.used));
    // A fresh buffer: an asynchronous stream may still hold the one written.
    this.buf = Buffer.allocUnsafe(this.size);
    this.used = 0;
  }
}
