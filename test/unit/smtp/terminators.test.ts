import { describe, expect, it } from 'vitest';
import { detectLineConvention, normalizeToCrlf, parseTerminatorName, recognizeLines, terminateLines, Terminators } from '../../../src/smtp/terminators.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const texts = (lines: Buffer[]) => lines.map((l) => l.toString('latin1'));

describe('detectLineConvention', () => {
  it.each([
    ['a\nb\n', 'lf'],
    ['a\r\nb\r\n', 'crlf'],
    ['a\rb\r', 'cr'],
    // Incident 1: a bare CR inside an LF file is content, not the file's convention.
    ['Date: x\rFrom: y\nTo: z\n', 'lf'],
    ['Date: x\rFrom: y\r\nTo: z\r\n', 'crlf'],
    ['no line end', undefined],
    ['', undefined],
  ])('%j is %s', (input, convention) => {
    expect(detectLineConvention(b(input))).toBe(convention);
  });
});

describe('recognizeLines', () => {
  it.each([
    ['a\nb\n', ['a', 'b'], true],
    ['a\r\nb\r\n', ['a', 'b'], true],
    ['a\rb\r', ['a', 'b'], true],
    ['a\nb', ['a', 'b'], false],
    ['a\n\nb\n', ['a', '', 'b'], true],
    // Other terminators stay content in their line.
    ['Date: x\rFrom: y\nTo: z\n', ['Date: x\rFrom: y', 'To: z'], true],
    ['a\r\nb\nc\r\n', ['a', 'b\nc'], true],
    ['a\rb\nc\r', ['a\rb', 'c\r'], false],
    // An LF file may hold CRLF lines: CRLF ends in LF.
    ['a\nb\r\nc\n', ['a', 'b', 'c'], true],
    ['', [], false],
  ])('%j gives %j', (input, lines, finalTerminated) => {
    const result = recognizeLines(b(input));
    expect(texts(result.lines)).toEqual(lines);
    expect(result.finalTerminated).toBe(finalTerminated);
  });

  it('re-terminating with the same convention gives the input back', () => {
    for (const [input, term] of [['a\nb\n', 'lf'], ['a\r\nb\r\n', 'crlf'], ['a\rb\r', 'cr']] as const) {
      expect(terminateLines(recognizeLines(b(input)).lines, () => Terminators[term]).toString('latin1')).toBe(input);
    }
  });

  it('re-terminates an LF file with CR, CRLF or per line', () => {
    const { lines } = recognizeLines(b('Date: x\nFrom: y\n\nbody\n'));
    expect(terminateLines(lines, () => Terminators.cr).toString('latin1')).toBe('Date: x\rFrom: y\r\rbody\r');
    expect(terminateLines(lines, (i) => (i === 0 ? Terminators.cr : Terminators.crlf)).toString('latin1')).toBe('Date: x\rFrom: y\r\n\r\nbody\r\n');
  });
});

describe('existing exports keep their behaviour', () => {
  it('normalizeToCrlf and parseTerminatorName', () => {
    expect(normalizeToCrlf(b('a\nb\rc')).toString('latin1')).toBe('a\r\nb\r\nc\r\n');
    expect(parseTerminatorName('CR', '--term')).toBe('cr');
    expect(() => parseTerminatorName('x', '--term')).toThrow(/--term: unknown terminator/);
  });
});
