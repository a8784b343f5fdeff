import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileChunks } from '../../../src/lint/file-chunks.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const readAll = async (file: string, size: number): Promise<Buffer[]> => {
  const chunks: Buffer[] = [];
  for await (const chunk of readFileChunks(file, size)) chunks.push(chunk);
  return chunks;
};

describe('readFileChunks', () => {
  it.each([
    ['several chunks and a short last one', 10_000, 1024],
    ['an exact multiple of the chunk size', 4096, 1024],
    ['one partial chunk', 100, 1024],
    ['an empty file', 0, 1024],
  ])('%s: the chunks are the file, each in its own buffer', async (_, length, size) => {
    const file = join(dir, `f-${length}`);
    const content = randomBytes(length);
    writeFileSync(file, content);
    const chunks = await readAll(file, size);
    // Views of earlier chunks stay valid: the scanner keeps them while a message lasts.
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    expect(chunks.every((c) => c.length > 0 && c.length <= size)).toBe(true);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  });

  it('closes the file when the reader stops early', async () => {
    const file = join(dir, 'early');
    writeFileSync(file, randomBytes(8192));
    const reader = readFileChunks(file, 1024);
    expect((await reader.next()).value).toHaveLength(1024);
    await reader.return(undefined);
    expect((await reader.next()).done).toBe(true);
  });
});
