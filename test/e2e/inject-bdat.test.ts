/**
 * `inject --bdat` on the wire, against a small CHUNKING server that records every byte and
 * the moment each chunk's reply went out: the chunks carry the message exactly (no
 * dot-stuffing, no end of data); without PIPELINING each chunk waits for the reply to the
 * one before and a refused chunk ends the transaction (RFC 3030 §2); a server without
 * CHUNKING gets nothing and the run says why (exit 3); option mistakes are usage errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

interface ChunkServer {
  port: number;
  /** Every byte received, per connection. */
  received: Buffer[];
  /** Each chunk as the server read it: its command, its bytes, and what had arrived after it when it was answered. */
  chunks: Array<{ command: string; bytes: Buffer; receivedWhenAnswered: number }>;
  close(): Promise<void>;
}

/**
 * Reads commands by line and BDAT chunks by their size. `refuse`: the 1-based chunk that
 * gets a 554 (later ones in the transaction get 503, as Postfix answers them with an error).
 * `holdUntilLast`: no chunk is answered before the LAST one has arrived — a client that
 * waits for a reply between chunks never gets one. `dataStyle`: the bug the BDAT probes look
 * for — the server ignores the size and reads what follows BDAT (and DATA) up to CRLF.CRLF.
 */
async function startChunkServer(options: { pipelining: boolean; refuse?: number; holdUntilLast?: boolean; binarymime?: boolean; dataStyle?: boolean }): Promise<ChunkServer> {
  const received: Buffer[] = [];
  const chunks: ChunkServer['chunks'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const index = received.push(Buffer.alloc(0)) - 1;
    let pending = Buffer.alloc(0);
    let chunkNo = 0;
    let failed = false;
    let held: string[] = [];
    let inData = false;
    socket.write('220 chunks ESMTP\r\n');
    const step = () => {
      for (;;) {
        if (inData) {
          const end = pending.indexOf('\r\n.\r\n');
          if (end === -1) return;
          pending = pending.subarray(end + 5);
          inData = false;
          socket.write('250 2.0.0 Ok: queued as DATASTYLE\r\n');
          continue;
        }
        const lf = pending.indexOf(0x0a);
        if (lf === -1) return;
        const line = pending.subarray(0, lf + 1).toString('latin1').trimEnd();
        const bdat = /^BDAT (\d+)( LAST)?$/i.exec(line);
        if (options.dataStyle && (bdat || /^DATA$/i.test(line))) {
          pending = pending.subarray(lf + 1);
          if (!bdat) socket.write('354 go ahead\r\n');
          inData = true;
          continue;
        }
        if (bdat) {
          const size = Number(bdat[1]);
          if (pending.length < lf + 1 + size) return;
          const bytes = Buffer.from(pending.subarray(lf + 1, lf + 1 + size));
          pending = pending.subarray(lf + 1 + size);
          chunkNo++;
          chunks.push({ command: line, bytes, receivedWhenAnswered: received[index]!.length - pending.length });
          let reply: string;
          if (failed) reply = '503 5.5.1 Error: earlier chunk refused\r\n';
          else if (chunkNo === options.refuse) {
            failed = true;
            reply = '554 5.6.0 chunk refused\r\n';
          } else reply = bdat[2] ? '250 2.0.0 Ok: queued as CHUNKS1\r\n' : `250 2.0.0 Ok: ${size} octets\r\n`;
          held.push(reply);
          if (!options.holdUntilLast || bdat[2]) {
            socket.write(held.join(''));
            held = [];
          }
          continue;
        }
        pending = pending.subarray(lf + 1);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write(`250-chunks\r\n${options.pipelining ? '250-PIPELINING\r\n' : ''}${options.binarymime ? '250-BINARYMIME\r\n' : ''}250 CHUNKING\r\n`);
        else if (verb === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
        else socket.write('250 2.0.0 Ok\r\n');
      }
    };
    socket.on('data', (data: Buffer) => {
      received[index] = Buffer.concat([received[index]!, data]);
      pending = Buffer.concat([pending, data]);
      step();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    chunks,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bdat-'));
// Lines that DATA would have to dot-stuff or that end DATA early, and bare CR and LF.
const tricky = 'Subject: tricky\r\n\r\n.\r\n..two dots\r\nbare lf\nbare cr\rlast\r\n';
const trickyFile = join(dir, 'tricky.eml');
writeFileSync(trickyFile, tricky, 'latin1');

let server: ChunkServer | undefined;
let peer: SmtpServerPeer | undefined;
afterEach(async () => {
  await server?.close();
  await peer?.close();
  server = undefined;
  peer = undefined;
});

describe('inject --bdat on the wire', () => {
  it('pipelined: every chunk in one write, the message bytes exactly as they are (no dot-stuffing, no end of data)', async () => {
    server = await startChunkServer({ pipelining: true, holdUntilLast: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--data', trickyFile, '--bdat', '--chunks', '20,1,0', '--timeout', '10000'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.chunks.map((c) => c.command)).toEqual(['BDAT 20', 'BDAT 1', 'BDAT 0', `BDAT ${tricky.length - 21} LAST`]);
    // --data takes the file's lines, each ended by CRLF (its own convention): the same bytes DATA would carry unstuffed.
    const sent = Buffer.concat(server.chunks.map((c) => c.bytes)).toString('latin1');
    expect(sent).toBe(tricky);
    expect(server.received[0]!.toString('latin1')).not.toContain('..two dots\r\n.\r\n');
    expect(server.received[0]!.toString('latin1')).not.toMatch(/\r\n\.\.\r\n/);
    expect(result.stdout).toContain(`BDAT: ${tricky.length} octets in 4 chunks, no dot-stuffing: BDAT 20 → 250 2.0.0 Ok: 20 octets; BDAT 1 → 250 2.0.0 Ok: 1 octets; BDAT 0 → 250 2.0.0 Ok: 0 octets; BDAT ${tricky.length - 21} LAST → 250 2.0.0 Ok: queued as CHUNKS1`);
  });

  it('on screen each chunk is announced, so a BDAT line after a chunk that ends mid-line is not shown as message content', async () => {
    server = await startChunkServer({ pipelining: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--bdat', '--chunks', '50,10', '--term', 'lf'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    // Still one write: the server got every chunk before answering any.
    expect(server.chunks.map((c) => c.command)).toEqual(['BDAT 50', 'BDAT 10', expect.stringMatching(/^BDAT \d+ LAST$/)]);
    const lines = result.stdout.split('\n');
    const at = (text: string) => lines.findIndex((line) => line.startsWith(text));
    expect(at('=== BDAT chunk 1 of 3: 50 octets')).toBeGreaterThan(-1);
    expect(lines[at('=== BDAT chunk 1 of 3: 50 octets') + 1]).toBe(' -> BDAT 50␍␊');
    expect(lines[at('=== BDAT chunk 2 of 3: 10 octets') + 1]).toBe(' -> BDAT 10␍␊');
    expect(at('=== BDAT chunk 3 of 3: ')).toBeGreaterThan(at('=== BDAT chunk 2 of 3'));
    expect(result.stdout).not.toMatch(/[^ ]BDAT 10␍␊/);
  });

  it('without PIPELINING: each chunk waits for the reply to the one before', async () => {
    server = await startChunkServer({ pipelining: false });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--data', trickyFile, '--bdat', '--chunk-size', '10', '--json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const full = Math.floor(tricky.length / 10);
    const rest = tricky.length % 10;
    expect(server.chunks.map((c) => c.command)).toEqual([...Array<string>(rest ? full : full - 1).fill('BDAT 10'), `BDAT ${rest || 10} LAST`]);
    // When each chunk was answered, nothing of the next had arrived.
    let end = server.received[0]!.toString('latin1').indexOf('BDAT ');
    for (const chunk of server.chunks) {
      end += chunk.command.length + 2 + chunk.bytes.length;
      expect(chunk.receivedWhenAnswered).toBe(end);
    }
    const json = JSON.parse(result.stdout) as { transactions: Array<{ chunks: Array<{ command: string; octets: number; reply: { code: number } }>; queueId: string | null }> };
    expect(json.transactions[0]!.chunks.map((c) => c.reply.code)).toEqual(server.chunks.map(() => 250));
    expect(json.transactions[0]!.chunks.reduce((n, c) => n + c.octets, 0)).toBe(tricky.length);
    expect(json.transactions[0]!.queueId).toBe('CHUNKS1');
  });

  it('without PIPELINING, a refused chunk ends the transaction: no further BDAT, exit 1', async () => {
    server = await startChunkServer({ pipelining: false, refuse: 2 });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--data', trickyFile, '--bdat', '--chunk-size', '10', '--json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(server.chunks.map((c) => c.command)).toEqual(['BDAT 10', 'BDAT 10']);
    const json = JSON.parse(result.stdout) as { transactions: Array<{ finalReply: { code: number }; accepted: boolean; chunks: Array<{ reply: { code: number } | null }> }> };
    expect(json.transactions[0]!.finalReply.code).toBe(554);
    expect(json.transactions[0]!.accepted).toBe(false);
    expect(json.transactions[0]!.chunks.slice(0, 3).map((c) => c.reply?.code ?? null)).toEqual([250, 554, null]);
  });

  it('a server that does not offer CHUNKING: nothing is sent after EHLO but QUIT, one clear line, exit 3', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--bdat'], { timeoutMs: 60_000 });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(`*** 127.0.0.1:${peer.port} does not offer CHUNKING (RFC 3030) in its EHLO reply: --bdat cannot be used (leave it out to send with DATA)`);
    expect(result.stdout).not.toContain('MAIL FROM');
    expect(peer.messages).toHaveLength(0);
  });

  it.each([
    [['--chunks', '5'], '--chunks goes with --bdat'],
    [['--chunk-size', '5'], '--chunk-size goes with --bdat'],
    [['--bdat', '--chunks', '5', '--chunk-size', '5'], '--chunk-size and --chunks exclude each other'],
    [['--bdat', '--eod', 'lf'], '--bdat sends no end of data: --eod is for DATA'],
    [['--bdat', '--chunks', '5,x'], '--chunks 5,x: give sizes in octets separated by commas'],
    [['--bdat', '--chunk-size', '0'], '--chunk-size'],
    [['--body-type', 'binarymime'], '--body-type BINARYMIME goes with --bdat'],
  ])('usage: %j', async (args, message) => {
    const result = await runCli(['inject', '127.0.0.1:1', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('--body-type binarymime: MAIL carries BODY=BINARYMIME and NULs, 8-bit octets and bare CRs arrive exactly', async () => {
    server = await startChunkServer({ pipelining: true, binarymime: true });
    const binary = Buffer.concat([Buffer.from('Subject: bin\r\nContent-Transfer-Encoding: binary\r\n\r\n', 'latin1'), Buffer.from([0, 1, 0xff, 0x0d, 0x2e, 0x0d, 0x0a, 0x80]), Buffer.from('\r\n', 'latin1')]);
    const file = join(dir, 'binary.eml');
    writeFileSync(file, binary);
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--data', file, '--bdat', '--body-type', 'binarymime'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(server.received[0]!.toString('latin1')).toContain('MAIL FROM:<smtpdbg@localhost> BODY=BINARYMIME\r\n');
    expect(Buffer.concat(server.chunks.map((c) => c.bytes)).equals(binary)).toBe(true);
  });

  it('--body-type binarymime to a server with CHUNKING but without BINARYMIME: not sent, exit 2 (a parameter the server does not advertise)', async () => {
    server = await startChunkServer({ pipelining: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--bdat', '--body-type', 'binarymime'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/\*\*\* MAIL parameter BODY=BINARYMIME \(--body-type\): the server did not advertise BINARYMIME/);
    expect(server.received[0]!.toString('latin1')).not.toContain('MAIL FROM');
  });

  it('--bdat --eod all against a server that reads BDAT like DATA: the fake end inside a chunk smuggles, the short size over-reads, exit 1', async () => {
    server = await startChunkServer({ pipelining: true, dataStyle: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--json', '--bdat', '--eod', 'all', '--timeout', '2000'], { timeoutMs: 120_000 });
    const json = JSON.parse(result.stdout) as { transactions: Array<{ term: string; eod: { name: string }; classification: string }>; exitCode: number };
    const crlf = Object.fromEntries(json.transactions.filter((t) => t.term === 'crlf').map((t) => [t.eod.name, t.classification]));
    expect(crlf).toEqual({
      'bdat-fake-eod': 'smuggled',
      'bdat-longer': 'timeout',
      'bdat-shorter': 'over-read',
      'bdat-zero-last': 'timeout',
      'bdat-data-after-bdat': 'timeout',
    });
    expect(result.code).toBe(1);
  }, 120_000);

  it('--bdat --eod all against a server that counts octets: nothing smuggles, exit 0', async () => {
    server = await startChunkServer({ pipelining: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--bdat', '--eod', 'all', '--timeout', '10000'], { timeoutMs: 120_000 });
    expect(result.stdout).toMatch(/bdat-shorter +BDAT n LAST, then MAIL\.\.DATA past the n octets +producible +counted \(/);
    expect(result.stdout).toContain('=== no variant smuggled');
    expect(result.code).toBe(0);
  }, 120_000);

  it('--chunks adding up to more than the message: exit 2 naming both sizes, before anything is sent', async () => {
    server = await startChunkServer({ pipelining: true });
    const result = await runCli(['inject', `127.0.0.1:${server.port}`, '--plain', '--data', trickyFile, '--bdat', '--chunks', '40,40'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--chunks 40,40 adds up to 80 octets, but the message is ${tricky.length}`);
    expect(server.chunks).toHaveLength(0);
  });
});
