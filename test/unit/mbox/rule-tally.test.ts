import { describe, expect, it } from 'vitest';
import { RuleTally } from '../../../src/mbox/rule-tally.js';
import type { Finding } from '../../../src/mbox/types.js';

const finding = (rule: string, severity: Finding['severity']): Finding => ({ rule, severity, file: 'f', message: 1, line: 1, offset: 0, text: '', detail: '', fromLine: undefined, messageId: undefined });

describe('RuleTally', () => {
  it("counts a finding under its own severity: a rule reported below its usual one has a row of its own", () => {
    const tally = new RuleTally();
    tally.nextMessage();
    tally.add(finding('content-length-mismatch', 'error'));
    tally.nextMessage();
    // In an mboxo file a Content-Length mismatch is a warning.
    tally.add(finding('content-length-mismatch', 'warning'));
    tally.add(finding('content-length-mismatch', 'warning'));
    expect(tally.summary()).toEqual([
      { rule: 'content-length-mismatch', severity: 'warning', count: 2, messages: 1 },
      { rule: 'content-length-mismatch', severity: 'error', count: 1, messages: 1 },
    ]);
    expect(tally.errors).toBe(1);
    // The tallies of worker ranges merge row by row.
    const merged = new RuleTally();
    merged.merge(tally.data());
    merged.merge(tally.data());
    expect(merged.summary()).toEqual([
      { rule: 'content-length-mismatch', severity: 'warning', count: 4, messages: 2 },
      { rule: 'content-length-mismatch', severity: 'error', count: 2, messages: 2 },
    ]);
  });
});
