/**
 * inject --body / --attach / --header / --add-header: the MIME message built by nodemailer's
 * MailComposer, as the server receives it (our own serve's mbox, nodemailer's smtp-server,
 * the embedded capture server), read back by Python's `email` package to prove it well-formed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer } from '../harness/smtp-server-peer.js';
import { mboxEntries, python, run, startServe } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-compose-'));
const binary = randomBytes(5000);
// Every octet value, CR, LF and a "From " line among them: base64 must carry them all.
binary.set(Buffer.from('\r\n.\r\nFrom x\n\r'), 100);
const binaryPath = join(dir, 'blob.bin');
writeFileSync(binaryPath, binary);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
writeFileSync(join(dir, 'note.txt'), 'plain note\n');
writeFileSync(join(dir, 'body.txt'), 'Grüße aus Köln\n.a line starting with a dot\nend\n');

interface Parsed {
  defects: string[];
  subject: string[];
  from: string[];
  added: string[];
  contentType: string;
  parts: Array<{ type: string; filename: string | null; cte: string | null; charset: string | null; sha256: string; text: string | null; defects: string[] }>;
}

/** Python's email package reads one message (a file of its bytes) and says what it found. */
async function parseWithPython(file: string): Promise<Parsed> {
  const script = `
import email, email.policy, hashlib, json, sys
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.compat32)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True)
    text = payload.decode(part.get_content_charset()) if part.get_content_maintype() == 'text' and part.get_content_charset() else None
    parts.append({'type': part.get_content_type(), 'filename': part.get_filename(), 'cte': part.get('Content-Transfer-Encoding'),
                  'charset': part.get_content_charset(), 'sha256': hashlib.sha256(payload).hexdigest(), 'text': text,
                  'defects': [type(d).__name__ for d in part.defects]})
print(json.dumps({'defects': [type(d).__name__ for d in msg.defects], 'subject': msg.get_all('Subject') or [], 'from': msg.get_all('From') or [],
                  'added': msg.get_all('X-Added') or [], 'contentType': msg.get_content_type(), 'parts': parts}))
`;
  const result = await run(python, ['-c', script, file]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Parsed;
}

let serveStops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const stop of serveStops) await stop();
  serveStops = [];
});

describe('a built message through our own serve, read back by Python', () => {
  it('--body @FILE, two attachments (one binary, one with type=), --header replacing Subject and From, --add-header: well-formed MIME', async () => {
    const mbox = join(dir, 'serve.mbox');
    const serve = await startServe(['--mbox', mbox]);
    serveStops.push(() => serve.stop());
    const result = await runCli([
      'inject', `127.0.0.1:${serve.port}`, '--plain',
      '--body', `@${join(dir, 'body.txt')}`,
      '--attach', binaryPath,
      '--attach', `${join(dir, 'note.txt')};type=text/x-note;filename=renamed.txt`,
      '--header', 'Subject: replaced subject', '--header', 'From: Ann <ann@example.test>',
      '--add-header', 'X-Added: one', '--add-header', 'Subject: a second Subject, appended',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('message: lines ended by CRLF (built: text body (50 octets), blob.bin (application/octet-stream, 5000 octets), renamed.txt (text/x-note, 11 octets))');
    await serve.stop();
    const [entry] = mboxEntries(readFileSync(mbox));
    // serve's mbox is mboxrd: a stored line starting with "From " would be escaped; none here.
    const stored = join(dir, 'stored.eml');
    writeFileSync(stored, Buffer.from(entry!.body, 'latin1'));
    const parsed = await parseWithPython(stored);
    expect(parsed.defects).toEqual([]);
    expect(parsed.subject).toEqual(['replaced subject', 'a second Subject, appended']);
    expect(parsed.from).toEqual(['Ann <ann@example.test>']);
    expect(parsed.added).toEqual(['one']);
    expect(parsed.contentType).toBe('multipart/mixed');
    expect(parsed.parts.map((p) => [p.type, p.filename, p.cte])).toEqual([
      ['text/plain', null, 'quoted-printable'],
      ['application/octet-stream', 'blob.bin', 'base64'],
      ['text/x-note', 'renamed.txt', 'base64'],
    ]);
    expect(parsed.parts.every((p) => p.defects.length === 0)).toBe(true);
    expect(parsed.parts[0]!.text).toBe('Grüße aus Köln\n.a line starting with a dot\nend\n');
    expect(parsed.parts[1]!.sha256).toBe(sha(binary));
    expect(parsed.parts[2]!.sha256).toBe(sha(Buffer.from('plain note\n')));
  });
});

describe('the bytes on the wire (nodemailer smtp-server)', () => {
  it('--term lf: every line of the message, MIME parts and base64 included, ends in a bare LF; Python still reads it', async () => {
    const peer = await startSmtpServerPeer();
    try {
      const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--term', 'lf', '--body', 'hello\nworld', '--attach', binaryPath]);
      expect(result.code).toBe(0);
      const [message] = await peer.waitForMessages(1);
      const raw = message!.raw.toString('latin1');
      // The last line's terminator is the end of data's own CRLF (RFC 5321 §4.1.1.4): no other CR.
      expect(raw.slice(0, -2)).not.toContain('\r');
      const boundary = /boundary="([^"]+)"/.exec(raw)![1]!;
      expect(raw.split('\n').filter((line) => line === `--${boundary}`)).toHaveLength(2);
      expect(raw.endsWith(`\n--${boundary}--\r\n`)).toBe(true);
      const file = join(dir, 'lf.eml');
      writeFileSync(file, message!.raw);
      const parsed = await parseWithPython(file);
      expect(parsed.defects).toEqual([]);
      expect(parsed.parts[1]!.sha256).toBe(sha(binary));
      expect(parsed.parts[0]!.text).toBe('hello\nworld');
    } finally {
      await peer.close();
    }
  });

  it('8-bit text: quoted-printable when mostly ASCII, base64 when mostly not; nothing above 0x7F on the wire; declared UTF-8', async () => {
    const peer = await startSmtpServerPeer();
    try {
      for (const text of ['Grüße aus Köln', 'Привет, как дела? Всё хорошо.']) {
        const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--body', text]);
        expect(result.code).toBe(0);
      }
      const [mostlyAscii, cyrillic] = await peer.waitForMessages(2);
      for (const message of [mostlyAscii!, cyrillic!]) {
        expect([...message.raw].every((octet) => octet < 0x80)).toBe(true);
        expect(message.raw.toString('latin1')).toContain('\r\nMIME-Version: 1.0\r\n');
        expect(message.raw.toString('latin1')).toContain('\r\nContent-Type: text/plain; charset=utf-8\r\n');
      }
      expect(mostlyAscii!.raw.toString('latin1')).toContain('Content-Transfer-Encoding: quoted-printable\r\n');
      expect(mostlyAscii!.raw.toString('latin1')).toContain('\r\n\r\nGr=C3=BC=C3=9Fe aus K=C3=B6ln');
      expect(cyrillic!.raw.toString('latin1')).toContain('Content-Transfer-Encoding: base64\r\n');
      const file = join(dir, 'cyrillic.eml');
      writeFileSync(file, cyrillic!.raw);
      expect((await parseWithPython(file)).parts[0]!.text).toBe('Привет, как дела? Всё хорошо.');
    } finally {
      await peer.close();
    }
  });
});

