import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { fileError, InputError } from '../errors.js';
import { ReplyParser } from '../smtp/reply-parser.js';
import type { Reply } from '../smtp/reply.js';
import type { TlsSummary } from '../tls/summary.js';
import type { Leg, SessionEvent } from './events.js';
import { TEXT_TRANSCRIPT_MARK, TRANSCRIPT_VERSION, type TranscriptHeader } from './recorder.js';

/**
 * Reads a JSON Lines transcript (recorder.ts) back into events. A damaged file — a line
 * cut off when the recording was interrupted, a line that is not JSON, an event this
 * version does not know, a header from another version — is reported line by line, and
 * everything else is still returned: the point of a transcript is what it kept.
 */

export interface TranscriptDamage {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface TranscriptEntry {
  line: number;
  event: SessionEvent;
}

export interface ParsedTranscript {
  header: (TranscriptHeader & { version?: unknown; started?: unknown }) | undefined;
  entries: TranscriptEntry[];
  damage: TranscriptDamage[];
}

type Fields = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The event a JSON object stands for, or why it is not one. */
export function eventFromJson(fields: Fields): SessionEvent | string {
  const { type, t, tls, conn, leg } = fields;
  if (!isString(type)) return 'no event type';
  if (!isNumber(t)) return `${type} event without a time ("t")`;
  if (conn !== undefined && !isNumber(conn)) return `${type} event with a non-numeric connection id`;
  if (leg !== undefined && leg !== 'client' && leg !== 'upstream') return `${type} event with an unknown leg ${JSON.stringify(leg)}`;
  const base = {
    t,
    tls: tls === true,
    ...(conn !== undefined ? { conn } : {}),
    ...(leg !== undefined ? { leg: leg as Leg } : {}),
  };
  switch (type) {
    case 'send':
    case 'recv':
      if (!isString(fields.data)) return `${type} event without data`;
      // The recorder writes bytes as latin1 characters, one per byte.
      return { ...base, type, data: Buffer.from(fields.data, 'latin1'), ...(fields.redacted === true ? { redacted: true } : {}) };
    case 'connect':
      if (!isString(fields.host) || !isNumber(fields.port)) return 'connect event without host and port';
      return {
        ...base,
        type,
        host: fields.host,
        port: fields.port,
        ...(isString(fields.remoteAddress) ? { remoteAddress: fields.remoteAddress } : {}),
        ...(isString(fields.localAddress) ? { localAddress: fields.localAddress } : {}),
        ...(isNumber(fields.localPort) ? { localPort: fields.localPort } : {}),
      };
    case 'tls':
      if (!isObject(fields.summary) || !Array.isArray(fields.summary.chain)) return 'tls event without a summary';
      return { ...base, type, summary: fields.summary as unknown as TlsSummary };
    case 'reply':
      if (!isNumber(fields.code) || !Array.isArray(fields.lines)) return 'reply event without code and lines';
      return { ...base, type, code: fields.code, lines: fields.lines.map(String), ...(isString(fields.enhanced) ? { enhanced: fields.enhanced } : {}) };
    case 'close':
      if (fields.by !== 'peer' && fields.by !== 'local' && fields.by !== 'error') return 'close event without "by"';
      return { ...base, type, by: fields.by, reason: isString(fields.reason) ? fields.reason : '' };
    case 'error':
      return { ...base, type, code: isString(fields.code) ? fields.code : 'EUNKNOWN', message: isString(fields.message) ? fields.message : '' };
    case 'info':
      return { ...base, type, message: isString(fields.message) ? fields.message : '' };
    default:
      return `unknown event type ${JSON.stringify(type)}`;
  }
}

/** What reading a transcript yields, line by line, in file order. */
export type TranscriptItem =
  | { type: 'header'; line: number; header: NonNullable<ParsedTranscript['header']> }
  | { type: 'event'; line: number; event: SessionEvent }
  | { type: 'damage'; line: number; message: string };

/**
 * The meaning of each line of a transcript, one line at a time, so that a file of any size
 * can be read as a stream. It remembers only whether a header or an event was seen.
 */
export class TranscriptLineParser {
  private sawHeader = false;
  private sawEvent = false;

  /** True once the input proved to be a transcript (a header or an event was read). */
  get recognised(): boolean {
    return this.sawHeader || this.sawEvent;
  }

