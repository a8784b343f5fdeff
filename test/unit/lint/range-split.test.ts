import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lintChunks, selectRules, type Finding } from '../../../src/mbox/index.js';
import { RangeCutter, type FileRange } from '../../../src/lint/range-split.js';
import { RangeEnd, MboxScanner } from '../../../src/mbox/scanner.js';
import { sniff } from '../../../src/mbox/sniff.js';
import { allFixtureFiles } from '../mbox/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'smtpdbg-ranges-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function rangesOf(text: string | Buffer, rangeBytes: number): FileRange[] {
  const path = join(tmp, 'f.mbox');
  writeFileSync(path, text);
  const fd = openSync(path, 'r');
  try {
    return splitIntoRanges(fd, Buffer.byteLength(text), rangeBytes);
  } finally {
    closeSync(fd);
  }
}

/** Every range of the file, cut one at a time as the pool does. */
function splitIntoRanges(fd: number, size: number, rangeBytes: number): FileRange[] {
  const cutter = new RangeCutter(fd, size, rangeBytes);
  const ranges: FileRange[] = [];
  for (let range = cutter.next(); range; range = cutter.next()) {
    ranges.push(range);
    expect(cutter.done).toBe(range.end === size);
  }
  return ranges;
}

const message = (from: string, body = 'body\n') => `${from}\nSubject: s\n\n${body}\n`;

describe('RangeCutter', () => {
  it('cuts only at From_ lines with a date, after a LF, each range reading through the next From_ line', () => {
    const text = message('From a@b Mon Jan  1 00:00:00 2024', 'From the start of a sentence\n'.repeat(3)) + message('From c@d Tue Jan  2 00:00:00 2024') + message('From e@f Wed Jan  3 00:00:00 2024');
    const second = text.indexOf('From c@d');
    const third = text.indexOf('From e@f');
    const ranges = rangesOf(text, 10);
    expect(ranges.map((r) => r.start)).toEqual([0, second, third]);
    expect(ranges[0]).toEqual({ start: 0, end: second, readEnd: text.indexOf('\n', second) + 1, startAfterBlank: false });
    expect(ranges[1]!.startAfterBlank).toBe(true);
    expect(ranges.at(-1)!.end).toBe(text.length);
    expect(ranges.at(-1)!.readEnd).toBe(text.length);
  });

  it('a From_ line straddling the 64 KiB read window is still found; one without an empty line before it says so', () => {
    // The search for a boundary after byte 1000 reads [997, 997 + 65536): put one across its end.
    const windowEnd = 997 + 65536;
    let head = 'From a@b Mon Jan  1 00:00:00 2024\n';
    while (head.length < windowEnd - 200) head += `X-Pad: ${'x'.repeat(70)}\n`;
    head += `X-Last: ${'y'.repeat(windowEnd - 10 - head.length - 9)}\n`;
    const text = `${head}From c@d Tue Jan  2 00:00:00 2024\nSubject: s\n\nbody\n`;
    const at = head.length;
    expect(at).toBe(windowEnd - 10);
    const ranges = rangesOf(text, 1000);
    expect(ranges.map((r) => r.start)).toEqual([0, at]);
    expect(ranges[1]!.startAfterBlank).toBe(false);
  });

  it('a file without another dated From_ line is one range', () => {
    expect(rangesOf(message('From a@b Mon Jan  1 00:00:00 2024', 'From nobody\nFrom \n'.repeat(100)), 16)).toHaveLength(1);
  });
});

/** Lints a buffer range by range, as the workers do, numbering as the main thread does. */
function lintInRanges(bytes: Buffer, rangeBytes: number): Finding[] {
  const path = join(tmp, 'r.mbox');
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  const ranges = splitIntoRanges(fd, bytes.length, rangeBytes);
  closeSync(fd);
  const sniffed = sniff(bytes.subarray(0, 1 << 20));
  const all: Finding[] = [];
  let messages = 0;
  let lines = 0;
  ranges.forEach((range, i) => {
    const last = i === ranges.length - 1;
    const found: Finding[] = [];
    const scanner = new MboxScanner({
      file: 'f',
      framing: true,
      isEnabled: selectRules(),
      range: { start: range.start, startAfterBlank: range.startAfterBlank, stopAt: last ? undefined : range.end, sniffed, full: () => false },
      onMessage: (_info, f) => found.push(...f),
    });
    let linesHere = 0;
    try {
      scanner.push(bytes.subarray(range.start, range.readEnd));
      scanner.end();
      expect(last).toBe(true);
    } catch (error) {
      if (!(error instanceof RangeEnd)) throw error;
      expect(error.at).toBe(range.end);
      linesHere = error.lines;
    }
    for (const f of found) all.push({ ...f, message: f.message + messages, line: f.line + lines });
    messages += scanner.messages;
    lines += linesHere;
  });
  return all;
}

describe('range scans put together equal one scan', () => {
  const everything = Buffer.concat(allFixtureFiles().flatMap((p) => [readFileSync(p), Buffer.from('\n')]));

  it.each([200, 1000, 5000])('all rule fixtures in one file, ranges of %i bytes', (size) => {
    const whole = lintChunks([everything], 'f').findings;
    expect(whole.length).toBeGreaterThan(50);
    expect(lintInRanges(everything, size)).toEqual(whole);
  });
});
