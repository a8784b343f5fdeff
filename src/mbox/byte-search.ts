/**
 * The byte loops that every octet of an mbox goes through: in bodies, the next LF that
 * starts a "From " line and the number of LFs between two places (line numbers); in
 * headers, each line's end and the octets the header-line rules look at (`scanLineBytes`).
 *
 * In JavaScript the body walk costs a native `indexOf` call per LF (about 17 ns; a body line
 * is about 45 octets) and a header line a loop over its octets, so bytes that live in the
 * WebAssembly memory of `scanBuffer` are read by a small module instead, 16 octets at a time
 * with SIMD compares. On a header-dense archive, 64 MB: the walk over every LF took 25 ms in
 * JavaScript and 9 ms in the module (searching and counting in one pass); the 347,000 lines
 * of its first 16 MB, 30 ms and 8 ms. The module is written out below, instruction by
 * instruction (the WebAssembly binary format, version 1, with the fixed-width SIMD
 * instructions that V8 has run since Node 16), and compiled when a thread first asks for its
 * memory; where it cannot be (a V8 without SIMD), or for bytes anywhere else, the JavaScript
 * loops give the same answers (the tests hold them to it).
 */

import { startsWithFrom } from './line.js';
import type { LineBytes } from './rules/header-bytes.js';

/** Whether `buf` is in the module's memory (`scanBuffer`): the scanner asks once per buffer, and passes the answer. */
export const inModule = (buf: Uint8Array): boolean => memory !== undefined && buf.buffer === memory.buffer;

/**
 * Index of the first LF at or after `from` that either starts "\nFrom " or has fewer than
 * five octets after it in `buf` (whether a "From " follows is not known yet); -1 when there
 * is none. `lfsSearched` then tells how many LFs came before it from `from` on (before the
 * end of `buf` when there is none).
 */
export function nextFromLine(buf: Uint8Array, from: number, bufInModule: boolean): number {
  if (bufInModule) {
    const at = exports!.nextFrom(buf.byteOffset + from, buf.byteOffset + buf.length, outAddress);
    searched = out![outLfs >> 2]!;
    return at < 0 ? -1 : at - buf.byteOffset;
  }
  let n = 0;
  for (let i = buf.indexOf(10, from); i >= 0; i = buf.indexOf(10, i + 1)) {
    if (buf.length - i < 6 || startsWithFrom(buf, i + 1)) {
      searched = n;
      return i;
    }
    n++;
  }
  searched = n;
  return -1;
}

/** The LFs the last `nextFromLine` went past (see there). */
let searched = 0;
export const lfsSearched = (): number => searched;