  /** `cutOff`: the line is the last one and the file ends inside it (no line end). */
  parse(raw: string, line: number, cutOff: boolean): TranscriptItem[] {
    if (raw.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      if (cutOff) return [{ type: 'damage', line, message: 'truncated: the file ends inside this line (the recording was cut off)' }];
      const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
      return [{ type: 'damage', line, message: `not JSON (${(error as Error).message}): ${JSON.stringify(shown)}` }];
    }
    if (!isObject(value)) return [{ type: 'damage', line, message: 'not a JSON object' }];
    if (value.type === 'header') {
      if (this.recognised) return [{ type: 'damage', line, message: 'a second header line (two recordings in one file?)' }];
      this.sawHeader = true;
      const items: TranscriptItem[] = [{ type: 'header', line, header: value as NonNullable<ParsedTranscript['header']> }];
      if (value.version !== TRANSCRIPT_VERSION) {
        items.push({ type: 'damage', line, message: `unknown transcript version ${JSON.stringify(value.version)} (this smtpdbg reads version ${TRANSCRIPT_VERSION}); showing what it can` });
      }
      return items;
    }
    const items: TranscriptItem[] = [];
    if (!this.recognised) items.push({ type: 'damage', line, message: 'no header line: the file does not start like a smtpdbg transcript' });
    const event = eventFromJson(value);
    if (typeof event === 'string') items.push({ type: 'damage', line, message: event });
    else {
      this.sawEvent = true;
      items.push({ type: 'event', line, event });
    }
    return items;
  }
}

/** A whole transcript held in memory (tests, small files); `readTranscript` streams a file. */
export function parseTranscript(text: string): ParsedTranscript {
  const lines = text.split('\n');
  // A file that ends with a line end splits into a last empty string, which is no line.
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const result: ParsedTranscript = { header: undefined, entries: [], damage: [] };
  const parser = new TranscriptLineParser();
  lines.forEach((raw, index) => {
    for (const item of parser.parse(raw, index + 1, !complete && index === lines.length - 1)) {
      if (item.type === 'header') result.header = item.header;
      else if (item.type === 'event') result.entries.push({ line: item.line, event: item.event });
      else result.damage.push({ line: item.line, message: item.message });
    }
  });
  return result;
}

/**
 * The largest line (one event) read by default. The recorder writes no event over 1 MiB of
 * bytes (16 KiB TLS records and socket reads are far smaller), which JSON escaping makes at
 * most 6 MiB; a longer line comes from elsewhere and would cost several times its size.
 */
export const DEFAULT_MAX_EVENT_OCTETS = 16 * 1024 * 1024;

/** Damage lines listed one by one; after these only their number is given. */
export const MAX_LISTED_DAMAGE = 1000;

export interface ReadTranscriptOptions {
  /** Lines longer than this (octets, line end excluded) are reported and skipped. */
  maxEventOctets?: number;
  /** How the limit is named in messages (the option that sets it). */
  limitName?: string;
}

/**
 * Streams a JSON Lines transcript from a file, line by line: memory is bounded by the
 * largest line it keeps (`maxEventOctets`), not by the file. Throws InputError (exit 2)
 * when the file cannot be read, is a text transcript, or holds no header and no event;
 * damage inside a transcript is yielded in its place (at most MAX_LISTED_DAMAGE items, then
 * one that counts the rest), after the file has shown it is a transcript.
 */
export async function* readTranscript(path: string, options: ReadTranscriptOptions = {}): AsyncGenerator<TranscriptItem> {
  const maxOctets = options.maxEventOctets ?? DEFAULT_MAX_EVENT_OCTETS;
  const limitName = options.limitName ?? 'the limit';
  const parser = new TranscriptLineParser();
  let stream;
  try {
    stream = createReadStream(path, { highWaterMark: 256 * 1024 });
    await once(stream, 'open');
  } catch (error) {
    stream?.destroy();
    throw fileError(path, 'read', error);
  }
  // Damage before the file proved to be a transcript waits (it may be no transcript at all);
  // past the listed number it is only counted, as later damage is.
  const waiting: TranscriptItem[] = [];
  let listed = 0;
  let unlisted = 0;
  let firstUnlisted = 0;
  const deliver = function* (items: TranscriptItem[]): Generator<TranscriptItem> {
    for (const item of items) {
      if (item.type !== 'damage') yield item;
      else if (listed < MAX_LISTED_DAMAGE) {
        listed++;
        yield item;
      } else if (unlisted++ === 0) firstUnlisted = item.line;
    }
  };
  const take = function* (items: TranscriptItem[]): Generator<TranscriptItem> {
    if (parser.recognised) {
      yield* deliver(waiting.splice(0));
      yield* deliver(items);
    } else {
      for (const item of items) {
        if (waiting.length < MAX_LISTED_DAMAGE) waiting.push(item);
        else if (unlisted++ === 0) firstUnlisted = item.line;
      }
    }
  };

  const pieces: Buffer[] = [];
  let kept = 0;
  /** Octets of the current line, kept or not: over the limit, nothing more is kept. */
  let length = 0;
  let lineNumber = 1;
  let first = true;
  const finishLine = (cutOff: boolean): TranscriptItem[] => {
    const line = lineNumber++;
    if (length > maxOctets) {
      const over = `${length} octets, over the ${maxOctets}-octet limit for one event (${limitName})`;
      pieces.length = 0;
      kept = length = 0;
      return [{ type: 'damage', line, message: cutOff ? `truncated and ${over}: skipped` : `${over}: skipped` }];
    }
    const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, kept);
    pieces.length = 0;
    kept = length = 0;
    return parser.parse(bytes.toString('utf8'), line, cutOff);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if (chunk.toString('utf8', 0, TEXT_TRANSCRIPT_MARK.length) === TEXT_TRANSCRIPT_MARK) {
          throw new InputError(`${path}: this is a text transcript, already readable as it is; only JSON Lines transcripts (recorded to a .jsonl name) can be rendered`);
        }
      }
      for (let start = 0; start < chunk.length;) {
        const lf = chunk.indexOf(0x0a, start);
        const end = lf === -1 ? chunk.length : lf;
        length += end - start;
        if (length <= maxOctets && end > start) {
          pieces.push(chunk.subarray(start, end));
          kept += end - start;
        } else if (length > maxOctets && pieces.length > 0) {
          pieces.length = 0;
          kept = 0;
        }
        if (lf === -1) break;
        yield* take(finishLine(false));
        start = lf + 1;
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fileError(path, 'read', error);
  } finally {
    stream.destroy();
  }
  if (length > 0) yield* take(finishLine(true));
  if (!parser.recognised) {
    const firstDamage = waiting.find((item) => item.type === 'damage');
    throw new InputError(`${path}: not a smtpdbg transcript${firstDamage ? ` (line ${firstDamage.line}: ${firstDamage.message})` : ' (empty)'}`);
  }
  if (unlisted > 0) yield { type: 'damage', line: firstUnlisted, message: `and ${unlisted} more damaged line${unlisted === 1 ? '' : 's'} from here on, not listed` };
}

