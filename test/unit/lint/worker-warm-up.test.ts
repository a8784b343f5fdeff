import { describe, expect, it } from 'vitest';
import { lintChunks, selectRules } from '../../../src/mbox/index.js';
import { warmUpRangeWorker, warmUpRounds, warmUpSample } from '../../../src/lint/worker-warm-up.js';
import type { FindingLayout } from '../../../src/lint/pending-findings.js';
import type { Finding } from '../../../src/mbox/types.js';

describe('the archive a range worker warms up on', () => {
  it('takes the branches of the rules it is meant to: each of these rules finds something in it', () => {
    const found = new Set(lintChunks([warmUpSample], 'warm-up').findings.map((f) => f.rule));
    // The line bytes, the line endings, the field names, the value grammars, merged fields,
    // the From_ lines, Content-Length and the header as a whole.
    for (const rule of [
      'bare-cr',
      'control-char',
      'raw-8bit',
      'line-too-long',
      'blank-continuation',
      'continuation-first',
      'bare-lf',
      'eol-mixed',
      'invalid-field-name',
      'space-before-colon',
      'envelope-in-header',
      'address-invalid',
      'address-obsolete',
      'placeholder-address',
      'empty-required',
      'sender-required',
      'date-invalid',
      'date-zone',
      'date-weekday',
      'date-trailing-text',
      'message-id-invalid',
      'message-id-obsolete',
      'mime-header-invalid',
      'encoded-word-invalid',
      'encoded-word-in-quoted-string',
      'merged-field',
      'duplicate-field',
      'missing-date',
      'missing-from',
      'missing-message-id',
      'from-date-nonstandard',
      'from-sender-spaces',
      'from-unparseable',
      'from-not-after-blank',
      'from-not-followed-by-header',
      'unescaped-from',
      'no-body-separator',
      'content-length-mismatch',
    ]) {
      expect(found, rule).toContain(rule);
    }
  });

  it('goes through the output layout it is given and writes nothing anywhere', () => {
    const laidOut: Finding[] = [];
    const layout: FindingLayout = {
      head: (f) => {
        laidOut.push(f);
        return '{';
      },
      mid: ',',
      writeTail: (_f, out) => out.byte(0x7d),
      separator: undefined,
      startFile: () => {},
    };
    const writes: unknown[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: unknown) => writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      warmUpRangeWorker(selectRules(), layout);
    } finally {
      process.stdout.write = write;
    }
    expect(writes).toEqual([]);
    // Every round of the sample: its findings, each time.
    const once = lintChunks([warmUpSample], 'warm-up').findings;
    expect(once.length).toBeGreaterThan(50);
    expect(laidOut.length).toBe(warmUpRounds * once.length);
    expect(laidOut.slice(0, once.length).map((f) => [f.rule, f.offset])).toEqual(once.map((f) => [f.rule, f.offset]));
  });
});
