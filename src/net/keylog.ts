import type { TLSSocket } from 'node:tls';
import { OutputError, outputFailed } from '../io/output-failure.js';
import { RecordFile } from '../io/record-file.js';
import type { TlsSettings } from '../tls/options.js';

/**
 * Key-log files by path, opened for appending at the first secret and kept open: every
 * connection of a run (a proxy's both legs) appends to the same file. Undefined once a
 * file could not be opened (that was reported).
 */
const files = new Map<string, RecordFile | undefined>();

function keylogFile(path: string): RecordFile | undefined {
  if (!files.has(path)) {
    try {
      // Appended to, never truncated: SSLKEYLOGFILE is often shared with browsers and curl.
      files.set(path, RecordFile.open(path, { append: true }));
    } catch (error) {
      files.set(path, undefined);
      outputFailed(path, error instanceof OutputError ? error.cause : error);
    }
  }
  return files.get(path);
}

/** Appends the socket's TLS secrets to `settings.keylogPath`, if set (the client and the proxy's client leg). */
export function attachKeylog(socket: TLSSocket, settings: Pick<TlsSettings, 'keylogPath'>): void {
  const path = settings.keylogPath;
  if (!path) return;
  // NSS key log format (one "LABEL client_random secret" line per secret), as Wireshark
  // reads it. A failed write is reported as an output failure, not as a TLS error: the
  // connection itself is fine.
  socket.on('keylog', (line: Buffer) => void keylogFile(path)?.write(line));
}
