/**
 * A small SMTP server for the inject tests whose behaviour the tests choose where real
 * servers differ: what EHLO gets, which sequences end the data. It records every byte
 * of each connection and answers pipelined commands in order, as servers do.
 *
 * `ends: 'exim'` imitates Exim 4.96 with its CVE-2023-51766 fix: the fix (only CRLF "."
 * CRLF ends the data) applies when the message's first line ends in CRLF; when it ends in
 * a bare LF, a "." line ended by LF, or after an LF, ends the data as well. `ends:
 * 'bare-lf'` takes those ends always, as Postfix with smtpd_forbid_bare_newline = no.
 * `rejectUnauthPipelining` answers a DATA with bytes behind it as Postfix's
 * reject_unauth_pipelining does (503), then hangs up as Postfix does on such a client.
 */
import * as net from 'node:net';

export interface MiniServerOptions {
  /** The reply to EHLO (default "250-mini\r\n250 PIPELINING"); the reply to HELO is 250. */
  ehlo?: string;
  ends?: 'standard' | 'exim' | 'bare-lf';
  rejectUnauthPipelining?: boolean;
}

export interface MiniServer {
  port: number;
  /** Every byte each connection sent, in accept order. */
  received: Buffer[];
  /** Messages accepted, as received (still dot-stuffed). */
  messages: Buffer[];
  close(): Promise<void>;
}

const LF = 0x0a;
const CR = 0x0d;

/** Where the data ends: the index of the LF or CRLF before ".", and the end's length. */
function findEnd(buf: Buffer, lfEnds: boolean): { at: number; length: number } | undefined {
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) {
    if (buf[i + 1] !== 0x2e) continue;
    const before = i > 0 && buf[i - 1] === CR;
    const crlfAfter = buf[i + 2] === CR && buf[i + 3] === LF;
    const lfAfter = buf[i + 2] === LF;
    if (before && crlfAfter) return { at: i - 1, length: 5 };
    if (lfEnds && (crlfAfter || lfAfter)) return { at: before ? i - 1 : i, length: (before ? 1 : 0) + 2 + (crlfAfter ? 2 : 1) };
  }
  return undefined;
}

export async function startMiniServer(options: MiniServerOptions = {}): Promise<MiniServer> {
  const received: Buffer[] = [];
  const messages: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const id = received.push(Buffer.alloc(0)) - 1;
    let buf = Buffer.alloc(0);
    let inData = false;
    /** Decided by the first line of each message. */
    let lfEnds: boolean | undefined;
    const reply = (text: string) => socket.write(`${text}\r\n`);
    const run = () => {
      for (;;) {
        if (socket.writableEnded) return;
        if (inData) {
          const firstLf = buf.indexOf(LF);
          if (firstLf === -1) return;
          lfEnds ??= options.ends === 'bare-lf' || (options.ends === 'exim' && buf[firstLf - 1] !== CR);
          // A message that is only "." has no first line: the standard end at offset 0.
          const end = buf.subarray(0, 3).toString('latin1') === '.\r\n' ? { at: -2, length: 5 } : findEnd(buf, lfEnds);
          if (!end) return;
          messages.push(Buffer.from(buf.subarray(0, Math.max(end.at, 0))));
          buf = buf.subarray(end.at + end.length);
          inData = false;
          reply(`250 2.0.0 Ok: queued as MINI${messages.length}`);
          continue;
        }
        const nl = buf.indexOf(LF);
        if (nl === -1) return;
        const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') reply(options.ehlo ?? '250-mini\r\n250 PIPELINING');
        else if (verb === 'HELO' || verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') reply('250 2.0.0 Ok');
        else if (verb === 'DATA' && options.rejectUnauthPipelining && buf.length > 0) {
          reply('503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining');
          socket.end('221 2.7.0 Error: I can break rules, too. Goodbye.\r\n');
          return;
        } else if (verb === 'DATA') {
          reply('354 go ahead');
          inData = true;
          lfEnds = undefined;
        } else if (verb === 'QUIT') {
          socket.end('221 2.0.0 Bye\r\n');
          return;
        } else reply('502 5.5.2 Error: command not recognized');
      }
    };
    socket.on('data', (chunk: Buffer) => {
      received[id] = Buffer.concat([received[id]!, chunk]);
      buf = Buffer.concat([buf, chunk]);
      run();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    reply('220 mini ESMTP');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    messages,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
