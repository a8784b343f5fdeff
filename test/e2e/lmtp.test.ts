/**
 * `--lmtp` (RFC 2033) against two independent LMTP servers: Dovecot's (dovecot-lmtpd) over
 * TCP and its Unix socket, and nodemailer's smtp-server in LMTP mode. LHLO goes out instead
 * of EHLO; after the data each accepted recipient gets its own reply, in RCPT order, shown
 * on screen and in --json; one recipient refused after the data makes the exit code 1.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dovecotUnavailableReason, startDovecot, type DovecotInstance } from '../harness/dovecot.js';
import { waitFor } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

interface Reply { code: number; enhanced: string | null; lines: string[] }
interface InjectJson {
  exitCode: number;
  transactions: Array<{
    lmtp: boolean;
    accepted: boolean;
    replies: Array<{ command: string; code: number }>;
    recipients: Array<{ address: string; accepted: boolean; reply: Reply | null; delivered?: boolean; delivery?: Reply | null }>;
    chunks: Array<{ command: string; octets: number; last: boolean; reply: Reply | null }> | null;
  }>;
  recipients: Array<{ address: string; delivered: boolean; delivery?: Reply }>;
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-lmtp-'));

const inject = async (args: string[]) => {
  const result = await runCli(['inject', ...args, '--lmtp', '--plain', '--json', '--timeout', '15000'], { timeoutMs: 60_000 });
  return { code: result.code, stderr: result.stderr, json: JSON.parse(result.stdout) as InjectJson };
};

describe('inject --lmtp against Dovecot LMTP', () => {
  let dovecot: DovecotInstance;
  beforeAll(async () => {
    const reason = await dovecotUnavailableReason(true);
    if (reason) throw new Error(`Dovecot's LMTP server is needed for these tests: ${reason}`);
    dovecot = await startDovecot({ lmtp: true });
  }, 30_000);
  afterAll(async () => {
    await dovecot?.stop();
  });

  const stored = async () => {
    const names = await readdir(join(dovecot.maildir, 'new'));
    return Promise.all(names.map((name) => readFile(join(dovecot.maildir, 'new', name), 'latin1')));
  };

  it.each(['tcp', 'unix'] as const)('over %s: one reply per recipient after the data; an unknown one is refused there, exit 1', async (kind) => {
    const target = kind === 'tcp' ? `127.0.0.1:${dovecot.lmtp!.port}` : `unix:${dovecot.lmtp!.path}`;
    const subject = `lmtp-${kind}-${Date.now()}`;
    const { code, json, stderr } = await inject([target, '--to', `${dovecot.user}@example.test`, '--to', `nobody-${kind}@example.test`, '--to', `${dovecot.user}+x@example.test`, '--header', `Subject: ${subject}`]);
    expect(stderr).toBe('');
    const [report] = json.transactions;
    expect(report?.lmtp).toBe(true);
    expect(report?.replies[1]?.command).toMatch(/^LHLO /);
    // Dovecot refuses an unknown user at RCPT already: only the two others are owed a reply after the data.
    expect(report?.recipients.map((r) => [r.address.split('@')[0], r.reply?.code, r.delivery?.code ?? null])).toEqual([
      [dovecot.user, 250, 250],
      [`nobody-${kind}`, 550, null],
      [`${dovecot.user}+x`, 250, 250],
    ]);
    expect(report?.replies.filter((r) => r.command.startsWith('end of data')).map((r) => r.command)).toEqual([
      `end of data (<${dovecot.user}@example.test>)`,
      `end of data (<${dovecot.user}+x@example.test>)`,
    ]);
    expect(code).toBe(1);
    expect(json.exitCode).toBe(1);
    await waitFor(async () => (await stored()).filter((m) => m.includes(subject)).length === 2, 15_000, 'two copies in the Maildir');
  });

  it('every recipient known: exit 0, and the text output shows each delivery', async () => {
    const result = await runCli(['inject', `unix:${dovecot.lmtp!.path}`, '--lmtp', '--plain', '--to', `${dovecot.user}@a.test`, '--to', `${dovecot.user}@b.test`], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`=== connected to unix:${dovecot.lmtp!.path}`);
    expect(result.stdout).toMatch(/ -> LHLO /);
    expect(result.stdout).toMatch(new RegExp(`recipient <${dovecot.user}@a\\.test>: delivered: 250 2\\.0\\.0 `));
    expect(result.stdout).toMatch(new RegExp(`recipient <${dovecot.user}@b\\.test>: delivered: 250 2\\.0\\.0 `));
  });

  it('inject --lmtp --count reads every recipient\'s reply for each copy', async () => {
    const result = await runCli(['inject', `127.0.0.1:${dovecot.lmtp!.port}`, '--lmtp', '--plain', '--json', '--count', '3', '--to', `${dovecot.user}@a.test`, '--to', `${dovecot.user}@b.test`], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as { count: { completed: number; accepted: number; errors: unknown[] }; exitCode: number };
    expect(json.count).toMatchObject({ completed: 3, accepted: 3, errors: [] });
    expect(result.code).toBe(0);
  });
});

describe('--lmtp against smtp-server in LMTP mode', () => {
  let peer: SmtpServerPeer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  it('a recipient accepted at RCPT and refused after the data: its own 550 shown, the others delivered, exit 1', async () => {
    peer = await startSmtpServerPeer({ lmtp: true, failAfterData: ['b@example.test'] });
    const { code, json } = await inject([`127.0.0.1:${peer.port}`, '--to', 'a@example.test', '--to', 'b@example.test', '--to', 'c@example.test']);
    const [report] = json.transactions;
    expect(report?.recipients.map((r) => [r.address, r.reply?.code, r.delivery?.code, r.delivered])).toEqual([
      ['a@example.test', 250, 250, true],
      ['b@example.test', 250, 550, false],
      ['c@example.test', 250, 250, true],
    ]);
    expect(report?.recipients[1]?.delivery?.lines[0]).toContain('<b@example.test>: no such user');
    expect(json.recipients.map((r) => r.delivered)).toEqual([true, false, true]);
    expect(code).toBe(1);
    expect(peer.messages).toHaveLength(1);
  });

  it('over a Unix socket: LHLO, the message, and every delivery reply; no reply is taken as out of step', async () => {
    const path = join(dir, 'peer-lmtp.sock');
    peer = await startSmtpServerPeer({ lmtp: true, path });
    const result = await runCli(['inject', `unix:${path}`, '--lmtp', '--plain', '--to', 'a@example.test', '--to', 'b@example.test'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('unsolicited');
    expect(result.stdout).toContain('recipient <a@example.test>: delivered: 250 2.6.0 <a@example.test> delivered as 1');
    expect(result.stdout).toContain('recipient <b@example.test>: delivered: 250 2.6.0 <b@example.test> delivered as 1');
    expect(peer.messages[0]?.rcptTo).toEqual(['a@example.test', 'b@example.test']);
  });

  it('session --lmtp (scripted) reads one reply per recipient after the lone dot; a refusal gives exit 1', async () => {
    peer = await startSmtpServerPeer({ lmtp: true, failAfterData: ['b@example.test'] });
    const script = 'MAIL FROM:<s@example.test>\nRCPT TO:<a@example.test>\nRCPT TO:<b@example.test>\nDATA\nSubject: lmtp\n\nhi\n.\nNOOP\n';
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--lmtp', '--plain', '--json'], { stdin: script, timeoutMs: 60_000 });
    const summary = JSON.parse(result.stdout) as { replies: Array<{ command: string; code: number }>; exitCode: number };
    expect(summary.replies.map((r) => [r.command.split(' ')[0], r.code])).toEqual([
      ['(banner)', 220], ['LHLO', 250], ['MAIL', 250], ['RCPT', 250], ['RCPT', 250], ['DATA', 354],
      ['end', 250], ['end', 550], ['NOOP', 250], ['QUIT', 221],
    ]);
    expect(summary.replies[7]?.command).toBe('end of data (recipient 2)');
    expect(result.code).toBe(1);
  });

  it('session :bdat to a server without CHUNKING says so, sends it anyway, and the refusal gives exit 1', async () => {
    // smtp-server offers no CHUNKING: the server's 5xx is shown.
    peer = await startSmtpServerPeer({ lmtp: true });
    const file = join(dir, 'bdat.eml');
    writeFileSync(file, 'Subject: x\r\n\r\nbody\r\n');
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--lmtp', '--plain'], { stdin: `MAIL FROM:<s@example.test>\nRCPT TO:<a@example.test>\n:bdat ${file}\n`, timeoutMs: 60_000 });
    expect(result.stdout).toContain('does not advertise CHUNKING (RFC 3030): sending BDAT anyway');
    expect(result.stdout).toContain(' -> BDAT 20 LAST␍␊');
    expect(result.code).toBe(1);
  });

  it('--lmtp without a target is a usage error (the embedded server speaks SMTP)', async () => {
    const result = await runCli(['inject', '--lmtp']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--lmtp needs a target (host:port or unix:/path)');
  });
});
