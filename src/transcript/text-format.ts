import { decodeChallenge } from '../smtp/auth.js';
import { describeEnhancedCode } from '../smtp/enhanced-status.js';
import { segmentBytes, type Segment } from '../smtp/visible.js';
import type { TlsSummary } from '../tls/summary.js';
import type { SessionEvent } from './events.js';

/**
 * swaks-style markers, so that people recognise them: `<-`/`->` plain, `<~`/`~>` inside
 * TLS, `===` information, `***` errors and warnings.
 */
export const Markers = {
  recv: '<-  ',
  send: ' -> ',
  tlsRecv: '<~  ',
  tlsSend: ' ~> ',
  info: '=== ',
  error: '*** ',
} as const;

export type TextLineKind = 'recv' | 'send' | 'info' | 'warning' | 'error';

export interface TextLine {
  kind: TextLineKind;
  marker: string;
  /** `[conn 3 client]` for proxy transcripts, empty otherwise. */
  prefix: string;
  segments: Segment[];
  /** For received lines: the reply code, so reporters can colour by class. */
  replyCode?: number;
  /** The line was cut off by a change of direction or the end of the connection. */
  unterminated?: boolean;
}

type Direction = 'send' | 'recv';
/** An event that carries bytes; its type is the direction they went. */
type DataEvent = Extract<SessionEvent, { type: Direction }>;

/**
 * What one displayed line shows of a longer one: its first 64 KiB, then "… N more octets"
 * and its terminator. Real SMTP lines are at most 1000 octets (RFC 5321 §4.5.3.1.6) and AUTH
 * lines 12288 (RFC 4954 §4); a whole message sent with CR line ends is one such line, and
 * 64 KiB of it shows the pattern.
 */
export const DISPLAY_LINE_LIMIT = 64 * 1024;
/** Room for the terminator (CRLF) after the limit, so a line that fits is kept whole. */
const HELD_LIMIT = DISPLAY_LINE_LIMIT + 2;

/** A line whose end has not arrived yet: its first bytes, and how long it is so far. */
interface HeldLine {
  /** The latest event that brought bytes of the line (its marker and prefix are shown). */
  event: DataEvent;
  head: Buffer[];
  /** Octets in `head`, at most HELD_LIMIT. */
  kept: number;
  /** Octets of the line so far, kept or not. */
  length: number;
  /** The line's last two bytes so far (-1 for none), to tell a CRLF from a bare LF. */
  lastTwo: [number, number];
}

/** Adds bytes to a held line: copies only what fits under the limit, counts the rest. */
function holdBytes(held: HeldLine, bytes: Buffer): void {
  const room = HELD_LIMIT - held.kept;
  if (room > 0 && bytes.length > 0) {
    // A copy, so that the held line does not keep a whole large chunk alive.
    const part = Buffer.from(bytes.subarray(0, room));
    held.head.push(part);
    held.kept += part.length;
  }
  held.length += bytes.length;
  if (bytes.length >= 2) held.lastTwo = [bytes[bytes.length - 2]!, bytes[bytes.length - 1]!];
  else if (bytes.length === 1) held.lastTwo = [held.lastTwo[1], bytes[0]!];
}

/** `--timestamps`, the same words on every command that prints a conversation. */
export const timestampsOption = ['--timestamps', 'start each printed line with the milliseconds since the start'] as const;

/** `   1234ms `: milliseconds since the conversation started, right-aligned. */
export function formatElapsed(t: number): string {
  return `${String(Math.round(t)).padStart(7)}ms `;
}

/** `[#3 client] ` for events of a proxy connection, empty for single-connection commands. */
export function prefixOf(event: SessionEvent): string {
  if (event.conn === undefined && event.leg === undefined) return '';
  const parts = [event.conn !== undefined ? `#${event.conn}` : '', event.leg ?? ''].filter(Boolean);
  return `[${parts.join(' ')}] `;
}

