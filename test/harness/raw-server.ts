/**
 * Raw TCP peers for hostile and recording tests: a server on 127.0.0.1 port 0 that
 * records every byte each connection sends and lets a test script what it answers
 * (535 then close, a banner dripped byte by byte, no banner at all, …), and a minimal
 * raw client for talking to real servers byte-exactly.
 *
 *   const server = await startRawServer(async (socket, conn) => {
 *     socket.write('220 hostile ESMTP\r\n');
 *     await conn.nextLine();                 // EHLO …
 *     socket.write('250 ok\r\n');
 *     await conn.nextLine();                 // AUTH …
 *     socket.end('535 5.7.8 Authentication failed\r\n');
 *   });
 *   … run the CLI against server.port …
 *   expect(server.connections[0]!.text()).toContain('AUTH PLAIN');
 *   await server.close();                    // destroys open sockets: never hangs
 *
 * A handler that throws or rejects destroys its socket; the error is kept in
 * `conn.error` instead of crashing the test process.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';

export const RAW_HOST = '127.0.0.1';

export interface RawConnection {
  /** 0-based, in accept order. */
  readonly id: number;
  readonly socket: net.Socket;
  /** Every byte received on this connection so far. */
  readonly received: Buffer;
  /** `received` decoded as latin1: one char per byte, so CR/LF/8-bit survive. */
  text(): string;
  /**
   * Resolves with the next line received (through its LF, or through a bare CR when
   * `terminator` is '\r'), in order; lines already read are not returned again.
   * Rejects if the connection ends first or after `timeoutMs`.
   */
  nextLine(timeoutMs?: number, terminator?: '\n' | '\r'): Promise<Buffer>;
  /** Resolves once `received` (from the start) matches. */
  waitForReceived(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** True once the client's side has closed (end or error). */
  readonly closed: boolean;
  /** Socket error or handler failure, if any. */
  readonly error: Error | undefined;
}

export interface RawServer {
  host: typeof RAW_HOST;
  port: number;
  connections: RawConnection[];
  /** Resolves once `n` connections have been accepted. */
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  /** Destroys every open socket, then stops listening. */
  close(): Promise<void>;
}

export type RawConnectionHandler = (socket: net.Socket, conn: RawConnection) => void | Promise<void>;

/**
 * Polls `predicate` until it returns a truthy value and resolves with it. Throws with
 * `what` (or the predicate's source) after `timeoutMs`.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 5_000,
  what?: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`waitFor timed out after ${timeoutMs} ms: ${what ?? predicate.toString()}`);
    await sleep(10);
  }
}

class RecordedConnection implements RawConnection {
  readonly #chunks: Buffer[] = [];
  #received: Buffer = Buffer.alloc(0);
  #stale = false;
  #cursor = 0;
  closed = false;
  error: Error | undefined;

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {
    // Attached before the handler runs, so nothing the client sends can be missed.
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#stale = true;
    });
    socket.on('end', () => {
      this.closed = true;
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', (error) => {
      this.error ??= error;
      this.closed = true;
    });
  }

  get received(): Buffer {
    if (this.#stale) {
      this.#received = Buffer.concat(this.#chunks);
      this.#chunks.length = 0;
      this.#chunks.push(this.#received);
      this.#stale = false;
    }
    return this.#received;
  }

  text(): string {
    return this.received.toString('latin1');
  }

  async nextLine(timeoutMs = 5_000, terminator: '\n' | '\r' = '\n'): Promise<Buffer> {
    const end = await waitFor(
      () => {
        const at = this.received.indexOf(terminator, this.#cursor, 'latin1');
        if (at !== -1) return at + 1;
        if (this.closed) throw new Error(`connection ${this.id} closed before a full line; pending ${JSON.stringify(this.received.subarray(this.#cursor).toString('latin1'))}`);
        return undefined;
      },
      timeoutMs,
      `a line on raw connection ${this.id}`,
    );
    const line = this.received.subarray(this.#cursor, end);
    this.#cursor = end;
    return line;
  }

  async waitForReceived(pattern: string | RegExp, timeoutMs = 5_000): Promise<void> {
    await waitFor(
      () => (typeof pattern === 'string' ? this.text().includes(pattern) : pattern.test(this.text())),
      timeoutMs,
      `${String(pattern)} on raw connection ${this.id}`,
    );
  }
}

export async function startRawServer(onConnection: RawConnectionHandler): Promise<RawServer> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn = new RecordedConnection(connections.length, socket);
    connections.push(conn);
    Promise.resolve()
      .then(() => onConnection(socket, conn))
      .catch((error: unknown) => {
        conn.error ??= error instanceof Error ? error : new Error(String(error));
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, RAW_HOST, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    host: RAW_HOST,
    port,
    connections,
    waitForConnections: async (n, timeoutMs = 5_000) => {
      await waitFor(() => connections.length >= n, timeoutMs, `${n} connection(s) on raw server port ${port}`);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Writes `block` again and again, as fast as the peer reads, until `budget` octets went out
 * or the connection closed (a flood: an endless reply, a line without end). `sent` is
 * called with the running total, so a test can tell how much the peer took.
 */
