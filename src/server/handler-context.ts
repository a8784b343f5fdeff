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
  /** `--auth-users`: the accounts AUTH is checked against; undefined: any credentials. */
  authUsers?: AuthUsers;
}

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
  /** Sends the reply, then closes when the decision says so. */
  finish(decision: Decision | undefined, spec: ReplySpec): void;
  sendReply(spec: ReplySpec): void;
  /** Applies a decision's delay, close or replacement reply; true when it took the place of the default. */
  preempt(decision: Decision | undefined): Promise<boolean>;
  info(message: string): void;
  resetTransaction(): void;
  /** After the 354: the following bytes are message content. */
  beginData(): void;
  /** After the 220 to STARTTLS: the handshake (or, `abort`, a close in its middle). */
  upgradeToTls(abort: boolean): Promise<void>;
  /** Ends the conversation from the server's side, after the pending replies. */
  closeAfterReply(reason: string): void;
}
