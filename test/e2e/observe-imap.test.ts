/**
 * Reading back over IMAP with a real Dovecot: STARTTLS and implicit TLS, verified against
 * the test CA; a wrong password, a mailbox that does not exist and an untrusted certificate
 * each give their one clear error; reading leaves the message's flags alone.
 */
import { chown, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchMailbox, type ObserveSource } from '../../src/observe/mailbox-sources.js';
import { newTraceId } from '../../src/observe/trace.js';
import { dovecotUnavailableReason, startDovecot, type DovecotInstance } from '../harness/dovecot.js';

let dovecot: DovecotInstance;
beforeAll(async () => {
  const reason = await dovecotUnavailableReason();
  if (reason) throw new Error(`Dovecot is needed for these tests: ${reason}`);
  dovecot = await startDovecot();
}, 30_000);
afterAll(async () => {
  await dovecot?.stop();
});

const ca = () => readFile(new URL('../../fixtures/certs/ca.pem', import.meta.url));
const source = (scheme: 'imap' | 'imaps', mailbox = 'INBOX', host = 'localhost'): ObserveSource => ({
  kind: 'imap',
  location: { secure: scheme === 'imaps', host, port: scheme === 'imaps' ? dovecot.ports.imaps : dovecot.ports.imap, user: dovecot.user, mailbox },
});
const options = async (extra: { password?: string; ca?: boolean; deleteAfter?: boolean } = {}) => ({
  password: async () => extra.password ?? dovecot.password,
  ...(extra.ca === false ? {} : { ca: await ca() }),
  insecure: false,
  timeoutMs: 10_000,
  deleteAfter: extra.deleteAfter ?? false,
});

/** Delivers a message into the Maildir as an MDA does (tmp/ is skipped: the tests own the directory). */
async function deliver(name: string, text: string): Promise<string> {
  const path = join(dovecot.maildir, 'new', name);
  await writeFile(path, text);
  await chown(path, dovecot.owner.uid, dovecot.owner.gid);
  return path;
}

describe('observe over IMAP (Dovecot)', () => {
  it.each(['imap', 'imaps'] as const)('%s: finds the message by its trace id and fetches its bytes, leaving it unread', async (scheme) => {
    const id = newTraceId();
    await deliver(`${id}.host`, `Subject: observed\nX-Smtpdbg-Trace: ${id}\n\nbody line\nsmtpdbg-trace: ${id}\n`);
    const watch = await watchMailbox(source(scheme), await options());
    try {
      const copies = await watch.waitFor(id, { timeoutMs: 10_000, settleMs: 200 });
      expect(copies).toHaveLength(1);
      expect(copies[0]!.where).toMatch(new RegExp(`^${scheme}://reader@localhost:\\d+/INBOX, UID \\d+$`));
      // IMAP hands messages out with CRLF line ends.
      expect(copies[0]!.bytes.toString('latin1')).toBe(`Subject: observed\r\nX-Smtpdbg-Trace: ${id}\r\n\r\nbody line\r\nsmtpdbg-trace: ${id}\r\n`);
    } finally {
      await watch.close();
    }
    // BODY.PEEK[]: no \Seen flag (",S" in a Maildir name) after the fetch.
    const names = [...(await readdir(join(dovecot.maildir, 'new'))), ...(await readdir(join(dovecot.maildir, 'cur')))].filter((n) => n.startsWith(id));
    expect(names).toHaveLength(1);
    expect(names[0]).not.toMatch(/:2,.*S/);
  });

  it('--observe-delete removes the copies once read', async () => {
    const id = newTraceId();
    await deliver(`${id}.host`, `Subject: delete me\n\n${id}\n`);
    const watch = await watchMailbox(source('imap'), await options({ deleteAfter: true }));
    try {
      expect(await watch.waitFor(id, { timeoutMs: 10_000, settleMs: 200 })).toHaveLength(1);
    } finally {
      await watch.close();
    }
    const left = [...(await readdir(join(dovecot.maildir, 'new'))), ...(await readdir(join(dovecot.maildir, 'cur')))].filter((n) => n.startsWith(id));
    expect(left).toEqual([]);
  });

  it.each([
    ['a wrong password', async () => watchMailbox(source('imap'), await options({ password: 'wrong' })), /^imap:\/\/reader@localhost:\d+\/INBOX: login refused: Authentication failed\.$/],
    ['a mailbox that does not exist', async () => watchMailbox(source('imaps', 'Nope'), await options()), /^imaps:\/\/reader@localhost:\d+\/Nope: cannot open mailbox "Nope": Mailbox doesn't exist: Nope/],
    ['a certificate from a CA nobody trusts', async () => watchMailbox(source('imaps'), await options({ ca: false })), /^imaps:\/\/reader@localhost:\d+\/INBOX: certificate verification failed: .* \(--ca FILE to trust its CA, --insecure to accept it anyway\)$/],
  ])('%s: one clear line', async (_, open, message) => {
    await expect(open().then((watch) => watch.close())).rejects.toThrow(message);
  });

  it('gives up at the timeout when the message never arrives', async () => {
    const watch = await watchMailbox(source('imap'), await options());
    const started = Date.now();
    try {
      await expect(watch.waitFor(newTraceId(), { timeoutMs: 800, pollMs: 100 })).rejects.toThrow(/timed out after 800 ms waiting for the message to appear in imap:\/\/reader@localhost:\d+\/INBOX/);
    } finally {
      await watch.close();
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
