import type { TLSSocket } from 'node:tls';

export type HandshakeFailure =
  | { kind: 'timeout' }
  | { kind: 'closed' }
  | { kind: 'error'; error: Error };

/**
 * Waits for a TLS handshake to finish, bounded in time; the client side waits for
 * 'secureConnect', the server side for 'secure'. Rejects with a HandshakeFailure for the
 * caller to word. On timeout the socket is destroyed, so nothing waits on it afterwards.
 */
export function waitForHandshake(socket: TLSSocket, done: 'secure' | 'secureConnect', timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (failure?: HandshakeFailure) => {
      clearTimeout(timer);
      socket.off('close', onClose);
      socket.off(done, onDone);
      // After a failure the error listener stays: a second error during a failed handshake
      // must not become an unhandled 'error' event (settling twice is a no-op).
      if (!failure) socket.off('error', onError);
      if (failure) reject(failure);
      else resolve();
    };
    const onError = (error: Error) => finish({ kind: 'error', error });
    const onClose = () => finish({ kind: 'closed' });
    const onDone = () => finish();
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
      socket.destroy();
    }, timeoutMs);
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once(done, onDone);
  });
}
