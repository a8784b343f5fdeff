/**
 * inject --close-after, --stall-after, --tls-abort: what a server sees when a client hangs up,
 * goes silent or gives up in the TLS handshake on purpose. Our own `serve` shows where the
 * client left; a raw server records the exact bytes and whether the stream ended (FIN).
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { acceptTls, startRawServer, waitFor, type RawConnection, type RawServer } from '../harness/raw-server.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer } from '../harness/smtp-server-peer.js';
import { startServe, type RunningServe } from './serve-cli.js';
import { afterStartTls, expectOneClientHello } from '../harness/client-hello.js';

interface MisbehaveJson {
  exitCode: number;
  transactions: Array<{
    accepted: boolean;
    payloadOctets: number | null;
    error: { code: string; message: string } | null;
    misbehaviour: { done: string[]; carriedOut: boolean; notReached: string | null } | null;
  }>;
}

const json = (stdout: string) => JSON.parse(stdout) as MisbehaveJson;

describe('--close-after against our own serve', () => {
  let serve: RunningServe;
  let connections = 0;
  beforeAll(async () => {
    serve = await startServe([]);
  });
  afterAll(async () => {
    await serve.stop();
  });

  /** serve's lines for connection n, once it has shown that connection's end. */
  const serveSaw = async (n: number) => {
    const tag = `[#${n}] `;
    await waitFor(() => serve.stdout().includes(`${tag}=== connection closed`), 10_000, `serve to show connection ${n} closed`);
    return serve.stdout().split('\n').filter((line) => line.startsWith(tag)).map((line) => line.slice(tag.length));
  };

  it.each([
    ['banner', '220 localhost ESMTP', 'the banner'],
    ['ehlo', '250 HELP', 'EHLO'],
    ['mail', '250 2.1.0 Ok', 'MAIL'],
    ['rcpt', '250 2.1.5 Ok', 'RCPT'],
    ['data-start', '354 End data', 'the 354 to DATA'],
  ])('--close-after %s: serve shows the client leaving right after %j, no QUIT; exit 0', async (stage, lastLine, words) => {
    const result = await runCli(['inject', `127.0.0.1:${serve.port}`, '--plain', '--close-after', stage]);
    const n = ++connections;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`closed the connection after ${words}, without QUIT (--close-after ${stage})`);
    const lines = await serveSaw(n);
    const closed = lines.findIndex((line) => line.startsWith('=== connection closed'));
    expect(lines[closed]).toBe('=== connection closed (by the client): the client closed the connection');
    expect(lines[closed - 1]).toContain(lastLine);
    expect(lines.join('\n')).not.toContain('QUIT');
  });

  it('--close-after tls: the STARTTLS handshake completes on the server\'s side (its last flight is not lost), then the client leaves', async () => {
    const result = await runCli(['inject', `127.0.0.1:${serve.port}`, '--close-after', 'tls']);
    const n = ++connections;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('closed the connection after the TLS handshake, without QUIT (--close-after tls)');
    const lines = await serveSaw(n);
    const closed = lines.findIndex((line) => line.startsWith('=== connection closed'));
    expect(lines[closed]).toBe('=== connection closed (by the client): the client closed the connection');
    expect(lines[closed - 1]).toMatch(/^=== TLS started: /);
  });

  it('--close-after mid-data: serve received the message\'s first half, no end of data; --json says what was done', async () => {
    const result = await runCli(['inject', `127.0.0.1:${serve.port}`, '--plain', '--close-after', 'mid-data', '--json']);
    const n = ++connections;
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.exitCode).toBe(0);
    const [transaction] = report.transactions;
    expect(transaction!.misbehaviour).toEqual({ done: ['closed the connection after half the message, without QUIT (--close-after mid-data)'], carriedOut: true, notReached: null });
    expect(transaction!.accepted).toBe(false);
    expect(transaction!.error).toBeNull();
    const lines = await serveSaw(n);
    expect(lines.some((line) => line.startsWith('<-  Date: '))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/queued|QUIT|This message was sent/);
  });
});

