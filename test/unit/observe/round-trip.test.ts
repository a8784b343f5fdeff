import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRoundTrip, describeAlterations, type RoundTrip } from '../../../src/observe/round-trip.js';
import { showBytes } from '../../../src/smtp/visible.js';

const fixture = (name: string) => ({
  sent: readFileSync(new URL(`../../../fixtures/round-trip/${name}.sent`, import.meta.url)),
  stored: readFileSync(new URL(`../../../fixtures/round-trip/${name}.stored`, import.meta.url)),
});
const onDisk = { storedLineEnds: 'lf' } as const;

/** The rows that are not unchanged, as `status stored-line [changes]`. */
const rows = (trip: RoundTrip) =>
  trip.lines.filter((line) => line.status !== 'same').map((line) => `${line.status} ${showBytes(line.status === 'removed' ? line.sent : line.stored)} [${line.changes.join(',')}]`);

describe('round trip against what real Postfix 3.7 stored in an mbox', () => {
  it('every line ended by CR: the CRs became spaces, one Date field holds the message, Postfix added From and Message-Id', () => {
    const { sent, stored } = fixture('postfix-cr');
    const trip = compareRoundTrip(sent, stored, onDisk);
    expect(trip.aligned).toBe(true);
    expect(trip.unchangedButTrace).toBe(false);
    const summary = Object.fromEntries(trip.summary.map((s) => [s.kind, s]));
    // Date, From, To, Message-ID, Subject, the empty line and the first body line each ended in a CR.
    expect(summary['bare-cr-to-space']?.count).toBe(7);
    expect(summary['field-added']?.fields).toEqual(['Message-Id', 'From']);
    expect(summary['trace-field-added']?.fields).toEqual(['Return-Path', 'X-Original-To', 'Delivered-To', 'Received']);
    expect(describeAlterations(trip, onDisk)).toBe('bare CR → SP (7×); field added by the server: Message-Id, From');
    const merged = trip.lines.find((line) => line.stored.toString('latin1').startsWith('Date:'))!;
    expect(merged.status).toBe('changed');
    expect(merged.changes).toContain('bare-cr-to-space');
    expect(showBytes(merged.sent)).toContain('+0000␍From: <smtpdbg@localhost>␍To:');
  });

  it('only the Date line ended by CR: Date and From merged on one line; the other lines only lost their CR to the mbox', () => {
    const trip = compareRoundTrip(fixture('postfix-cr-date').sent, fixture('postfix-cr-date').stored, onDisk);
    expect(rows(trip).filter((row) => !row.includes('[trace-field-added]') && !row.endsWith('[crlf-to-lf]'))).toEqual([
      'changed Date: Sat, 5 Dec 2026 12:32:21 +0000 From: <smtpdbg@localhost>␊ [bare-cr-to-space,crlf-to-lf]',
      'added From: smtpdbg@localhost␊ [field-added]',
    ]);
    expect(describeAlterations(trip, onDisk)).toBe('bare CR → SP; field added by the server: From');
  });

  it.each(['postfix-crlf', 'postfix-lf-normalize'])('%s: delivered unchanged but for trace fields and the mbox line ends', (name) => {
    const trip = compareRoundTrip(fixture(name).sent, fixture(name).stored, onDisk);
    expect(trip.unchangedButTrace).toBe(true);
    expect(describeAlterations(trip, onDisk)).toBe('');
    // Read back over IMAP or from a relay, a CRLF that became LF would be the server's doing.
    expect(compareRoundTrip(fixture(name).sent, fixture(name).stored, { storedLineEnds: 'crlf' }).unchangedButTrace).toBe(false);
  });
});

describe('round trip: each kind of change named', () => {
  const trip = (sent: string, stored: string) => compareRoundTrip(Buffer.from(sent, 'latin1'), Buffer.from(stored, 'latin1'), onDisk);
  const kinds = (sent: string, stored: string) => trip(sent, stored).changes.map((c) => c.kind);

  it.each([
    ['nothing', 'A: 1\r\n\r\nbody\r\n', 'A: 1\r\n\r\nbody\r\n', []],
    ['CRLF stored as LF', 'A: 1\r\n\r\nbody\r\n', 'A: 1\n\nbody\n', ['crlf-to-lf', 'crlf-to-lf', 'crlf-to-lf']],
    ['bare CR folded (as Exim stores it)', 'Date: x\rFrom: y\r\n\r\nb\r\n', 'Date: x\n From: y\n\nb\n', ['bare-cr-to-fold', 'crlf-to-lf', 'crlf-to-lf', 'crlf-to-lf']],
    ['bare CR made a line end', 'Date: x\rFrom: y\r\n', 'Date: x\nFrom: y\n', ['bare-cr-to-line-end', 'crlf-to-lf']],
    ['bare CR dropped', 'A: x\ry\r\n', 'A: xy\n', ['bare-cr-removed', 'crlf-to-lf']],
    ['bare LF made CRLF', 'A: 1\nB: 2\r\n', 'A: 1\r\nB: 2\r\n', ['bare-lf-to-crlf']],
    ['bare LF made a space', 'A: 1\nB: 2\r\n', 'A: 1 B: 2\r\n', ['bare-lf-to-space']],
    ['a body line quoted by the mbox writer', 'A: 1\n\nFrom here\n', 'A: 1\n\n>From here\n', ['from-quoted']],
    ['a field removed', 'A: 1\nX-Secret: 2\nB: 3\n\nb\n', 'A: 1\nB: 3\n\nb\n', ['field-removed']],
    ['a "." line removed', 'A: 1\n\none\n.\ntwo\n', 'A: 1\n\none\ntwo\n', ['dot-line-removed']],
    ['the end cut off', 'A: 1\n\none\ntwo\nthree\n', 'A: 1\n\none\n', ['body-cut']],
    ['body lines added', 'A: 1\n\none\n', 'A: 1\n\none\n--\nfooter\n', ['lines-added']],
    ['a word changed', 'A: 1\n\nthe cat sat\n', 'A: 1\n\nthe dog sat\n', ['bytes-changed']],
  ])('%s', (_, sent, stored, expected) => {
    expect(kinds(sent, stored)).toEqual(expected);
  });

  it('names the fields a server added, telling trace fields from others', () => {
    const t = trip('Subject: s\r\n\r\nb\r\n', 'Received: from a\n\tby b; now\nSubject: s\nMessage-Id: <1@b>\nFrom: x@b\n\nb\n');
    expect(t.changes.filter((c) => c.kind !== 'crlf-to-lf').map((c) => `${c.kind} ${c.field}`)).toEqual(['trace-field-added Received', 'field-added Message-Id', 'field-added From']);
    expect(rows(t)[0]).toBe('added Received: from a␊ [trace-field-added]');
    expect(rows(t)[1]).toBe('added \tby b; now␊ [trace-field-added]');
  });

  it('says so instead of working without end when the two sides have nothing in common', () => {
    const sent = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `a${i}\n`).join(''));
    const stored = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `b${i}\n`).join(''));
    const started = Date.now();
    const t = compareRoundTrip(sent, stored, onDisk);
    expect(t.aligned).toBe(false);
    expect(t.summary).toEqual([{ kind: 'bytes-changed', count: 1 }]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
