import type { ServerMechanism } from './auth-exchange.js';
import type { ReplySpec } from '../smtp/reply-format.js';
import type { LineTerminator } from '../smtp/server-reader.js';

export type { ReplySpec } from '../smtp/reply-format.js';

/**
 * The seam through which `serve --scenario` (and tests) make the capture server misbehave on
 * purpose. The server asks its behaviour before it acts — at the banner, before each
 * command, when a message is complete, when a client goes idle — and a hook answers with a
 * Decision or nothing (undefined keeps the default). Hooks see plain data, never sockets.
 */

export type SessionState =
  /** Connected; no EHLO/HELO yet (or again after STARTTLS, RFC 3207 §4.2). */
  | 'greeting'
  | 'ready'
  /** MAIL accepted, no recipient yet. */
  | 'mail'
  /** At least one RCPT accepted. */
  | 'rcpt'
  | 'data'
  /** BDAT chunks accepted (RFC 3030 §2), the one marked LAST not yet. */
  | 'bdat'
  /** Inside an AUTH exchange (RFC 4954 §4), waiting for a response line. */
  | 'auth';

export interface Decision {
  /** Wait this long before doing anything else (the default reply included). */
  delayMs?: number;
  /** Send this instead of the default reply. */
  reply?: ReplySpec;
  /**
   * Close the connection: 'now' without a reply, 'after-reply' once the reply (the given one
   * or the default) is written.
   */
  close?: 'now' | 'after-reply';
  /** STARTTLS only: send the 220, then close the connection in the middle of the handshake. */
  abortTls?: boolean;
}

export interface ConnectionContext {
  conn: number;
  /** The server's own name, as in its banner. */
  hostname: string;
  remoteAddress: string;
  remotePort: number;
  tls: boolean;
}

export interface CommandContext extends ConnectionContext {
  /** Upper-cased verb ("MAIL"), or "" for an empty line. */
  verb: string;
  /** Everything after the verb and one space, as latin1. */
  argument: string;
  line: Buffer;
  terminator: LineTerminator;
  state: SessionState;
  /** How many times this verb has been seen on this connection, this one included. */
  occurrence: number;
  /** True when more bytes had already arrived behind this command (RFC 2920 pipelining). */
  pipelined: boolean;
  /**
   * Milliseconds from the server's previous reply (or the connection) to this command's
   * end: how long the client took to send it, trickled bytes included.
   */
  sinceLastReplyMs: number;
  helo: string | undefined;
  from: string | undefined;
  to: readonly string[];
  authenticated: boolean;
  /**
   * True when this line came right after the octets of a BDAT chunk: if the chunk's announced
   * size was wrong, this "command" is really message content (RFC 3030 §2).
   */
  afterChunk: boolean;
}

export interface MessageContext extends ConnectionContext {
  from: string;
  to: readonly string[];
  /** The content after dot-unstuffing. */
  data: Buffer;
  /** The content as received, still dot-stuffed, without the end-of-data indicator. */
  stuffed: Buffer;
  /** How many messages this connection has sent, this one included. */
  occurrence: number;
  /** How the content came: after DATA (dot-stuffed, RFC 5321) or in BDAT chunks (RFC 3030). */
  transfer: 'data' | 'bdat';
  bareCrLines: readonly number[];
  bareLfLines: readonly number[];
  longLines: readonly number[];
}

export interface MessageDecision extends Decision {
  /** What to store instead of `data` (a normalising or corrupting pipeline), or false to store nothing. */
  store?: Buffer | false;
}

export interface AuthContext extends ConnectionContext {
  mechanism: ServerMechanism;
  /** The authentication identity the client gave (never the secret). */
  user: string;
}

export interface RecipientContext extends ConnectionContext {
  /** The recipient's address, as given in its RCPT. */
  recipient: string;
  /** Its place among the accepted recipients, from 1 (RFC 2033 §4.2: replies come in this order). */
  position: number;
  from: string;
}

type Maybe<T> = T | undefined | Promise<T | undefined>;

export interface ServerBehaviour {
  /** A short name shown in the banner line of `serve`'s output. */
  readonly name?: string;
  /** Before the 220 greeting. */
  onConnect?(context: ConnectionContext): Maybe<Decision>;
  /** Before the default handling of every command line (AUTH response lines excluded). */
  onCommand?(context: CommandContext): Maybe<Decision>;
  /** When an AUTH exchange has all its responses, before the default 235 (RFC 4954 §4). */
  onAuth?(context: AuthContext): Maybe<Decision>;
  /** The EHLO keywords to advertise; gets the defaults, returns the ones to send. */
  capabilities?(context: ConnectionContext, keywords: readonly string[]): readonly string[];
  /** After the end of data, before the message is stored and answered. */
  onMessage?(context: MessageContext): Maybe<MessageDecision>;
  /**
   * LMTP only (RFC 2033 §4.2): after the end of data, the reply for one accepted recipient;
   * undefined keeps the default 250. A recipient answered 4xx/5xx is not stored with the message.
   */
  onRecipientResult?(context: RecipientContext): Maybe<ReplySpec>;
  /** When the idle timeout fires; the default is 421 4.4.2 and close. */
  onIdle?(context: ConnectionContext): Maybe<Decision>;
}

/** The capture server as documented: every hook keeps the default. */
export const defaultBehaviour: ServerBehaviour = { name: 'default' };
