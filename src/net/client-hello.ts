import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { TlsSettings } from '../tls/options.js';

/**
 * The first flight of a TLS client, as Node's own TLS stack writes it for these settings
 * (SNI, versions, ciphers): a handshake over a stream that keeps the first write and
 * answers nothing, destroyed once that write is in hand.
 */
export function clientHello(settings: TlsSettings): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
        setImmediate(() => secure.destroy());
      },
    });
    const secure = tlsConnect({
      socket: wire,
      ...(settings.servername ? { servername: settings.servername } : {}),
      ...(settings.minVersion ? { minVersion: settings.minVersion } : {}),
      ...(settings.maxVersion ? { maxVersion: settings.maxVersion } : {}),
      ...(settings.ciphers ? { ciphers: settings.ciphers } : {}),
      rejectUnauthorized: false,
    });
    secure.on('error', () => undefined);
    secure.on('close', () => {
      wire.destroy();
      if (chunks.length > 0) resolve(Buffer.concat(chunks));
      else reject(new Error('internal: the TLS stack wrote no ClientHello'));
    });
  });
}
