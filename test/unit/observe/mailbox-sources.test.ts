import { appendFile, mkdir, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseObserveSource, splitMboxEntries, watchMailbox } from '../../../src/observe/mailbox-sources.js';
import { contentOfPayload, sentMessage, traceMessage } from '../../../src/cli/inject-observe.js';
import { hasTrace, newTraceId } from '../../../src/observe/trace.js';
import { parseEod } from '../../../src/smtp/eod.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'smtpdbg-observe-'));
  dirs.push(dir);
  return dir;
}
const entry = (body: string) => `From a@b  Sat Dec  5 12:00:00 2026\nSubject: x\n\n${body}\n\n`;
const later = (ms: number, action: () => Promise<unknown>) => setTimeout(() => void action(), ms);

describe('observe sources', () => {
  it('parses mbox:PATH and maildir:DIR, and refuses anything else with the option named', () => {
    expect(parseObserveSource('mbox:/var/mail/u')).toEqual({ kind: 'mbox', path: '/var/mail/u' });
    expect(parseObserveSource('maildir:/home/u/Maildir')).toEqual({ kind: 'maildir', dir: '/home/u/Maildir' });
    expect(() => parseObserveSource('/var/mail/u')).toThrow('--observe /var/mail/u: expected mbox:PATH, maildir:DIR, imap://user@host/MAILBOX, imaps://… or relay:HOST:PORT');
    expect(parseObserveSource('relay:127.0.0.1:2626')).toEqual({ kind: 'relay', host: '127.0.0.1', port: 2626 });
    expect(parseObserveSource('relay:[::1]:2626')).toEqual({ kind: 'relay', host: '::1', port: 2626 });
  });

  it('splits mbox entries at From_ lines after an empty line, without the writer\'s separator line', () => {
    // A body line starting "From " after an empty line is quoted by the writer (mboxo and mboxrd).
    const bytes = Buffer.from(entry('one') + entry('>From the start\nof a line'));
    const entries = splitMboxEntries(bytes, 100);
    expect(entries.map((e) => e.message.toString())).toEqual(['Subject: x\n\none\n', 'Subject: x\n\n>From the start\nof a line\n']);
    expect(entries[0]!.start).toBe(100);
  });

  it('mbox: finds only what arrived after the snapshot, waits for the split copies to settle', async () => {
    const dir = await tempDir();
    const path = join(dir, 'u');
    const id = newTraceId();
    await writeFile(path, entry(`old message with ${id}`));
    const watch = await watchMailbox({ kind: 'mbox', path });
    later(150, () => appendFile(path, entry('somebody else')));
    later(250, () => appendFile(path, entry(`first ${id}`)));
    later(450, () => appendFile(path, entry(`second ${id}`)));
    const copies = await watch.waitFor(id, { timeoutMs: 5_000, settleMs: 400, pollMs: 20 });
    expect(copies.map((c) => c.bytes.toString())).toEqual([`Subject: x\n\nfirst ${id}\n`, `Subject: x\n\nsecond ${id}\n`]);
    expect(copies[0]!.where).toMatch(/u, bytes \d+–\d+$/);
  });

  it('mbox: a mailbox created by the first delivery, and one truncated meanwhile, are read from the start', async () => {
    const dir = await tempDir();
    const path = join(dir, 'new');
    const id = newTraceId();
    const watch = await watchMailbox({ kind: 'mbox', path });
    later(100, () => writeFile(path, entry(`hello ${id}`)));
    expect(await watch.waitFor(id, { timeoutMs: 5_000, settleMs: 100, pollMs: 20 })).toHaveLength(1);

    const big = join(dir, 'big');
    await writeFile(big, entry('x'.repeat(5000)));
    const again = await watchMailbox({ kind: 'mbox', path: big });
    later(100, async () => {
      await truncate(big, 0);
      await appendFile(big, entry(`after ${id}`));
    });
    expect((await again.waitFor(id, { timeoutMs: 5_000, settleMs: 100, pollMs: 20 }))[0]!.bytes.toString()).toContain(`after ${id}`);
  });

  it('maildir: new files in new/ or cur/ carrying the id, by their unique name', async () => {
    const dir = await tempDir();
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub));
    const id = newTraceId();
    await writeFile(join(dir, 'cur', '1.old:2,S'), `Subject: ${id}\n\nold\n`);
    const watch = await watchMailbox({ kind: 'maildir', dir });
    later(100, async () => {
      await writeFile(join(dir, 'tmp', '2.host'), `Subject: new\n\nsmtpdbg-trace: ${id}\n`);
      await rename(join(dir, 'tmp', '2.host'), join(dir, 'new', '2.host'));
    });
    const copies = await watch.waitFor(id, { timeoutMs: 5_000, settleMs: 100, pollMs: 20 });
    expect(copies.map((c) => c.where)).toEqual([join(dir, 'new', '2.host')]);
  });

  it('fails in the time given, naming the source, when the message never comes', async () => {
    const dir = await tempDir();
    const path = join(dir, 'u');
    await writeFile(path, '');
    const watch = await watchMailbox({ kind: 'mbox', path });
    const started = Date.now();
    await expect(watch.waitFor(newTraceId(), { timeoutMs: 300, pollMs: 20 })).rejects.toThrow(`timed out after 300 ms waiting for the message to appear in mbox:${path} (--observe-timeout)`);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(watchMailbox({ kind: 'maildir', dir: path })).rejects.toThrow(`--observe maildir:${path}: not a Maildir`);
  });
});