export function pour(socket: net.Socket, block: Buffer, budget: number, sent: (total: number) => void = () => undefined): Promise<number> {
  let total = 0;
  return new Promise((resolve) => {
    const pump = () => {
      while (total < budget && !socket.destroyed) {
        total += block.length;
        sent(total);
        if (!socket.write(block)) return void socket.once('drain', pump);
      }
      resolve(total);
    };
    socket.once('close', () => resolve(total));
    pump();
  });
}

// ---------------------------------------------------------------- TLS on a raw connection

/** A raw connection after the server side of a TLS handshake: its lines, read in order. */
export interface RawTlsSide {
  socket: tls.TLSSocket;
  nextLine(timeoutMs?: number): Promise<string>;
}

/**
 * Starts the server side of TLS on a raw connection (after the handler answered STARTTLS),
 * with a certificate from fixtures/certs. Resolves once the handshake is done. The raw
 * connection stops recording: what arrives from then on is read with `nextLine`.
 */
export async function acceptTls(socket: net.Socket, certDir: string, name = 'server'): Promise<RawTlsSide> {
  socket.removeAllListeners('data');
  const secure = new tls.TLSSocket(socket, {
    isServer: true,
    key: readFileSync(`${certDir}/${name}-key.pem`),
    cert: readFileSync(`${certDir}/${name}.pem`),
  });
  let received = '';
  let closed = false;
  secure.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  secure.on('close', () => (closed = true));
  secure.on('error', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    secure.once('secure', resolve);
    secure.once('error', reject);
  });
  return {
    socket: secure,
    nextLine: async (timeoutMs = 5_000) => {
      const end = await waitFor(() => {
        const lf = received.indexOf('\n');
        if (lf !== -1) return lf + 1;
        if (closed) throw new Error(`TLS connection closed before a full line; pending ${JSON.stringify(received)}`);
        return undefined;
      }, timeoutMs, 'a line inside TLS');
      const line = received.slice(0, end);
      received = received.slice(end);
      return line;
    },
  };
}

// ---------------------------------------------------------------- raw client

export interface RawClient {
  socket: net.Socket;
  /** Everything received so far. */
  readonly received: Buffer;
  send(data: string | Buffer): Promise<void>;
  /**
   * Resolves with the next complete SMTP reply (all lines of a multi-line reply, each
   * ending in CRLF or LF) after what earlier calls returned, as latin1 text.
   */
  readReply(timeoutMs?: number): Promise<string>;
  /** Resolves once the peer has closed the connection. */
  waitForClose(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** A final SMTP reply line: three digits, then a space or the end of the line (RFC 5321 §4.2). */
const FINAL_REPLY_LINE = /^\d{3}(?: [^\n]*)?\r?\n/;

/** Connects to a server byte-exactly (nothing added, nothing translated). */
export async function connectRaw(port: number, host = RAW_HOST): Promise<RawClient> {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = Buffer.alloc(0);
  let cursor = 0;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {
    closed = true;
  });
  return {
    socket,
    get received() {
      return received;
    },
    send: (data) =>
      new Promise((resolve, reject) => {
        socket.write(data, (error) => (error ? reject(error) : resolve()));
      }),
    readReply: async (timeoutMs = 5_000) => {
      const end = await waitFor(
        () => {
          let lineStart = cursor;
          for (;;) {
            const lf = received.indexOf(0x0a, lineStart);
            if (lf === -1) break;
            const line = received.subarray(lineStart, lf + 1).toString('latin1');
            if (FINAL_REPLY_LINE.test(line)) return lf + 1;
            lineStart = lf + 1;
          }
          if (closed) throw new Error(`connection closed before a complete reply; pending ${JSON.stringify(received.subarray(cursor).toString('latin1'))}`);
          return undefined;
        },
        timeoutMs,
        'an SMTP reply',
      );
      const reply = received.subarray(cursor, end).toString('latin1');
      cursor = end;
      return reply;
    },
    waitForClose: async (timeoutMs = 5_000) => {
      await waitFor(() => closed, timeoutMs, 'the peer to close');
    },
    close: () => {
      socket.destroy();
    },
  };
}
