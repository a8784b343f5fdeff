/**
 * Every failure smtpdbg reports on purpose is an SmtpdbgError with a stable `code`.
 * src/exit-codes.ts maps codes to exit codes; only src/cli/ sets them.
 */
export const ErrorCode = {
  connection: 'ECONNECTION',
  timeout: 'ETIMEDOUT',
  tls: 'ETLS',
  protocol: 'EPROTOCOL',
  auth: 'EAUTH',
  usage: 'EUSAGE',
  input: 'EINPUT',
  output: 'EOUTPUT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class SmtpdbgError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A reply as the error needs it: kept structural so errors.ts depends on nothing. */
export interface ReplyLike {
  code: number;
  lines: string[];
}

export class ConnectionError extends SmtpdbgError {
  /** The last complete reply received before the failure, when there was one. */
  readonly lastReply: ReplyLike | undefined;
  constructor(message: string, options?: { cause?: unknown; lastReply?: ReplyLike }) {
    super(ErrorCode.connection, message, options);
    this.lastReply = options?.lastReply;
  }
}

export class TimeoutError extends SmtpdbgError {
  readonly waitingFor: string;
  readonly timeoutMs: number;
  constructor(waitingFor: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(ErrorCode.timeout, `timed out after ${timeoutMs} ms waiting for ${waitingFor}`, options);
    this.waitingFor = waitingFor;
    this.timeoutMs = timeoutMs;
  }
}

export class TlsError extends SmtpdbgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.tls, message, options);
  }
}

export class ProtocolError extends SmtpdbgError {
  readonly command: string | undefined;
  readonly reply: ReplyLike | undefined;
  readonly replyCode: number | undefined;
  constructor(message: string, options?: { cause?: unknown; command?: string; reply?: ReplyLike }) {
    super(ErrorCode.protocol, message, options);
    this.command = options?.command;
    this.reply = options?.reply;
    this.replyCode = options?.reply?.code;
  }
}

export class AuthError extends SmtpdbgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.auth, message, options);
  }
}

export class UsageError extends SmtpdbgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.usage, message, options);
  }
}

export class InputError extends SmtpdbgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.input, message, options);
  }
}

/** The system's error code (ENOENT, EIO, EPIPE…) of a failed call, if it is one. */
export function systemErrorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * "FILE: cannot read (ENOENT)": the one-line input error for a file that could not be read
 * or written, naming the file (and the option it came from) and the system's reason.
 */
export function fileError(what: string, verb: 'read' | 'write', error: unknown): InputError {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return new InputError(`${what}: cannot ${verb} (${reason})`, { cause: error });
}