/** The number of LFs in `buf[from..to)`. */
export function lfCount(buf: Uint8Array, from: number, to: number, bufInModule: boolean): number {
  to = Math.min(to, buf.length);
  if (from >= to) return 0;
  if (bufInModule) return exports!.countLf(buf.byteOffset + from, buf.byteOffset + to);
  let n = 0;
  for (let i = buf.indexOf(10, from); i >= 0 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** The size of the module's memory: what a range worker reads at once (range-worker.ts). */
export const scanBufferBytes = 8 << 20;

/**
 * A buffer of `size` octets in the module's memory, for bytes that the module should read
 * (a range worker reads each range into it), or undefined: without the module, or for more
 * than `scanBufferBytes`. Every call hands out the same memory: what was read into it
 * before is overwritten by the next user. The memory is made once per thread and never
 * grows: growing one detaches its old buffer (so a flag kept for a buffer could no longer
 * be trusted), and the first buffer detached in a thread makes V8 check every typed-array
 * read of its optimized code for detachment from then on.
 */
export function scanBuffer(size: number): Buffer | undefined {
  compiled ??= compile() ?? null;
  if (!compiled || size > scanBufferBytes) return undefined;
  if (!memory) {
    // The page after the buffer is where `scanLine` and `nextFrom` write (`out…`). They read
    // whole 16-octet blocks, but never past the end they are given.
    memory = new wasm.Memory({ initial: scanBufferBytes / pageBytes + 1 });
    exports = new wasm.Instance(compiled, { search: { memory } }).exports as SearchExports;
    outAddress = scanBufferBytes;
    out = new Int32Array(memory.buffer, outAddress, outFields);
  }
  return Buffer.from(memory.buffer, 0, size);
}

/**
 * `scanLineBytes` (header-bytes.ts) of `b[start..stop)` when `b` is in the module's memory
 * (`inModule`): the LF's index or -1, and what the line holds in `found`, in the same
 * indexes of `b`.
 */
export function scanLineInModule(b: Uint8Array, start: number, stop: number, found: LineBytes): number {
  const base = b.byteOffset;
  const nl = exports!.scanLine(base + start, base + stop, base + b.length, outAddress);
  // Each read once, whatever it holds: a read that only ran for rare values (a CR, a
  // control) would deoptimize the scanner's code the first time one came.
  const o = out!;
  const cr = o[0]!;
  const control = o[1]!;
  const eightBit = o[2]!;
  const encodedWord = o[3]!;
  const firstColon = o[4]!;
  const colonWsp = o[5]!;
  found.cr = cr < 0 ? -1 : cr - base;
  found.control = control < 0 ? -1 : control - base;
  found.eightBit = eightBit < 0 ? -1 : eightBit - base;
  found.encodedWordStart = encodedWord === 1;
  found.firstColon = firstColon < 0 ? -1 : firstColon - base;
  found.colonWsp = colonWsp < 0 ? -1 : colonWsp - base;
  return nl < 0 ? -1 : nl - base;
}

const pageBytes = 65536;

/* The module. */

/** Unsigned LEB128 (sizes, indexes, SIMD opcodes). */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A vector: its length, then its items. */
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A section: its id, its size, its content. */
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

// Instructions (WebAssembly core spec §5.4), each as its bytes.
const empty = 0x40;
const block = [0x02, empty];
const loop = [0x03, empty];
const ifThen = [0x04, empty];
const end = [0x0b];
const br = (depth: number): number[] => [0x0c, ...uleb(depth)];
const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)];
const ret = [0x0f];
const call = (func: number): number[] => [0x10, ...uleb(func)];
const get = (local: number): number[] => [0x20, ...uleb(local)];
const set = (local: number): number[] => [0x21, ...uleb(local)];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
/** i32.load and i32.store of 4 octets at `offset` past the address (not aligned), i32.load8_u of one. */
const load32 = (offset: number): number[] => [0x28, 0, ...uleb(offset)];
const store32 = (offset: number): number[] => [0x36, 0, ...uleb(offset)];
const load8 = (offset: number): number[] => [0x2d, 0, ...uleb(offset)];
const [eqz, eq, ne, ltS, ltU, gtU, geU] = [[0x45], [0x46], [0x47], [0x48], [0x49], [0x4b], [0x4f]];
const [ctz, popcnt, add, sub, and, or, shl] = [[0x68], [0x69], [0x6a], [0x6b], [0x71], [0x72], [0x74]];
// SIMD (0xfd prefix): a 16-octet load, a byte splatted to 16 lanes, lane-wise compares (0xff
// where true), lane-wise and and or, and the top bit of each lane as a 16-bit mask.
const simd = (op: number, ...immediates: number[]): number[] => [0xfd, ...uleb(op), ...immediates];
const load128 = (offset: number): number[] => simd(0x00, 4, ...uleb(offset));
const splat8 = simd(0x0f);
const eq8 = simd(0x23);
const ltS8 = simd(0x25);
const and128 = simd(0x4e);
const or128 = simd(0x50);
const bitmask8 = simd(0x64);

const i32Type = 0x7f;
const v128Type = 0x7b;

const lf = 0x0a;
const upperF = 0x46;
/** "rom " read as one little-endian i32. */
const romSpace = 0x206d6f72;