describe('the embedded capture server and input rules', () => {
  it('--body @- reads the text from stdin; a body line starting with "." is dot-stuffed on the wire and stored once', async () => {
    const result = await runCli(['inject', '--json', '--body', '@-'], { stdin: 'from stdin\n.dotted\n' });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { stored: Array<{ data: string }>; transactions: Array<{ source: string }> };
    expect(report.transactions[0]!.source).toBe('built: text body (19 octets)');
    expect(report.stored[0]!.data).toContain('\r\n\r\nfrom stdin\r\n.dotted\r\n');
  });

  it('--attach alone: multipart/mixed with the built-in text first', async () => {
    const result = await runCli(['inject', '--json', '--attach', join(dir, 'note.txt')]);
    expect(result.code).toBe(0);
    const data = (JSON.parse(result.stdout) as { stored: Array<{ data: string }> }).stored[0]!.data;
    expect(data).toMatch(/\r\nSubject: smtpdbg inject: lines ended by CRLF\r\nMIME-Version: 1\.0\r\nContent-Type: multipart\/mixed; boundary=/);
    // Quoted-printable breaks its long line (RFC 2045 §6.7: at most 76 characters).
    expect(data).toContain('\r\n\r\nThis message was sent by smtpdbg inject to see how a mail pipeline handles =\r\nit.\r\n');
    expect(data).toContain('Content-Type: text/plain; name=note.txt\r\nContent-Transfer-Encoding: base64\r\n');
  });

  it.each([
    [['--body', 'x', '--data', 'fixtures/none.eml'], 2, 'smtpdbg: --body builds the message; not with --data or --mbox, which send one as it is'],
    [['--attach', 'x', '--mbox', 'm', '--index', '1'], 2, 'smtpdbg: --attach builds the message; not with --data or --mbox, which send one as it is'],
    [['--body', '@'], 2, 'smtpdbg: --body @: give a file name after the @ (@- reads stdin)'],
    [['--attach', 'f;type=nonsense'], 2, 'smtpdbg: --attach f;type=nonsense: type=nonsense is no MIME type (e.g. type=text/plain)'],
    [['--attach', `${dir}/missing.pdf`], 2, `smtpdbg: ${dir}/missing.pdf: cannot read (ENOENT)`],
    [['--body', `@${binaryPath}`], 2, `smtpdbg: --body @${binaryPath}: the text is not UTF-8; attach the file with --attach, or send its bytes as they are with --data`],
    [['--attach', binaryPath, '--max-size', '1000'], 2, `smtpdbg: --attach ${binaryPath}: the file is larger than 1000 octets (--max-size): refused before reading further`],
  ])('%j: one-line error, exit %i, nothing sent', async (args, code, message) => {
    const result = await runCli(['inject', '127.0.0.1:9', ...args]);
    expect(result.code).toBe(code);
    expect(result.stderr).toBe(`${message}\n`);
    expect(result.stdout).toBe('');
  });
});
