import type { TlsSummary } from '../tls/summary.js';

/**
 * The one typed event stream everything observable goes through. The transcript recorder
 * and the UI subscribe to it; neither knows about the other. `t` is milliseconds since the
 * stream started; `tls` is true once the bytes travel inside TLS.
 *
 * `conn` and `leg` identify the connection and which side of a proxy an event belongs to;
 * single-connection commands leave them out.
 */
export type Leg = 'client' | 'upstream';

interface EventBase {
  t: number;
  tls: boolean;
  conn?: number;
  leg?: Leg;
}

export interface ConnectEvent extends EventBase {
  type: 'connect';
  host: string;
  port: number;
  /** A Unix-domain socket connected to (host and port are then placeholders). */
  path?: string;
  /** The address actually connected to (after DNS), and the local end. */
  remoteAddress?: string;
  localAddress?: string;
  localPort?: number;
}

export interface SendEvent extends EventBase {
  type: 'send';
  data: Buffer;
  /** True when `data` was replaced because it held a secret (AUTH payload). */
  redacted?: boolean;
}

export interface RecvEvent extends EventBase {
  type: 'recv';
  data: Buffer;
  redacted?: boolean;
}

export interface TlsEvent extends EventBase {
  type: 'tls';
  summary: TlsSummary;
}

export interface ReplyEvent extends EventBase {
  type: 'reply';
  code: number;
  lines: string[];
  enhanced?: string;
}

export interface CloseEvent extends EventBase {
  type: 'close';
  /** Who ended it: the peer, us, or an error (reset, timeout). */
  by: 'peer' | 'local' | 'error';
  reason: string;
}

export interface ErrorEvent extends EventBase {
  type: 'error';
  code: string;
  message: string;
}

/**
 * A reply that answers nothing the client sent (RFC 5321 §4.2: one reply per command, the
 * greeting first): the server is out of step, or the reply came after the 220 to STARTTLS
 * (RFC 3207 §6). Recorded as an error line (`***` in text) that carries the reply, so that
 * it is kept out of the slot of the next command and still seen in every transcript.
 */
export interface UnsolicitedReplyEvent extends EventBase {
  type: 'error';
  code: 'EUNSOLICITED';
  message: string;
  reply: { code: number; lines: string[]; enhanced?: string };
}

export interface InfoEvent extends EventBase {
  type: 'info';
  message: string;
}

export type SessionEvent =
  | ConnectEvent
  | SendEvent
  | RecvEvent
  | TlsEvent
  | ReplyEvent
  | CloseEvent
  | ErrorEvent
  | UnsolicitedReplyEvent
  | InfoEvent;

/** Distributive Omit so that `emit({ type: 'send', ... })` type-checks per variant. */
export type EventInput = SessionEvent extends infer E
  ? E extends SessionEvent
    ? Omit<E, 't' | 'tls'> & { tls?: boolean }
    : never
  : never;

export type EventListener = (event: SessionEvent) => void;

/**
 * A synchronous fan-out. Listeners run in subscription order; a throwing listener does not
 * stop the others (its error is rethrown after all ran, so bugs are not hidden).
 */
export class EventStream {
  readonly startedAt: number;
  private readonly listeners = new Set<EventListener>();

  constructor(startedAt = Date.now()) {
    this.startedAt = startedAt;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: SessionEvent): void {
    let failure: unknown;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  now(): number {
    return Date.now() - this.startedAt;
  }
}
