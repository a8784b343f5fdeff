import { readFile } from 'node:fs/promises';
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

export function parseTranscript(text: string): ParsedTranscript {
  const lines = text.split('\n');
  // A file that ends with a line end splits into a last empty string, which is no line.
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const result: ParsedTranscript = { header: undefined, entries: [], damage: [] };
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      if (!complete && index === lines.length - 1) {
        result.damage.push({ line, message: 'truncated: the file ends inside this line (the recording was cut off)' });
      } else {
        const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
        result.damage.push({ line, message: `not JSON (${(error as Error).message}): ${JSON.stringify(shown)}` });
      }
      return;
    }
    if (!isObject(value)) {
      result.damage.push({ line, message: 'not a JSON object' });
      return;
    }
    if (value.type === 'header') {
      if (result.header !== undefined || result.entries.length > 0) {
        result.damage.push({ line, message: 'a second header line (two recordings in one file?)' });
        return;
      }
      result.header = value as ParsedTranscript['header'];
      if (value.version !== TRANSCRIPT_VERSION) {
        result.damage.push({ line, message: `unknown transcript version ${JSON.stringify(value.version)} (this smtpdbg reads version ${TRANSCRIPT_VERSION}); showing what it can` });
      }
      return;
    }
    if (result.header === undefined && result.entries.length === 0) {
      result.damage.push({ line, message: 'no header line: the file does not start like a smtpdbg transcript' });
    }
    const event = eventFromJson(value);
    if (typeof event === 'string') result.damage.push({ line, message: event });
    else result.entries.push({ line, event });
  });
  return result;
}

/**
 * Reads and parses a transcript file. Throws InputError (exit 2) when the file cannot be
 * read or is not a JSON Lines transcript at all; damage inside one is returned instead.
 */
export async function readTranscriptFile(path: string): Promise<ParsedTranscript> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fileError(path, 'read', error);
  }
  if (text.startsWith(TEXT_TRANSCRIPT_MARK)) {
    throw new InputError(`${path}: this is a text transcript, already readable as it is; only JSON Lines transcripts (recorded to a .jsonl name) can be rendered`);
  }
  const parsed = parseTranscript(text);
  if (parsed.header === undefined && parsed.entries.length === 0) {
    const first = parsed.damage[0];
    throw new InputError(`${path}: not a smtpdbg transcript${first ? ` (line ${first.line}: ${first.message})` : ' (empty)'}`);
  }
  return parsed;
}

/**
 * The reply events a live run showed, derived again from the recorded bytes (the recorder
 * keeps bytes, not replies): on every leg but a proxy's client leg, `recv` carries replies.
 * A reply split across events is found where it completes; STARTTLS restarts the parse
 * (RFC 3207 §6). Bytes that are no reply are left to the byte view.
 */
export function withReplies(events: SessionEvent[]): SessionEvent[] {
  const parsers = new Map<string, ReplyParser>();
  const out: SessionEvent[] = [];
  for (const event of events) {
    out.push(event);
    const key = `${event.conn ?? ''}/${event.leg ?? ''}`;
    if (event.type === 'tls' || event.type === 'connect') parsers.delete(key);
    if (event.type !== 'recv' || event.leg === 'client') continue;
    let parser = parsers.get(key);
    if (!parser) parsers.set(key, (parser = new ReplyParser()));
    let replies: Reply[];
    try {
      replies = parser.feed(event.data);
    } catch {
      parser.reset();
      continue;
    }
    for (const reply of replies) {
      const { conn, leg } = event;
      out.push({ type: 'reply', t: event.t, tls: event.tls, ...(conn !== undefined ? { conn } : {}), ...(leg !== undefined ? { leg } : {}), code: reply.code, lines: reply.lines, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}) });
    }
  }
  return out;
}
