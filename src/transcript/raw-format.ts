import { formatEscaped } from '../smtp/escapes.js';
import type { SessionEvent } from './events.js';
import { plainTextLine, prefixOf, TextTranscriptFormatter } from './text-format.js';

/**
 * The raw view of a transcript: every chunk of bytes as hex and as escaped text, with its
 * offset in its own direction of its own connection and leg (what a packet capture of the
 * decrypted stream would number), so a bare CR at offset 0x1f3 can be found and quoted.
 */

const ROW = 16;

/** One row: offset, hex bytes in two groups of eight, escaped bytes. */
export function hexRow(offset: number, bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0'));
  const left = hex.slice(0, 8).join(' ');
  const right = hex.slice(8).join(' ');
  return `  ${offset.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  ${formatEscaped(bytes)}`;
}

export class RawTranscriptFormatter {
  private readonly offsets = new Map<string, number>();
  /** Words for everything that is not bytes (connect, TLS, close…), as the text form has them. */
  private readonly words = new TextTranscriptFormatter();

  /** The lines for one event; a large event's rows are made as they are read, not all at once. */
  format(event: SessionEvent): Iterable<string> {
    if (event.type === 'reply') return [];
    if (event.type !== 'send' && event.type !== 'recv') return this.words.format(event).map(plainTextLine);
    return rowsOf(event, this.advance(event));
  }

  /** Counts the bytes of an event that is not shown (filtered out), so later offsets stay true. */
  skip(event: SessionEvent): void {
    if (event.type === 'send' || event.type === 'recv') this.advance(event);
  }

  private advance(event: SessionEvent & { data: Buffer }): number {
    const key = `${event.conn ?? ''}/${event.leg ?? ''}/${event.type}`;
    const start = this.offsets.get(key) ?? 0;
    this.offsets.set(key, start + event.data.length);
    return start;
  }
}

function* rowsOf(event: SessionEvent & { type: 'send' | 'recv' }, start: number): Generator<string> {
  const arrow = event.type === 'send' ? 'sent' : 'received';
  yield `${prefixOf(event)}${arrow}${event.tls ? ' in TLS' : ''}, ${event.data.length} octet${event.data.length === 1 ? '' : 's'} at offset ${start} (+${event.t} ms)${event.redacted ? ' (secret redacted in the recording)' : ''}`;
  for (let i = 0; i < event.data.length; i += ROW) yield hexRow(start + i, event.data.subarray(i, i + ROW));
}
