import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rangeBytesFor, sampleMessagesPerMiB, worthSplitting } from '../../../src/lint/range-threads.js';

const MiB = 1 << 20;
const tmp = mkdtempSync(join(tmpdir(), 'smtpdbg-range-threads-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The tests that force small ranges set this; the sizes below are about the real thresholds.
let forced: string | undefined;
beforeEach(() => {
  forced = process.env.SMTPDBG_LINT_RANGE_BYTES;
  delete process.env.SMTPDBG_LINT_RANGE_BYTES;
});
afterEach(() => {
  if (forced !== undefined) process.env.SMTPDBG_LINT_RANGE_BYTES = forced;
  else delete process.env.SMTPDBG_LINT_RANGE_BYTES;
});

describe('which files the worker threads take', () => {

  const notAsked = (): number => {
    throw new Error('the messages per MiB were asked for');
  };

  it('files of 256 MiB or more, whatever they hold, without sampling them', () => {
    expect(worthSplitting(256 * MiB, 2, notAsked)).toBe(true);
    expect(worthSplitting(4096 * MiB, 4, notAsked)).toBe(true);
  });

  it('from 192 MiB, files of small messages (100 or more per MiB) and not files of big ones', () => {
    expect(worthSplitting(192 * MiB, 2, () => 100)).toBe(true);
    expect(worthSplitting(255 * MiB, 2, () => 350)).toBe(true);
    expect(worthSplitting(255 * MiB, 2, () => 99)).toBe(false);
    expect(worthSplitting(210 * MiB, 2, () => 14)).toBe(false);
  });

  it('smaller files, and one worker, never (and nothing is sampled)', () => {
    expect(worthSplitting(192 * MiB - 1, 2, notAsked)).toBe(false);
    expect(worthSplitting(128 * MiB, 4, notAsked)).toBe(false);
    expect(worthSplitting(1024 * MiB, 1, notAsked)).toBe(false);
  });
});

describe('the size of the ranges', () => {
  it('3 MiB for the files the workers take, 1 MiB at least, a sixteenth of a worker\'s share between', () => {
    expect(rangeBytesFor(512 * MiB, 2)).toBe(3 * MiB);
    expect(rangeBytesFor(4096 * MiB, 4)).toBe(3 * MiB);
    expect(rangeBytesFor(64 * MiB, 2)).toBe(2 * MiB);
    expect(rangeBytesFor(8 * MiB, 4)).toBe(MiB);
  });

  it('what SMTPDBG_LINT_RANGE_BYTES says, for the tests that need many small ranges', () => {
    process.env.SMTPDBG_LINT_RANGE_BYTES = '4096';
    expect(rangeBytesFor(512 * MiB, 2)).toBe(4096);
  });
});

describe('messages per MiB, sampled', () => {
  const message = (body: string): string => `From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: s\n\n${body}\n\n`;
  const write = (name: string, text: string): { path: string; size: number } => {
    const path = join(tmp, name);
    writeFileSync(path, text, 'latin1');
    return { path, size: statSync(path).size };
  };

  it('a file of 1 KB messages holds about a thousand per MiB', () => {
    const one = message('x'.repeat(900));
    const { path, size } = write('small.mbox', one.repeat(Math.ceil((2 * MiB) / one.length)));
    const rate = sampleMessagesPerMiB(path, size);
    expect(rate).toBeGreaterThan(900);
    expect(rate).toBeLessThan(1200);
  });

  it('a file of 1 MB messages holds about one per MiB', () => {
    const body = `${'y'.repeat(75)}\n`.repeat(13_000);
    const { path, size } = write('big.mbox', message(body).repeat(3));
    expect(sampleMessagesPerMiB(path, size)).toBeLessThan(10);
  });

  it('a file smaller than one window is its own sample', () => {
    const { path, size } = write('tiny.mbox', message('z'));
    expect(sampleMessagesPerMiB(path, size)).toBeGreaterThan(1000);
  });

  it('an empty file, or one that cannot be read, holds none', () => {
    const { path, size } = write('empty.mbox', '');
    expect(sampleMessagesPerMiB(path, size)).toBe(0);
    expect(sampleMessagesPerMiB(join(tmp, 'missing.mbox'), 300 * MiB)).toBe(0);
  });
});
