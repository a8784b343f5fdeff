import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatMboxrdEntry, MboxrdWriter } from '../../../src/server/mboxrd.js';
import { StorageFailure } from '../../../src/server/storage.js';

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

describe('MboxrdWriter on a failed write', () => {
  it('keeps the entries written whole, cuts the file back to the last of them, fails the broken one and still writes the ones behind it', async () => {
    const file = path.join(dir, 'rollback.mbox');
    const writer = await MboxrdWriter.open(file);
    const at = new Date(Date.UTC(2026, 10, 3, 5, 7, 9));
    await writer.append('first@example.test', at, Buffer.from('Subject: 1\r\n\r\none\r\n'));
    const before = (await readFile(file)).length;
    // A spooled part whose temporary file can no longer be read: the entry fails half-written.
    const spool = await open(path.join(dir, 'spool'), 'w+');
    await spool.write(Buffer.alloc(5000, 0x61));
    await spool.close();
    const second = Buffer.from('Subject: 2\r\n\r\ntwo\r\n');
    const results = await Promise.allSettled([
      writer.append('second@example.test', at, second),
      (writer as unknown as { appendSegments(s: unknown[]): Promise<void> }).appendSegments([Buffer.from('From broken@example.test Tue Nov  3 05:07:09 2026\n'), { handle: spool, path: '/spool/of/broken', size: 5000 }, Buffer.from('\n')]),
      writer.append('fourth@example.test', at, Buffer.from('Subject: 4\r\n\r\nfour\r\n')),
    ]);
    await writer.close();
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failure = (results[1] as PromiseRejectedResult).reason as StorageFailure;
    expect(failure).toBeInstanceOf(StorageFailure);
    expect(failure.message).toMatch(new RegExp(`^cannot read /spool/of/broken: EBADF \\([^)]+\\); ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was rolled back to its last complete entry \\(${before + formatMboxrdEntry('second@example.test', at, second).length} octets\\)$`));
    const senders = [...(await readFile(file, 'latin1')).matchAll(/^From (\S+) /gm)].map((m) => m[1]);
    expect(senders).toEqual(['first@example.test', 'second@example.test', 'fourth@example.test']);
    expect(await readFile(file, 'latin1')).not.toContain('broken');
  });
});

describe('StorageFailure', () => {
  it.each([
    ['ENOSPC', 'ENOSPC: no space left on device, write', true, 'cannot write /x: ENOSPC (no space left on device)'],
    ['EDQUOT', 'EDQUOT: disk quota exceeded, write', true, 'cannot write /x: EDQUOT (disk quota exceeded)'],
    ['EFBIG', 'EFBIG: file too large, write', true, 'cannot write /x: EFBIG (file too large)'],
    ['EIO', 'EIO: i/o error, write', false, 'cannot write /x: EIO (i/o error)'],
  ])('names the file and %s, and says whether it is a lack of space', (code, message, noSpace, expected) => {
    const failure = new StorageFailure('/x', Object.assign(new Error(message), { code }));
    expect(failure).toMatchObject({ errno: code, noSpace, message: expected });
  });
});

describe('MboxrdWriter sync', () => {
  it.each([
    ['a regular file with sync', 'synced.mbox', true, 1],
    ['a regular file without sync', 'unsynced.mbox', false, 0],
    ['a device (nothing to sync) with sync', '/dev/null', true, 0],
  ])('%s: datasync calls per batch', async (_name, name, sync, calls) => {
    const writer = await MboxrdWriter.open(path.isAbsolute(name) ? name : path.join(dir, name), { sync });
    const handle = (writer as unknown as { handle: object }).handle;
    const datasync = vi.spyOn(Object.getPrototypeOf(handle) as { datasync(): Promise<void> }, 'datasync');
    try {
      const at = new Date();
      await Promise.all([writer.append('a@example.test', at, Buffer.from('a\r\n')), writer.append('b@example.test', at, Buffer.from('b\r\n'))]);
      expect(datasync).toHaveBeenCalledTimes(calls);
    } finally {
      datasync.mockRestore();
      await writer.close();
    }
  });
});
