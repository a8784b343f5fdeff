import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import { startRawServer } from '../harness/raw-server.js';
import { normalize, REPO_ROOT, runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

const ca = join(REPO_ROOT, 'fixtures/certs/ca.pem');
const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-inject-'));

interface InjectJson {
  embedded: boolean;
  mode: string;
  transactions: Array<{ accepted: boolean; queueId: string | null; classification: string | null; replies: Array<{ command: string; code: number }>; error: { code: string } | null }>;
  attempts: Array<{ attempt: number; accepted: boolean; retry: { reason: string; delayMs: number } | null }>;
  count: { requested: number; completed: number; accepted: number; byCode: Record<string, number>; pipelining: boolean; messagesPerSecond: number } | null;
  stored: Array<{ data: string; bareCrLines: number[]; bareLfLines: number[]; findings: Array<{ rule: string }> }> | null;
  exitCode: number;
}

const json = (stdout: string) => JSON.parse(stdout) as InjectJson;

let peer: SmtpServerPeer | undefined;
let capture: CaptureServer | undefined;
afterEach(async () => {
  await peer?.close();
  await capture?.close();
  peer = undefined;
  capture = undefined;
});

describe('inject with no target: the embedded capture server', () => {
  it('`inject --term cr` alone shows a CR-terminated message arriving, bare CRs flagged', async () => {
    const result = await runCli(['inject', '--term', 'cr']);
    expect(result.code).toBe(0);
    const out = normalize(result.stdout);
    expect(out).toContain('no target given: sending to the embedded capture server');
    expect(out).toContain('the embedded capture server stored 1 message:');
    expect(out).toContain("=== this is smtpdbg's own byte-exact storage; a real server rewrites such bytes (bare CR and LF, missing fields): see what one stored with --observe");
    expect(out).toMatch(/bare CR in line 1\b/);
    expect(out).toMatch(/ {4}Date: <TIME>␍From: <smtpdbg@localhost>␍To: <postmaster@localhost>␍/);
    // lint-mbox's findings for the message as stored.
    expect(out).toContain('lint-mbox error bare-cr');
  });

  it('--json gives what was stored, its bare lines and the lint findings', async () => {
    const result = await runCli(['inject', '--term', 'lf', '--term-after', 'Subject', '--json']);
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.embedded).toBe(true);
    const [stored] = report.stored!;
    expect(stored!.data).toMatch(/\r\nSubject: smtpdbg inject: Subject line ended by LF, the others by CRLF\n\r\n/);
    expect(stored!.bareLfLines).toEqual([5]);
    expect(report.transactions[0]!.queueId).toMatch(/^[0-9A-F]{12}$/);
  });

  it('--matrix sends crlf, cr and lf and prints the replies side by side', async () => {
    const result = await runCli(['inject', '--matrix', '--term-after', 'Date', '--plain']);
    expect(result.code).toBe(0);
    const out = normalize(result.stdout);
    expect(out).toMatch(/^stage +--term crlf --term-after Date +--term cr --term-after Date +--term lf --term-after Date$/m);
    expect(out).toMatch(/^end of data +250 2\.0\.0 Ok: queued as [0-9A-F]+ .*250 .*250 /m);
    expect(out).toContain('stored 3 messages');
  });

  it('--eod all prints one row per variant with the relay marks, a column per pass, and nothing smuggles into it', async () => {
    const result = await runCli(['inject', '--eod', 'all', '--plain']);
    expect(result.code).toBe(0);
    const out = normalize(result.stdout);
    expect(out).toMatch(/^variant +bytes +through a relay +CRLF lines +LF lines$/m);
    expect(out).toMatch(/^lf +␊\.␊ +producible +content \(250\) +content \(250\)$/m);
    expect(out).toMatch(/^crlf-lf +␍␊\.␊ +not producible through a relay +content \(250\) +content \(250\)$/m);
    expect(out).toMatch(/^=== no variant smuggled$/m);
    expect(out).toContain('stored 24 messages');
  });

  it('--mbox --index replays a message with its From_ line removed and >From un-escaped', async () => {
    const mbox = join(dir, 'replay.mbox');
    writeFileSync(mbox, 'From a@b Thu Jan  1 00:00:00 1970\nSubject: one\n\nfirst\n\nFrom a@b Thu Jan  1 00:00:01 1970\nSubject: two\n\n>>From quoted\n>From body\n\n');
    const result = await runCli(['inject', '--mbox', mbox, '--index', '2', '--json']);
    expect(result.code).toBe(0);
    expect(json(result.stdout).stored![0]!.data).toBe('Subject: two\r\n\r\n>From quoted\r\nFrom body\r\n');
  });

  it('--count N --concurrency C stores N copies and counts 250s', async () => {
    const transcript = join(dir, 'count.jsonl');
    const result = await runCli(['inject', '--count', '30', '--concurrency', '4', '--plain', '--json', '--transcript', transcript]);
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.count).toMatchObject({ requested: 30, completed: 30, accepted: 30, byCode: { '250': 30 }, pipelining: true });
    expect(report.stored).toHaveLength(30);
    // RSET before every transaction but the first of each connection.
    const rsets = readFileSync(transcript, 'latin1').split('RSET\\r\\n').length - 1;
    expect(rsets).toBeGreaterThanOrEqual(26);
    expect(rsets).toBeLessThanOrEqual(29);
  });
});

