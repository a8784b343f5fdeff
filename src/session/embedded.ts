import { startCaptureServer, type CaptureServer } from '../server/capture-server.js';
import type { Target } from './target.js';

export interface EmbeddedServer {
  server: CaptureServer;
  target: Target;
  /** The server's generated certificate, trusted for this one conversation. */
  ca: Buffer | undefined;
}

/**
 * With no target, `session` and `inject` talk to the capture server started in-process on a
 * free loopback port, so a new user can try the tool at once. Its self-signed certificate is
 * trusted explicitly, so TLS verification passes without --insecure.
 */
export async function startEmbeddedServer(options: { mboxPath?: string } = {}): Promise<EmbeddedServer> {
  const server = await startCaptureServer({ host: '127.0.0.1', port: 0, ...(options.mboxPath ? { mboxPath: options.mboxPath } : {}) });
  return {
    server,
    target: { host: server.host, port: server.port },
    ca: server.certificate ? Buffer.from(server.certificate) : undefined,
  };
}
