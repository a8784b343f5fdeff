import type { AuthExchange } from './auth-exchange.js';
import type { AuthUsers } from './auth-users.js';
import type { ConnectionContext, Decision, ReplySpec, ServerBehaviour, SessionState } from './behaviour.js';

export type { AuthExchange };

/** The settings a command handler reads. */
export interface HandlerSettings {
  hostname: string;
  maxMessageSize: number;
  /** STARTTLS may be offered (a certificate is configured and the connection is plain). */
  tlsAvailable: boolean;
  behaviour: ServerBehaviour;
  /** Speak LMTP (RFC 2033): LHLO instead of EHLO/HELO, one reply per recipient after the data. */
  lmtp: boolean;
  /** Advertise XCLIENT and XFORWARD (Postfix) in the EHLO reply and accept them. */
  xclient: boolean;
  /** `--auth-users`: the accounts AUTH is checked against; undefined: any credentials. */
  authUsers?: AuthUsers;
}

/** Attributes a client gave with XCLIENT or XFORWARD (Postfix), names upper-cased, values xtext-decoded. */
export type ForwardedAttributes = Record<string, string>;

/**
 * What a command handler sees of its connection: the conversation's state and the few
 * actions a verb may take. The session implements it; handlers never see the session, its
 * reader, its timers or its socket, so that the two do not depend on each other.
 */
export interface HandlerContext {
  readonly settings: HandlerSettings;
  /** What behaviour hooks are given about the connection. */
  readonly connection: ConnectionContext;
  state: SessionState;
  helo: string | undefined;
  readonly tls: boolean;
  authenticatedAs: string | undefined;
  from: string | undefined;
  to: string[];
  auth: AuthExchange | undefined;
  /** MAIL had BODY=BINARYMIME (RFC 3030 §3): the content may only come by BDAT. */
  binaryMime: boolean;
  /** XFORWARD attributes for the current transaction (reset with it, as Postfix does). */
  xforward: ForwardedAttributes;
  /** XCLIENT attributes: who the client says the real client is, until the next XCLIENT. */
  xclient: ForwardedAttributes;
  /** Sends the reply, then closes when the decision says so. */
  finish(decision: Decision | undefined, spec: ReplySpec): void;
  sendReply(spec: ReplySpec): void;
  /** Applies a decision's delay, close or replacement reply; true when it took the place of the default. */
  preempt(decision: Decision | undefined): Promise<boolean>;
  info(message: string): void;
  resetTransaction(): void;
  /** After the 354: the following bytes are message content. */
  beginData(): void;
  /**
   * After a BDAT command (RFC 3030 §2): the next `size` octets are read as chunk content, then
   * answered. With `refusal`, they are read and dropped and the refusal is the answer (the
   * stream stays in step); `decision` is the behaviour's, applied once the octets are read.
   */
  beginChunk(size: number, last: boolean, refusal: ReplySpec | undefined, decision: Decision | undefined): void;
  /** The 220 greeting, as at the connection's start (XCLIENT answers with it). */
  greeting(): ReplySpec;
  /** After the 220 to STARTTLS: the handshake (or, `abort`, a close in its middle). */
  upgradeToTls(abort: boolean): Promise<void>;
  /** Ends the conversation from the server's side, after the pending replies. */
  closeAfterReply(reason: string): void;
}
