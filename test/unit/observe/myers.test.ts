import { describe, expect, it } from 'vitest';
import { diffSequences, type EditRun } from '../../../src/observe/myers.js';

function diff(a: string, b: string, maxEdits = 1000): EditRun[] | undefined {
  return diffSequences(a.length, b.length, (i, j) => a[i] === b[j], maxEdits);
}

/** Applies the script to a: it must give b, and its edits must be as few as the distance. */
function apply(a: string, b: string, runs: EditRun[]): { result: string; edits: number } {
  let result = '';
  let edits = 0;
  let a0 = 0;
  let b0 = 0;
  for (const run of runs) {
    expect(run.aStart).toBe(a0);
    expect(run.bStart).toBe(b0);
    if (run.op === 'equal') {
      expect(a.slice(run.aStart, run.aEnd)).toBe(b.slice(run.bStart, run.bEnd));
      result += a.slice(run.aStart, run.aEnd);
    } else if (run.op === 'insert') {
      result += b.slice(run.bStart, run.bEnd);
      edits += run.bEnd - run.bStart;
    } else edits += run.aEnd - run.aStart;
    a0 = run.aEnd;
    b0 = run.bEnd;
  }
  expect(a0).toBe(a.length);
  expect(b0).toBe(b.length);
  return { result, edits };
}

/** The edit distance (insertions and deletions only), by dynamic programming. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diag : Math.min(row[j]!, row[j - 1]!) + 1;
      diag = up;
    }
  }
  return row[b.length]!;
}

describe('diffSequences', () => {
  it.each([
    ['', ''],
    ['abc', 'abc'],
    ['', 'abc'],
    ['abc', ''],
    ['Date: x\rFrom: y\r', 'Date: x From: y\n'],
    ['a\r\nb\r\n', 'a\nb\n'],
    ['abcabba', 'cbabac'],
  ])('turns %j into %j with the fewest edits', (a, b) => {
    const runs = diff(a, b)!;
    const { result, edits } = apply(a, b, runs);
    expect(result).toBe(b);
    expect(edits).toBe(distance(a, b));
  });

  it('is minimal on random inputs', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 300; round++) {
      const make = () => Array.from({ length: Math.floor(random() * 30) }, () => 'ab\r\n '[Math.floor(random() * 5)]).join('');
      const a = make();
      const b = random() < 0.5 ? make() : a.replace(/\r/g, ' ');
      const { result, edits } = apply(a, b, diff(a, b)!);
      expect(result).toBe(b);
      expect(edits).toBe(distance(a, b));
    }
  });

  it('gives up beyond the edit bound instead of working without end', () => {
    expect(diff('a'.repeat(50), 'b'.repeat(50), 10)).toBeUndefined();
    expect(diff('a'.repeat(50), 'a'.repeat(45), 10)).toBeDefined();
  });
});
