import { randomBytes } from 'node:crypto';
import { ProtocolError, TlsError } from '../errors.js';
import { SmtpClient, type SendOptions } from '../net/smtp-client.js';
import { saslClient, SaslAbort, type ClientMechanism } from '../smtp/sasl/client.js';
import { parseCapabilities, hasExtension, type Capabilities } from '../smtp/capabilities.js';
import { isSuccess, type Reply } from '../smtp/reply.js';
import { Terminators } from '../smtp/terminators.js';
import type { TlsSettings } from '../tls/options.js';
import type { TlsSummary } from '../tls/summary.js';
import type { EventStream } from '../transcript/events.js';
import { isLoopbackAddress, type Target } from './target.js';
import { TlsMode } from './tls-mode.js';

export { TlsMode } from './tls-mode.js';

export interface SessionSettings {
  target: Target;
  family?: 4 | 6;
  timeoutMs: number;
  tlsMode: TlsMode;
  tls: TlsSettings;
  /** A failed certificate verification ends the session (exit 3) instead of warning. */
  strictTls: boolean;
  /** Allows credentials over a connection whose verification failed, or over plain text. */
  insecure: boolean;
  ehloName: string;
  showSecrets: boolean;
  events: EventStream;
  /** LMTP (RFC 2033): LHLO instead of EHLO, and one reply per accepted recipient after the data. */
  lmtp?: boolean;
}

export interface Exchange {
  command: string;
  reply: Reply;
  /** A rejection that a later command made good (EHLO refused, then HELO accepted). */
  superseded?: boolean;
}

/** The command of an exchange whose reply answered nothing we sent (the server is out of step). */
export const UNSOLICITED = '(unsolicited)';

/**
 * One SMTP conversation on top of SmtpClient: knows the verbs, keeps the capabilities
 * before and after TLS, records every command and its reply, and enforces the credential
 * policy. Shared by `session`, `inject` and the interactive UI.
 */
export class SmtpSession {
  readonly settings: SessionSettings;
  readonly client: SmtpClient;
  banner: Reply | undefined;
  capsBeforeTls: Capabilities | undefined;
  capsAfterTls: Capabilities | undefined;
  readonly exchanges: Exchange[] = [];
  /** Terminator for command lines (inject --cmd-term, :term). */
  commandTerminator: Buffer = Terminators.crlf;
  private quitExpected = false;
  /** Unsolicited replies not yet placed among the exchanges (see record). */
  private unplaced: Reply[] = [];

  private constructor(settings: SessionSettings, client: SmtpClient) {
    this.settings = settings;
    this.client = client;
    client.onUnsolicited((reply) => this.unplaced.push(reply));
    // A reply after its wait timed out is kept under its own command, marked, never under a later one.
    client.onLate((reply, answers) => this.record(`${answers.replace(/^the reply to /, '')} (late)`, reply));
  }

  static async connect(settings: SessionSettings): Promise<SmtpSession> {
    const client = await SmtpClient.connect({
      host: settings.target.host,
      port: settings.target.port,
      ...(settings.target.path !== undefined ? { path: settings.target.path } : {}),
      ...(settings.lmtp ? { lmtp: true } : {}),
      timeoutMs: settings.timeoutMs,
      events: settings.events,
      redactSecrets: !settings.showSecrets,
      ...(settings.family ? { family: settings.family } : {}),
      ...(settings.tlsMode === TlsMode.implicit ? { implicitTls: settings.tls } : {}),
    });
    const session = new SmtpSession(settings, client);
    if (client.tlsSummary) session.checkVerification(client.tlsSummary);
    return session;
  }

  get capabilities(): Capabilities | undefined {
    return this.client.tls ? this.capsAfterTls : this.capsBeforeTls;
  }

  get tlsSummary(): TlsSummary | undefined {
    return this.client.tlsSummary;
  }

  async readBanner(): Promise<Reply> {
    const reply = await this.client.readReply('the banner');
    this.banner = reply;
    this.record('(banner)', reply);
    return reply;
  }

  /**
   * Sends one command line with the session's command terminator and records the reply,
   * under the line as the events showed it (an AUTH secret is not kept in the record).
   */
  async command(line: string, options: SendOptions = {}): Promise<Reply> {
    if (/^quit\b/i.test(line.trim())) this.expectQuit();
    const shown = this.client.write(Buffer.concat([Buffer.from(line, 'latin1'), this.commandTerminator]), options).toString('latin1').trimEnd();
    const reply = await this.client.readReply(`the reply to ${shown.split(/\s+/)[0] || 'an empty line'}`);
    this.record(shown, reply);
    return reply;
  }

  /**
   * Adds an exchange, after the unsolicited replies that arrived before its reply, so that
   * the record keeps the order of arrival. Unsolicited replies are placed here rather than
   * when they arrive: a reply that came before them may not have been recorded yet.
   */
  record(command: string, reply: Reply): void {
    this.placeUnsolicited(this.client.arrivalOf(reply));
    this.exchanges.push({ command, reply });
  }

  /** Places every unsolicited reply still waiting (the conversation is over). */
  placeUnsolicited(before = Infinity): void {
    while (this.unplaced.length > 0 && this.client.arrivalOf(this.unplaced[0]!) < before) {
      this.exchanges.push({ command: UNSOLICITED, reply: this.unplaced.shift()! });
    }
  }

  /** Replies that answered nothing we sent: the server was out of step. */
  get unsolicitedReplies(): number {
    return this.client.unsolicited;
  }

  /** True once QUIT was sent (or is about to be), however it was sent. */
  get quitSent(): boolean {
    return this.quitExpected;
  }

