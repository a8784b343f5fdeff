import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintChunks, lintMbox, MboxScanner, type Finding } from '../../../src/mbox/index.js';
import { allFixtureFiles, prng } from './helpers.js';

const from = 'From a@example.org Fri Sep  8 17:44:32 2017\n';

/** Feeds `total` bytes of `fill` after `prefix` in 1 MiB pieces without holding them all. */
function lintGenerated(prefix: string, fill: number, total: number, suffix = ''): Finding[] {
  const findings: Finding[] = [];
  const scanner = new MboxScanner({ file: 'gen', framing: true, isEnabled: () => true, onMessage: (_m, f) => findings.push(...f) });
  scanner.push(Buffer.from(prefix, 'latin1'));
  const piece = Buffer.alloc(1 << 20, fill);
  for (let sent = 0; sent < total; sent += piece.length) scanner.push(piece.subarray(0, Math.min(piece.length, total - sent)));
  scanner.push(Buffer.from(suffix, 'latin1'));
  scanner.end();
  return findings;
}

describe('hostile input never crashes or hangs', () => {
  it('a 100 MB header line is measured, reported once and not kept', () => {
    const before = process.memoryUsage().rss;
    const findings = lintGenerated(`${from}X-Huge: `, 0x61, 100e6, '\nDate: x\n\nbody\n');
    const long = findings.filter((f) => f.rule === 'line-too-long');
    expect(long).toHaveLength(1);
    expect(long[0]!.detail).toContain(`${100e6 + 8} octets`);
    expect(findings.map((f) => f.rule)).toContain('date-invalid');
    expect(process.memoryUsage().rss - before).toBeLessThan(64e6);
  });

  it('a 100 MB body line is skipped', () => {
    const findings = lintGenerated(`${from}Date: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nMessage-ID: <1@x>\n\n`, 0x62, 100e6, `\n\n${from}Date: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nMessage-ID: <2@x>\n\nok\n`);
    expect(findings).toEqual([]);
  });

  it('a file that is all header (no empty line, 20 MB of fields)', () => {
    const line = 'X-Field: value\n';
    const findings = lintGenerated(from, 0, 0, line.repeat(20e6 / line.length));
    expect(findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['missing-date', 'no-body-separator']));
  });

  it('NULs and random binary', () => {
    for (const bytes of [Buffer.alloc(100_000), randomBytes(300_000), Buffer.concat([Buffer.from(from), randomBytes(100_000)])]) {
      expect(() => lintMbox(bytes)).not.toThrow();
      expect(() => lintChunks([bytes.subarray(0, 777), bytes.subarray(777)], 'f', { sniffBytes: 10 })).not.toThrow();
    }
    const nuls = lintMbox(Buffer.from(`${from}Subject: a\0b\n\n`)).findings;
    expect(nuls.map((f) => f.rule)).toContain('control-char');
    expect(nuls.find((f) => f.rule === 'control-char')!.text).toContain('␀');
  });

  it('empty input has no messages and no findings', () => {
    expect(lintMbox(Buffer.alloc(0))).toMatchObject({ findings: [], messages: [] });
  });

  it('every truncation of every fixture lints without throwing', () => {
    for (const path of allFixtureFiles()) {
      const bytes = readFileSync(path);
      for (let n = 0; n < bytes.length; n++) expect(() => lintMbox(bytes.subarray(0, n))).not.toThrow();
    }
  });

  it('mutated fixtures (flipped, inserted, deleted bytes) never throw', () => {
    const rand = prng(4);
    const specials = [0x0d, 0x0a, 0x00, 0x20, 0x3a, 0x46, 0x3e, 0xff, 0x09, 0x3d, 0x3f];
    for (const path of allFixtureFiles()) {
      const original = readFileSync(path);
      for (let round = 0; round < 30; round++) {
        const bytes = Array.from(original);
        for (let k = 0; k < 1 + rand() * 8; k++) {
          const at = Math.floor(rand() * bytes.length);
          const b = rand() < 0.7 ? specials[Math.floor(rand() * specials.length)]! : Math.floor(rand() * 256);
          const op = rand();
          if (op < 0.4) bytes[at] = b;
          else if (op < 0.7) bytes.splice(at, 0, b);
          else bytes.splice(at, 1);
        }
        const mutated = Buffer.from(bytes);
        expect(() => lintMbox(mutated)).not.toThrow();
        expect(() => lintChunks([mutated.subarray(0, 50), mutated.subarray(50)], 'f', { sniffBytes: 8 })).not.toThrow();
      }
    }
  });
});
