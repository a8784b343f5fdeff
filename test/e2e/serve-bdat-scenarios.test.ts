import { describe, expect, it } from 'vitest';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { readReplies } from './read-replies.js';
import { startServe } from './serve-cli.js';


const ENVELOPE = 'EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@y.test>\r\n';

describe('BDAT scenarios', () => {
  it('bdat-reject: 550 5.6.11 to a bare LF sent by DATA, the same bytes accepted by BDAT', async () => {
    const serve = await startServe(['--scenario', 'bdat-reject']);
    try {
      const client = await connectRaw(serve.port);
      await client.readReply();
      const body = 'Subject: lf\r\n\r\nbare\nline\r\n';
      await client.send(`${ENVELOPE}DATA\r\n`);
      await readReplies(client, 4);
      await client.send(`${body}.\r\n${ENVELOPE.slice('EHLO c\r\n'.length)}BDAT ${body.length} LAST\r\n${body}`);
      const got = await readReplies(client, 4);
      expect(got[0]).toBe('550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA and receiving system does not support BDAT\r\n');
      expect(got[3]).toMatch(/^250 2\.0\.0 Ok: queued as /);
      client.close();
    } finally {
      await serve.stop();
    }
  });

  it('chunking-strict: a chunk longer than announced leaves a non-command after it: 500 5.5.2 and a close; the default server only notes it', async () => {
    const strict = await startServe(['--scenario', 'chunking-strict']);
    const lenient = await startServe([]);
    try {
      for (const serve of [strict, lenient]) {
        const client = await connectRaw(serve.port);
        await client.readReply();
        // Announced 5, sent 11: "world\r\n" follows the chunk where a command should.
        await client.send(`${ENVELOPE}BDAT 5 LAST\r\nhello world\r\n`);
        const got = await readReplies(client, 5);
        expect(got[3]).toMatch(/^250 2\.0\.0 Ok: queued as /);
        if (serve === strict) {
          expect(got[4]).toBe('500 5.5.2 Error: BDAT chunk length mismatch: the octets after the chunk are not a command\r\n');
          await client.waitForClose(10_000);
        } else {
          expect(got[4]).toBe('500 5.5.1 Command unrecognized: "world"\r\n');
          await waitFor(() => serve.stdout().includes('the line after BDAT chunk'), 10_000, 'the note');
          client.close();
        }
      }
    } finally {
      await strict.stop();
      await lenient.stop();
    }
  });
});

describe('BDAT under pipelining-strict', () => {
  it("a chunk sent in the same write as its BDAT is not pipelining (RFC 3030 §2); a command behind the chunk is", async () => {
    const serve = await startServe(['--scenario', 'pipelining-strict']);
    try {
      const client = await connectRaw(serve.port);
      await client.readReply();
      for (const line of ['EHLO c', 'MAIL FROM:<a@b.test>', 'RCPT TO:<x@y.test>']) {
        await client.send(`${line}\r\n`);
        await client.readReply(10_000);
      }
      await client.send('BDAT 5\r\nhello');
      expect(await client.readReply(10_000)).toBe('250 2.0.0 Ok: 5 octets received (chunk 1)\r\n');
      await client.send('BDAT 3 LAST\r\nbyeNOOP\r\n');
      expect(await client.readReply(10_000)).toBe('554 5.5.0 Error: SMTP protocol synchronization\r\n');
      await client.waitForClose(10_000);
    } finally {
      await serve.stop();
    }
  });
});
