import { ImapFlow } from 'imapflow';
import { isIP } from 'node:net';
import { AuthError, ConnectionError, InputError, TimeoutError, TlsError } from '../errors.js';
import { describeImap, type ImapLocation } from './imap-location.js';
import { verifyReason } from '../tls/describe.js';

/**
 * Reading back a message over IMAP, for `inject --observe imap://…`: log in (STARTTLS, or
 * implicit TLS for imaps://), verified like `session` unless told otherwise, find the
 * messages carrying the trace id with SEARCH, fetch their raw bytes with BODY.PEEK[] so
 * that no flag changes, and optionally delete them afterwards. The protocol is imapflow's,
 * a maintained client; this module only decides what to ask and says what went wrong.
 */

export interface ImapOptions {
  password: () => Promise<string>;
  /** Trusted CA certificates (PEM); the system's when absent. */
  ca?: Buffer;
  /** Accept any certificate (said on the output). */
  insecure: boolean;
  /** Connect, TLS and each command. */
  timeoutMs: number;
  /** Delete the copies found, once read. */
  deleteAfter: boolean;
}

export interface FetchedCopy {
  uid: number;
  bytes: Buffer;
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

/** What went wrong, in words, with the server's own text kept. */
function translate(location: ImapLocation, error: unknown): Error {
  const where = describeImap(location);
  const code = codeOf(error);
  const message = (error as Error).message ?? String(error);
  const response = (error as { responseText?: string }).responseText;
  if ((error as { authenticationFailed?: boolean }).authenticationFailed) {
    return new AuthError(`${where}: login refused${response ? `: ${response}` : ''}`, { cause: error });
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|VERIFY/.test(code)) {
    return new TlsError(`${where}: certificate verification failed: ${verifyReason(code)} (--ca FILE to trust its CA, --insecure to accept it anyway)`, { cause: error });
  }
  if (code === 'ECONNREFUSED') return new ConnectionError(`${where}: connection refused`, { cause: error });
  if (code === 'ETIMEDOUT' || code === 'CONNECT_TIMEOUT' || code === 'GREETING_TIMEOUT' || code === 'UPGRADE_TIMEOUT') return new TimeoutError(`${where}`, 0, { cause: error });
  if (code === 'NoConnection' || code === 'EConnectionClosed' || code === 'ECONNRESET') return new ConnectionError(`${where}: the server closed the connection (${message})`, { cause: error });
  return new ConnectionError(`${where}: ${response ?? message}`, { cause: error });
}

/** An open, logged-in IMAP connection watching one mailbox for the trace id. */
export class ImapStore {
  private constructor(
    private readonly client: ImapFlow,
    readonly location: ImapLocation,
    private readonly options: ImapOptions,
  ) {}

  /** Connects and logs in now, before anything is sent: a wrong password costs nothing. */
  static async open(location: ImapLocation, options: ImapOptions): Promise<ImapStore> {
    const pass = await options.password();
    const client = new ImapFlow({
      host: location.host,
      port: location.port,
      secure: location.secure,
      // imap:// means STARTTLS, required: credentials never cross the wire in clear.
      ...(location.secure ? {} : { doSTARTTLS: true }),
      auth: { user: location.user, pass },
      // SNI only for a name (RFC 6066 §3 forbids an address there).
      tls: { rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}), ...(isIP(location.host) ? {} : { servername: location.host }) },
      logger: false,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: Math.max(options.timeoutMs, 60_000),
      disableAutoIdle: true,
    });
    // Errors after connect arrive as events; a missing listener would end the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw translate(location, error);
    }
    const store = new ImapStore(client, location, options);
    try {
      await client.mailboxOpen(location.mailbox, { readOnly: !options.deleteAfter });
    } catch (error) {
      await store.close();
      throw new InputError(`${describeImap(location)}: cannot open mailbox ${JSON.stringify(location.mailbox)}${(error as { responseText?: string }).responseText ? `: ${(error as { responseText?: string }).responseText}` : ''}`, { cause: error });
    }
    return store;
  }

  /** The messages whose text holds the trace id (SEARCH TEXT looks at header and body). */
  async find(traceId: string): Promise<FetchedCopy[]> {
    try {
      await this.client.noop();
      const uids = await this.client.search({ text: traceId }, { uid: true });
      if (!uids || uids.length === 0) return [];
      const copies: FetchedCopy[] = [];
      // `source` is fetched as BODY.PEEK[]: reading leaves \Seen alone.
      for await (const message of this.client.fetch(uids, { uid: true, source: true }, { uid: true })) {
        if (message.source) copies.push({ uid: message.uid, bytes: Buffer.from(message.source) });
      }
      return copies.sort((x, y) => x.uid - y.uid);
    } catch (error) {
      throw translate(this.location, error);
    }
  }

  async delete(uids: readonly number[]): Promise<void> {
    if (uids.length === 0) return;
    try {
      await this.client.messageDelete(uids.join(','), { uid: true });
    } catch (error) {
      throw translate(this.location, error);
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }
}
