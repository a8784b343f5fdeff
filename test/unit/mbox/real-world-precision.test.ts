import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ci } from '../../harness/ci.js';
import {
  EXPECTATIONS,
  compareWithExpectations,
  describeFinding,
  lintFiles,
  parseExpectations,
  precisionOf,
  realWorldDir,
  realWorldFiles,
} from '../../harness/lint-corpus.mjs';

// Precision of lint-mbox on mail nobody on the project wrote: every error-level finding on
// the shared real-world corpus is listed in fixtures/expectations/real-world.tsv with a
// person's judgement (real or false alarm, and why). A finding that is not listed fails until
// it is judged; a listed one that stops firing fails until the list is regenerated, so that
// a fixed false alarm (or a lost true finding) shows as a change to that file.
const dir = realWorldDir();
const present = existsSync(dir);
if (!present && !ci) console.warn(`skipping the real-world precision test: ${dir} is absent (set SMTPDBG_CORPORA to the folder holding real-world/)`);

const regenerate = 'after reading them: npm run build && node bench/lint-corpus.mjs --write-expectations (new findings come in as unjudged)';

describe.skipIf(!present && !ci)('lint-mbox precision on the real-world corpus', () => {
  const rows = parseExpectations(readFileSync(EXPECTATIONS.realWorld, 'utf8'));

  it('every error-level finding is listed and judged, and every listed finding still fires', () => {
    expect(present, `${dir} is absent`).toBe(true);
    const findings = lintFiles(dir, realWorldFiles(dir), { minSeverity: 'error' });
    const files = new Map<string, Buffer>();
    const bytesOf = (file: string) => files.get(file) ?? files.set(file, readFileSync(join(dir, file))).get(file)!;
    const { unlisted, gone, unjudged } = compareWithExpectations(findings, rows);
    const problems = [
      ...unlisted.map((f) => `new finding, not judged: ${describeFinding(f, bytesOf(f.file))}`),
      ...gone.map((r) => `listed finding no longer fires: ${r.file}:${r.message}:${r.line} ${r.rule} (real-world.tsv line ${r.at}, judged ${r.judgement}: ${r.reason})`),
      ...unjudged.map((r) => `unjudged: ${r.file}:${r.message}:${r.line} ${r.rule} — ${r.text} (real-world.tsv line ${r.at}): judge it real or false-alarm and write why`),
    ];
    expect(problems, `${problems.length} differences from real-world.tsv; ${regenerate}`).toEqual([]);
    expect(findings.length).toBe(rows.length);
  }, 120_000);

  it('every judgement gives its reason', () => {
    const silent = rows.filter((r) => r.judgement !== 'unjudged' && r.reason.trim().length < 10);
    expect(silent.map((r) => `real-world.tsv line ${r.at}: ${r.file}:${r.line} ${r.rule}`)).toEqual([]);
    // The figure the README quotes comes from these rows: judged ones only.
    const p = precisionOf(rows);
    expect(p.real + p.falseAlarms + p.unjudged).toBe(rows.length);
  });
});
