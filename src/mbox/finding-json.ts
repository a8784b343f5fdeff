import type { Finding } from './types.js';

/**
 * `JSON.stringify(finding)` for the ndjson stream, built by hand: on header-dense archives
 * there are hundreds of findings per megabyte and serialising whole objects cost more than
 * the linting. The strings that repeat (file, rule, the message's From_ line and
 * Message-ID) are escaped once and reused; the output is byte-identical to
 * `JSON.stringify`, keys in the same order and `undefined` fields left out.
 */
export class FindingJson {
  private readonly quoted = new Map<string, string>();
  private lastFromLine: string | undefined;
  private lastFromLineJson = '';
  private lastMessageId: string | undefined;
  private lastMessageIdJson = '';

  /** One finding as a JSON object, without a line ending. */
  format(f: Finding): string {
    let out = `{"rule":${this.cached(f.rule)},"severity":${this.cached(f.severity)},"file":${this.cached(f.file)},"message":${f.message},"line":${f.line},"offset":${f.offset},"text":${JSON.stringify(f.text)},"detail":${JSON.stringify(f.detail)}`;
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
