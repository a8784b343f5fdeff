/**
 * The argument of a BDAT command (RFC 3030 §2): `BDAT chunk-size [LAST]`, where chunk-size is
 * one or more digits. A size that is not a number cannot be skipped: the octets that follow
 * are of unknown length, so the receiver cannot find the next command.
 */
export type BdatArgument =
  | { ok: true; size: number; last: boolean }
  /** `size` is there when it could be read: the chunk's octets can then still be skipped. */
  | { ok: false; reason: string; size?: number };

/** Sizes up to this are taken as numbers; a longer digit string could not be counted exactly. */
const MAX_SIZE_DIGITS = 15;

export function parseBdatArgument(argument: string): BdatArgument {
  const words = argument.trim().split(/[ \t]+/).filter(Boolean);
  const [size = '', last, ...extra] = words;
  if (!/^\d+$/.test(size)) return { ok: false, reason: size === '' ? 'BDAT needs a chunk size' : `chunk size ${JSON.stringify(size.slice(0, 40))} is not a number` };
  if (size.length > MAX_SIZE_DIGITS) return { ok: false, reason: `chunk size ${size.slice(0, 40)} is too large to count` };
  if (last !== undefined && last.toUpperCase() !== 'LAST') return { ok: false, reason: `unexpected ${JSON.stringify(last.slice(0, 40))} after the chunk size (only LAST may follow)`, size: Number(size) };
  if (extra.length > 0) return { ok: false, reason: 'unexpected text after LAST', size: Number(size) };
  return { ok: true, size: Number(size), last: last !== undefined };
}