  /**
   * QUIT is going out (in a command, a pipelined group or a raw write): the server closing
   * the connection after it is the normal end, not a failure.
   */
  expectQuit(): void {
    this.quitExpected = true;
    this.client.expectClose();
  }

  /** Writes bytes without waiting (raw sends, DATA content, pipelined commands); returns what was recorded. */
  write(bytes: Buffer, options: SendOptions = {}): Buffer {
    return this.client.write(bytes, options);
  }

  async readReply(command: string): Promise<Reply> {
    const reply = await this.client.readReply(`the reply to ${command}`);
    this.record(command, reply);
    return reply;
  }

  /**
   * EHLO, falling back to HELO when the server does not know EHLO (RFC 5321 §3.2). In LMTP,
   * LHLO, which has no fallback (RFC 2033 §4.1).
   */
  async ehlo(name = this.settings.ehloName): Promise<Reply> {
    const reply = await this.command(`${this.settings.lmtp ? 'LHLO' : 'EHLO'} ${name}`);
    if (!this.settings.lmtp && reply.code >= 500 && reply.code < 600 && reply.code !== 554) {
      const refused = this.exchanges.findLast((e) => e.reply === reply);
      const helo = await this.command(`HELO ${name}`);
      // RFC 5321 §3.2: a server without EHLO is still a working server once HELO is accepted.
      if (refused && isSuccess(helo)) refused.superseded = true;
      return helo;
    }
    if (isSuccess(reply)) {
      const caps = parseCapabilities(reply);
      if (this.client.tls) this.capsAfterTls = caps;
      else this.capsBeforeTls = caps;
    }
    return reply;
  }

  /**
   * STARTTLS and the handshake. RFC 3207 §4.2: the client must discard what it knew of the
   * server and issue EHLO again, which the caller does (re-EHLO is automatic in scripted flows).
   */
  async starttls(): Promise<{ reply: Reply; summary?: TlsSummary }> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) return { reply };
    const summary = await this.client.upgradeToTls(this.settings.tls);
    this.checkVerification(summary);
    return { reply, summary };
  }

  /** True when the server advertises STARTTLS and we are not yet in TLS. */
  canStartTls(): boolean {
    return !this.client.tls && hasExtension(this.capsBeforeTls, 'STARTTLS');
  }

  /**
   * AUTH with any mechanism of src/smtp/sasl (RFC 4954): the initial response, then one
   * answer per 334. `secret` is the password, or the bearer token for XOAUTH2. Credentials
   * never go over a connection whose certificate failed verification, nor over plain text to
   * a remote host, unless the user said --insecure. A mechanism that cannot go on (SCRAM's
   * server signature is wrong) cancels with "*" (RFC 4954 §4) and fails (exit 3).
   */
  async authenticate(mechanism: ClientMechanism, user: string, secret: string): Promise<Reply> {
    this.assertCredentialsAllowed();
    const sasl = saslClient(mechanism, user, secret, randomBytes(18).toString('base64'));
    // The client records every secret of the exchange as [redacted] (unless --show-secrets).
    let reply = await this.command(sasl.initialResponse === undefined ? `AUTH ${mechanism}` : `AUTH ${mechanism} ${sasl.initialResponse}`);
    try {
      // Bounded: no mechanism here answers more than two challenges; a server asking for more is stuck.
      for (let step = 0; reply.code === 334 && step < 4; step++) reply = await this.command(sasl.respond(reply.lines[0] ?? ''));
      if (reply.code === 235) sasl.succeeded();
    } catch (error) {
      if (!(error instanceof SaslAbort)) throw error;
      if (reply.code === 334) await this.command('*');
      throw new ProtocolError(error.message, { command: `AUTH ${mechanism}`, reply });
    }
    return reply;
  }

  /**
   * Credentials go in clear only to this machine, decided on the address connected to: a
   * name such as `127.0.0.1.attacker.example` looks local and is not. A Unix-domain socket
   * is on this machine by construction.
   */
  assertCredentialsAllowed(): void {
    if (this.settings.insecure) return;
    const summary = this.client.tlsSummary;
    if (summary && !summary.verified) {
      throw new TlsError(`refusing to send credentials: the certificate of ${this.client.target} failed verification (${summary.verifyError}); use --insecure to send them anyway`);
    }
    if (!summary && this.client.path === undefined && !isLoopbackAddress(this.client.remoteAddress)) {
      const address = this.client.remoteAddress && this.client.remoteAddress !== this.client.host ? ` (${this.client.remoteAddress})` : '';
      throw new TlsError(`refusing to send credentials over an unencrypted connection to ${this.client.target}${address}, which is not this machine; use STARTTLS, or --insecure to send them anyway`);
    }
  }

  /**
   * QUIT, then wait (bounded) for the server to close. A connection the server already
   * closed, or closes without answering QUIT, is reported as what it is — the failure that
   * names the last reply before it (incident 2: a server that closes after 535) — never waited on.
   */
  async quit(): Promise<Reply | undefined> {
    const client = this.client;
    if (client.closed) {
      this.placeUnsolicited();
      if (client.closedAsExpected) return undefined;
      throw client.endedBy ?? new Error("internal: closed without a reason");
    }
    try {
      const reply = await this.command('QUIT');
      await client.waitForClose();
      return reply;
    } finally {
      client.close('after QUIT');
      this.placeUnsolicited();
    }
  }

  close(): void {
    this.client.close();
    this.placeUnsolicited();
  }

  private checkVerification(summary: TlsSummary): void {
    if (summary.verified || !this.settings.strictTls) return;
    const error = new TlsError(`certificate verification failed for ${this.client.target}: ${summary.verifyError} (--strict-tls)`);
    this.client.close('certificate verification failed (--strict-tls)');
    throw error;
  }
}
