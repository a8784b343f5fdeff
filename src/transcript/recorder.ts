import { registerOpenOutput } from '../io/output-failure.js';
import { RecordFile } from '../io/record-file.js';
import type { EventStream, SessionEvent } from './events.js';
import { plainTextLine, TextTranscriptFormatter, type TextLine } from './text-format.js';

export const TRANSCRIPT_VERSION = 1;

/** How the first line of a text transcript starts; `smtpdbg transcript` refuses such files. */
export const TEXT_TRANSCRIPT_MARK = '=== smtpdbg transcript';

/** The first line of a text transcript, also printed above `smtpdbg transcript`'s views. */
export function textTranscriptHeaderLine(started: string, command: string, target: string | undefined): string {
  return `${TEXT_TRANSCRIPT_MARK} ${started} ${command}${target ? ` ${target}` : ''}`;
}

export interface TranscriptHeader {
  command: string;
  target?: string;
  [key: string]: unknown;
}

/** The JSON form of one event: bytes as latin1 strings, so every byte survives JSON. */
export function eventToJson(event: SessionEvent): Record<string, unknown> {
  const { type, t, tls, conn, leg } = event;
  const base: Record<string, unknown> = { t, type, tls };
  if (conn !== undefined) base.conn = conn;
  if (leg !== undefined) base.leg = leg;
  switch (event.type) {
    case 'send':
    case 'recv':
      return { ...base, data: event.data.toString('latin1'), ...(event.redacted ? { redacted: true } : {}) };
    case 'connect': {
      const { type: _t, t: _tt, tls: _tls, conn: _c, leg: _l, ...rest } = event;
      return { ...base, ...rest };
    }
    case 'tls':
      return { ...base, summary: event.summary };
    case 'reply':
      return { ...base, code: event.code, lines: event.lines, ...(event.enhanced ? { enhanced: event.enhanced } : {}) };
    case 'close':
      return { ...base, by: event.by, reason: event.reason };
    case 'error':
      return { ...base, code: event.code, message: event.message, ...('reply' in event ? { reply: event.reply } : {}) };
    case 'info':
      return { ...base, message: event.message };
  }
}

/**
 * The most bytes one JSONL event holds: a larger write (inject sends a whole message at once)
 * is recorded as several consecutive events with the same time, so that every line of the
 * file stays small enough for `smtpdbg transcript` to read (its default limit is 16 MiB per
 * line, which 1 MiB of bytes cannot exceed even when every byte is escaped as \u00XX).
 */
export const MAX_RECORDED_OCTETS = 1024 * 1024;

/** The JSON Lines of one event: one, or one per MAX_RECORDED_OCTETS of a larger one. */
function jsonLinesOf(event: SessionEvent): string {
  if ((event.type !== 'send' && event.type !== 'recv') || event.data.length <= MAX_RECORDED_OCTETS) return `${JSON.stringify(eventToJson(event))}\n`;
  let lines = '';
  for (let at = 0; at < event.data.length; at += MAX_RECORDED_OCTETS) {
    lines += `${JSON.stringify(eventToJson({ ...event, data: event.data.subarray(at, at + MAX_RECORDED_OCTETS) }))}\n`;
  }
  return lines;
}

/**
 * Writes a transcript event by event with synchronous writes, so an interrupted process
 * leaves a file that is valid up to its last event: each event (its JSON line, or the text
 * lines it makes) is one record of a RecordFile, written whole or taken back. A write that
 * fails is reported once (cannot write FILE: ECODE …) and the recording stops there.
 * `.jsonl` gives JSON Lines, any other name the swaks-style text form.
 */
export class TranscriptRecorder {
  private readonly file: RecordFile;
  private readonly jsonl: boolean;
  private readonly text = new TextTranscriptFormatter();
  private unsubscribe: (() => void) | undefined;
  private readonly unregister: () => void;
  readonly path: string;

  /** Throws OutputError when the file cannot be created. */
  constructor(path: string, header: TranscriptHeader, startedAt: number) {
    this.path = path;
    this.jsonl = /\.jsonl$/i.test(path);
    this.file = RecordFile.open(path);
    // If the run must end at once (another output failed), what is held is still written.
    this.unregister = registerOpenOutput(() => this.close());
    if (this.jsonl) {
      this.file.write(`${JSON.stringify({ type: 'header', version: TRANSCRIPT_VERSION, tool: 'smtpdbg', started: new Date(startedAt).toISOString(), ...header })}\n`);
    } else {
      this.file.write(`${textTranscriptHeaderLine(new Date(startedAt).toISOString(), header.command, header.target)}\n`);
    }
  }

  attach(events: EventStream): this {
    this.unsubscribe = events.subscribe((event) => this.record(event));
    return this;
  }

  record(event: SessionEvent): void {
    if (!this.file.writable) return;
    if (this.jsonl) {
      // The screen uses reply events; the transcript keeps the bytes they were parsed from.
      if (event.type !== 'reply') this.file.write(jsonLinesOf(event));
      return;
    }
    this.writeLines(this.text.format(event));
  }

  close(): void {
    this.unregister();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (!this.file.writable) return;
    if (!this.jsonl) this.writeLines(this.text.flushAll());
    this.file.close();
  }

  private writeLines(lines: TextLine[]): void {
    if (lines.length > 0) this.file.write(lines.map((line) => `${plainTextLine(line)}\n`).join(''));
  }
}