/** `(mask of the 16 octets at p + offset that equal byte)`, with p in local 0. */
const maskOf = (byte: number, offset: number): number[] => [...get(0), ...load128(offset), ...i32(byte), ...splat8, ...eq8, ...bitmask8];

/**
 * What `scanLine` and `nextFrom` write at `out` (the page after the buffer), i32s at these
 * offsets: for `scanLine` (see `LineBytes`) addresses, or -1 for none, and encodedWordStart 0
 * or 1; for `nextFrom` the number of LFs it went past.
 */
const outCr = 0;
const outControl = 4;
const outEightBit = 8;
const outEncodedWord = 12;
const outFirstColon = 16;
const outColonWsp = 20;
const outLfs = 24;
const outFields = 7;

/*
 * The loops the functions share, with the address `p` in local 0. The bodies never branch
 * out of them (they return, or go on).
 */

/** `for (; p + reach <= end; p += 16) body`: whole blocks of 16 octets, while `reach` octets are left (`end` in local `endLocal`). */
const blocksOf16 = (reach: number, endLocal: number, body: number[]): number[] => [
  ...block, ...loop,
  ...get(0), ...i32(reach), ...add, ...get(endLocal), ...gtU, ...brIf(1),
  ...body,
  ...get(0), ...i32(16), ...add, ...set(0),
  ...br(0), ...end, ...end,
];

/** `for (; p < end; p++) body`: the octets left after the blocks, one at a time. */
const octetsLeft = (endLocal: number, body: number[]): number[] => [
  ...block, ...loop,
  ...get(0), ...get(endLocal), ...geU, ...brIf(1),
  ...body,
  ...get(0), ...i32(1), ...add, ...set(0),
  ...br(0), ...end, ...end,
];

/** For each bit set in the block's mask (local `maskLocal`), lowest first: its octet's address in local `atLocal`, then `body`. */
const eachBit = (maskLocal: number, atLocal: number, body: number[]): number[] => [
  ...block, ...loop,
  ...get(maskLocal), ...eqz, ...brIf(1),
  ...get(0), ...get(maskLocal), ...ctz, ...add, ...set(atLocal),
  ...body,
  // Clear the lowest bit.
  ...get(maskLocal), ...get(maskLocal), ...i32(1), ...sub, ...and, ...set(maskLocal),
  ...br(0), ...end, ...end,
];

/**
 * 0: nextFrom(p, end, out), see `nextFromLine` (addresses in the memory), with the LFs before
 * the one it returns (or before `end`) counted at `out`: the body walk needs both, and a
 * second pass to count cost a third of the walk. Locals: 0 p, 1 end, 2 out, 3 candidates (LF
 * followed by "F"), 4 candidate address, 5 LF mask, 6 LFs so far, 7 the block's LF lanes.
 */
const foundAt = (address: number): number[] => [...get(2), ...get(6), ...store32(outLfs), ...get(address), ...ret];
const nextFrom = [
  ...vec([[4, i32Type], [1, v128Type]]),
  // While every LF in the block has five octets after it before `end`. The LF and "F" masks
  // are combined as vectors: a branch on the LF mask alone, taken for about a third of the
  // blocks at random, cost more than the second compare.
  ...blocksOf16(22, 1, [
    ...get(0), ...load128(0), ...i32(lf), ...splat8, ...eq8, ...set(7),
    ...get(7), ...bitmask8, ...set(5),
    ...get(7), ...get(0), ...load128(1), ...i32(upperF), ...splat8, ...eq8, ...and128, ...bitmask8, ...set(3),
    ...get(3), ...ifThen,
    ...eachBit(3, 4, [
      ...get(4), ...load32(2), ...i32(romSpace), ...eq, ...ifThen,
      // The block's LFs before this one.
      ...get(6), ...get(5), ...i32(1), ...get(4), ...get(0), ...sub, ...shl, ...i32(1), ...sub, ...and, ...popcnt, ...add, ...set(6),
      ...foundAt(4),
      ...end,
    ]),
    ...end,
    ...get(6), ...get(5), ...popcnt, ...add, ...set(6),
  ]),
  ...octetsLeft(1, [
    ...get(0), ...load8(0), ...i32(lf), ...eq, ...ifThen,
    ...get(0), ...i32(6), ...add, ...get(1), ...gtU, ...ifThen, ...foundAt(0), ...end,
    ...get(0), ...load8(1), ...i32(upperF), ...eq, ...ifThen,
    ...get(0), ...load32(2), ...i32(romSpace), ...eq, ...ifThen, ...foundAt(0), ...end,
    ...end,
    ...get(6), ...i32(1), ...add, ...set(6),
    ...end,
  ]),
  ...get(2), ...get(6), ...store32(outLfs),
  ...i32(-1),
  ...end,
];

