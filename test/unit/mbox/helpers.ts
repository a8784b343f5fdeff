import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintChunks, type Finding, type RuleSelection } from '../../../src/mbox/index.js';

export const fixturesDir = join(import.meta.dirname, '../../../fixtures/mbox');
export const rulesDir = join(fixturesDir, 'rules');

export const expected: Record<string, { message: number; line: number; offset: number }> = JSON.parse(
  readFileSync(join(rulesDir, 'expected.json'), 'utf8'),
);

/** Rules that are off by default are selected explicitly for their own fixtures. */
export const selectionFor = (rule: string): RuleSelection => (rule === 'line-over-78' ? { only: [rule] } : {});

export const readFixture = (name: string): Buffer => readFileSync(join(rulesDir, name));

export const allFixtureFiles = (): string[] => [
  join(fixturesDir, 'notspam'),
  ...readdirSync(rulesDir)
    .filter((f) => f.endsWith('.mbox'))
    .sort()
    .map((f) => join(rulesDir, f)),
];

/** The input cut into pieces at the given offsets. */
export function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const a of at) {
    pieces.push(bytes.subarray(prev, a));
    prev = a;
  }
  pieces.push(bytes.subarray(prev));
  return pieces;
}

export const lintPieces = (pieces: Iterable<Uint8Array>, selection: RuleSelection = {}): Finding[] => lintChunks(pieces, 'f', selection).findings;

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
