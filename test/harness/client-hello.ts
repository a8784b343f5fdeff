import { expect } from 'vitest';

/**
 * Asserts that `bytes` (what a server received after its 220 to STARTTLS) are exactly one TLS
 * record of type 22 (handshake), version 3.x, whose length covers the rest, holding a
 * ClientHello (handshake type 1) that names `servername` in its SNI: a real ClientHello from
 * the TLS stack, not a stub.
 */
export function expectOneClientHello(bytes: Buffer, servername: string): void {
  expect(bytes[0]).toBe(0x16);
  expect(bytes[1]).toBe(0x03);
  expect(bytes.readUInt16BE(3) + 5).toBe(bytes.length);
  expect(bytes[5]).toBe(0x01);
  expect(bytes.includes(Buffer.from(servername))).toBe(true);
}

/** What the client sent after `STARTTLS\r\n`. */
export function afterStartTls(received: Buffer): Buffer {
  return received.subarray(received.indexOf('STARTTLS\r\n') + 'STARTTLS\r\n'.length);
}