describe('trace', () => {
  it('puts the id in a header field at the end of the header and on a last body line, keeping every other line', () => {
    const lines = (text: string) => text.split('\n').map((line) => Buffer.from(line));
    const shown = (m: { lines: Buffer[] }) => m.lines.map((line) => line.toString());
    const id = 'smtpdbg-abc-123';
    expect(shown(traceMessage({ lines: lines('Date: x\nFrom: y\n\nbody'), source: 't' }, id, true))).toEqual(['Date: x', 'From: y', `X-Smtpdbg-Trace: ${id}`, '', 'body', `smtpdbg-trace: ${id}`]);
    expect(shown(traceMessage({ lines: lines('Date: x\n\nbody'), source: 't' }, id, false))).toEqual(['Date: x', '', 'body', `smtpdbg-trace: ${id}`]);
    // No body: an empty line starts one, so the body line is not read as a header field.
    expect(shown(traceMessage({ lines: lines('Subject: s'), source: 't' }, id, true))).toEqual(['Subject: s', `X-Smtpdbg-Trace: ${id}`, '', `smtpdbg-trace: ${id}`]);
    expect(hasTrace(Buffer.from(`Date: x From: y X-Smtpdbg-Trace: ${id} To: z`), id)).toBe(true);
    expect(newTraceId()).toMatch(/^smtpdbg-[0-9a-z]+-[0-9a-f]{12}$/);
  });

  it('the sent message ends its last line with the bytes the end of data starts with (RFC 5321 §4.1.1.4)', () => {
    const message = { lines: [Buffer.from('A: 1'), Buffer.from(''), Buffer.from('b')], source: 't' };
    expect(sentMessage(message, { term: 'cr' }, parseEod('crlf')).toString('latin1')).toBe('A: 1\r\rb\r\n');
    expect(sentMessage(message, { term: 'crlf' }, parseEod('lf')).toString('latin1')).toBe('A: 1\r\n\r\nb\n');
  });

  it('a whole payload as content: the standard end taken off, dot-stuffing undone after CRLF only', () => {
    const payload = Buffer.from('A: 1\r\n\r\nb\n.\nMAIL FROM:<x>\r\n..dot\r\n.\r\n', 'latin1');
    expect(contentOfPayload(payload).toString('latin1')).toBe('A: 1\r\n\r\nb\n.\nMAIL FROM:<x>\r\n.dot\r\n');
  });
});
