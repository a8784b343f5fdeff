import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { readReplies } from './read-replies.js';
import { startServe } from './serve-cli.js';


describe('XCLIENT and XFORWARD (Postfix) in serve', () => {
  let plain: CaptureServer;
  beforeAll(async () => {
    plain = await startCaptureServer({ hostname: 'mx.smtpdbg.test' });
  });
  afterAll(async () => {
    await plain.close();
  });

  it('are neither advertised nor accepted by default: 550 5.7.0 as Postfix answers an unauthorized client', async () => {
    const client = await connectRaw(plain.port);
    await client.readReply();
    await client.send('EHLO c\r\nXCLIENT ADDR=192.0.2.1\r\nXFORWARD ADDR=192.0.2.1\r\n');
    const [ehlo, xclient, xforward] = await readReplies(client, 3);
    expect(ehlo).not.toMatch(/XCLIENT|XFORWARD/);
    expect(xclient).toBe('550 5.7.0 Error: insufficient authorization\r\n');
    expect(xforward).toBe('550 5.7.0 Error: insufficient authorization\r\n');
    client.close();
  });

  it.each([['--xclient'], ['--scenario', 'xclient']])('serve %s: advertised; XCLIENT gets a new 220 and starts over, XFORWARD 250; both shown decoded', async (...args: string[]) => {
    const serve = await startServe(args);
    try {
      const client = await connectRaw(serve.port);
      await client.readReply();
      await client.send('EHLO proxy.test\r\n');
      const [ehlo] = await readReplies(client, 1);
      expect(ehlo).toContain('250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n');
      expect(ehlo).toContain('250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE\r\n');
      await client.send('XCLIENT NAME=client+2Eexample ADDR=192.0.2.7 HELO=[UNAVAILABLE]\r\nMAIL FROM:<a@b.test>\r\nEHLO again.test\r\nXFORWARD ADDR=198.51.100.9 SOURCE=REMOTE\r\nMAIL FROM:<a@b.test>\r\nXCLIENT ADDR=192.0.2.8\r\nRSET\r\nXCLIENT BOGUS=1\r\n');
      const got = await readReplies(client, 8);
      expect(got[0]).toBe('220 localhost ESMTP smtpdbg capture server: accepts any recipient, relays nothing\r\n');
      expect(got[1]).toBe('503 5.5.1 Error: send HELO/EHLO first\r\n');
      expect(got[2]).toMatch(/^250-localhost greets again\.test\r\n/);
      expect(got[3]).toBe('250 2.0.0 Ok\r\n');
      expect(got[4]).toBe('250 2.1.0 Ok\r\n');
      expect(got[5]).toBe('503 5.5.1 Error: MAIL transaction in progress\r\n');
      expect(got[7]).toBe('501 5.5.4 Bad XCLIENT attribute: unknown attribute name "BOGUS"\r\n');
      const out = await waitFor(() => (/XFORWARD: /.test(serve.stdout()) ? serve.stdout() : undefined), 10_000, 'the XFORWARD line');
      expect(out).toContain('XCLIENT: NAME="client.example" ADDR="192.0.2.7" HELO="[UNAVAILABLE]"');
      expect(out).toContain('XFORWARD: ADDR="198.51.100.9" SOURCE="REMOTE"');
      client.close();
    } finally {
      await serve.stop();
    }
  });
});
