import { readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareFindings, verdictFor, type ObservedCopy } from '../../../src/observe/observe.js';
import { compareRoundTrip } from '../../../src/observe/round-trip.js';
import { formatObservation } from '../../../src/ui/observe-report.js';
import { loadChalk } from '../../../src/ui/colors.js';

const fixture = (name: string) => ({
  sent: readFileSync(new URL(`../../../fixtures/round-trip/${name}.sent`, import.meta.url)),
  stored: readFileSync(new URL(`../../../fixtures/round-trip/${name}.stored`, import.meta.url)),
});
const lf = { storedLineEnds: 'lf' } as const;
const copyOf = (name: string): ObservedCopy => {
  const { sent, stored } = fixture(name);
  return { where: '/var/mail/testuser, bytes 0–651', bytes: stored, trip: compareRoundTrip(sent, stored, lf), findings: compareFindings(sent, stored) };
};

describe('observe: verdict, findings and report', () => {
  it('incident 1 against Postfix: bare-cr is gone from what was stored, the merge stays, From and Message-Id were added', async () => {
    const copy = copyOf('postfix-cr');
    expect(copy.findings.gone.map((f) => f.rule).sort()).toEqual(['bare-cr', 'missing-from', 'missing-message-id']);
    expect(copy.findings.kept.map((f) => f.rule).sort()).toEqual(['date-trailing-text', 'merged-field']);
    expect(copy.findings.added).toEqual([]);
    const verdict = verdictFor([copy], lf);
    expect(verdict).toEqual({ kind: 'altered', text: 'delivered altered: bare CR → SP (7×); field added by the server: Message-Id, From' });
    const text = formatObservation({ source: 'mbox:/var/mail/testuser', traceId: 'smtpdbg-x', elapsedMs: 420, copies: [copy], verdict }, await loadChalk(false), { lfStore: true }).map(stripVTControlCharacters);
    expect(text[0]).toBe('=== observed in mbox:/var/mail/testuser after 0.4 s: 1 message carries trace id smtpdbg-x');
    expect(text).toContain('  + Message-Id: <20261205123220.6222F1622EA@mx.localhost>␊  field added by the server');
    expect(text.find((line) => line.startsWith('  ~ Date:'))).toMatch(/Variant: lines ended by CR\.␊  bare CR → SP$/);
    expect(text.find((line) => line.startsWith('      sent: Date:'))).toContain('+0000␍From: <smtpdbg@localhost>␍To:');
    expect(text).toContain('=== lint-mbox on the stored copy: gone error bare-cr (sent line 1): CR without LF inside a header line: some readers end the line here, others merge it with the next');
    expect(text[text.length - 1]).toBe('verdict: delivered altered: bare CR → SP (7×); field added by the server: Message-Id, From');
  });

  it('a CRLF message stored in an mbox is delivered unchanged but for trace fields; unchanged lines are counted, not shown', async () => {
    const copy = copyOf('postfix-crlf');
    const verdict = verdictFor([copy], lf);
    expect(verdict).toEqual({ kind: 'unchanged', text: 'delivered unchanged except trace fields (Return-Path, X-Original-To, Delivered-To, Received); the store keeps lines with LF' });
    const text = formatObservation({ source: 'mbox:/var/mail/testuser', traceId: 'smtpdbg-x', elapsedMs: 1000, copies: [copy], verdict }, await loadChalk(false), { lfStore: true });
    expect(text).toContain("    (8 lines unchanged but for the store's LF line ends)");
  });

  it('two copies of one message are a split: the server ended it early and took the rest as a second transaction', () => {
    expect(verdictFor([copyOf('postfix-crlf'), copyOf('postfix-crlf')], lf).kind).toBe('split');
    expect(verdictFor([], lf).kind).toBe('not-found');
  });
});
