import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintMbox } from '../../../src/mbox/index.js';
import { fixturesDir } from './helpers.js';

describe('notspam (incident 1)', () => {
  const { findings, messages } = lintMbox(readFileSync(join(fixturesDir, 'notspam')), 'notspam');
  const by = (message: number) => findings.filter((f) => f.message === message).map((f) => f.rule).sort();

  it('leaves the normal message alone', () => {
    expect(by(1)).toEqual([]);
  });

  it('finds the bare CR that merged Date and From, and the inserted [no-from]', () => {
    expect(by(2)).toEqual(['bare-cr', 'date-trailing-text', 'merged-field', 'placeholder-address']);
    const cr = findings.find((f) => f.rule === 'bare-cr')!;
    expect(cr.text).toBe('Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)␍From: "Example Name" <example@example.com>␊');
  });

  it('finds the merged line as it appeared in the write-up, which Python accepts as a date', () => {
    expect(by(3)).toEqual(['date-trailing-text', 'merged-field', 'placeholder-address']);
  });

  it('ties both broken messages to one sending platform', () => {
    const flagged = messages.filter((m) => m.findings > 0).map((m) => m.origin);
    expect(new Set(flagged.map((o) => o?.mailer))).toEqual(new Set(['ExamplePlatform Mailer']));
    expect(new Set(flagged.map((o) => o?.receivedFrom))).toEqual(new Set(['mta.example-platform.net [198.51.100.7]']));
  });
});
