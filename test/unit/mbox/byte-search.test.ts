import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inModule, lfCount, lfsSearched, nextFromLine, scanBuffer, scanBufferBytes, scanLineInModule } from '../../../src/mbox/byte-search.js';
import { LineBytes, scanLineBytes } from '../../../src/mbox/rules/header-bytes.js';
import { MboxScanner, type Finding } from '../../../src/mbox/index.js';
import { sniff } from '../../../src/mbox/sniff.js';
import { allFixtureFiles, prng } from './helpers.js';

/** `bytes` copied into the search module's memory, at `offset` in it. */
function inModuleMemory(bytes: Uint8Array, offset = 0): Buffer {
  const region = scanBuffer(offset + bytes.length)!;
  const copy = region.subarray(offset, offset + bytes.length);
  copy.set(bytes);
  return copy;
}

/** Random bytes drawn mostly from what the searches look for. */
function randomBytes(rand: () => number, length: number): Buffer {
  const pieces = ['\n', 'From ', '\nFrom ', 'F', 'Fro', '\r\n', '\r', ':', ': ', ':\t', '=?', '?', '=', ' ', '\t', 'abc', 'Subject', '\x00', '\x1f', '\x7f', '\x80', '\xe9', '\xff'];
  const parts: Buffer[] = [];
  let n = 0;
  while (n < length) {
    const part = Buffer.from(pieces[Math.floor(rand() * pieces.length)]!, 'latin1');
    parts.push(part);
    n += part.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

const lineBytesOf = (nl: number, found: LineBytes) => ({ nl, ...found });

describe('the byte searches of the body walk and the header lines', () => {
  it('run in the WebAssembly module here (Node 20 on x86-64 has its SIMD)', () => {
    const buf = scanBuffer(1000);
    expect(buf).toBeDefined();
    expect(inModule(buf!)).toBe(true);
    expect(inModule(Buffer.alloc(1000))).toBe(false);
  });

  it('hand out at most the 8 MiB of the module memory (a range worker reads longer ranges in chunks elsewhere), always the same memory', () => {
    expect(scanBufferBytes).toBe(8 << 20);
    const whole = scanBuffer(scanBufferBytes)!;
    expect(whole.length).toBe(scanBufferBytes);
    expect(scanBuffer(scanBufferBytes + 1)).toBeUndefined();
    expect(scanBuffer(10)!.buffer).toBe(whole.buffer);
  });

  it('find the same "\\nFrom " lines and count the same LFs (those passed on the way too) in the module as in JavaScript, from every offset', () => {
    const rand = prng(7);
    for (let round = 0; round < 300; round++) {
      const plain = randomBytes(rand, Math.floor(rand() * 120));
      const moduled = inModuleMemory(plain, round % 17);
      for (let from = 0; from <= plain.length; from++) {
        const at = nextFromLine(plain, from, false);
        const passed = lfsSearched();
        expect(nextFromLine(moduled, from, true), `round ${round} from ${from}`).toBe(at);
        // The LFs before the one found (or before the end), counted on the way.
        const naive = [...plain.subarray(from, at < 0 ? plain.length : at)].filter((b) => b === 10).length;
        expect([lfsSearched(), passed], `round ${round} from ${from}: LFs passed`).toEqual([naive, naive]);
        const to = from + Math.floor(rand() * (plain.length - from + 8));
        expect(lfCount(moduled, from, to, true), `round ${round} [${from}, ${to})`).toBe(lfCount(plain, from, to, false));
      }
    }
  });

  it('a "\\nFrom " near the end of the bytes: found while five octets follow the LF, else the LF is handed back to wait for more', () => {
    for (const [text, at] of [
      ['abc\nFrom x', 3],
      ['abc\nFrom ', 3],
      ['abc\nFrom', 3],
      ['abc\nFrox ', -1],
      ['abc\nFrox', 3],
      [`${'a'.repeat(40)}\nFrom x${'b'.repeat(40)}`, 40],
      [`${'a\n'.repeat(30)}From `, 59],
      [`${'a\n'.repeat(30)}Frxm `, -1],
    ] as const) {
      const plain = Buffer.from(text, 'latin1');
      expect(nextFromLine(plain, 0, false), text).toBe(at);
      expect(nextFromLine(inModuleMemory(plain, 5), 0, true), text).toBe(at);
    }
  });

  it('read a header line as scanLineBytes does: its LF, first colon, the colon before white space, CR, control, 8-bit and "=?"', () => {
    const rand = prng(11);
    const plainFound = new LineBytes();
    const moduleFound = new LineBytes();
    for (let round = 0; round < 400; round++) {
      const plain = randomBytes(rand, 1 + Math.floor(rand() * 90));
      const moduled = inModuleMemory(plain, round % 13);
      for (let start = 0; start < plain.length; start += 1 + Math.floor(rand() * 4)) {
        // Up to the end of the bytes, or short of it (the scanner stops at the kept length).
        const stop = rand() < 0.5 ? plain.length : start + Math.floor(rand() * (plain.length - start));
        const expected = lineBytesOf(scanLineBytes(plain, start, stop, plainFound), plainFound);
        expect(lineBytesOf(scanLineInModule(moduled, start, stop, moduleFound), moduleFound), `round ${round} [${start}, ${stop})`).toEqual(expected);
      }
    }
  });

  it('a line with each kind of octet, as an example', () => {
    const line = Buffer.from('Subject: a\x01b\xe9c=?x: y\rz\r\nnext', 'latin1');
    const found = new LineBytes();
    const nl = scanLineInModule(inModuleMemory(line), 0, line.length, found);
    expect(nl).toBe(line.indexOf('\n'));
    expect(found).toEqual({ cr: line.indexOf('\rz'), control: 10, eightBit: 12, encodedWordStart: true, firstColon: 7, colonWsp: 17 });
  });
});

/** The findings of an mbox scanned as one range (as a range worker does) from `bytes`. */
function scanRange(bytes: Buffer): Finding[] {
  const findings: Finding[] = [];
  const scanner = new MboxScanner({
    file: 'f',
    framing: true,
    isEnabled: () => true,
    origins: false,
    range: { start: 0, startAfterBlank: false, stopAt: undefined, sniffed: sniff(bytes), full: () => false },
    onMessage: (_info, found) => findings.push(...found),
  });
  scanner.push(bytes);
  scanner.end();
  return findings;
}

describe('an mbox read into the module memory is linted as one anywhere else', () => {
  it.each(allFixtureFiles().map((p) => [basename(p), p]))('%s', (_name, path) => {
    const bytes = readFileSync(path);
    const expected = scanRange(Buffer.from(bytes));
    expect(scanRange(inModuleMemory(bytes, 3))).toEqual(expected);
  });

  it('random messages with header lines of every kind of octet and "From " lines in their bodies', () => {
    const rand = prng(3);
    for (let round = 0; round < 60; round++) {
      const messages: string[] = [];
      for (let m = 0; m < 1 + Math.floor(rand() * 6); m++) {
        const header = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => `X-${Math.floor(rand() * 9)}: ${randomBytes(rand, Math.floor(rand() * 40)).toString('latin1').replace(/\n/g, ' ')}`);
        const body = randomBytes(rand, Math.floor(rand() * 200)).toString('latin1');
        messages.push(`From a@b Mon Jan  1 00:00:00 2024\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nFrom: a@b\n${header.join('\n')}\n\n${body}\n`);
      }
      const bytes = Buffer.from(messages.join('\n'), 'latin1');
      expect(scanRange(inModuleMemory(bytes)), `round ${round}`).toEqual(scanRange(Buffer.from(bytes)));
    }
  });
});
