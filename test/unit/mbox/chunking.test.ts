import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintChunks } from '../../../src/mbox/index.js';
import { allFixtureFiles, cut, prng } from './helpers.js';

/** A small sniff window so that the chunks really reach the scanner one by one. */
const opts = { sniffBytes: 16 };
const lint = (pieces: Iterable<Uint8Array>) => lintChunks(pieces, 'f', opts);

describe('chunking property: the same findings wherever the input is cut', () => {
  it.each(allFixtureFiles().map((p) => [basename(p), p]))('%s split at every byte offset', (_name, path) => {
    const bytes = readFileSync(path);
    const whole = lint([bytes]);
    for (let at = 0; at <= bytes.length; at++) {
      const split = lint(cut(bytes, [at]));
      expect(split.findings, `split at ${at}`).toEqual(whole.findings);
      expect(split.messages, `split at ${at}`).toEqual(whole.messages);
    }
  });

  it.each(allFixtureFiles().map((p) => [basename(p), p]))('%s fed one byte at a time and in random pieces', (_name, path) => {
    const bytes = readFileSync(path);
    const whole = lint([bytes]).findings;
    expect(lint(cut(bytes, Array.from({ length: bytes.length }, (_, i) => i))).findings).toEqual(whole);
    const rand = prng(bytes.length);
    for (let round = 0; round < 20; round++) {
      const points = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => Math.floor(rand() * bytes.length)).sort((a, b) => a - b);
      expect(lint(cut(bytes, points)).findings, `cut at ${points.join(',')}`).toEqual(whole);
    }
  });
});
