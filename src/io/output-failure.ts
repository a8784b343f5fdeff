import { getSystemErrorMap } from 'node:util';
import { ErrorCode, SmtpdbgError, systemErrorCode } from '../errors.js';

/**
 * The one write-error path of every output (standard output, transcripts, key logs, and any
 * file a command writes as it runs). A write that fails inside an event listener or a socket
 * handler cannot throw to anyone who could report it, so the output records its failure
 * here instead; the CLI decides how the run ends (at once, or after a server has closed its
 * connections) and prints the one line. Only the first failure counts: it is the cause, the
 * rest are its consequences.
 */

/** How standard output and standard error are named in messages. */
export const STANDARD_OUTPUT = 'standard output';
export const STANDARD_ERROR = 'standard error';

/** `cannot write FILE: ECODE (message)`, exit 2. */
export class OutputError extends SmtpdbgError {
  /** The file (or "standard output") that could not be written. */
  readonly target: string;
  constructor(target: string, cause: unknown) {
    super(ErrorCode.output, `cannot write ${target}: ${describeSystemError(cause)}`, { cause });
    this.target = target;
  }
}

/** "ENOSPC (no space left on device)": the system's code and its words, as strerror has them. */
export function describeSystemError(error: unknown): string {
  const code = systemErrorCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  const errno = (error as NodeJS.ErrnoException).errno;
  const words = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  // libuv's own messages read "ENOSPC: no space left on device, write": the same words.
  const fallback = /^[A-Z0-9_]+: (.*?)(?:, \w+(?: '.*')?)?$/.exec((error as Error).message)?.[1];
  return `${code} (${words ?? fallback ?? 'unknown error'})`;
}

export interface OutputFailure {
  /** Undefined when standard output went to a pipe its reader closed (EPIPE): not an error. */
  error: OutputError | undefined;
}

type FailureListener = (failure: OutputFailure) => void;

let first: OutputFailure | undefined;
const listeners = new Set<FailureListener>();

/**
 * Records that writing `target` failed. EPIPE on standard output or error is a reader that
 * has had enough (`| head`): like every Unix tool, the run then ends quietly with its own
 * exit code.
 */
export function outputFailed(target: string, cause: unknown): void {
  if (first) return;
  const closedPipe = (target === STANDARD_OUTPUT || target === STANDARD_ERROR) && systemErrorCode(cause) === 'EPIPE';
  first = { error: closedPipe ? undefined : new OutputError(target, cause) };
  for (const listener of [...listeners]) listener(first);
}

/** The first output failure of this run, if any. */
export function outputFailure(): OutputFailure | undefined {
  return first;
}

/** Calls `listener` on the first output failure (at once if there was one already). */
export function onOutputFailure(listener: FailureListener): () => void {
  if (first) {
    listener(first);
    return () => undefined;
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const openOutputs = new Set<() => void>();

/**
 * Registers how to finish an open output (write what it still holds, close it) in case the
 * run must end at once; returns the function that unregisters it, for a normal close.
 */
export function registerOpenOutput(finish: () => void): () => void {
  openOutputs.add(finish);
  return () => openOutputs.delete(finish);
}

/** Finishes every open output; the CLI calls it before it ends a run at once. */
export function finishOpenOutputs(): void {
  for (const finish of [...openOutputs]) {
    openOutputs.delete(finish);
    try {
      finish();
    } catch {
      // A failure while finishing is recorded by the output itself; the run is ending anyway.
    }
  }
}
