import { describe, expect, it } from 'vitest';
import { lintMessage, selectRules } from '../../../src/mbox/index.js';
import { UsageError } from '../../../src/errors.js';

describe('lintMessage: one message as a server stored it', () => {
  it('needs no From_ line and reports no framing rules', () => {
    const bytes = Buffer.from('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\rFrom: "Example Name" <example@example.com>\r\nFrom: [no-from]\r\n\r\nbody\r\n');
    const found = lintMessage(bytes);
    expect(found.map((f) => f.rule).sort()).toEqual(['bare-cr', 'date-trailing-text', 'merged-field', 'missing-message-id', 'placeholder-address']);
    expect(found.find((f) => f.rule === 'bare-cr')).toMatchObject({ message: 1, line: 1, offset: 42 });
  });

  it('does not split at "From " lines in the body', () => {
    const found = lintMessage(Buffer.from('From: a@example.org\nDate: Fri, 8 Sep 2017 13:44:33 -0400\nMessage-ID: <1@x>\n\nhi\n\nFrom a@b Fri Sep  8 17:44:32 2017\nX: y\n'));
    expect(found).toEqual([]);
  });

  it('honours the rule selection', () => {
    const bytes = Buffer.from('Subject: x\n\n');
    expect(lintMessage(bytes, { only: ['missing-date'] }).map((f) => f.rule)).toEqual(['missing-date']);
    expect(lintMessage(bytes, { disable: ['missing-date', 'missing-message-id'] }).map((f) => f.rule)).toEqual(['missing-from']);
    expect(lintMessage(bytes, { minSeverity: 'error' }).map((f) => f.rule).sort()).toEqual(['missing-date', 'missing-from']);
  });

  it('rejects unknown rule ids as usage errors', () => {
    expect(() => selectRules({ only: ['no-such-rule'] })).toThrow(UsageError);
  });
});
