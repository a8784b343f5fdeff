import { describe, expect, it } from 'vitest';
import { Field, valueKeepChars } from '../../../src/mbox/field.js';
import { FieldNameCache } from '../../../src/mbox/field-name.js';
import { hasControl, latin1, showLine, SourceLine } from '../../../src/mbox/line.js';
import { showBytes } from '../../../src/smtp/visible.js';
import { Eol } from '../../../src/mbox/types.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const lineOf = (s: string) => ({ offset: 0, lineNo: 1, bytes: bytes(s), length: s.length, eol: Eol.lf });
const sourceLine = (s: string, offset = 0) => new SourceLine(bytes(s), 0, s.length, offset, 1, s.length, Eol.lf);
/** A field started at the line `first`, its value after the colon. */
const fieldAt = (first: string, copyLine = false) => {
  const name = first.slice(0, first.indexOf(':'));
  return new Field().begin({ name, lower: name.toLowerCase(), role: 0 }, sourceLine(first), name.length + 1, undefined, copyLine);
};

describe('Field: the value is decoded only when asked for', () => {
  it('unfolds the first line after the colon and the continuation lines (RFC 5322 §2.2.3)', () => {
    const first = 'Subject: Hello';
    const f = fieldAt(first);
    f.append(bytes('\tworld\r'));
    f.append(bytes(' again'));
    expect(f.value).toBe(' Hello\tworld\r again');
    f.append(bytes(' more'));
    expect(f.value).toBe(' Hello\tworld\r again more');
  });

  it('keeps the same cut as decoding line by line: lines join while the value is under the limit', () => {
    const first = `X: ${'a'.repeat(valueKeepChars - 10)}`;
    const lazy = fieldAt(first);
    const eager = fieldAt(first);
    eager.settle();
    for (const part of [' b', ` ${'c'.repeat(20)}`, ' d']) {
      lazy.append(bytes(part));
      eager.append(bytes(part));
    }
    expect(lazy.value).toBe(eager.value);
    expect(lazy.value.endsWith('c')).toBe(true);
  });

  it('is its own first line, and a field started again keeps nothing of its last use', () => {
    const line = sourceLine('Subject: =?x?q?y?= and more', 1234);
    const f = new Field().begin({ name: 'Subject', lower: 'subject', role: 5 }, line, 8, true, false);
    f.append(bytes(' folded'));
    expect(f.value).toBe(' =?x?q?y?= and more folded');
    expect([f.line.offset, f.line.lineNo, f.line.length, f.line.eol, latin1(f.line.bytes)]).toEqual([1234, 1, 27, Eol.lf, 'Subject: =?x?q?y?= and more']);
    // The scanner moves its line on: the field does not move with it.
    line.moveTo(bytes('To: a@b'), 0, 7, 2000, 9, 7, Eol.crlf);
    expect(f.offset).toBe(1234);
    f.begin({ name: 'To', lower: 'to', role: 3 }, line, 3, false, false);
    expect([f.name, f.role, f.value, f.offset, f.lineNo, f.eol, f.mayHaveEncodedWord(), f.addresses]).toEqual(['To', 3, ' a@b', 2000, 9, Eol.crlf, false, undefined]);
  });

  it('keeps a copy of its first line, cut to 4096 bytes, when asked to (large headers)', () => {
    const text = `X-Long: ${'v'.repeat(5000)}`;
    const buf = bytes(text);
    const f = new Field().begin({ name: 'X-Long', lower: 'x-long', role: 0 }, new SourceLine(buf, 0, buf.length, 0, 1, buf.length, Eol.lf), 7, false, true);
    buf.fill(0x21);
    expect(f.line.bytes.length).toBe(4096);
    expect(latin1(f.line.bytes, 0, 9)).toBe('X-Long: v');
    expect(f.length).toBe(5008);
  });

  it.each([
    ['Subject: =?utf-8?q?x?=', [], true],
    ['Subject: a', [' =?utf-8?b?eA==?='], true],
    ['Subject: a=', ['?b'], true],
    ['Subject: a=', [' ?b'], false],
    ['Subject: =', [], false],
    ['Subject: plain', [' text'], false],
  ])('%j %j: mayHaveEncodedWord is %s', (first, more, expected) => {
    const f = fieldAt(first);
    for (const m of more) f.append(bytes(m));
    expect(f.mayHaveEncodedWord()).toBe(expected);
    expect(f.mayHaveEncodedWord()).toBe(f.value.includes('=?'));
  });
});

describe('FieldNameCache', () => {
  it('gives what make gives, for any spelling, and calls make once per spelling', () => {
    let calls = 0;
    const cache = new FieldNameCache((name) => {
      calls++;
      return name.toLowerCase();
    });
    const names = ['From', 'from', 'Received', 'DKIM-Signature', 'X-\xe9', 'From', 'Received'];
    for (const n of names) expect(cache.get(bytes(`${n}: v`), n.length)).toBe(n.toLowerCase());
    expect(calls).toBe(5);
  });

  it('keeps its own copy of a name, not a view of the chunk it was read from', () => {
    let calls = 0;
    const cache = new FieldNameCache((name) => {
      calls++;
      return name;
    });
    const chunk = bytes('Abc: 1');
    expect(cache.get(chunk, 3)).toBe('Abc');
    chunk.fill(0x20);
    // With a view the cached bytes would have changed with the chunk and this would miss.
    expect(cache.get(bytes('Abc: 2'), 3)).toBe('Abc');
    expect(calls).toBe(1);
  });

  it('stays correct when names collide or are too long to cache', () => {
    const cache = new FieldNameCache((name) => name);
    const names = Array.from({ length: 5000 }, (_, i) => `X-Name-${i}`);
    for (const n of [...names, ...names]) expect(cache.get(bytes(n), n.length)).toBe(n);
    const long = 'L'.repeat(500);
    expect(cache.get(bytes(`${long}: x`), long.length)).toBe(long);
  });
});

describe('line helpers', () => {
  it('latin1 decodes a range without copying', () => {
    expect(latin1(bytes('From: \xe9t\xe9'), 6)).toBe('\xe9t\xe9');
    expect(latin1(new Uint8Array([0x41, 0x42, 0x43]), 1, 2)).toBe('B');
  });

  it.each([
    ['plain text é', false],
    ['tab\tis text', false],
    ['bare\rCR', true],
    ['NUL\0', true],
    ['DEL\x7f', true],
  ])('%j: hasControl is %s, and showLine matches showBytes', (s, control) => {
    expect(hasControl(bytes(s))).toBe(control);
    expect(showLine(lineOf(s))).toBe(`${showBytes(bytes(s))}␊`);
  });
});
