import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintChunks, type Finding, type RuleSelection } from '../../../src/mbox/index.js';

export const fixturesDir = join(import.meta.dirname, '../../../fixtures/mbox');
export const rulesDir = join(fixturesDir, 'rules');
export const archivesDir = join(fixturesDir, 'archives');

/** What each archive fixture must give, exactly (see fixtures/mbox/make-archive-fixtures.mjs). */
export interface ExpectedFinding {
  message: number;
  rule: string;
  severity: string;
  line: number;
  offset: number;
}
export const archiveExpected: Record<string, ExpectedFinding[]> = JSON.parse(readFileSync(join(archivesDir, 'expected.json'), 'utf8'));

export const expected: Record<string, { message: number; line: number; offset: number }> = JSON.parse(
  readFileSync(join(rulesDir, 'expected.json'), 'utf8'),
);

/** Rules that are off by default are selected explicitly for their own fixtures. */
export const selectionFor = (rule: string): RuleSelection => (rule === 'line-over-78' ? { only: [rule] } : {});

export const readFixture = (name: string): Buffer => readFileSync(join(rulesDir, name));

export const allFixtureFiles = (): string[] => [
  join(fixturesDir, 'notspam'),
  ...[rulesDir, archivesDir].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.mbox'))
      .sort()
      .map((f) => join(dir, f)),
  ),
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

/**
 * An mbox of `messages` messages with long lines of every kind a scanner treats apart, at
 * random lengths around `lineKeepBytes` (64 KiB) and far past it: unescaped "From " lines
 * in bodies, long header fields, long body lines, and a long From_ line without a date
 * after an empty line. Deterministic for a seed.
 */
export function longLineMbox(seed: number, messages: number): Buffer {
  const rand = prng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const long = () => [100, 60_000, 65_530, 65_536, 65_541, 70_000, 130_000, 200_000][pick(8)]! + pick(50);
  const parts: string[] = [];
  for (let n = 1; n <= messages; n++) {
    const eol = rand() < 0.2 ? '\r\n' : '\n';
    const header = [`Date: Fri, 8 Sep 2017 13:44:${String(n % 60).padStart(2, '0')} -0400`, 'From: Alice <alice@example.org>', `Message-ID: <${n}@example.org>`];
    if (rand() < 0.3) header.push(`X-Long: ${'h'.repeat(long())}`);
    const body = ['Hello.'];
    for (let k = pick(4); k > 0; k--) {
      const kind = pick(3);
      if (kind === 0) body.push(`From ${'f'.repeat(long())}`);
      else if (kind === 1) body.push('b'.repeat(long()));
      else body.push('', `From ${'d'.repeat(long())}`, 'X-Next: field');
      body.push('filler '.repeat(pick(2000)));
    }
    parts.push(`From alice@example.org Fri Sep  8 17:44:32 2017${eol}${[...header, '', ...body].join(eol)}${eol}${eol}`);
  }
  return Buffer.from(parts.join(''), 'latin1');
}
