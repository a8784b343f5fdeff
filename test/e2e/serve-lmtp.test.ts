import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { readReplies } from './read-replies.js';
import { mboxEntries, python, run, startServe } from './serve-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-lmtp-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


describe('serve --lmtp (RFC 2033) over raw sockets', () => {
  let server: CaptureServer;

  beforeAll(async () => {
    server = await startCaptureServer({ lmtp: true, hostname: 'lmtp.smtpdbg.test' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('greets as LMTP, answers EHLO and HELO with 500 and LHLO with its keywords', async () => {
    const client = await connectRaw(server.port);
    expect(await client.readReply()).toBe('220 lmtp.smtpdbg.test LMTP smtpdbg capture server: accepts any recipient, relays nothing\r\n');
    await client.send('MAIL FROM:<a@b.test>\r\nEHLO c\r\nHELO c\r\nLHLO c\r\n');
    const [mail, ehlo, helo, lhlo] = await readReplies(client, 4);
    expect(mail).toBe('503 5.5.1 Error: send LHLO first\r\n');
    expect(ehlo).toBe('500 5.5.1 Error: this server speaks LMTP: send LHLO, not EHLO\r\n');
    expect(helo).toBe('500 5.5.1 Error: this server speaks LMTP: send LHLO, not HELO\r\n');
    expect(lhlo).toMatch(/^250-lmtp\.smtpdbg\.test greets c\r\n250-PIPELINING\r\n/);
    expect(lhlo).toContain('250-CHUNKING\r\n');
    client.close();
  });

  it('gives one reply per accepted recipient after DATA and after BDAT LAST, in RCPT order', async () => {
    const client = await connectRaw(server.port);
    await client.readReply();
    await client.send('LHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<one@x.test>\r\nRCPT TO:<>\r\nRCPT TO:<two@x.test>\r\nDATA\r\n');
    const envelope = await readReplies(client, 6);
    expect(envelope[3]).toMatch(/^501 /);
    expect(envelope[5]).toMatch(/^354 /);
    await client.send('Subject: lmtp\r\n\r\nhi\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<three@x.test>\r\nRCPT TO:<four@x.test>\r\nBDAT 4 LAST\r\nhi\r\nNOOP\r\n');
    const after = await readReplies(client, 8);
    expect(after[0]).toMatch(/^250 2\.1\.5 <one@x\.test> Ok: queued as ([0-9A-F]{12}) /);
    expect(after[1]).toMatch(/^250 2\.1\.5 <two@x\.test> Ok: queued as /);
    expect(after[5]).toMatch(/^250 2\.1\.5 <three@x\.test> Ok: queued as /);
    expect(after[6]).toMatch(/^250 2\.1\.5 <four@x\.test> Ok: queued as /);
    expect(after[7]).toBe('250 2.0.0 Ok\r\n');
    expect(server.messages.at(-2)!.to).toEqual(['one@x.test', 'two@x.test']);
    expect(server.messages.at(-1)!.to).toEqual(['three@x.test', 'four@x.test']);
    client.close();
  });
});

describe('serve --lmtp (the built CLI) with real clients', () => {
  it("Python's smtplib.LMTP: LHLO, then one reply per recipient; lmtp-partial fails the second and stores the message for the others", async () => {
    const mbox = path.join(dir, 'partial.mbox');
    const serve = await startServe(['--scenario', 'lmtp-partial', '--mbox', mbox]);
    try {
      const script = `import smtplib
s = smtplib.LMTP('127.0.0.1', ${serve.port})
# smtplib.LMTP's ehlo() sends LHLO (its ehlo_msg).
print(s.ehlo('py.test')[0])
s.mail('a@b.test')
for r in ['r1@x.test', 'r2@x.test', 'r3@x.test']:
    print(s.rcpt(r)[0])
code, text = s.data(b'Subject: partial\\r\\n\\r\\nbody\\r\\n')
print(code, text.decode())
for _ in range(2):
    code, text = s.getreply()
    print(code, text.decode())
s.quit()
`;
      const result = await run(python, ['-c', script]);
      expect(result.stderr).toBe('');
      const lines = result.stdout.trim().split('\n');
      expect(lines.slice(0, 4)).toEqual(['250', '250', '250', '250']);
      expect(lines[4]).toMatch(/^250 2\.1\.5 <r1@x\.test> Ok: queued as /);
      expect(lines[5]).toBe('452 4.2.2 <r2@x.test> Mailbox full (quota exceeded)');
      expect(lines[6]).toMatch(/^250 2\.1\.5 <r3@x\.test> Ok: queued as /);
      const out = await waitFor(() => (/octets from <a@b\.test>/.test(serve.stdout()) ? serve.stdout() : undefined), 10_000, 'the message line');
      expect(out).toContain('to <r1@x.test>, <r3@x.test>');
      const entries = mboxEntries(await readFile(mbox));
      expect(entries).toHaveLength(1);
      expect(entries[0]!.body).toBe('Subject: partial\r\n\r\nbody\r\n');
    } finally {
      await serve.stop();
    }
  });

  it('a scenario file sets LMTP and the reply of each recipient by address or position', async () => {
    const file = path.join(dir, 'lmtp.jsonc');
    await writeFile(file, `{
  "lmtp": true,
  "rules": [
    { "on": "recipient", "match": "^unknown@", "reply": "550 5.1.1 <unknown@x.test> User doesn't exist" },
    { "on": "recipient", "occurrence": 3, "reply": "451 4.3.0 Temporary failure" }
  ]
}`);
    const serve = await startServe(['--scenario', file]);
    try {
      const client = await connectRaw(serve.port);
      await client.readReply();
      await client.send('LHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<ok@x.test>\r\nRCPT TO:<unknown@x.test>\r\nRCPT TO:<third@x.test>\r\nDATA\r\n');
      await readReplies(client, 6);
      await client.send('hi\r\n.\r\n');
      const got = await readReplies(client, 3);
      expect(got[0]).toMatch(/^250 2\.1\.5 <ok@x\.test> Ok: queued as /);
      expect(got[1]).toBe("550 5.1.1 <unknown@x.test> User doesn't exist\r\n");
      expect(got[2]).toBe('451 4.3.0 Temporary failure\r\n');
      client.close();
    } finally {
      await serve.stop();
    }
  });
});
