import { describe, expect, it } from 'vitest';
import { lintChunks, lintMbox } from '../../../src/mbox/index.js';
import { cut, longLineMbox, prng } from './helpers.js';

describe('long lines: the same findings and lengths wherever the chunks are cut', () => {
  it('a 200,000-octet unescaped "From " line is reported with its whole length when its end comes in a later chunk', () => {
    const head = 'From a@example.org Fri Sep  8 17:44:32 2017\nDate: Fri, 8 Sep 2017 13:44:32 -0400\nFrom: a@example.org\nMessage-ID: <1@x>\n\nline\n';
    const bytes = Buffer.from(`${head}From ${'x'.repeat(199_995)}\nafter\n`, 'latin1');
    // A small sniff window and 64 KiB chunks, as a file is read: the line spans four chunks.
    const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, i) => bytes.subarray(i * 65_536, (i + 1) * 65_536));
    const [finding] = lintChunks(chunks, 'f', { sniffBytes: 16 }).findings;
    expect(finding).toMatchObject({ rule: 'unescaped-from', message: 1, line: 7, offset: head.length });
    expect(finding!.text).toMatch(/… \(200000 octets\)$/);
    // The next line is still counted: a finding after it has the right line number.
    const next = Buffer.concat([bytes, Buffer.from('From here\n', 'latin1')]);
    expect(lintChunks([next.subarray(0, 70_000), next.subarray(70_000)], 'f', { sniffBytes: 16 }).findings.map((f) => f.line)).toEqual([7, 9]);
  });

  it.each([1, 2, 3, 4, 5, 6])('random long lines (seed %i), cut at random points, give the findings of one piece', (seed) => {
    const bytes = longLineMbox(seed, 12);
    const whole = lintMbox(bytes, 'f').findings;
    expect(whole.length).toBeGreaterThan(0);
    const rand = prng(seed * 7919);
    for (let round = 0; round < 4; round++) {
      const points = Array.from({ length: 2 + Math.floor(rand() * 40) }, () => Math.floor(rand() * bytes.length)).sort((a, b) => a - b);
      expect(lintChunks(cut(bytes, points), 'f', { sniffBytes: 1 + Math.floor(rand() * 5000) }).findings, `cut at ${points.join(',')}`).toEqual(whole);
    }
  });
});
