/**
 * A small reader of DER (ITU-T X.690 §8 and §10), enough for the structures smtpdbg reads
 * that Node does not parse: OCSP responses (RFC 6960) and the signature algorithm of a
 * certificate (RFC 5280 §4.1.1.2). Sans-I/O: bytes in, values out. Every length is checked
 * against the bytes there are, so a hostile or truncated input is an Asn1Error, never an
 * out-of-range read or a hang.
 */

export class Asn1Error extends Error {}

export interface Asn1Node {
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  /** Tag number (only single-byte tag numbers, < 31, occur in the structures read here). */
  tag: number;
  /** The whole encoding: identifier, length and contents (what a signature or hash covers). */
  der: Buffer;
  /** The contents octets. */
  contents: Buffer;
}

export const Tag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  enumerated: 10,
  sequence: 16,
  set: 17,
  generalizedTime: 24,
} as const;

/** The element that starts at `offset` of `bytes`. */
export function readNode(bytes: Buffer, offset = 0): Asn1Node {
  if (offset + 2 > bytes.length) throw new Asn1Error(`truncated at byte ${offset}`);
  const first = bytes[offset]!;
  const tag = first & 0x1f;
  if (tag === 0x1f) throw new Asn1Error(`multi-byte tag at byte ${offset}`);
  let lengthByte = bytes[offset + 1]!;
  let length: number;
  let header = 2;
  if (lengthByte < 0x80) length = lengthByte;
  else {
    // X.690 §10.1: DER uses the definite form, in the fewest octets; 4 octets are plenty here.
    lengthByte &= 0x7f;
    if (lengthByte === 0 || lengthByte > 4) throw new Asn1Error(`unsupported length form at byte ${offset}`);
    if (offset + 2 + lengthByte > bytes.length) throw new Asn1Error(`truncated length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < lengthByte; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += lengthByte;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new Asn1Error(`element at byte ${offset} claims ${length} bytes, ${bytes.length - offset - header} remain`);
  return {
    tagClass: first >> 6,
    constructed: (first & 0x20) !== 0,
    tag,
    der: bytes.subarray(offset, end),
    contents: bytes.subarray(offset + header, end),
  };
}

/** The one element that must fill `bytes` entirely. */
export function parseDer(bytes: Buffer): Asn1Node {
  const node = readNode(bytes);
  if (node.der.length !== bytes.length) throw new Asn1Error(`${bytes.length - node.der.length} bytes after the end of the structure`);
  return node;
}

/** The elements inside a constructed one, in order. */
export function children(node: Asn1Node): Asn1Node[] {
  if (!node.constructed) throw new Asn1Error('expected a constructed element');
  const out: Asn1Node[] = [];
  for (let offset = 0; offset < node.contents.length;) {
    const child = readNode(node.contents, offset);
    out.push(child);
    offset += child.der.length;
  }
  return out;
}

const names: Record<number, string> = { 1: 'BOOLEAN', 2: 'INTEGER', 3: 'BIT STRING', 4: 'OCTET STRING', 5: 'NULL', 6: 'OBJECT IDENTIFIER', 10: 'ENUMERATED', 16: 'SEQUENCE', 24: 'GeneralizedTime' };

/** `node` must be the universal type `tag`: returned as it is. */
export function expectUniversal(node: Asn1Node | undefined, tag: number, what: string): Asn1Node {
  if (!node) throw new Asn1Error(`${what} is missing`);
  if (node.tagClass !== 0 || node.tag !== tag) throw new Asn1Error(`${what}: expected ${names[tag] ?? `tag ${tag}`}, found class ${node.tagClass} tag ${node.tag}`);
  return node;
}

/** Whether `node` is the context-specific tag [n]. */
export const isContext = (node: Asn1Node | undefined, n: number): node is Asn1Node => node !== undefined && node.tagClass === 2 && node.tag === n;

/** Dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function readOid(node: Asn1Node): string {
  const bytes = node.contents;
  if (bytes.length === 0) throw new Asn1Error('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new Asn1Error('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) throw new Asn1Error('truncated OBJECT IDENTIFIER');
  return arcs.join('.');
}

/** An INTEGER as upper-case hex without leading zero octets, as Node prints serial numbers. */
export function readIntegerHex(node: Asn1Node): string {
  let bytes = node.contents;
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.toString('hex').toUpperCase();
}

/** A small INTEGER or ENUMERATED value. */
export function readSmallInteger(node: Asn1Node): number {
  if (node.contents.length === 0 || node.contents.length > 4) throw new Asn1Error('integer out of range');
  return node.contents.readIntBE(0, node.contents.length);
}

/** GeneralizedTime "YYYYMMDDHHMMSS[.fff]Z" (RFC 5280 §4.1.2.5.2) as an ISO 8601 string. */
export function readGeneralizedTime(node: Asn1Node): string {
  const text = node.contents.toString('latin1');
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(text);
  if (!match) throw new Asn1Error(`GeneralizedTime ${JSON.stringify(text)} is not in the UTC form DER requires`);
  const [, y, mo, d, h, mi, s, fraction] = match;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ? fraction.slice(0, 4) : ''}Z`);
  if (Number.isNaN(date.getTime())) throw new Asn1Error(`GeneralizedTime ${JSON.stringify(text)} is not a valid date`);
  return date.toISOString();
}

/** A BIT STRING's bits, without its leading unused-bits octet (X.690 §8.6.2). */
export function readBitString(node: Asn1Node): Buffer {
  if (node.contents.length === 0) throw new Asn1Error('empty BIT STRING');
  return node.contents.subarray(1);
}