/** A server that answers the opening, MAIL, RCPT and DATA, and records what comes after the 354. */
async function scriptedServer(options: { starttls?: boolean } = {}): Promise<RawServer> {
  return startRawServer(async (socket: Socket, conn: RawConnection) => {
    socket.on('end', () => (ended.set(conn.id, true)));
    socket.write('220 raw ESMTP\r\n');
    for (;;) {
      const line = (await conn.nextLine(20_000)).toString('latin1');
      if (/^EHLO /i.test(line)) socket.write(`250-raw\r\n250-PIPELINING\r\n${options.starttls ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
      else if (/^STARTTLS/i.test(line)) return void socket.write('220 2.0.0 go ahead\r\n');
      else if (/^DATA/i.test(line)) return void socket.write('354 go ahead\r\n');
      else socket.write('250 ok\r\n');
    }
  });
}
const ended = new Map<number, boolean>();

describe('exact bytes, on a raw server', () => {
  it('--close-after mid-data sends exactly the first half of the payload, then ends the stream (FIN), no QUIT', async () => {
    ended.clear();
    const server = await scriptedServer();
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--close-after', 'mid-data', '--json', '--body', 'x'.repeat(2000)]);
      expect(result.code).toBe(0);
      const report = json(result.stdout);
      const conn = server.connections[0]!;
      await waitFor(() => conn.closed, 10_000, 'the client to close');
      const text = conn.text();
      const content = text.slice(text.indexOf('DATA\r\n') + 'DATA\r\n'.length);
      expect(report.transactions[0]!.payloadOctets).toBe(content.length);
      // Half of the message and its end of data: the message has a 2000-octet body.
      expect(content.length).toBeGreaterThan(900);
      expect(content).toMatch(/^Date: /);
      expect(content).not.toContain('\r\n.\r\n');
      expect(text).not.toContain('QUIT');
      expect(ended.get(0)).toBe(true);
      expect(conn.error).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it('--tls-abort after the 220 to STARTTLS: one TLS handshake record holding a ClientHello, then the stream ends', async () => {
    ended.clear();
    const server = await scriptedServer({ starttls: true });
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--tls-abort', '--servername', 'mx.example.test']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('sent a TLS ClientHello after the 220 to STARTTLS, then closed the connection without finishing the handshake (--tls-abort)');
      const conn = server.connections[0]!;
      await waitFor(() => conn.closed, 10_000, 'the client to close');
      const received = conn.received;
      expectOneClientHello(afterStartTls(received), 'mx.example.test');
      expect(ended.get(0)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('--tls-abort with --tls (implicit TLS): the ClientHello is the first thing sent', async () => {
    const server = await startRawServer(() => undefined);
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--tls', '--tls-abort', '--json']);
      expect(result.code).toBe(0);
      expect(json(result.stdout).transactions[0]!.misbehaviour!.done).toEqual([
        'sent a TLS ClientHello on connecting (implicit TLS), then closed the connection without finishing the handshake (--tls-abort)',
      ]);
      const conn = server.connections[0]!;
      await waitFor(() => conn.closed, 10_000, 'the client to close');
      expect([...conn.received.subarray(0, 2)]).toEqual([0x16, 0x03]);
      expect(conn.received[5]).toBe(0x01);
    } finally {
      await server.close();
    }
  });

  it('--close-after tls with --tls (implicit TLS): the handshake completes, then the client leaves before the banner', async () => {
    let handshake = false;
    let inside = '';
    let endedInside = false;
    const server = await startRawServer(async (socket) => {
      const secure = await acceptTls(socket, join(REPO_ROOT, 'fixtures/certs'));
      handshake = true;
      secure.socket.on('data', (chunk: Buffer) => (inside += chunk.toString('latin1')));
      secure.socket.on('end', () => (endedInside = true));
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--tls', '--close-after', 'tls', '--timeout', '10000']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('closed the connection after the TLS handshake, without QUIT (--close-after tls)');
      await waitFor(() => endedInside, 10_000, 'the client to end the TLS stream');
      expect(handshake).toBe(true);
      expect(inside).toBe('');
    } finally {
      await server.close();
    }
  });

  it('--stall-after rcpt=MS longer than --timeout: nothing is sent for MS, then the transaction carries on and is accepted', async () => {
    const peer = await startSmtpServerPeer();
    try {
      const started = Date.now();
      const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--timeout', '1000', '--stall-after', 'rcpt=2500', '--stall-after', 'mid-data=1500', '--json'], { timeoutMs: 30_000 });
      expect(result.code).toBe(0);
      const report = json(result.stdout);
      expect(report.transactions[0]!.accepted).toBe(true);
      expect(report.transactions[0]!.misbehaviour).toEqual({
        done: ['stalled 2500 ms after RCPT (--stall-after rcpt=2500)', 'stalled 1500 ms after half the message (--stall-after mid-data=1500)'],
        carriedOut: false,
        notReached: null,
      });
      // The stalls really waited (a lower bound only: a loaded machine may take longer).
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
      const [message] = await peer.waitForMessages(1);
      expect(message!.raw.toString('latin1')).toMatch(/^Date: [^]*\r\n\r\nThis message was sent by smtpdbg inject/);
    } finally {
      await peer.close();
    }
  });

  it('the stall happens between RCPT and DATA on the wire', async () => {
    const times: number[] = [];
    const server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw ESMTP\r\n');
      for (;;) {
        const line = (await conn.nextLine(20_000)).toString('latin1');
        times.push(Date.now());
        if (/^EHLO /i.test(line)) socket.write('250 raw\r\n');
        else if (/^DATA/i.test(line)) socket.write('554 no thanks\r\n');
        else if (/^QUIT/i.test(line)) return void socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--stall-after', 'rcpt=1500']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('stalling 1500 ms after RCPT (--stall-after rcpt=1500): nothing is sent meanwhile');
      const lines = server.connections[0]!.text().split('\r\n');
      expect(lines.slice(1, 4)).toEqual(['MAIL FROM:<smtpdbg@localhost>', 'RCPT TO:<postmaster@localhost>', 'DATA']);
      // EHLO, MAIL, RCPT, DATA: the gap is before DATA.
      expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(1400);
    } finally {
      await server.close();
    }
  });
});

describe('when the stage is not reached, and usage errors', () => {
  it('--close-after tls with a server without STARTTLS: closed after EHLO, exit 1, says why', async () => {
    const server = await scriptedServer();
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--close-after', 'tls']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('closed the connection after EHLO, without QUIT (no TLS handshake: the server does not advertise STARTTLS)');
    } finally {
      await server.close();
    }
  });

  it('--close-after rcpt when MAIL is refused: the refusal as usual (exit 1), QUIT sent', async () => {
    const server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 raw\r\n');
      await conn.nextLine();
      socket.write('550 5.7.1 not you\r\n');
      await conn.nextLine();
      socket.end('221 bye\r\n');
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--close-after', 'rcpt', '--json']);
      expect(result.code).toBe(1);
      expect(json(result.stdout).transactions[0]!.misbehaviour).toEqual({ done: [], carriedOut: false, notReached: null });
      expect(server.connections[0]!.text()).toContain('QUIT\r\n');
    } finally {
      await server.close();
    }
  });

  it('a server that hangs up during the stall before the close: its 421 is the outcome (exit 3), not a close of ours', async () => {
    const server = await startRawServer(async (socket, conn) => {
      socket.write('220 raw ESMTP\r\n');
      await conn.nextLine();
      socket.write('250 raw\r\n');
      await conn.nextLine();
      socket.write('250 ok\r\n');
      socket.end('421 4.4.2 idle for too long\r\n');
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--stall-after', 'mail=3000', '--close-after', 'mail', '--json']);
      expect(result.code).toBe(3);
      const report = json(result.stdout);
      expect(report.transactions[0]!.misbehaviour).toEqual({ done: ['stalled 3000 ms after MAIL (--stall-after mail=3000)'], carriedOut: false, notReached: null });
      expect(report.transactions[0]!.error!.code).toBe('ECONNECTION');
    } finally {
      await server.close();
    }
  });

  it.each([
    [['--close-after', 'later'], '--close-after later: expected one of banner, ehlo, tls, mail, rcpt, data-start, mid-data'],
    [['--stall-after', 'rcpt'], '--stall-after rcpt: expected STAGE=MS, STAGE one of banner, ehlo, tls, mail, rcpt, data-start, mid-data'],
    [['--stall-after', 'rcpt=1', '--stall-after', 'rcpt=2'], '--stall-after rcpt given twice'],
    [['--tls-abort', '--plain'], '--tls-abort sends a ClientHello: not with --plain'],
    [['--tls-abort', '--close-after', 'rcpt'], '--close-after and --tls-abort exclude each other: --tls-abort closes after its ClientHello'],
    [['--close-after', 'rcpt', '--count', '2'], '--close-after is for a single send, not --matrix, --eod all or --count'],
    [['--close-after', 'rcpt', '--retry', '2'], '--close-after ends the conversation on purpose: not with --retry'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await runCli(['inject', '127.0.0.1:9', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`smtpdbg: ${message}\n`);
    expect(result.stdout).toBe('');
  });
});
