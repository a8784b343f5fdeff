import { describe, expect, it, vi } from 'vitest';
import type { Field, RuleSink } from '../../../src/mbox/field.js';
import type { Line } from '../../../src/mbox/line.js';

/*
 * A new rule is a module whose `check` the message linter calls once per header with the
 * fields it names. This test adds one to the catalog the linter loads: it names a field no
 * other rule reads, which the linter would otherwise not keep, and Message-ID, which the
 * built-in missing-message-id reads too.
 */

const seen: { names: string[]; values: string[]; anchor: number }[] = [];

vi.mock('../../../src/mbox/rules/catalog.js', async (importOriginal) => {
  const catalog = await importOriginal<typeof import('../../../src/mbox/rules/catalog.js')>();
  const { addCheckedFields } = await import('../../../src/mbox/rules/field-roles.js');
  const fields = ['x-rule-test', 'message-id'];
  addCheckedFields(fields);
  const check = (found: readonly Field[], sink: RuleSink, anchor: Line): void => {
    seen.push({ names: found.map((f) => f.name), values: found.map((f) => f.value.trim()), anchor: anchor.offset });
    for (const f of found) if (f.lower === 'x-rule-test' && f.value.includes('bad')) sink.report('missing-message-id', f.line, f.line.offset, `test rule: ${f.name} is bad`);
  };
  return { ...catalog, fieldRules: [...catalog.fieldRules, { id: 'missing-message-id', fields, check }] };
});

const { lintMessage } = await import('../../../src/mbox/index.js');

describe('a rule with a check of its own', () => {
  it('gets the fields it names, in header order, once per header, including a field no other rule reads', () => {
    seen.length = 0;
    const message = Buffer.from('From: a@example.org\r\nX-Rule-Test: good\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <m@example.org>\r\nx-rule-test: bad\r\nReceived: by x\r\n\r\nbody\r\n');
    const findings = lintMessage(message);
    expect(seen).toEqual([{ names: ['X-Rule-Test', 'Message-ID', 'x-rule-test'], values: ['good', '<m@example.org>', 'bad'], anchor: 0 }]);
    expect(findings.filter((f) => f.detail.startsWith('test rule'))).toEqual([expect.objectContaining({ rule: 'missing-message-id', line: 5, detail: 'test rule: x-rule-test is bad' })]);
  });

  it('is called with no fields when the header has none of them, and its findings obey --disable', () => {
    seen.length = 0;
    const message = Buffer.from('From: a@example.org\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nX-Rule-Test: bad\r\n\r\n');
    expect(lintMessage(message, { disable: ['missing-message-id'] })).toEqual([]);
    expect(seen).toEqual([{ names: ['X-Rule-Test'], values: ['bad'], anchor: 0 }]);
    seen.length = 0;
    expect(lintMessage(Buffer.from('From: a@example.org\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n'))).toEqual([expect.objectContaining({ rule: 'missing-message-id', detail: 'no Message-ID field in the header' })]);
    expect(seen).toEqual([{ names: [], values: [], anchor: 0 }]);
  });
});