/** 1: countLf(p, end), the LFs in [p, end). Locals: 0 p, 1 end, 2 count. */
const countLf = [
  ...vec([[1, i32Type]]),
  ...blocksOf16(16, 1, [...get(2), ...maskOf(lf, 0), ...popcnt, ...add, ...set(2)]),
  ...octetsLeft(1, [...get(2), ...get(0), ...load8(0), ...i32(lf), ...eq, ...add, ...set(2)]),
  ...get(2),
  ...end,
];

/** `if (out[field] < 0) out[field] = j`, with out in local 3 and j in local 0. */
const setFirst = (field: number): number[] => [...get(3), ...load32(field), ...i32(0), ...ltS, ...ifThen, ...get(3), ...get(0), ...store32(field), ...end];

/**
 * 2: event(j, start, len, out), the octet at j, which is not printable ASCII other than
 * "?" and ":", as `scanLineBytes` reads it: 1 for the LF that ends the line, else 0 once
 * `out` is updated. Locals: 0 j, 1 start, 2 len (where the bytes end), 3 out, 4 the octet,
 * 5 the octet after it.
 */
const event = [
  ...vec([[2, i32Type]]),
  ...get(0), ...load8(0), ...set(4),
  ...get(4), ...i32(lf), ...eq, ...ifThen, ...i32(1), ...ret, ...end,
  // ":": the first is the field's own; after it, the first followed by SP or HTAB.
  ...get(4), ...i32(0x3a), ...eq, ...ifThen,
  ...get(3), ...load32(outFirstColon), ...i32(0), ...ltS, ...ifThen, ...get(3), ...get(0), ...store32(outFirstColon), ...i32(0), ...ret, ...end,
  ...get(3), ...load32(outColonWsp), ...i32(0), ...ltS, ...ifThen,
  ...get(0), ...i32(1), ...add, ...get(2), ...ltU, ...ifThen,
  ...get(0), ...load8(1), ...set(5),
  ...get(5), ...i32(0x20), ...eq, ...get(5), ...i32(0x09), ...eq, ...or, ...ifThen, ...get(3), ...get(0), ...store32(outColonWsp), ...end,
  ...end,
  ...end,
  ...i32(0), ...ret,
  ...end,
  // "?" after "=": an encoded-word may start here.
  ...get(4), ...i32(0x3f), ...eq, ...ifThen,
  ...get(0), ...get(1), ...gtU, ...ifThen,
  ...get(0), ...i32(1), ...sub, ...load8(0), ...i32(0x3d), ...eq, ...ifThen, ...get(3), ...i32(1), ...store32(outEncodedWord), ...end,
  ...end,
  ...i32(0), ...ret,
  ...end,
  ...get(4), ...i32(0x80), ...geU, ...ifThen, ...setFirst(outEightBit), ...i32(0), ...ret, ...end,
  // A CR that no LF follows (the bytes' end counts as no LF).
  ...get(4), ...i32(0x0d), ...eq, ...ifThen,
  ...get(3), ...load32(outCr), ...i32(0), ...ltS, ...ifThen,
  ...get(0), ...i32(1), ...add, ...get(2), ...geU, ...get(0), ...load8(1), ...i32(lf), ...ne, ...or, ...ifThen, ...get(3), ...get(0), ...store32(outCr), ...end,
  ...end,
  ...i32(0), ...ret,
  ...end,
  ...get(4), ...i32(0x09), ...ne, ...ifThen, ...setFirst(outControl), ...end,
  ...i32(0),
  ...end,
];

