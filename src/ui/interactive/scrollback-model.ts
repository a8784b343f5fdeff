import type { Segment } from '../../smtp/visible.js';
import type { SessionEvent } from '../../transcript/events.js';
import { formatElapsed, Markers, TextTranscriptFormatter, type TextLine } from '../../transcript/text-format.js';
import { explainReply } from './reply-explanation.js';

/** One line of the scrollback; `id` increases by one per line, for <Static> batching. */
export interface ScrollLine extends TextLine {
  id: number;
}

/** Marker of lines that exist only on screen: what the user typed that sends nothing. */
export const localEchoMarker = '  > ';

/** A line longer than this is cut on screen (a 4 MiB banner must not stall the terminal). */
const maxShownChars = 4096;

function truncate(segments: Segment[]): Segment[] {
  let left = maxShownChars;
  const out: Segment[] = [];
  let total = 0;
  for (const segment of segments) total += segment.text.length;
  if (total <= maxShownChars) return segments;
  for (const segment of segments) {
    if (left <= 0) break;
    out.push(segment.text.length <= left ? segment : { ...segment, text: segment.text.slice(0, left) });
    left -= segment.text.length;
  }
  out.push({ kind: 'text', text: ` … (${total - maxShownChars} more characters not shown)` });
  return out;
}

/**
 * The view-model of the conversation: events go through the transcript's text formatter
 * (so the screen and `--transcript` agree), and replies get what a person needs on top —
 * negative reply codes in words, and a close the user did not ask for shown as an error. Only the last `capacity` lines are kept; older ones have already
 * been written to the terminal.
 */
export class ScrollbackModel {
  private readonly formatter: TextTranscriptFormatter;
  private readonly capacity: number;
  /** In front of screen-only lines, so that they line up under timestamped ones. */
  private readonly blankPrefix: string;
  private nextId = 0;
  private kept: ScrollLine[] = [];

  constructor(capacity = 2000, options: { timestamps?: boolean } = {}) {
    this.capacity = Math.max(1, capacity);
    this.formatter = new TextTranscriptFormatter(options);
    this.blankPrefix = options.timestamps ? ' '.repeat(formatElapsed(0).length) : '';
  }

  get lines(): readonly ScrollLine[] {
    return this.kept;
  }

  /** Adds the lines for one event. `closeExpected` says whether a close is the normal end (after QUIT). */
  addEvent(event: SessionEvent, closeExpected: boolean): void {
    const lines = this.formatter.format(event);
    // What we send is shown as it goes out, whole or not: a line sent with `:term cr` has no
    // LF to end it, and the screen must not wait for the reply to show it.
    if (event.type === 'send') lines.push(...this.formatter.flushAll());
    if (event.type === 'reply') {
      // The formatter's own lines for a reply are explanations (enhanced code, decoded 334
      // challenge): colour them like the reply.
      for (const line of lines) if (line.kind !== 'send' && line.kind !== 'recv') line.replyCode = event.code;
      const words = explainReply(event.code, event.enhanced);
      if (words) lines.push({ kind: 'info', marker: Markers.info, prefix: this.blankPrefix, segments: [{ kind: 'text', text: words }], replyCode: event.code });
    }
    if (event.type === 'close' && event.by !== 'local' && !closeExpected) {
      const last = lines[lines.length - 1];
      if (last) {
        last.kind = 'error';
        last.marker = Markers.error;
      }
    }
    this.push(lines);
  }

  /** A line that exists only on screen (local echo, hints), not in the transcript. */
  addLocal(text: string, marker: string = Markers.info): void {
    this.push([{ kind: 'info', marker, prefix: this.blankPrefix, segments: [{ kind: 'text', text }] }]);
  }

  private push(lines: TextLine[]): void {
    if (!lines.length) return;
    const added = lines.map((line) => ({ ...line, segments: truncate(line.segments), id: this.nextId++ }));
    const all = this.kept.concat(added);
    this.kept = all.length > this.capacity ? all.slice(all.length - this.capacity) : all;
  }
}
