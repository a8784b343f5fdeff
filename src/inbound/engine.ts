import type { Socket } from 'node:net';
import { InboundSocket } from '../net/inbound-socket.js';
import { listen, type Listener } from '../net/listener.js';
import { formatReply, reply } from '../smtp/reply-format.js';

/**
 * The inbound side shared by `serve` and `proxy`: it listens, numbers connections, takes a
 * slot for each (refusing one over the limit with a 421), hands each accepted socket to the
 * command's session, spreads "stop reading" to every session while the program's output
 * falls behind, and at shutdown tells every open client 421 (RFC 5321 §3.8) before the
 * listener closes. What the conversation means stays in src/server and src/proxy.
 */

/** What the engine needs from the session it runs on each accepted connection. */
export interface InboundSession {
  /** Server shutdown: a 421 to the client (RFC 5321 §3.8), then close. Releases the slot. */
  shutdown(): void;
  /** The program's output cannot keep up: stop reading (true) until told otherwise (false). */
  holdInput?(held: boolean): void;
}

/** A session's claim on one of the `maxConnections` slots. */
export interface InboundSlot {
  /** The connection id, from 1, in order of acceptance (refused connections take one too). */
  readonly conn: number;
  /** The session no longer counts against the limit (closed by either side); idempotent. */
  release(): void;
}

export interface InboundEngineOptions {
  host: string;
  port: number;
  /** Connections served at once; one more is refused. 0: no limit. */
  maxConnections: number;
  /** How long a refused client gets to read the 421 and close before its socket is dropped. */
  closeGraceMs: number;
  /** The 421 text for a connection over the limit, and the note that says so. */
  refusal?: (conn: number, socket: InboundSocket, open: number) => { text: string };
  /** Starts the session of an accepted connection. */
  accept(socket: InboundSocket, slot: InboundSlot): InboundSession;
}

export interface InboundEngine {
  host: string;
  port: number;
  /** Connections accepted so far, refused ones included. */
  readonly accepted: number;
  /** Sessions that hold a slot now. */
  readonly open: number;
  holdInput(held: boolean): void;
  /**
   * Shuts every session down (their 421), stops listening, and destroys what is still open
   * after `graceMs`; resolves once the listener is closed.
   */
  close(graceMs: number): Promise<void>;
}

/** The 421 with which a server that cannot serve a connection, or is stopping, ends it (RFC 5321 §3.1, §3.8). */
export const closingReply = (enhanced: string, text: string) => formatReply(reply(421, enhanced, text), 'latin1');

export async function startInboundEngine(options: InboundEngineOptions): Promise<InboundEngine> {
  const sessions = new Set<InboundSession>();
  let inputHeld = false;
  let nextConn = 1;
  let accepted = 0;

  const onConnection = (raw: Socket) => {
    const socket = new InboundSocket(raw);
    const conn = nextConn++;
    accepted++;
    if (options.maxConnections > 0 && sessions.size >= options.maxConnections && options.refusal) {
      // RFC 5321 §3.1: a server that cannot take the connection may answer 421 and close.
      socket.refuse(closingReply('4.7.0', options.refusal(conn, socket, sessions.size).text), options.closeGraceMs);
      return;
    }
    let session: InboundSession | undefined;
    let released = false;
    const slot: InboundSlot = {
      conn,
      release: () => {
        released = true;
        if (session) sessions.delete(session);
      },
    };
    session = options.accept(socket, slot);
    // The slot is taken until the session ends (by either side), not until the socket is
    // gone: a client that keeps its side open after our 421 no longer counts.
    if (released) return;
    sessions.add(session);
    if (inputHeld) session.holdInput?.(true);
  };

  const listener: Listener = await listen({ host: options.host, port: options.port, onConnection });
  let closing: Promise<void> | undefined;
  return {
    host: listener.host,
    port: listener.port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sessions.size;
    },
    holdInput(held) {
      if (held === inputHeld) return;
      inputHeld = held;
      for (const session of sessions) session.holdInput?.(held);
    },
    close(graceMs) {
      closing ??= (async () => {
        for (const session of [...sessions]) session.shutdown();
        // A client gets a moment to read the 421 before its socket is destroyed.
        await listener.close(graceMs);
      })();
      return closing;
    },
  };
}