/**
 * The reply events a live run showed, derived again from the recorded bytes (the recorder
 * keeps bytes, not replies): on every leg but a proxy's client leg, `recv` carries replies.
 * A reply split across events is found where it completes; STARTTLS restarts the parse
 * (RFC 3207 §6). Bytes that are no reply are left to the byte view.
 */
export class ReplyDeriver {
  private readonly parsers = new Map<string, ReplyParser>();

  /** The event itself, followed by the replies it completes. */
  take(event: SessionEvent): SessionEvent[] {
    const out: SessionEvent[] = [event];
    const key = `${event.conn ?? ''}/${event.leg ?? ''}`;
    if (event.type === 'tls' || event.type === 'connect') this.parsers.delete(key);
    // A closed connection's parser is done with: forgetting it keeps a long file's state small.
    if (event.type === 'close') this.parsers.delete(key);
    if (event.type !== 'recv' || event.leg === 'client') return out;
    let parser = this.parsers.get(key);
    if (!parser) this.parsers.set(key, (parser = new ReplyParser()));
    let replies: Reply[];
    try {
      replies = parser.feed(event.data);
    } catch {
      parser.reset();
      return out;
    }
    for (const reply of replies) {
      const { conn, leg } = event;
      out.push({ type: 'reply', t: event.t, tls: event.tls, ...(conn !== undefined ? { conn } : {}), ...(leg !== undefined ? { leg } : {}), code: reply.code, lines: reply.lines, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}) });
    }
    return out;
  }
}

/** The events with the derived replies in place (see ReplyDeriver). */
export function withReplies(events: SessionEvent[]): SessionEvent[] {
  const deriver = new ReplyDeriver();
  return events.flatMap((event) => deriver.take(event));
}
