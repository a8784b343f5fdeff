import type { Finding } from '../mbox/types.js';
import type { ByteSink } from './byte-sink.js';

/** What comes between a finding's message number and its line number. */
export const lineKey = ',"line":';

const offsetKey = Buffer.from(',"offset":');
const textKey = Buffer.from(',"text":');
/**
 * `s` as UTF-8 in a buffer of its own. `Buffer.from` hands out small buffers from shared
 * 8 KiB slabs, and each cached detail would keep its slab alive.
 */
function ownBytes(s: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(s));
  bytes.write(s);
  return bytes;
}

/**
 * A member whose value the findings of one message share (its From_ line, its Message-ID):
 * written for the message's first finding, then copied from where that one was written
 * while the sink still holds it. A buffer of its own for each value, made for one message
 * (two findings on average), cost more than the encoding.
 */
class RepeatedMember {
  private value: string | undefined;
  private sink: ByteSink | undefined;
  private start = 0;
  private end = 0;
  private epoch = 0;

  constructor(private readonly key: string) {}

  write(value: string, out: ByteSink): void {
    if (value === this.value && out === this.sink && out.repeat(this.start, this.end, this.epoch)) return;
    const json = this.key + JSON.stringify(value);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (see `ByteSink.string`).
    this.start = out.reserve(json.length * 3);
    out.string(json);
    this.value = value;
    this.sink = out;
    this.end = out.position;
    this.epoch = out.epoch;
  }
}

/** How many distinct details `FindingJson` keeps encoded; past it, it starts again. */
const maxDetails = 4096;

/**
 * `JSON.stringify(finding)` for the ndjson stream, built by hand: on header-dense archives
 * there are hundreds of findings per megabyte, and serialising each whole object was a
 * visible share of the run. The pieces that repeat (file and rule; the message's From_
 * line and Message-ID; the detail, of which a run has a few hundred distinct ones) are
 * escaped once and reused, the last three as bytes; the finding's line is escaped and
 * encoded in one pass (`ByteSink.jsonString`). The output is byte-identical to
 * `JSON.stringify`, keys in the same order and `undefined` fields left out.
 */
export class FindingJson {
  private readonly quoted = new Map<string, string>();
  /** `{"rule":…,"severity":…,"file":…,"message":` by rule, for `headsFile`. */
  private readonly heads = new Map<string, { severity: string; json: string }>();
  private headsFile: string | undefined;
  /** Details as JSON bytes: a few hundred distinct texts make up nearly every finding's detail. */
  private readonly details = new Map<string, Buffer>();
  private readonly fromLine = new RepeatedMember(',"fromLine":');
  private readonly messageId = new RepeatedMember(',"messageId":');

  /** `prefix` comes before each finding's `{` (a line end, inside `--format json`'s array). */
  constructor(private readonly prefix = '') {}

  /** The members after the line number, and the closing brace. */
  writeTail(f: Finding, out: ByteSink): void {
    out.bytes(offsetKey);
    out.digits(f.offset);
    out.bytes(textKey);
    out.jsonString(f.text);
    out.bytes(this.detailJson(f.detail));
    if (f.fromLine !== undefined) this.fromLine.write(f.fromLine, out);
    if (f.messageId !== undefined) this.messageId.write(f.messageId, out);
    out.byte(0x7d);
  }

  /** `,"detail":` and the detail as JSON, encoded once per distinct text (kept for a bounded number of texts). */
  private detailJson(detail: string): Buffer {
    let json = this.details.get(detail);
    if (json === undefined) {
      json = ownBytes(`,"detail":${JSON.stringify(detail)}`);
      if (this.details.size >= maxDetails) this.details.clear();
      this.details.set(detail, json);
    }
    return json;
  }

  /** The members before the message number, one string per rule and file. */
  head(f: Finding): string {
    if (f.file !== this.headsFile) {
      this.heads.clear();
      this.headsFile = f.file;
    }
    let head = this.heads.get(f.rule);
    if (head === undefined || head.severity !== f.severity) {
      head = { severity: f.severity, json: `${this.prefix}{"rule":${this.cached(f.rule)},"severity":${this.cached(f.severity)},"file":${this.cached(f.file)},"message":` };
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