describe('inject against smtp-server (nodemailer)', () => {
  it('delivers over verified STARTTLS; the message arrives as sent', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--ca', ca, '--servername', 'localhost', '--to', 'bob@example.test', '--header', 'X-Probe: 1']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [message] = await peer.waitForMessages(1);
    expect(message!.secure).toBe(true);
    expect(message!.rcptTo).toEqual(['bob@example.test']);
    const raw = message!.raw.toString('latin1');
    expect(raw).toMatch(/^Date: .*\r\nFrom: <smtpdbg@localhost>\r\nTo: <bob@example\.test>\r\nMessage-ID: <.*>\r\nSubject: smtpdbg inject: lines ended by CRLF\r\nX-Probe: 1\r\n\r\n/);
    expect(normalize(result.stdout)).toContain('accepted: 250');
  });

  it('--count pipelines copies into it', async () => {
    peer = await startSmtpServerPeer();
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--count', '12', '--concurrency', '3', '--json']);
    expect(result.code).toBe(0);
    expect(json(result.stdout).count).toMatchObject({ completed: 12, accepted: 12, byCode: { '250': 12 } });
    await peer.waitForMessages(12);
  });

  it('--count without PIPELINING sends command by command, RSET between transactions', async () => {
    peer = await startSmtpServerPeer({ options: { hidePIPELINING: true } });
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--count', '5', '--json']);
    expect(result.code).toBe(0);
    expect(json(result.stdout).count).toMatchObject({ completed: 5, accepted: 5, byCode: { '250': 5 }, pipelining: false });
    await peer.waitForMessages(5);
  });
});

describe('inject --retry', () => {
  it('a server that answers the first MAIL with 421 and closes: reconnects after a backoff and delivers', async () => {
    let mails = 0;
    capture = await startCaptureServer({
      tls: false,
      behaviour: {
        onCommand: (context) => (context.verb === 'MAIL' && ++mails === 1
          ? { reply: { code: 421, enhanced: '4.7.0', lines: ['Try again later, closing connection'] }, close: 'after-reply' }
          : undefined),
      },
    });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--retry', '2', '--json']);
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.attempts).toEqual([
      { attempt: 1, accepted: false, retry: { reason: '421 4.7.0 Try again later, closing connection', delayMs: 1000, recipients: ['postmaster@localhost'] } },
      { attempt: 2, accepted: true, retry: null },
    ]);
    expect(capture.messages).toHaveLength(1);
  });

  it('without --retry a 421 and a close end the run as in session: exit 3, and the text says the server ended it', async () => {
    capture = await startCaptureServer({
      tls: false,
      behaviour: { onCommand: (context) => (context.verb === 'MAIL' ? { reply: { code: 421, enhanced: '4.7.0', lines: ['busy'] }, close: 'after-reply' } : undefined) },
    });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`]);
    expect(result.code).toBe(3);
    const out = normalize(result.stdout);
    expect(out).toContain('=== not sent: the server ended the conversation: 421 4.7.0 busy');
    expect(out).not.toMatch(/=== (message|end of data):/);
  });

  it('every attempt is reported when the server keeps dropping (exit 3)', async () => {
    const raw = await startRawServer((socket) => {
      socket.destroy();
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${raw.port}`, '--retry', '1']);
      expect(result.code).toBe(3);
      const out = normalize(result.stdout);
      expect(out).toMatch(/attempt 1 failed \(.*\): reconnecting in <DURATION>/);
      expect(out).toMatch(/attempt 1: .*; retried after <DURATION>/);
      expect(out).toMatch(/attempt 2: /);
    } finally {
      await raw.close();
    }
  });
});

describe('inject: exit codes and usage', () => {
  it('a refused connection is exit 3', async () => {
    const raw = await startRawServer(() => undefined);
    const port = raw.port;
    await raw.close();
    const result = await runCli(['inject', `127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('refused');
  });

  it.each([
    [['--data', 'x', '--mbox', 'y', '--index', '1'], /--data and --mbox exclude each other/],
    [['--mbox', 'y'], /--mbox and --index go together/],
    [['--smuggle'], /--smuggle needs a non-standard --eod/],
    [['--term-after', 'Date'], /--term-after applies --term to one header line/],
    [['--eod', '\\q'], /unknown escape/],
    [['--matrix', '--count', '2'], /--matrix and --count exclude each other/],
    [['--header', 'nocolon'], /--header "nocolon"/],
    [['--term', 'cr', '--term-after', 'Received'], /--term-after Received: the message has no Received header field/],
    [['--data', join(dir, 'missing.eml')], /missing\.eml: cannot read \(ENOENT\)/],
  ])('%j is exit 2', async (args, message) => {
    const result = await runCli(['inject', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