/**
 * 3: scanLine(p, stop, len, out), see `scanLineBytes`: the LF's address or -1, the rest at
 * `out`. Locals: 0 p, 1 stop, 2 len, 3 out, 4 start, 5 mask (then an octet), 6 address,
 * 7 the 16 octets.
 */
const scanLine = [
  ...vec([[3, i32Type], [1, v128Type]]),
  ...get(0), ...set(4),
  ...[outCr, outControl, outEightBit, outEncodedWord, outFirstColon, outColonWsp].flatMap((field) => [...get(3), ...i32(field === outEncodedWord ? 0 : -1), ...store32(field)]),
  // The mask of the octets that are not printable ASCII or are "?" or ":" (signed, the
  // octets from 0x80 on are below 0x20 too; DEL is the one above).
  ...blocksOf16(16, 1, [
    ...get(0), ...load128(0), ...set(7),
    ...get(7), ...i32(0x20), ...splat8, ...ltS8,
    ...get(7), ...i32(0x7f), ...splat8, ...eq8, ...or128,
    ...get(7), ...i32(0x3f), ...splat8, ...eq8,
    ...get(7), ...i32(0x3a), ...splat8, ...eq8, ...or128, ...or128,
    ...bitmask8, ...set(5),
    ...eachBit(5, 6, [...get(6), ...get(4), ...get(2), ...get(3), ...call(2), ...ifThen, ...get(6), ...ret, ...end]),
  ]),
  ...octetsLeft(1, [
    ...get(0), ...load8(0), ...set(5),
    ...get(5), ...i32(0x20), ...sub, ...i32(0x5f), ...geU, ...get(5), ...i32(0x3f), ...eq, ...or, ...get(5), ...i32(0x3a), ...eq, ...or, ...ifThen,
    ...get(0), ...get(4), ...get(2), ...get(3), ...call(2), ...ifThen, ...get(0), ...ret, ...end,
    ...end,
  ]),
  ...i32(-1),
  ...end,
];

const moduleBytes = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  // Three function types: (i32, i32) -> i32, (i32 × 4) -> i32 and (i32 × 3) -> i32.
  ...section(1, vec([2, 4, 3].map((params) => [0x60, ...vec(Array.from({ length: params }, () => [i32Type])), ...vec([[i32Type]])]))),
  // The memory comes from `scanBuffer`: "search" "memory", at least one page.
  ...section(2, vec([[...name('search'), ...name('memory'), 0x02, 0x00, 1]])),
  ...section(3, vec([[2], [0], [1], [1]])),
  ...section(7, vec([[...name('nextFrom'), 0x00, 0], [...name('countLf'), 0x00, 1], [...name('scanLine'), 0x00, 3]])),
  // Each function's code: its size, then its locals and instructions.
  ...section(10, vec([nextFrom, countLf, event, scanLine].map((code) => [...uleb(code.length), ...code]))),
]);

/** What this file uses of the WebAssembly API (the project's type libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (limits: { initial: number }) => WasmMemory;
}

interface SearchExports {
  nextFrom(p: number, end: number, out: number): number;
  countLf(p: number, end: number): number;
  scanLine(p: number, stop: number, len: number, out: number): number;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function compile(): object | undefined {
  try {
    return new wasm.Module(moduleBytes);
  } catch {
    return undefined;
  }
}

/** The module, compiled by the first `scanBuffer` of the thread (null: it cannot be here). */
let compiled: object | null | undefined;
/** The module's memory (see `scanBuffer`), and the instance that reads it. */
let memory: WasmMemory | undefined;
let exports: SearchExports | undefined;
/** Where `scanLine` writes, as an address and as a view. */
let outAddress = 0;
let out: Int32Array | undefined;
