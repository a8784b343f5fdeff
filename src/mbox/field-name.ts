import { latin1 } from './line.js';

interface Entry<T> {
  bytes: Uint8Array;
  value: T;
}

const slotCount = 1024;
/** Longer names are decoded every time: real ones are short, and the cache stays small. */
const maxCachedBytes = 64;

/**
 * Field names repeat from message to message (Received, From, DKIM-Signature…), so what
 * is derived from a name (`make`, given the name decoded as latin1) is worked out once per
 * spelling and afterwards found by the name's bytes, without a string per header line.
 * The cache is direct-mapped: a file that invents endless names only evicts entries, it
 * never grows memory. Values are shared, so they must not be changed.
 */
export class FieldNameCache<T> {
  private readonly slots: (Entry<T> | undefined)[] = new Array<Entry<T> | undefined>(slotCount).fill(undefined);

  constructor(private readonly make: (name: string) => T) {}

  /**
   * What `make` gives for the name in `bytes[start..end)`. `hash` is `nameHash` of those
   * bytes when the caller worked it out on its way through them.
   */
  get(bytes: Uint8Array, end: number, start = 0, hash = nameHash(bytes, start, end)): T {
    if (end - start > maxCachedBytes) return this.make(latin1(bytes, start, end));
    // The low bits of the hash: `slotCount` is a power of two.
    const slot = hash & (slotCount - 1);
    const hit = this.slots[slot];
    if (hit !== undefined && sameBytes(hit.bytes, bytes, start, end)) return hit.value;
    const value = this.make(latin1(bytes, start, end));
    // A copy: a view (Buffer's slice is one) would keep the whole chunk alive in the cache.
    this.slots[slot] = { bytes: new Uint8Array(bytes.subarray(start, end)), value };
    return value;
  }
}

/** FNV-1a: `hashStart`, then `hashStep` with each byte. */
export const hashStart = 0x811c9dc5;
export const hashStep = (hash: number, byte: number): number => Math.imul(hash ^ byte, 0x01000193);

function nameHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = hashStart;
  for (let i = start; i < end; i++) hash = hashStep(hash, bytes[i]!);
  return hash;
}

function sameBytes(kept: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (kept.length !== end - start) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== bytes[start + i]) return false;
  return true;
}
