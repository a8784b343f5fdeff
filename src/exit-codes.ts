import { ErrorCode } from './errors.js';

/**
 * The documented exit codes (README, `smtpdbg --help`). Outside src/cli/ so that the
 * interactive UI, which returns one, does not depend on the CLI; only src/cli/ exits.
 */
export const ExitCode = {
  ok: 0,
  problems: 1,
  usage: 2,
  failure: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The one table from error codes to exit codes. */
export const exitCodeForError: Record<ErrorCode, ExitCode> = {
  [ErrorCode.connection]: ExitCode.failure,
  [ErrorCode.timeout]: ExitCode.failure,
  [ErrorCode.tls]: ExitCode.failure,
  [ErrorCode.protocol]: ExitCode.failure,
  [ErrorCode.auth]: ExitCode.problems,
  [ErrorCode.usage]: ExitCode.usage,
  [ErrorCode.input]: ExitCode.usage,
  [ErrorCode.output]: ExitCode.usage,
};