/** Words for one TLS summary, shared by the text transcript and the screen. */
function describeTls(summary: TlsSummary): Array<{ kind: 'info' | 'warning'; text: string }> {
  const lines: Array<{ kind: 'info' | 'warning'; text: string }> = [];
  const exchange = `${summary.keyExchange ? `, key exchange ${summary.keyExchange}` : ''}${summary.resumed ? ', resumed session' : ''}`;
  lines.push({ kind: 'info', text: `TLS started: ${summary.protocol ?? 'unknown protocol'}, ${summary.cipher ?? 'unknown cipher'}${exchange}${summary.servername ? `, SNI ${summary.servername}` : ', no SNI'}` });
  summary.chain.forEach((cert, i) => {
    const label = i === 0 ? 'peer certificate' : `  issued by [${i}]`;
    lines.push({ kind: 'info', text: `${label}: subject ${cert.subject || '(empty)'}; issuer ${cert.issuer || '(empty)'}` });
    const indent = ' '.repeat(label.length + 2);
    lines.push({ kind: 'info', text: `${indent}valid ${cert.validFrom} to ${cert.validTo}${cert.subjectAltNames.length ? `; SAN ${cert.subjectAltNames.join(', ')}` : ''}` });
    if (cert.publicKey) lines.push({ kind: 'info', text: `${indent}key ${cert.publicKey}${cert.signatureAlgorithm ? `; certificate signed with ${cert.signatureAlgorithm}` : ''}` });
    lines.push({ kind: 'info', text: `${indent}SHA-256 ${cert.fingerprint256}` });
    if (cert.spkiSha256) lines.push({ kind: 'info', text: `${indent}SPKI SHA-256 ${cert.spkiSha256.base64} (hex ${cert.spkiSha256.hex}, DANE ${i === 0 ? '3' : '2'} 1 1)` });
  });
  if (summary.pinned) {
    lines.push({ kind: 'info', text: `certificate verified (pinned: SHA-256 ${summary.pinned})` });
    for (const overridden of summary.overriddenErrors ?? []) lines.push({ kind: 'info', text: `  the pin stands in for the chain, which alone would fail: ${overridden}` });
  } else if (summary.verified) lines.push({ kind: 'info', text: 'certificate verified' });
  // The server side of a handshake (serve, proxy) asks no certificate: nothing to verify.
  else if (summary.chain.length === 0 && summary.verifyError === null) lines.push({ kind: 'info', text: 'no peer certificate (none was asked for)' });
  else lines.push({ kind: 'warning', text: `certificate verification FAILED: ${summary.verifyError ?? 'unknown reason'}${summary.verifyCode ? ` (${summary.verifyCode})` : ''}` });
  return lines;
}

/**
 * Turns the event stream into display lines. Bytes are grouped into lines at LF (a CR alone
 * does not end a line, RFC 5321 §2.3.8, so it stays inside the line, flagged); a partial
 * line is shown as it is when the direction changes or the connection ends. A line longer
 * than DISPLAY_LINE_LIMIT shows its first octets and how many more there were.
 */
export class TextTranscriptFormatter {
  private partial = new Map<string, HeldLine>();
  /** Per connection and leg (the prefix), the direction that last had bytes. */
  private lastKeys = new Map<string, string>();
  private readonly timestamps: boolean;
  /** `t` of the latest event: when a final partial line was known to be cut. */
  private lastT = 0;

  /** `timestamps`: each line starts with the milliseconds since the start (`--timestamps`). */
  constructor(options: { timestamps?: boolean } = {}) {
    this.timestamps = options.timestamps ?? false;
  }

  /** The display lines an event completes, each stamped with the event's time when asked. */
  format(event: SessionEvent): TextLine[] {
    this.lastT = event.t;
    return this.stamp(this.linesOf(event), event.t);
  }

  /** Lines still buffered (a final partial line). */
  flushAll(): TextLine[] {
    return this.stamp(this.flushHeld(), this.lastT);
  }

  /**
   * The one place where `--timestamps` happens, for every command that prints a conversation:
   * a line is stamped with the time of the event that completed it.
   */
  private stamp(lines: TextLine[], t: number): TextLine[] {
    if (!this.timestamps) return lines;
    const stamp = formatElapsed(t);
    return lines.map((line) => ({ ...line, prefix: `${stamp}${line.prefix}` }));
  }

  private linesOf(event: SessionEvent): TextLine[] {
    const out: TextLine[] = [];
    const prefix = prefixOf(event);
    switch (event.type) {
      case 'send':
      case 'recv': {
        const key = `${prefix}${event.type}`;
        // Only a change of direction on the same connection and leg ends a partial line: the
        // bytes of another proxy connection in between leave it whole.
        const last = this.lastKeys.get(prefix);
        if (last !== undefined && last !== key) out.push(...this.flushKey(last));
        this.lastKeys.set(prefix, key);
        out.push(...this.takeLines(key, event));
        break;
      }
      case 'connect':
        out.push(...this.flushHeld());
        out.push(this.infoLine(prefix, `${event.leg === 'client' ? 'client connected from' : 'connected to'} ${event.path !== undefined ? `unix:${event.path}` : `${event.host}:${event.port}`}${event.remoteAddress && event.remoteAddress !== event.host ? ` (${event.remoteAddress})` : ''}`));
        break;
      case 'tls':
        out.push(...this.flushHeld());
        for (const line of describeTls(event.summary)) {
          out.push({ kind: line.kind, marker: line.kind === 'warning' ? Markers.error : Markers.info, prefix, segments: [{ kind: 'text', text: line.text }] });
        }
        break;
      case 'reply':
        if (event.code === 334) out.push(...this.flushHeld(), this.challengeLine(prefix, event.lines[0] ?? ''));
        if (event.enhanced && event.code >= 400) {
          const words = describeEnhancedCode(event.enhanced);
          if (words) out.push(...this.flushHeld(), this.infoLine(prefix, `${event.enhanced}: ${words}`));
        }
        break;
      case 'info':
        out.push(...this.flushHeld(), this.infoLine(prefix, event.message));
        break;
      case 'error':
        out.push(...this.flushHeld(), { kind: 'error', marker: Markers.error, prefix, segments: [{ kind: 'text', text: event.message }] });
        break;
      case 'close':
        out.push(...this.flushHeld(), this.infoLine(prefix, `connection closed (${event.by === 'local' ? 'by us' : event.by === 'peer' ? (event.leg === 'client' ? 'by the client' : 'by the server') : 'on error'}): ${event.reason}`));
        break;
    }
    return out;
  }

