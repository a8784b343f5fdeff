import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { OutputError, outputFailed } from './output-failure.js';

/**
 * A file written record by record with synchronous writes (a JSONL event, the lines of one
 * text event, a key-log line), so that an interrupted process leaves every record it wrote
 * complete. A record is written whole or not at all: a short write is continued, and when a
 * write fails (full disk, file-size limit, I/O error) the file is cut back to the end of the
 * last complete record, closed, and the failure reported once (output-failure.ts). Later
 * writes do nothing.
 */
export class RecordFile {
  readonly path: string;
  private fd: number | undefined;
  private readonly append: boolean;
  /** Where the last complete record ends, for a file we write alone. */
  private end = 0;

  private constructor(path: string, fd: number, append: boolean) {
    this.path = path;
    this.fd = fd;
    this.append = append;
  }

  /**
   * Opens `path` for writing (truncated) or, with `append`, for appending: a key log may be
   * shared with other programs (SSLKEYLOGFILE). Throws OutputError when it cannot be opened.
   */
  static open(path: string, options: { append?: boolean; mode?: number } = {}): RecordFile {
    try {
      return new RecordFile(path, openSync(path, options.append ? 'a' : 'w', options.mode ?? 0o600), options.append ?? false);
    } catch (error) {
      throw new OutputError(path, error);
    }
  }

  /** True until a write failed or the file was closed. */
  get writable(): boolean {
    return this.fd !== undefined;
  }

  /** Writes one whole record; false when it could not (then the failure has been reported). */
  write(record: string | Uint8Array): boolean {
    const fd = this.fd;
    if (fd === undefined) return false;
    const bytes = typeof record === 'string' ? Buffer.from(record, 'utf8') : record;
    // Another program may append to a shared file between our records: start from its size.
    const start = this.append ? (sizeOf(fd) ?? this.end) : this.end;
    try {
      for (let done = 0; done < bytes.length;) {
        const written = writeSync(fd, bytes, done, bytes.length - done);
        if (written === 0) throw Object.assign(new Error('EIO: i/o error, write (no progress)'), { code: 'EIO' });
        done += written;
      }
    } catch (error) {
      this.rollBack(fd, start, bytes.length);
      this.closeFd(false);
      outputFailed(this.path, error);
      return false;
    }
    this.end = start + bytes.length;
    return true;
  }

  close(): void {
    this.closeFd(true);
  }

  /** Cuts off what a failed write left of its record, when that is at the end of the file. */
  private rollBack(fd: number, start: number, length: number): void {
    const size = sizeOf(fd);
    if (size === undefined || size <= start || size >= start + length) return;
    try {
      ftruncateSync(fd, start);
    } catch {
      // Not a regular file (a pipe, a device): nothing can be taken back.
    }
  }

  /** Some file systems (NFS) report a deferred write error only when the file is closed. */
  private closeFd(report: boolean): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch (error) {
      if (report) outputFailed(this.path, error);
    }
  }
}

function sizeOf(fd: number): number | undefined {
  try {
    return fstatSync(fd).size;
  } catch {
    return undefined;
  }
}
