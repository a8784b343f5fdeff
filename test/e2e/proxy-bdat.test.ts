import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { parseTranscript } from '../../src/transcript/reader.js';
import { describePostfix } from '../harness/postfix-context.js';
import { connectRaw } from '../harness/raw-server.js';
import { readReplies } from './read-replies.js';
import { startProxyCli as startProxy, stopRunningProxies } from './proxy-process.js';

let dir: string;
let upstream: CaptureServer;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-proxy-bdat-'));
  upstream = await startCaptureServer({ tls: false, hostname: 'upstream.test' });
});
// A test that fails before its own stop() leaves no proxy running.
afterEach(stopRunningProxies);

afterAll(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});


/** A fake end of data and a command inside a chunk: relayed as content, never acted on. */
const CHUNK_1 = 'Subject: relayed\r\n\r\nx\r\n.\r\nRSET\r\n';
const CHUNK_2 = 'bare\nLF\r\n';

describe('proxy relays BDAT (RFC 3030)', () => {
  it('passes CHUNKING on, relays each chunk exactly by its count, one reply per chunk, and records the chunk boundaries', async () => {
    const transcript = path.join(dir, 'bdat.jsonl');
    const proxy = await startProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none', '--transcript', transcript]);
    try {
      const client = await connectRaw(proxy.port);
      await client.readReply(10_000);
      await client.send('EHLO app.test\r\n');
      expect(await client.readReply(10_000)).toContain('250-CHUNKING\r\n');
      const before = upstream.messages.length;
      await client.send(`MAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT ${CHUNK_2.length} LAST\r\n${CHUNK_2}NOOP\r\n`);
      const got = await readReplies(client, 5);
      expect(got[2]).toBe(`250 2.0.0 Ok: ${CHUNK_1.length} octets received (chunk 1)\r\n`);
      expect(got[3]).toMatch(/^250 2\.0\.0 Ok: queued as /);
      expect(got[4]).toBe('250 2.0.0 Ok\r\n');
      expect(upstream.messages[before]!.data.toString('latin1')).toBe(CHUNK_1 + CHUNK_2);
      expect(upstream.messages[before]!.chunks).toEqual([CHUNK_1.length, CHUNK_2.length]);
      client.close();
      await proxy.stop();
      const events = parseTranscript(await readFile(transcript, 'utf8')).entries.map((e) => e.event);
      const notes = events.filter((e) => e.type === 'info' && e.leg === 'client').map((e) => (e as { message: string }).message);
      expect(notes).toContain(`BDAT chunk 1: ${CHUNK_1.length} octets`);
      expect(notes).toContain(`BDAT chunk 2: ${CHUNK_2.length} octets (LAST)`);
      const sent = events.filter((e) => e.leg === 'upstream' && e.type === 'send').map((e) => (e as { data: Buffer }).data.toString('latin1')).join('');
      expect(sent).toContain(`BDAT ${CHUNK_1.length}\r\n${CHUNK_1}BDAT ${CHUNK_2.length} LAST\r\n${CHUNK_2}NOOP\r\n`);
      expect(proxy.stdout()).toContain(`BDAT chunk 2: ${CHUNK_2.length} octets (LAST)`);
    } finally {
      await proxy.stop();
    }
  });
});

describe('proxy relays a malformed BDAT in step', () => {
  it('BDAT with a readable size and a bad rest: its octets still go up as the chunk, so the next command stays a command', async () => {
    const proxy = await startProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none']);
    try {
      const client = await connectRaw(proxy.port);
      await client.readReply(10_000);
      await client.send('EHLO app.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nBDAT 6 FIRST\r\nQUIT\r\nNOOP\r\n');
      const got = await readReplies(client, 5);
      expect(got[3]).toBe('501 5.5.4 Syntax: BDAT chunk-size [LAST] (unexpected "FIRST" after the chunk size (only LAST may follow))\r\n');
      expect(got[4]).toBe('250 2.0.0 Ok\r\n');
      client.close();
    } finally {
      await proxy.stop();
    }
  });
});

describePostfix('proxy relays BDAT to Postfix (CHUNKING offered by default)', (pf) => {
  it('chunks holding a fake end of data and a command reach the mailbox as one message, each chunk answered by Postfix', async () => {
    const proxy = await startProxy(['--upstream', `127.0.0.1:${pf.ports.default}`, '--upstream-tls', 'none']);
    try {
      const to = pf.uniqueRecipient('bdat');
      const first = `Subject: bdat via proxy\r\nX-Tag: ${to}\r\n\r\none\r\n.\r\nMAIL FROM:<evil@x.test>\r\n`;
      const second = 'two\r\n';
      const client = await connectRaw(proxy.port);
      await client.readReply(15_000);
      await client.send('EHLO app.test\r\n');
      expect(await client.readReply(15_000)).toMatch(/^250[ -]CHUNKING\r\n/m);
      await client.send(`MAIL FROM:<a@example.test>\r\nRCPT TO:<${to}>\r\nBDAT ${first.length}\r\n${first}BDAT ${second.length} LAST\r\n${second}`);
      const got = await readReplies(client, 4);
      expect(got[2]).toMatch(/^250 2\.0\.0 Ok: \d+ bytes\r\n$/);
      expect(got[3]).toMatch(/^250 2\.0\.0 Ok: \d+ bytes queued as \w+\r\n$/);
      client.close();
      const [message] = await pf.waitForMessages(1, 30_000, { to });
      const text = message!.toString('latin1');
      // local(8) stores LF line ends and quotes the "." line nowhere: the fake end of data is content.
      expect(text).toContain('one\n.\nMAIL FROM:<evil@x.test>\ntwo\n');
    } finally {
      await proxy.stop();
    }
  }, 60_000);
});
