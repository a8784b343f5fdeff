import type { SessionEvent } from '../transcript/events.js';

/** A write longer than this is shown on screen by its head and tail; transcripts keep every byte. */
export const SCREEN_SEND_LIMIT = 64 * 1024;
const HEAD = 16 * 1024;
const TAIL = 4 * 1024;
const LF = 0x0a;

/**
 * What the live view shows of one event: a large message write (a `--data` file of many
 * megabytes) by its first and last lines, with the octets between counted, so the screen
 * stays readable and its memory small while the end of data, where smuggling happens, is
 * still in sight. Anything else as it is.
 */
export function screenEvents(event: SessionEvent): SessionEvent[] {
  if (event.type !== 'send' || event.data.length <= SCREEN_SEND_LIMIT) return [event];
  const data = event.data;
  const headEnd = data.lastIndexOf(LF, HEAD);
  const head = data.subarray(0, headEnd === -1 ? HEAD : headEnd + 1);
  const tailFrom = data.indexOf(LF, data.length - TAIL);
  const tail = data.subarray(tailFrom === -1 || tailFrom === data.length - 1 ? data.length - TAIL : tailFrom + 1);
  const hidden = data.length - head.length - tail.length;
  return [
    { ...event, data: head },
    { type: 'info', t: event.t, tls: event.tls, ...(event.conn !== undefined ? { conn: event.conn } : {}), message: `… ${hidden} more octets sent, not shown here (--transcript FILE records every byte)` },
    { ...event, data: tail },
  ];
}
