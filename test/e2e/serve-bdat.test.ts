import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { EventStream, type SessionEvent } from '../../src/transcript/events.js';
import { connectRaw, waitFor, type RawClient } from '../harness/raw-server.js';
import { readReplies } from './read-replies.js';
import { mboxEntries, startServe } from './serve-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-bdat-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


async function ready(port: number): Promise<RawClient> {
  const client = await connectRaw(port);
  await client.readReply(10_000);
  return client;
}

/** The first chunk holds a fake end of data and a command: in BDAT both are content (RFC 3030 §2). */
const CHUNK_1 = 'Subject: bdat\r\n\r\nfirst\r\n.\r\nQUIT\r\n';
const CHUNK_2 = 'bare\nLF\r\n';

describe('serve receives BDAT (RFC 3030) over raw sockets', () => {
  let server: CaptureServer;
  let events: SessionEvent[];
  let mboxPath: string;

  beforeAll(async () => {
    mboxPath = path.join(dir, 'bdat.mbox');
    const stream = new EventStream();
    events = [];
    stream.subscribe((e) => events.push(e));
    server = await startCaptureServer({ mboxPath, events: stream, hostname: 'mx.smtpdbg.test', maxMessageSize: 200 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('offers CHUNKING and BINARYMIME in the EHLO reply', async () => {
    const client = await ready(server.port);
    await client.send('EHLO client.test\r\n');
    const ehlo = await client.readReply();
    expect(ehlo).toContain('250-CHUNKING\r\n');
    expect(ehlo).toContain('250-BINARYMIME\r\n');
    client.close();
  });

  it('stores pipelined chunks byte-exact: a "." line and a QUIT inside a chunk are content, one 250 per chunk', async () => {
    const client = await ready(server.port);
    const before = server.messages.length;
    await client.send(`EHLO c\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<x@y.test>\r\nBDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT ${CHUNK_2.length} LAST\r\n${CHUNK_2}NOOP\r\n`);
    const got = await readReplies(client, 6);
    expect(got[3]).toBe(`250 2.0.0 Ok: ${CHUNK_1.length} octets received (chunk 1)\r\n`);
    expect(got[4]).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]{12} \(kept here, never relayed\)\r\n$/);
    expect(got[5]).toBe('250 2.0.0 Ok\r\n');
    const message = server.messages[before]!;
    expect(message.data.toString('latin1')).toBe(CHUNK_1 + CHUNK_2);
    expect(message.transfer).toBe('bdat');
    expect(message.chunks).toEqual([CHUNK_1.length, CHUNK_2.length]);
    expect(message.bareLfLines).toEqual([6]);
    const stored = mboxEntries(await readFile(mboxPath)).at(-1)!;
    expect(stored.body).toBe(CHUNK_1 + CHUNK_2);
    const info = events.filter((e) => e.type === 'info').map((e) => (e as { message: string }).message);
    expect(info).toContain(`BDAT chunk 1: ${CHUNK_1.length} octets`);
    expect(info).toContain(`BDAT chunk 2: ${CHUNK_2.length} octets (LAST)`);
    client.close();
  });

  it('answers BDAT without MAIL with 503 and still reads its octets, so the next command is understood', async () => {
    const client = await ready(server.port);
    await client.send('EHLO c\r\nBDAT 12\r\nRSET\r\nQUIT\r\nNOOP\r\n');
    const got = await readReplies(client, 3);
    expect(got[1]).toBe('503 5.5.1 Error: need MAIL command\r\n');
    expect(got[2]).toBe('250 2.0.0 Ok\r\n');
    client.close();
  });

  it('refuses DATA after BDAT in the same transaction with 503, and RSET ends the transaction', async () => {
    const client = await ready(server.port);
    await client.send('EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 3\r\nabcDATA\r\nRSET\r\nMAIL FROM:<a@b.test>\r\n');
    const got = await readReplies(client, 7);
    expect(got[3]).toBe('250 2.0.0 Ok: 3 octets received (chunk 1)\r\n');
    expect(got[4]).toBe('503 5.5.1 Error: DATA after BDAT in the same transaction\r\n');
    expect(got[5]).toBe('250 2.0.0 Ok\r\n');
    expect(got[6]).toBe('250 2.1.0 Ok\r\n');
    client.close();
  });

  it('answers a chunk size that is not a number with 501 and closes (the chunk cannot be skipped)', async () => {
    const client = await ready(server.port);
    await client.send('EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT ten\r\n0123456789');
    const got = await readReplies(client, 4);
    expect(got[3]).toBe('501 5.5.4 Syntax: BDAT chunk-size [LAST]\r\n');
    await client.waitForClose(10_000);
  });

  it('takes BDAT 0 LAST as the end of the message, and refuses BODY=BINARYMIME by DATA', async () => {
    const client = await ready(server.port);
    const before = server.messages.length;
    await client.send('EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 4\r\nabc\nBDAT 0 LAST\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<x@y.test>\r\nDATA\r\n');
    const got = await readReplies(client, 8);
    expect(got[4]).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(server.messages[before]!.data.toString('latin1')).toBe('abc\n');
    expect(got[7]).toBe('503 5.5.1 Error: BODY=BINARYMIME requires BDAT\r\n');
    client.close();
  });

  it('refuses a message over the size limit with 552 at the chunk that passes it; chunks pipelined after it get 503', async () => {
    const client = await ready(server.port);
    const big = 'x'.repeat(150);
    await client.send(`EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 150\r\n${big}BDAT 150\r\n${big}BDAT 5 LAST\r\nhello`);
    const got = await readReplies(client, 6);
    expect(got[3]).toBe('250 2.0.0 Ok: 150 octets received (chunk 1)\r\n');
    expect(got[4]).toBe('552 5.3.4 Message size exceeds fixed maximum message size (200)\r\n');
    expect(got[5]).toBe('503 5.5.1 Error: need MAIL command\r\n');
    client.close();
  });
});

describe('serve (the built CLI) shows chunk boundaries', () => {
  it('a chunk that does not arrive in time is cut by --data-timeout, even one refused with 503 (no chunk can be dripped forever)', async () => {
    const serve = await startServe(['--data-timeout', '500', '--data-min-rate', '0']);
    try {
      const client = await ready(serve.port);
      await client.send('EHLO c\r\nBDAT 100\r\nonly a few');
      const got = await readReplies(client, 2);
      expect(got[1]).toBe('421 4.4.2 localhost Error: timeout exceeded\r\n');
      await client.waitForClose(10_000);
      await waitFor(() => serve.stdout().includes('BDAT chunk of 100 octets too slow: 10 octets in'), 10_000, 'the note');
    } finally {
      await serve.stop();
    }
  });

  it('--json: the message event says it came by BDAT, with its chunk sizes', async () => {
    const serve = await startServe(['--json']);
    try {
      const client = await ready(serve.port);
      await client.send('EHLO c\r\nMAIL FROM:<j@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 3\r\nabcBDAT 2 LAST\r\nde');
      await readReplies(client, 5);
      const line = await waitFor(() => serve.stdout().split('\n').find((l) => l.includes('"type":"message"')), 10_000, 'the message event');
      expect(JSON.parse(line)).toMatchObject({ from: 'j@b.test', size: 5, transfer: 'bdat', chunks: [3, 2] });
      client.close();
    } finally {
      await serve.stop();
    }
  });

  it('prints each chunk with its size, and the chunk octets as received', async () => {
    const mbox = path.join(dir, 'cli.mbox');
    const serve = await startServe(['--mbox', mbox]);
    try {
      const client = await ready(serve.port);
      await client.send(`EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT 7 LAST\r\nlast\r\n.QUIT\r\n`);
      await readReplies(client, 6);
      const out = await waitFor(() => (/octets from <a@b\.test>/.test(serve.stdout()) ? serve.stdout() : undefined), 10_000, 'the message line');
      expect(out).toContain(`BDAT chunk 1: ${CHUNK_1.length} octets`);
      expect(out).toContain('BDAT chunk 2: 7 octets (LAST)');
      client.close();
      expect(mboxEntries(await readFile(mbox))[0]!.body).toBe(`${CHUNK_1}last\r\n.\n`);
    } finally {
      await serve.stop();
    }
  });

  it('streams a BDAT message past 256 KiB through the temporary file to the mbox, byte-exact, one 250 per chunk', async () => {
    const mbox = path.join(dir, 'large.mbox');
    const serve = await startServe(['--mbox', mbox, '--quiet']);
    try {
      const line = `${'y'.repeat(76)}\r\n`;
      const chunk = line.repeat(3000);
      const client = await ready(serve.port);
      await client.send('EHLO c\r\nMAIL FROM:<big@b.test>\r\nRCPT TO:<x@y.test>\r\n');
      await readReplies(client, 3);
      for (let i = 1; i <= 3; i++) {
        await client.send(`BDAT ${chunk.length}${i === 3 ? ' LAST' : ''}\r\n`);
        await client.send(chunk);
        expect(await client.readReply(20_000)).toMatch(i === 3 ? /^250 2\.0\.0 Ok: queued as / : /^250 2\.0\.0 Ok: \d+ octets received/);
      }
      client.close();
      const entries = mboxEntries(await readFile(mbox));
      expect(entries).toHaveLength(1);
      expect(entries[0]!.body.length).toBe(chunk.length * 3);
      expect(entries[0]!.body === chunk.repeat(3)).toBe(true);
      await waitFor(() => serve.stdout().includes(`by BDAT in 3 chunks (${chunk.length} + ${chunk.length} + ${chunk.length} octets)`), 10_000, 'the message line');
    } finally {
      await serve.stop();
    }
  });
});
