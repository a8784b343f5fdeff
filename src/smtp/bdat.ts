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

