import type { Socket } from 'node:net';
import { InboundSocket, type InboundTls } from '../net/inbound-socket.js';
import { formatListenAddress, listen, type ListenAddress, type Listener } from '../net/listener.js';
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

/** One place to listen: TCP or a Unix socket, in plain text (STARTTLS possible) or TLS from the first byte. */
export interface InboundListen {
  address: ListenAddress;
  /** Implicit TLS (RFC 8314 §3.3, port 465 style): the handshake comes before the banner. */
  implicitTls: InboundTls | undefined;
}

/** Where the engine listens, as bound (port 0 replaced by the port the system chose). */
export interface BoundListener {
  address: ListenAddress;
  /** `127.0.0.1:2525`, `unix:/run/x.sock`. */
  text: string;
  implicitTls: boolean;
}

export interface InboundEngineOptions {
  listen: readonly InboundListen[];
  /** Connections served at once; one more is refused. 0: no limit. */
  maxConnections: number;
  /** How long a refused client gets to read the 421 and close before its socket is dropped. */
  closeGraceMs: number;
  /** The 421 text for a connection over the limit, and the note that says so. */
  refusal?: (conn: number, socket: InboundSocket, open: number) => { text: string };
  /**
   * Starts the session of an accepted connection. With `implicitTls` the session does the
   * handshake itself (InboundSocket.startTls) before its first word, so that a failed
   * handshake is reported on the connection it belongs to.
   */
  accept(socket: InboundSocket, slot: InboundSlot, listener: InboundListen): InboundSession;
}

export interface InboundEngine {
  readonly listeners: readonly BoundListener[];
  /** Connections accepted so far, refused ones included. */
  readonly accepted: number;
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
  let accepted = 0;

  const onConnection = (raw: Socket, listener: InboundListen) => {
    const socket = new InboundSocket(raw);
    const conn = ++accepted;
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
    session = options.accept(socket, slot, listener);
    // The slot is taken until the session ends (by either side), not until the socket is
    // gone: a client that keeps its side open after our 421 no longer counts.
    if (released) return;
    sessions.add(session);
    if (inputHeld) session.holdInput?.(true);
  };

  const listeners: Listener[] = [];
  try {
    for (const wanted of options.listen) {
      const listener = await listen({ address: wanted.address, onConnection: (raw) => onConnection(raw, { ...wanted, address: listener.address }) });
      listeners.push(listener);
    }
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close()));
    throw error;
  }
  const bound = listeners.map((l, i): BoundListener => ({ address: l.address, text: formatListenAddress(l.address), implicitTls: options.listen[i]!.implicitTls !== undefined }));
  let closing: Promise<void> | undefined;
  return {
    listeners: bound,
    get accepted() {
      return accepted;
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
        await Promise.all(listeners.map((l) => l.close(graceMs)));
      })();
      return closing;
    },
  };
}
