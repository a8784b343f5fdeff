import { InputError, UsageError } from '../errors.js';

/**
 * BDAT (RFC 3030 §2): the message goes in chunks, each announced with its exact size in
 * octets, so that nothing inside it is ever read as a command or an end of data — no
 * dot-stuffing, no CRLF.CRLF. The last chunk carries LAST.
 */

/** How `--bdat` cuts the message: one chunk, chunks of a size, or sizes in order. */
export type ChunkPlan =
  | { kind: 'whole' }
  | { kind: 'size'; size: number }
  | { kind: 'sizes'; sizes: number[] };

export interface Chunk {
  /** The size announced in the command: the chunk's length, unless a probe says otherwise. */
  declared: number;
  bytes: Buffer;
  last: boolean;
}

/** The most chunks one message may be cut into: a tiny --chunk-size on a large message is a mistake. */
export const MAX_CHUNKS = 100_000;

/** `--chunks 100,7,1`: sizes in octets, each a whole number (0 allowed: an empty chunk). */
export function parseChunkSizes(text: string, option = '--chunks'): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d{1,10}$/.test(part))) throw new UsageError(`${option} ${text}: give sizes in octets separated by commas, e.g. 100,7,1`);
  if (parts.length > MAX_CHUNKS) throw new UsageError(`${option}: at most ${MAX_CHUNKS} chunks`);
  return parts.map(Number);
}

/**
 * The chunks of `content`. With sizes, each is taken in order and whatever remains after
 * them goes in one more, last chunk; sizes that add up to more than the message are an
 * error (they would announce octets that do not exist). An empty message is `BDAT 0 LAST`.
 */
export function splitChunks(content: Buffer, plan: ChunkPlan): Chunk[] {
  const sizes: number[] = [];
  if (plan.kind === 'size') {
    if (Math.ceil(content.length / plan.size) > MAX_CHUNKS) {
      throw new InputError(`--chunk-size ${plan.size} cuts the ${content.length}-octet message into more than ${MAX_CHUNKS} chunks; give a larger size`);
    }
    for (let at = 0; at < content.length; at += plan.size) sizes.push(Math.min(plan.size, content.length - at));
  } else if (plan.kind === 'sizes') {
    const total = plan.sizes.reduce((a, b) => a + b, 0);
    if (total > content.length) {
      throw new InputError(`--chunks ${plan.sizes.join(',')} adds up to ${total} octets, but the message is ${content.length}`);
    }
    sizes.push(...plan.sizes);
    if (total < content.length) sizes.push(content.length - total);
  } else if (content.length > 0) {
    sizes.push(content.length);
  }
  if (sizes.length === 0) sizes.push(0);
  const chunks: Chunk[] = [];
  let at = 0;
  sizes.forEach((size, i) => {
    chunks.push({ declared: size, bytes: content.subarray(at, at + size), last: i === sizes.length - 1 });
    at += size;
  });
  return chunks;
}

const CRLF = Buffer.from('\r\n');

/** `BDAT 100` or `BDAT 7 LAST`, without the line end. */
export function bdatCommand(chunk: Pick<Chunk, 'declared' | 'last'>): string {
  return `BDAT ${chunk.declared}${chunk.last ? ' LAST' : ''}`;
}

/** What goes on the wire for one chunk: its command and line end, then its bytes exactly. */
export function chunkBytes(chunk: Chunk, terminator: Buffer = CRLF): Buffer {
  return Buffer.concat([Buffer.from(bdatCommand(chunk), 'latin1'), terminator, chunk.bytes]);
}


/**
 * The BDAT smuggling probes (`inject --bdat --eod all`): what goes on the wire after RCPT
 * when the chunk's declared size and its bytes tell different stories. `message` is the
 * message as BDAT carries it; `smuggled` a second transaction (MAIL, RCPT, DATA, a message
 * and its CRLF.CRLF) as a server would read commands.
 */
export const BdatProbeNames = ['fake-eod', 'longer', 'shorter', 'zero-last', 'data-after-bdat'] as const;
export type BdatProbeName = (typeof BdatProbeNames)[number];

export interface BdatProbe {
  name: BdatProbeName;
  /** The bytes written after the RCPT replies, in one write. */
  bytes: Buffer;
  /** What the probe sends, in a few words, for the table. */
  shape: string;
}

export function bdatProbe(name: BdatProbeName, message: Buffer, smuggled: Buffer, terminator: Buffer = CRLF): BdatProbe {
  const command = (text: string) => Buffer.concat([Buffer.from(text, 'latin1'), terminator]);
  const dotLine = Buffer.from('.\r\n', 'latin1');
  const noop = Buffer.from('NOOP\r\n', 'latin1');
  switch (name) {
    case 'fake-eod': {
      // A DATA-style end and a second transaction inside the chunk, all within its size.
      const body = Buffer.concat([message, dotLine, smuggled]);
      return { name, bytes: Buffer.concat([command(`BDAT ${body.length} LAST`), body]), shape: `BDAT ${body.length} LAST holding .␍␊ and MAIL…DATA` };
    }
    case 'longer': {
      // The size reaches past the message into a command line: all of it is content.
      const body = Buffer.concat([message, noop]);
      return { name, bytes: Buffer.concat([command(`BDAT ${body.length} LAST`), body]), shape: `BDAT ${body.length} LAST counting a NOOP line` };
    }
    case 'shorter':
      // The size stops at the message: the second transaction after it is outside the chunk.
      return { name, bytes: Buffer.concat([command(`BDAT ${message.length} LAST`), message, smuggled]), shape: `BDAT ${message.length} LAST, then MAIL…DATA outside it` };
    case 'zero-last':
      return { name, bytes: Buffer.concat([command(`BDAT ${message.length}`), message, command('BDAT 0 LAST')]), shape: `BDAT ${message.length}, then BDAT 0 LAST` };
    case 'data-after-bdat':
      return { name, bytes: Buffer.concat([command(`BDAT ${message.length}`), message, command('DATA')]), shape: `BDAT ${message.length}, then DATA` };
  }
}
