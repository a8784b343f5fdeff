export { ExitCode, exitCodeForError } from '../exit-codes.js';

export const exitCodeHelp = `Exit codes:
  0  ok
  1  ran, and found problems (lint findings at error level; a 4xx/5xx reply where success was expected)
  2  usage error or unreadable input
  3  connection, TLS or protocol failure (refused, reset, closed by the peer, handshake failed, timeout)`;
