import { ErrorCode } from '../errors.js';

/** The documented exit codes (README, `smtpdbg --help`). */
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
};

export const exitCodeHelp = `Exit codes:
  0  ok
  1  ran, and found problems (lint findings at error level; a 4xx/5xx reply where success was expected)
  2  usage error or unreadable input
  3  connection, TLS or protocol failure (refused, reset, closed by the peer, handshake failed, timeout)`;