  private flushHeld(): TextLine[] {
    const out: TextLine[] = [];
    for (const key of [...this.partial.keys()]) out.push(...this.flushKey(key));
    this.lastKeys.clear();
    return out;
  }

  /** RFC 4954 §4: a 334 carries base64; show what it says, and say so when it is not base64. */
  private challengeLine(prefix: string, text: string): TextLine {
    const { decoded, base64 } = decodeChallenge(text);
    if (base64) return this.infoLine(prefix, `334 challenge decoded: ${JSON.stringify(decoded)}`);
    return { kind: 'warning', marker: Markers.error, prefix, segments: [{ kind: 'text', text: `334 challenge is not base64 (RFC 4954 §4): ${JSON.stringify(decoded)}` }] };
  }

  private infoLine(prefix: string, text: string): TextLine {
    return { kind: 'info', marker: Markers.info, prefix, segments: [{ kind: 'text', text }] };
  }

  private markerFor(dir: Direction, tls: boolean): string {
    if (dir === 'send') return tls ? Markers.tlsSend : Markers.send;
    return tls ? Markers.tlsRecv : Markers.recv;
  }

  /**
   * Cuts the event's bytes into lines, continuing a line held from earlier chunks. Each byte
   * is looked at once and at most DISPLAY_LINE_LIMIT octets of a line are kept, so a peer
   * that never sends a line end costs time in proportion to what it sends and memory in
   * proportion to the limit.
   */
  private takeLines(key: string, event: DataEvent): TextLine[] {
    const data = event.data;
    if (data.length === 0) return [];
    const redacted = event.redacted === true;
    const out: TextLine[] = [];
    let held = this.partial.get(key);
    for (let start = 0; start < data.length;) {
      const lf = data.indexOf(0x0a, start);
      const end = lf === -1 ? data.length : lf + 1;
      if (!held && lf !== -1 && end - start <= HELD_LIMIT) {
        out.push(this.lineOf(event, data.subarray(start, end), false, redacted));
      } else {
        held ??= { event, head: [], kept: 0, length: 0, lastTwo: [-1, -1] };
        held.event = event;
        holdBytes(held, data.subarray(start, end));
        if (lf !== -1) {
          out.push(this.heldLine(held, false, redacted));
          held = undefined;
        }
      }
      start = end;
    }
    if (held) this.partial.set(key, held);
    else this.partial.delete(key);
    return out;
  }

  private flushKey(key: string): TextLine[] {
    const held = this.partial.get(key);
    if (!held) return [];
    this.partial.delete(key);
    return [this.heldLine(held, true, false)];
  }

  /** A line gathered over several chunks: whole when it fits, else its head and a count of the rest. */
  private heldLine(held: HeldLine, unterminated: boolean, redacted: boolean): TextLine {
    const head = held.head.length === 1 ? held.head[0]! : Buffer.concat(held.head, held.kept);
    // The terminator is shown after the count, as it was received: CRLF, or a bare LF.
    const terminator = unterminated ? 0 : held.length >= 2 && held.lastTwo[0] === 0x0d ? 2 : 1;
    const content = held.length - terminator;
    if (content <= DISPLAY_LINE_LIMIT) return this.lineOf(held.event, head, unterminated, redacted);
    const more = content - DISPLAY_LINE_LIMIT;
    const rest: Segment[] = [{ kind: 'text', text: `… ${more} more octet${more === 1 ? '' : 's'}` }];
    if (terminator === 2) rest.push({ kind: 'crlf', text: '␍␊' });
    if (terminator === 1) rest.push({ kind: 'bare-lf', text: '␊' });
    return this.lineOf(held.event, head.subarray(0, DISPLAY_LINE_LIMIT), unterminated, redacted, rest);
  }

  /** `rest`: what stands for bytes not shown (the count of a cut line, its terminator). */
  private lineOf(event: DataEvent, bytes: Buffer, unterminated: boolean, redacted: boolean, rest: Segment[] = []): TextLine {
    const dir = event.type;
    const segments = [...segmentBytes(bytes), ...rest];
    if (redacted) segments.push({ kind: 'text', text: ' (secret redacted)' });
    const line: TextLine = { kind: dir, marker: this.markerFor(dir, event.tls), prefix: prefixOf(event), segments };
    if (unterminated) line.unterminated = true;
    if (dir === 'recv') {
      const code = /^(\d{3})/.exec(bytes.toString('latin1', 0, 3));
      if (code) line.replyCode = Number(code[1]);
    }
    return line;
  }
}

/** Plain text of one line, no colour. */
export function plainTextLine(line: TextLine): string {
  return `${line.prefix}${line.marker}${line.segments.map((s) => s.text).join('')}${line.unterminated ? ' (no line end)' : ''}`;
}
