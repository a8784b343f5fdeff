import type { FileHandle } from 'node:fs/promises';

/**
 * Writing what the capture server stores (the mbox, a message's temporary file) so that a
 * short write is never taken for a whole one, and a failure says which file and why.
 */

/** Errors that mean "no room": the disk or quota is full, or the file may not grow (RLIMIT_FSIZE). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** The system's words for an errno, out of node's "ECODE: words, syscall …" message. */
function errnoWords(error: NodeJS.ErrnoException): string {
  const match = /^[A-Z0-9_]+: (.+?)(?:, [a-z]+\b.*)?$/.exec(error.message);
  return match?.[1] ?? error.message;
}

/** A write (or the read back of a temporary file) that failed; the message names the file and the errno. */
export class StorageFailure extends Error {
  /** The errno name, e.g. ENOSPC. */
  readonly errno: string;
  /** True when the failure is a lack of space (452 4.3.1 rather than 451 4.3.0). */
  readonly noSpace: boolean;

  constructor(readonly file: string, cause: unknown, verb: 'write' | 'read' = 'write') {
    const error = cause as NodeJS.ErrnoException;
    const errno = typeof error?.code === 'string' ? error.code : 'EIO';
    super(`cannot ${verb} ${file}: ${errno} (${error instanceof Error ? errnoWords(error) : String(cause)})`, { cause });
    this.errno = errno;
    this.noSpace = NO_SPACE.has(errno);
  }

  /** Adds what was done about it (a roll-back) to the message. */
  explain(more: string): this {
    this.message += `; ${more}`;
    return this;
  }
}

/** How far a write got: bytes that reached the file, counted even when a later call fails. */
export interface WriteProgress {
  written: number;
}

/** Linux's IOV_MAX: at most this many buffers per writev. */
const IOV_MAX = 1024;

/**
 * Writes every byte of `buffers` at the end of the file (the handle is opened for appending)
 * or from the file's current position. A writev may write less than it was given — at a
 * file-size limit or on a full disk, the kernel writes what fits and the next call fails —
 * so the rest is written again until all is written or a call throws.
 */
export async function writeAll(handle: FileHandle, buffers: readonly Buffer[], progress: WriteProgress): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  while (rest.length > 0) {
    const batch = rest.length > IOV_MAX ? rest.slice(0, IOV_MAX) : rest;
    const { bytesWritten } = await handle.writev(batch);
    if (bytesWritten === 0) throw Object.assign(new Error('EIO: a write wrote nothing, write'), { code: 'EIO' });
    progress.written += bytesWritten;
    let skip = bytesWritten;
    let i = 0;
    while (i < rest.length && skip >= rest[i]!.length) skip -= rest[i++]!.length;
    rest = rest.slice(i);
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}
