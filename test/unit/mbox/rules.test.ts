import { describe, expect, it } from 'vitest';
import { lintMbox, ruleCatalog } from '../../../src/mbox/index.js';
import { expected, readFixture, selectionFor } from './helpers.js';

describe('rule fixtures', () => {
  it('every rule in the catalog has a positive and a negative fixture', () => {
    expect(Object.keys(expected).sort()).toEqual(ruleCatalog.map((r) => r.id).sort());
  });

  it.each(Object.entries(expected))('%s: positive fixture yields it at the marked message, line and offset', (rule, where) => {
    const { findings } = lintMbox(readFixture(`${rule}.pos.mbox`), 'pos', selectionFor(rule));
    const hits = findings.filter((f) => f.rule === rule).map((f) => ({ message: f.message, line: f.line, offset: f.offset }));
    expect(hits).toContainEqual(where);
  });

  it.each(Object.keys(expected))('%s: near-miss negative fixture does not yield it', (rule) => {
    const { findings } = lintMbox(readFixture(`${rule}.neg.mbox`), 'neg', selectionFor(rule));
    expect(findings.filter((f) => f.rule === rule)).toEqual([]);
  });

  it('findings carry severity, visible text, the From_ line and the Message-ID', () => {
    const [f] = lintMbox(readFixture('bare-cr.pos.mbox'), 'x').findings.filter((x) => x.rule === 'bare-cr');
    expect(f).toMatchObject({
      severity: 'error',
      file: 'x',
      text: 'Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)␍X-Note: merged␊',
      fromLine: 'From alice@example.org Fri Sep  8 17:44:32 2017␊',
      messageId: '<2@example.org>',
    });
  });
});
