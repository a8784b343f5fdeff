/**
 * Writes to lint-mbox's outputs (standard output, the --extract file), from the main thread
 * and from range workers, and the one way their failures are reported.
 */
import { writeSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { InputError, systemErrorCode } from '../errors.js';

/**
 * `cannot write FILE: ENOSPC (no space left on device)`: the one-line error for an output
 * that failed (exit 2). EPIPE is handed back unchanged: a reader that closed the pipe
 * (`| head`) ends the run quietly, which the command line does for that code.
 */
export function writeFailure(name: string, error: unknown): Error {
  const code = systemErrorCode(error);
  if (code === 'EPIPE') return error as Error;
  const errno = (error as NodeJS.ErrnoException).errno;
  const text = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return new InputError(`cannot write ${name}: ${code ?? String(error)}${text ? ` (${text})` : ''}`, { cause: error });
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes every byte of `bytes` to `fd`, synchronously, so that memory never holds more
 * than what is being written. A non-blocking descriptor (node makes pipes and terminals
 * so) that is full is waited for. Failures are `writeFailure`s naming `name`.
 */
export function writeAll(fd: number, bytes: Uint8Array, name: string): void {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      if (systemErrorCode(error) !== 'EAGAIN') throw writeFailure(name, error);
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}
