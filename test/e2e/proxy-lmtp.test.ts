import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer } from '../../src/server/capture-server.js';
import { parseTranscript } from '../../src/transcript/reader.js';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';
import { python, run } from './serve-cli.js';
import { startProxyCli as startProxy, stopRunningProxies } from './proxy-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-proxy-lmtp-'));
});
// A test that fails before its own stop() leaves no proxy running.
afterEach(stopRunningProxies);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A recipient whose mailbox is full, as an LMTP delivery agent refuses it after the data. */
const FULL = 'full@x.test';

describe('proxy relays LMTP (RFC 2033)', () => {
  let peer: SmtpServerPeer;
  beforeAll(async () => {
    // nodemailer's smtp-server in LMTP mode: onData answers per recipient with an array.
    peer = await startSmtpServerPeer({
      options: {
        lmtp: true,
        onData(stream, session, callback) {
          stream.on('data', () => undefined);
          stream.on('end', () => {
            const results = session.envelope.rcptTo.map((r) =>
              r.address === FULL ? Object.assign(new Error(`<${r.address}> Mailbox full`), { responseCode: 452 }) : `<${r.address}> delivered`);
            callback(null, results as unknown as string);
          });
        },
      },
    });
  });
  afterAll(async () => {
    await peer.close();
  });

  it("Python's smtplib.LMTP → proxy → smtp-server (LMTP): one reply per accepted recipient after the data, in order, relayed and recorded", async () => {
    const transcript = path.join(dir, 'lmtp.jsonl');
    const proxy = await startProxy(['--upstream', `127.0.0.1:${peer.port}`, '--upstream-tls', 'none', '--transcript', transcript]);
    try {
      const script = `import smtplib
s = smtplib.LMTP('127.0.0.1', ${proxy.port})
s.ehlo('py.test')
s.mail('a@b.test')
for r in ['one@x.test', '${FULL}', 'two@x.test']:
    s.rcpt(r)
code, text = s.data(b'Subject: lmtp relay\\r\\n\\r\\nbody\\r\\n')
print(code, text.decode())
for _ in range(2):
    code, text = s.getreply()
    print(code, text.decode())
print(s.noop()[0])
s.quit()
`;
      const result = await run(python, ['-c', script]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim().split('\n')).toEqual([
        '250 2.6.0 <one@x.test> delivered',
        '452 4.2.2 <full@x.test> Mailbox full',
        '250 2.6.0 <two@x.test> delivered',
        '250',
      ]);
      expect(await proxy.stop()).toBe(0);
      const events = parseTranscript(await readFile(transcript, 'utf8')).entries.map((e) => e.event);
      const toClient = events.filter((e) => e.leg === 'client' && e.type === 'send').map((e) => (e as { data: Buffer }).data.toString('latin1')).join('');
      expect(toClient).toContain('250 2.6.0 <one@x.test> delivered\r\n452 4.2.2 <full@x.test> Mailbox full\r\n250 2.6.0 <two@x.test> delivered\r\n');
      // The upstream leg counts the per-recipient replies too: none is taken for a reply out of step.
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      expect(proxy.stdout()).not.toMatch(/unsolicited|out of step/);
    } finally {
      await proxy.stop();
    }
  });

  it('LMTP with BDAT LAST through the proxy to serve --lmtp: one reply per recipient after the last chunk', async () => {
    const upstream = await startCaptureServer({ tls: false, lmtp: true });
    const proxy = await startProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none']);
    try {
      const client = await connectRaw(proxy.port);
      await client.readReply(10_000);
      await client.send('LHLO app.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@x.test>\r\nRCPT TO:<r2@x.test>\r\nBDAT 3 LAST\r\nhi\nNOOP\r\n');
      const got: string[] = [];
      for (let i = 0; i < 7; i++) got.push(await client.readReply(10_000));
      expect(got[0]).toMatch(/^250-/);
      expect(got[4]).toMatch(/^250 2\.1\.5 <r1@x\.test> Ok: queued as /);
      expect(got[5]).toMatch(/^250 2\.1\.5 <r2@x\.test> Ok: queued as /);
      expect(got[6]).toBe('250 2.0.0 Ok\r\n');
      expect(upstream.messages.at(-1)!.data.toString('latin1')).toBe('hi\n');
      client.close();
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });
});

describe('proxy in front of an LMTP server with STARTTLS upstream', () => {
  it("sends the application's LHLO (not EHLO) before the upstream STARTTLS, and again inside TLS", async () => {
    const upstream = await startCaptureServer({ lmtp: true });
    const proxy = await startProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--insecure-upstream']);
    try {
      const client = await connectRaw(proxy.port);
      await client.readReply(10_000);
      await client.send('LHLO app.test\r\n');
      expect(await client.readReply(10_000)).toMatch(/^250-localhost greets app\.test\r\n/);
      client.close();
      await waitFor(() => /upstream\]  -> LHLO app\.test␍␊[^]*TLS[^]*upstream\]  ~> LHLO app\.test␍␊/.test(proxy.stdout()), 10_000, 'LHLO before and inside TLS');
      expect(proxy.stdout()).not.toContain('-> EHLO');
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });
});

describe('proxy passes XCLIENT and XFORWARD through (Postfix)', () => {
  it('relays both, the 220 that answers XCLIENT included, to serve --xclient, which records the attributes with the message', async () => {
    const upstream = await startCaptureServer({ tls: false, xclient: true });
    const proxy = await startProxy(['--upstream', `127.0.0.1:${upstream.port}`, '--upstream-tls', 'none']);
    try {
      const client = await connectRaw(proxy.port);
      await client.readReply(10_000);
      await client.send('EHLO filter.test\r\n');
      expect(await client.readReply(10_000)).toContain('250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n');
      await client.send('XCLIENT ADDR=192.0.2.5 NAME=real+2Eclient\r\nEHLO filter.test\r\nXFORWARD IDENT=abc123\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\nDATA\r\n');
      const got: string[] = [];
      for (let i = 0; i < 6; i++) got.push(await client.readReply(10_000));
      expect(got[0]).toBe('220 localhost ESMTP smtpdbg capture server: accepts any recipient, relays nothing\r\n');
      expect(got[2]).toBe('250 2.0.0 Ok\r\n');
      expect(got[5]).toMatch(/^354 /);
      await client.send('hi\r\n.\r\n');
      expect(await client.readReply(10_000)).toMatch(/^250 2\.0\.0 Ok: queued as /);
      expect(upstream.messages.at(-1)).toMatchObject({ xclient: { ADDR: '192.0.2.5', NAME: 'real.client' }, xforward: { IDENT: 'abc123' } });
      client.close();
    } finally {
      await proxy.stop();
      await upstream.close();
    }
  });
});
