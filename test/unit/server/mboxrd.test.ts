import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MboxrdWriter } from '../../../src/server/mboxrd.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-mboxrd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MboxrdWriter', () => {
  it('writes concurrent appends whole and in call order, each promise resolving once its entry is on disk', async () => {
    const file = path.join(dir, 'order.mbox');
    const writer = await MboxrdWriter.open(file);
    const at = new Date(Date.UTC(2026, 10, 3, 5, 7, 9));
    const appends = Array.from({ length: 50 }, (_, i) => writer.append(`s${i}@example.test`, at, Buffer.from(`Subject: ${i}\r\n\r\n${'x'.repeat(i * 100)}\r\n`)));
    await appends[0];
    expect((await readFile(file, 'latin1')).startsWith('From s0@example.test Tue Nov  3 05:07:09 2026\nSubject: 0\r\n')).toBe(true);
    await Promise.all(appends);
    await writer.close();
    const senders = [...(await readFile(file, 'latin1')).matchAll(/^From (\S+) /gm)].map((m) => m[1]);
    expect(senders).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}@example.test`));
  });
});
