import { describe, expect, it } from 'vitest';
import { Field, valueKeepChars } from '../../../src/mbox/field.js';
import { FieldNameCache } from '../../../src/mbox/field-name.js';
import { hasControl, latin1, showLine } from '../../../src/mbox/line.js';
import { showBytes } from '../../../src/smtp/visible.js';
import { Eol } from '../../../src/mbox/types.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const lineOf = (s: string) => ({ offset: 0, lineNo: 1, bytes: bytes(s), length: s.length, eol: Eol.lf });

describe('Field: the value is decoded only when asked for', () => {
  it('unfolds the first line after the colon and the continuation lines (RFC 5322 §2.2.3)', () => {
    const first = 'Subject: Hello';
    const f = new Field('Subject', 'subject', lineOf(first), bytes(first), 8);
    f.append(bytes('\tworld\r'));
    f.append(bytes(' again'));
    expect(f.value).toBe(' Hello\tworld\r again');
    f.append(bytes(' more'));
    expect(f.value).toBe(' Hello\tworld\r again more');
  });

  it('keeps the same cut as decoding line by line: lines join while the value is under the limit', () => {
    const first = `X: ${'a'.repeat(valueKeepChars - 10)}`;
    const lazy = new Field('X', 'x', lineOf(first), bytes(first), 2);
    const eager = new Field('X', 'x', lineOf(first), bytes(first), 2);
    eager.settle();
    for (const part of [' b', ` ${'c'.repeat(20)}`, ' d']) {
      lazy.append(bytes(part));
      eager.append(bytes(part));
    }
    expect(lazy.value).toBe(eager.value);
    expect(lazy.value.endsWith('c')).toBe(true);
  });

  it.each([
    ['Subject: =?utf-8?q?x?=', [], true],
    ['Subject: a', [' =?utf-8?b?eA==?='], true],
    ['Subject: a=', ['?b'], true],
    ['Subject: a=', [' ?b'], false],
    ['Subject: =', [], false],
    ['Subject: plain', [' text'], false],
  ])('%j %j: mayHaveEncodedWord is %s', (first, more, expected) => {
    const f = new Field('Subject', 'subject', lineOf(first), bytes(first), 8);
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
