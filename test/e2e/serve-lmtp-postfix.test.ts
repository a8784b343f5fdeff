/**
 * Real Postfix 3.7 as the client of `serve`: its lmtp(8) delivering to `serve --lmtp`, and its
 * smtp(8) sending XFORWARD to `serve --xclient`. Run under `flock /tmp/smtpdbg-postfix.lock`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { LMTP_RELAY, XFORWARD_RELAY } from '../harness/postfix.js';
import { connectRaw, waitFor } from '../harness/raw-server.js';
import { startServe } from './serve-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'smtpdbg-serve-postfix-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Submits one message to Postfix over SMTP, recipients as given. */
async function submit(port: number, from: string, to: string[], subject: string): Promise<void> {
  const client = await connectRaw(port);
  await client.readReply(15_000);
  await client.send('EHLO submitter.test\r\n');
  await client.readReply(15_000);
  await client.send(`MAIL FROM:<${from}>\r\n`);
  expect(await client.readReply(15_000)).toMatch(/^250 /);
  for (const rcpt of to) {
    await client.send(`RCPT TO:<${rcpt}>\r\n`);
    expect(await client.readReply(15_000)).toMatch(/^250 /);
  }
  await client.send('DATA\r\n');
  expect(await client.readReply(15_000)).toMatch(/^354 /);
  await client.send(`Subject: ${subject}\r\n\r\nthrough Postfix\r\n.\r\nQUIT\r\n`);
  expect(await client.readReply(15_000)).toMatch(/^250 /);
  client.close();
}

describePostfix('Postfix as the client of serve', (pf) => {
  it("Postfix's lmtp(8) delivers to serve --lmtp: LHLO, one reply per recipient, a 550 for one of them bounces only that one", async () => {
    const tag = `lmtp${Date.now().toString(36)}`;
    const scenario = path.join(dir, 'lmtp.jsonc');
    await writeFile(scenario, JSON.stringify({
      lmtp: true,
      rules: [{ on: 'recipient', match: '^nobody-', reply: `550 5.1.1 <nobody-${tag}@${LMTP_RELAY.domain}> User unknown` }],
    }));
    const serve = await startServe(['--listen', `127.0.0.1:${LMTP_RELAY.port}`, '--scenario', scenario]);
    try {
      const ok = `ok-${tag}@${LMTP_RELAY.domain}`;
      const nobody = `nobody-${tag}@${LMTP_RELAY.domain}`;
      await submit(pf.ports.default, pf.uniqueRecipient(tag), [ok, nobody], `lmtp ${tag}`);
      const out = await waitFor(() => (serve.stdout().includes(`to <${ok}>`) ? serve.stdout() : undefined), 30_000, 'the message at serve');
      expect(out).toMatch(/<-  LHLO mx\.localhost␍␊/);
      expect(out).toContain(`550 5.1.1 <${nobody}> User unknown`);
      const log = await waitFor(async () => {
        const text = await pf.readLog();
        return text.includes(`to=<${nobody}>`) && text.includes(`to=<${ok}>`) ? text : undefined;
      }, 30_000, 'Postfix to log both recipients');
      expect(log).toMatch(new RegExp(`postfix/lmtp\\[\\d+\\]: \\w+: to=<${ok.replace(/[.]/g, '\\.')}>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:${LMTP_RELAY.port},.* status=sent \\(250 2\\.1\\.5 <${ok.replace(/[.]/g, '\\.')}> Ok: queued as`));
      expect(log).toMatch(new RegExp(`to=<${nobody.replace(/[.]/g, '\\.')}>,.* status=bounced \\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 550 5\\.1\\.1`));
    } finally {
      await serve.stop();
    }
  }, 90_000);

  it("Postfix's smtp(8) with smtp_send_xforward_command = yes sends XFORWARD to serve --xclient, which shows it", async () => {
    const tag = `xf${Date.now().toString(36)}`;
    const serve = await startServe(['--listen', `127.0.0.1:${XFORWARD_RELAY.port}`, '--xclient']);
    try {
      const to = `${tag}@${XFORWARD_RELAY.domain}`;
      await submit(pf.ports.default, pf.uniqueRecipient(tag), [to], `xforward ${tag}`);
      const out = await waitFor(() => (serve.stdout().includes(`to <${to}>`) ? serve.stdout() : undefined), 30_000, 'the message at serve');
      // Postfix forwards what it knows of its own client (the submitting socket on loopback).
      expect(out).toMatch(/XFORWARD: .*ADDR="127\.0\.0\.1"/);
      expect(out).toMatch(/XFORWARD: .*HELO="submitter\.test"/);
      expect(out).toMatch(new RegExp(`to <${to.replace(/[.]/g, '\\.')}>.*, XFORWARD .*ADDR="127\\.0\\.0\\.1"`));
    } finally {
      await serve.stop();
    }
  }, 90_000);
});
