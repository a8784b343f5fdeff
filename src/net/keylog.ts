import { appendFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { TlsError } from '../errors.js';
import type { TlsSettings } from '../tls/options.js';

/** Appends the socket's TLS secrets to `settings.keylogPath`, if set (the client and the proxy's client leg). */
export function attachKeylog(socket: TLSSocket, settings: Pick<TlsSettings, 'keylogPath'>): void {
  const path = settings.keylogPath;
  if (!path) return;
  // NSS key log format (one "LABEL client_random secret" line per secret), as Wireshark reads it.
  socket.on('keylog', (line: Buffer) => {
    try {
      appendFileSync(path, line, { mode: 0o600 });
    } catch {
      socket.emit('error', new TlsError(`--keylog ${path}: cannot write`));
    }
  });
}
