export { ExitCode, exitCodeForError } from '../exit-codes.js';

export const exitCodeHelp = `Exit codes:
  0  ok
  1  ran, and found problems (lint findings at error level; a 4xx/5xx reply where success was expected;
     a reply nobody asked for; a message smuggled, split or altered against --expect)
  2  usage error, unreadable input, or an output that cannot be written
  3  connection, TLS or protocol failure (refused, reset, closed by the peer, 421, handshake failed,
     timeout, an invalid or endless reply); inject --observe: a store that cannot be read`;
