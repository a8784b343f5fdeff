import { closeSync, openSync, writeSync } from 'node:fs';
import { fileError } from '../errors.js';
import type { EventStream, SessionEvent } from './events.js';
import { plainTextLine, TextTranscriptFormatter } from './text-format.js';

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
 * Writes a transcript event by event with synchronous writes, so an interrupted process
 * leaves a file that is valid up to its last event. `.jsonl` gives JSON Lines, any other
 * name the swaks-style text form.
 */
export class TranscriptRecorder {
  private fd: number | undefined;
  private readonly jsonl: boolean;
  private readonly text = new TextTranscriptFormatter();
  private unsubscribe: (() => void) | undefined;
  readonly path: string;

  constructor(path: string, header: TranscriptHeader, startedAt: number) {
    this.path = path;
    this.jsonl = /\.jsonl$/i.test(path);
    try {
      this.fd = openSync(path, 'w', 0o600);
    } catch (error) {
      throw fileError(`--transcript ${path}`, 'write', error);
    }
    if (this.jsonl) {
      this.writeLine(JSON.stringify({ type: 'header', version: TRANSCRIPT_VERSION, tool: 'smtpdbg', started: new Date(startedAt).toISOString(), ...header }));
    } else {
      this.writeLine(textTranscriptHeaderLine(new Date(startedAt).toISOString(), header.command, header.target));
    }
  }

  attach(events: EventStream): this {
    this.unsubscribe = events.subscribe((event) => this.record(event));
    return this;
  }

  record(event: SessionEvent): void {
    if (this.fd === undefined) return;
    if (this.jsonl) {
      // The screen uses reply events; the transcript keeps the bytes they were parsed from.
      if (event.type !== 'reply') this.writeLine(JSON.stringify(eventToJson(event)));
      return;
    }
    for (const line of this.text.format(event)) this.writeLine(plainTextLine(line));
  }

  close(): void {
    if (this.fd === undefined) return;
    if (!this.jsonl) for (const line of this.text.flushAll()) this.writeLine(plainTextLine(line));
    this.unsubscribe?.();
    closeSync(this.fd);
    this.fd = undefined;
  }

  private writeLine(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, `${line}\n`);
  }
}
