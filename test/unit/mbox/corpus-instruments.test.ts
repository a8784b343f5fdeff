import { describe, expect, it } from 'vitest';
import {
  compareWithExpectations,
  formatExpectations,
  parseExpectations,
  precisionOf,
  splitMbox,
  updateExpectations,
  type ExpectationRow,
  type NdjsonFinding,
} from '../../harness/lint-corpus.mjs';
import { evaluate, Msg, newRules, outcomesOf, type Case } from '../../harness/mutations.mjs';

// The instruments of real-world-precision.test.ts and mutation-recall.test.ts, on data made
// here (they run where the shared corpus is absent too): what they call a new finding, a
// finding gone, a miss and a false alarm.
const finding = (file: string, message: number, line: number, rule: string, severity: NdjsonFinding['severity'] = 'error'): NdjsonFinding => ({
  rule,
  severity,
  file,
  message,
  line,
  offset: 0,
  text: `line ${line}␊`,
});
const row = (file: string, message: number, line: number, rule: string, judgement: ExpectationRow['judgement'], reason = 'because of RFC 5322 §3.6'): ExpectationRow => ({
  file,
  message,
  line,
  rule,
  judgement,
  reason,
  text: '',
});

describe('real-world expectations', () => {
  it('parse(format(rows)) keeps every row; a bad judgement or column count names its line', () => {
    const rows = [row('a.mbox', 1, 2, 'missing-date', 'real'), row('b.mbox', 3, 40, 'address-invalid', 'false-alarm', 'valid group\twith a tab')];
    const back = parseExpectations(formatExpectations(rows, ['a comment']));
    expect(back.map(({ at: _, ...r }) => r)).toEqual([rows[0], { ...rows[1], reason: 'valid group with a tab' }]);
    const header = 'file\tmessage\tline\trule\tjudgement\treason\ttext';
    expect(() => parseExpectations(`${header}\na.mbox\t1\t2\tx\tmaybe\tr\tt\n`)).toThrow(/line 2: judgement "maybe"/);
    expect(() => parseExpectations(`${header}\na.mbox\t1\t2\tx\treal\n`)).toThrow(/line 2: 5 cells/);
  });

  it('a finding not listed, a listed one that no longer fires and an unjudged row are each reported', () => {
    const rows = [row('a.mbox', 1, 2, 'missing-date', 'real'), row('a.mbox', 1, 5, 'address-invalid', 'false-alarm'), row('b.mbox', 2, 9, 'bare-cr', 'unjudged', '')];
    const findings = [finding('a.mbox', 1, 2, 'missing-date'), finding('b.mbox', 2, 9, 'bare-cr'), finding('b.mbox', 2, 9, 'bare-cr'), finding('a.mbox', 1, 5, 'date-invalid')];
    const { unlisted, gone, unjudged } = compareWithExpectations(findings, rows);
    // Rows match findings one for one: the second bare-cr on the same line is new.
    expect(unlisted.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual(['a.mbox:5 date-invalid', 'b.mbox:9 bare-cr']);
    expect(gone.map((r) => r.rule)).toEqual(['address-invalid']);
    expect(unjudged.map((r) => r.rule)).toEqual(['bare-cr']);
    expect(compareWithExpectations(findings.slice(0, 2), rows.slice(0, 1).concat(rows[2]!))).toMatchObject({ unlisted: [], gone: [] });
  });

  it('regenerating keeps judgements (also when only the message number moved), adds new findings unjudged, drops the rest', () => {
    const rows = [row('a.mbox', 1, 2, 'missing-date', 'real', 'no Date'), row('a.mbox', 4, 30, 'address-invalid', 'false-alarm', 'valid group'), row('a.mbox', 5, 50, 'bare-cr', 'real', 'CR')];
    const findings = [finding('a.mbox', 1, 2, 'missing-date'), finding('a.mbox', 3, 30, 'address-invalid'), finding('a.mbox', 6, 60, 'date-invalid')];
    const { rows: next, added, removed } = updateExpectations(findings, rows);
    expect(next.map((r) => [r.message, r.line, r.rule, r.judgement, r.reason])).toEqual([
      [1, 2, 'missing-date', 'real', 'no Date'],
      [3, 30, 'address-invalid', 'false-alarm', 'valid group'],
      [6, 60, 'date-invalid', 'unjudged', ''],
    ]);
    expect(added.map((r) => r.rule)).toEqual(['date-invalid']);
    expect(removed.map((r) => r.rule)).toEqual(['bare-cr']);
    expect(precisionOf(next)).toMatchObject({ real: 1, falseAlarms: 1, unjudged: 1, precision: 0.5, messages: 3, falseAlarmMessages: 1 });
  });

  it('splits an mbox where mboxo readers do: "From " at the start or after an empty line', () => {
    const bytes = Buffer.from('From a Mon Jan  1 00:00:00 2024\r\nX: 1\r\n\r\nFrom here\r\nFrom b Mon Jan  1 00:00:00 2024\nY: 2\n\nFrom c\n');
    expect(splitMbox(bytes).map(({ start, end }) => bytes.subarray(start, end).toString().split(/\r?\n/)[0])).toEqual(['From a Mon Jan  1 00:00:00 2024', 'From here', 'From c']);
  });
});

describe('mutation instruments', () => {
  it('a message goes back to the same bytes, bare CRs and mixed line ends included; folding keeps the field', () => {
    const bytes = Buffer.from('From a Mon Jan  1 00:00:00 2024\r\nDate: Fri, 8 Sep 2017 13:44:33 -0400\rFrom: a@b\r\nTo:x@y\nSubject: hi\r\n\r\nbody');
    const m = Msg.parse(bytes);
    expect(m.toBuffer().equals(bytes)).toBe(true);
    expect(m.value('date')).toBe('Fri, 8 Sep 2017 13:44:33 -0400\rFrom: a@b');
    m.fold(m.field('to')!.start);
    m.fold(m.field('subject')!.start);
    expect(m.toBuffer().toString()).toContain('To:\r\n x@y\r\nSubject:\r\n hi\r\n');
    expect([m.value('to'), m.value('subject')]).toEqual(['x@y', 'hi']);
  });

  it('a mutant counts as found only by its kind\'s rules on its lines; a twin is a false alarm only for a new warning or error', () => {
    const base = { bytes: Buffer.alloc(0), range: [0, 0] as [number, number], message: 1 };
    const cases: Case[] = [
      { ...base, original: 'o1', role: 'original', file: 'o.mbox' },
      { ...base, original: 'o1', role: 'mutant', kind: 'bare-cr-merge', file: 'm1.mbox', lines: [3, 3] },
      { ...base, original: 'o1', role: 'mutant', kind: 'bare-cr-merge', file: 'm2.mbox', lines: [3, 3] },
      { ...base, original: 'o1', role: 'twin', kind: 'bare-cr-merge', file: 't1.mbox' },
      { ...base, original: 'o1', role: 'twin', kind: 'missing-date', file: 't2.mbox' },
    ];
    const findings = [
      finding('o.mbox', 1, 1, 'missing-message-id', 'warning'),
      finding('m1.mbox', 1, 3, 'bare-cr'),
      finding('m2.mbox', 1, 4, 'bare-cr'),
      finding('m2.mbox', 1, 3, 'merged-field'),
      finding('t1.mbox', 1, 1, 'missing-message-id', 'warning'),
      finding('t1.mbox', 1, 2, 'line-over-78', 'info'),
      finding('t2.mbox', 1, 2, 'date-zone', 'warning'),
    ];
    const results = evaluate(cases, findings);
    expect(results.map((r) => [r.file, r.detected])).toEqual([
      ['m1.mbox', true],
      ['m2.mbox', false],
      ['t1.mbox', false],
      ['t2.mbox', true],
    ]);
    expect(outcomesOf(results)).toEqual([
      { kind: 'bare-cr-merge', original: 'o1', outcome: 'miss', detail: 'found instead: bare-cr@4 merged-field@3' },
      { kind: 'missing-date', original: 'o1', outcome: 'twin-false-alarm', detail: 'new on the valid twin: date-zone' },
    ]);
    expect(newRules(['a', 'a', 'b'], ['a', 'c'])).toEqual(['a', 'b']);
  });
});
