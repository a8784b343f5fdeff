import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntrySegment } from './mboxrd.js';
import { StorageFailure, writeAll, type WriteProgress } from './storage.js';

/**
 * Where a message waits while it arrives: the first `threshold` octets in memory, the rest in
 * a temporary file of its own, so that a large message costs a file, not memory. Small
 * messages never touch the disk twice. Writes are awaited by the caller (the session), so a
 * disk slower than the client slows the client down instead of filling memory.
 */
export class MessageSpool {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private file: { path: string; handle: FileHandle; size: number } | undefined;
  private disposed = false;
  /** Set when the temporary file could not be written; what follows is then dropped. */
  failure: StorageFailure | undefined;

  /**
   * `directory` gives (creating it on first use) the directory for the temporary file, named
   * `name` in it.
   */
  constructor(private readonly directory: () => Promise<string>, private readonly name: string, private readonly threshold: number) {}

  async write(parts: readonly Buffer[]): Promise<void> {
    if (this.failure || this.disposed) return;
    for (const part of parts) {
      if (part.length === 0) continue;
      this.chunks.push(part);
      this.buffered += part.length;
    }
    if (this.buffered >= this.threshold) await this.spill();
  }

  private async spill(): Promise<void> {
    const chunks = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    let where = this.name;
    try {
      if (!this.file) {
        where = join(await this.directory(), this.name);
        // Only this process reads it back; nobody else needs to see a message in transit.
        const handle = await open(where, 'w+', 0o600);
        this.file = { path: where, handle, size: 0 };
        if (this.disposed) return await this.dispose();
      }
      const file = this.file;
      where = file.path;
      const progress: WriteProgress = { written: 0 };
      try {
        await writeAll(file.handle, chunks, progress);
      } finally {
        file.size += progress.written;
      }
    } catch (error) {
      this.failure = error instanceof StorageFailure ? error : new StorageFailure(where, error);
    }
  }

  /** The content as entry segments: the part in the temporary file, then the part in memory. */
  segments(): EntrySegment[] {
    const file = this.file;
    return [...(file && file.size > 0 ? [{ handle: file.handle, path: file.path, size: file.size }] : []), ...this.chunks];
  }

  /** Frees the memory and removes the temporary file; safe to call more than once. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.chunks = [];
    this.buffered = 0;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    // close() waits for a write still under way on the handle.
    await file.handle.close().catch(() => undefined);
    await unlink(file.path).catch(() => undefined);
  }
}
