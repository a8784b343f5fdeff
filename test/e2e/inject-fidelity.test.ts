/**
 * `smtpdbg inject` is never silently wrong: every recipient tried and reported, addresses
 * as the user wrote them, headers replaced rather than doubled, nothing said about a
 * message that was never sent, each error shown once, the exit codes of `session`.
 * Real sockets: the capture server, nodemailer's smtp-server, raw servers; the built CLI.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCaptureServer, type CaptureServer } from '../../src/server/capture-server.js';
import type { ServerBehaviour } from '../../src/server/behaviour.js';
import { startRawServer } from '../harness/raw-server.js';
import { normalize, runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';
import { startMiniServer, type MiniServer } from './inject-mini-server.js';

interface Json {
  transactions: Array<{
    recipients: Array<{ address: string; accepted: boolean; reply: { code: number } | null }>;
    sent: boolean;
    accepted: boolean;
    tls: { protocol: string; verified: boolean; chain: unknown[] } | null;
    capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
    replies: Array<{ command: string; code: number }>;
  }>;
  attempts: Array<{ attempt: number; accepted: boolean; retry: { reason: string; delayMs: number; recipients: string[]; asked?: number } | null }>;
  recipients: Array<{ address: string; delivered: boolean; attempt: number; reply: { code: number } | null }> | null;
  stored: Array<{ from: string; to: string[]; data: string; findings: Array<{ rule: string }> }> | null;
  exitCode: number;
}
const json = (stdout: string) => JSON.parse(stdout) as Json;

let capture: CaptureServer | undefined;
let peer: SmtpServerPeer | undefined;
let mini: MiniServer | undefined;
afterEach(async () => {
  await capture?.close();
  await peer?.close();
  await mini?.close();
  capture = undefined;
  peer = undefined;
  mini = undefined;
});

const refuse = (address: string, code = 550, enhanced = '5.1.1', text = 'User unknown'): ServerBehaviour => ({
  onCommand: (context) => (context.verb === 'RCPT' && context.argument.includes(`<${address}>`) ? { reply: { code, enhanced, lines: [`<${address}>: ${text}`] } } : undefined),
});

describe('inject tries every recipient', () => {
  it('one refused of three: all three RCPTs go out, DATA follows, each recipient reported, exit 1', async () => {
    capture = await startCaptureServer({ tls: false, behaviour: refuse('b@example.test') });
    const args = ['inject', `127.0.0.1:${capture.port}`, '--to', 'a@example.test', '--to', 'b@example.test', '--to', 'c@example.test'];
    const text = await runCli(args);
    expect(text.code).toBe(1);
    const out = normalize(text.stdout);
    expect(out).toContain('=== recipient <a@example.test>: accepted: 250');
    expect(out).toContain('=== recipient <b@example.test>: refused: 550 5.1.1 <b@example.test>: User unknown');
    expect(out).toContain('=== recipient <c@example.test>: accepted: 250');
    expect(out).toMatch(/=== accepted for 2 of 3 recipients: 250 /);
    expect(capture.messages.map((m) => m.to)).toEqual([['a@example.test', 'c@example.test']]);

    const report = await runCli([...args, '--json']);
    expect(report.code).toBe(1);
    const parsed = json(report.stdout);
    expect(parsed.transactions[0]!.recipients.map((r) => [r.address, r.accepted, r.reply?.code])).toEqual([
      ['a@example.test', true, 250],
      ['b@example.test', false, 550],
      ['c@example.test', true, 250],
    ]);
    expect(parsed.recipients!.map((r) => [r.address, r.delivered])).toEqual([['a@example.test', true], ['b@example.test', false], ['c@example.test', true]]);
  });

  it('against smtp-server: a refused first recipient does not stop the second', async () => {
    peer = await startSmtpServerPeer({
      options: {
        onRcptTo(address, _session, callback) {
          if (address.address === 'nobody@example.test') return callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
          callback();
        },
      },
    });
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'nobody@example.test', '--to', 'bob@example.test']);
    expect(result.code).toBe(1);
    const [message] = await peer.waitForMessages(1);
    expect(message!.rcptTo).toEqual(['bob@example.test']);
    expect(normalize(result.stdout)).toContain('=== recipient <nobody@example.test>: refused: 550');
  });

  it('every recipient refused: no DATA, no "message:" or "end of data:" line for a message never sent (item 15)', async () => {
    capture = await startCaptureServer({ tls: false, behaviour: { onCommand: (c) => (c.verb === 'RCPT' ? { reply: { code: 550, enhanced: '5.1.1', lines: ['no'] } } : undefined) } });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--to', 'a@x.test', '--to', 'b@x.test']);
    expect(result.code).toBe(1);
    const out = normalize(result.stdout);
    expect(out).not.toMatch(/=== (message|end of data):/);
    expect(out).not.toContain(' -> DATA');
    expect(out).toContain('=== not sent: no recipient was accepted');
    expect(out).toContain('=== recipient <b@x.test>: refused: 550 5.1.1 no');
  });

  it('--count: a refused recipient still lets the message go to the others, pipelined or not, and is counted (exit 1)', async () => {
    for (const pipelining of [true, false]) {
      capture = await startCaptureServer({
        tls: false,
        behaviour: { ...refuse('b@x.test'), ...(pipelining ? {} : { capabilities: (_c, keywords) => keywords.filter((k) => k !== 'PIPELINING') }) },
      });
      const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--count', '6', '--concurrency', '2', '--to', 'a@x.test', '--to', 'b@x.test', '--json'], { timeoutMs: 30_000 });
      expect([pipelining, result.code]).toEqual([pipelining, 1]);
      const count = (JSON.parse(result.stdout) as { count: { accepted: number; refusedRecipients: number; pipelining: boolean } }).count;
      expect(count).toMatchObject({ accepted: 6, refusedRecipients: 6, pipelining });
      expect(capture.messages).toHaveLength(6);
      await capture.close();
      capture = undefined;
    }
  });
});

describe('inject addresses as the user writes them (item 3)', () => {
  it.each([
    [['--from', '<>', '--to', '<bob@example.test>'], 'MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n'],
    [['--from', '', '--to', 'bob@example.test'], 'MAIL FROM:<>\r\nRCPT TO:<bob@example.test>\r\n'],
    [['--from', '<a@example.test>', '--to', 'bob@example.test'], 'MAIL FROM:<a@example.test>\r\nRCPT TO:<bob@example.test>\r\n'],
  ])('%j sends one pair of brackets', async (args, envelope) => {
    mini = await startMiniServer();
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--ehlo', 'c.test', ...args]);
    expect(result.code).toBe(0);
    expect(mini.received[0]!.toString('latin1')).toContain(`EHLO c.test\r\n${envelope}DATA\r\n`);
  });

  it('the null sender: the built-in From is a mailbox, not "<>", and lint-mbox finds no placeholder', async () => {
    const result = await runCli(['inject', '--from', '<>', '--plain', '--json']);
    expect(result.code).toBe(0);
    const [stored] = json(result.stdout).stored!;
    expect(stored!.from).toBe('');
    expect(stored!.data).toMatch(/\r\nFrom: Mail Delivery System <MAILER-DAEMON@localhost>\r\n/);
    expect(stored!.findings.map((f) => f.rule)).not.toContain('placeholder-address');
  });

  it.each([
    [['--to', ''], /--to: an empty recipient/],
    [['--to', '<<a@b>>'], /--to "<<a@b>>": give the address with one pair of angle brackets or none/],
    [['--from', 'a@b\r\nRSET'], /--from .*: an address cannot hold a line end/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const result = await runCli(['inject', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('inject --header replaces, --add-header appends (item 4)', () => {
  it('--header Subject replaces the built-in Subject in place; --add-header adds after every field', async () => {
    const result = await runCli(['inject', '--plain', '--json', '--header', 'Subject: mine', '--header', 'X-Extra: 1', '--add-header', 'Subject: second', '--add-header', 'X-Last: 2']);
    expect(result.code).toBe(0);
    const data = json(result.stdout).stored![0]!.data;
    const header = data.slice(0, data.indexOf('\r\n\r\n')).split('\r\n');
    expect(header.map((l) => l.split(':')[0])).toEqual(['Date', 'From', 'To', 'Message-ID', 'Subject', 'X-Extra', 'Subject', 'X-Last']);
    expect(header[4]).toBe('Subject: mine');
    expect(header[6]).toBe('Subject: second');
  });

  it('--header with a built-in name any case: one field, the user\'s', async () => {
    const result = await runCli(['inject', '--plain', '--json', '--header', 'from: <me@example.test>']);
    const data = json(result.stdout).stored![0]!.data;
    expect(data.match(/^from:/gim)).toHaveLength(1);
    expect(data).toContain('\r\nfrom: <me@example.test>\r\n');
  });

  it('--add-header with --data is a usage error', async () => {
    const result = await runCli(['inject', '--data', '-', '--add-header', 'X: 1'], { stdin: 'Subject: x\n\nb\n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--add-header edits the built-in message; not with --data or --mbox/);
  });
});

describe('inject errors: said once, before connecting where they can be (item 15)', () => {
  it('a TLS failure is shown once as an error, not repeated by the summary', async () => {
    capture = await startCaptureServer({ behaviour: { onCommand: (c) => (c.verb === 'STARTTLS' ? { abortTls: true } : undefined) } });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`]);
    expect(result.code).toBe(3);
    const everything = normalize(result.stdout + result.stderr);
    const errorLines = everything.split('\n').filter((line) => line.startsWith('*** ') && line.includes('TLS handshake'));
    expect(errorLines).toHaveLength(1);
    expect(everything).toContain('=== not sent: the conversation failed before MAIL');
    expect(everything).not.toMatch(/=== (message|end of data):/);
  });

  it('a refused connection: the error once, and no "message:" line', async () => {
    const raw = await startRawServer(() => undefined);
    const port = raw.port;
    await raw.close();
    const result = await runCli(['inject', `127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    const out = normalize(result.stdout + result.stderr, { ports: [port] });
    expect(out.match(/\*\*\* connection to 127\.0\.0\.1:<PORT> refused/g)).toHaveLength(1);
    expect(out).toContain('=== not sent: no connection');
    expect(out).not.toMatch(/=== (message|end of data):/);
  });

  it('--auth without a password source fails before connecting (exit 2)', async () => {
    const raw = await startRawServer((socket) => {
      socket.write('220 raw\r\n');
    });
    try {
      const result = await runCli(['inject', `127.0.0.1:${raw.port}`, '--auth', 'plain', '--user', 'alice']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/no password for alice: set SMTPDBG_PASSWORD/);
      expect(raw.connections).toHaveLength(0);
    } finally {
      await raw.close();
    }
  });

  it('--json has the TLS result and the capabilities before and after STARTTLS, as session --json', async () => {
    const result = await runCli(['inject', '--json']);
    expect(result.code).toBe(0);
    const [t] = json(result.stdout).transactions;
    expect(t!.tls).toMatchObject({ protocol: expect.stringMatching(/^TLSv1\.[23]$/), verified: true });
    expect(t!.tls!.chain.length).toBeGreaterThan(0);
    expect(t!.capabilities.beforeTls).toContain('STARTTLS');
    expect(t!.capabilities.afterTls).not.toBeNull();
  });
});

describe('inject exit codes as in session (item 13)', () => {
  it('a successful HELO fallback exits 0', async () => {
    mini = await startMiniServer({ ehlo: '500 5.5.1 EHLO not understood' });
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--ehlo', 'c.test']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(mini.received[0]!.toString('latin1')).toMatch(/^EHLO c\.test\r\nHELO c\.test\r\nMAIL FROM:/);
    expect(mini.messages).toHaveLength(1);
  });

  it.each([
    [['--quit-after', 'auth']],
    [['--quit-after', 'tls', '--plain']],
  ])('%j is a usage error: inject has no --quit-after (exit 2)', async (args) => {
    const result = await runCli(['inject', '127.0.0.1:1', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--quit-after'/);
  });
});

describe('inject --pause (missing pieces)', () => {
  it('--pause mail=MS meets the server\'s idle 421: shown, exit 3, the 421 reported', async () => {
    capture = await startCaptureServer({ tls: false, idleTimeoutMs: 300 });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--pause', 'mail=1500', '--json']);
    expect(result.code).toBe(3);
    const [t] = json(result.stdout).transactions;
    expect(t!.replies.find((r) => r.code === 421)).toBeDefined();
    expect(t!.sent).toBe(false);
    expect(capture.messages).toHaveLength(0);

    const text = await runCli(['inject', `127.0.0.1:${capture.port}`, '--pause', 'mail=1500']);
    expect(text.code).toBe(3);
    const out = text.stdout;
    expect(out).toContain('=== pausing 1500 ms before MAIL (--pause mail=1500)');
    expect(out).toMatch(/=== not sent: the server ended the conversation: 421 4\.4\.2/);
  });

  it('--pause content=MS waits between the 354 and the message; the send still succeeds', async () => {
    capture = await startCaptureServer({ tls: false });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--pause', 'content=400', '--pause', 'rcpt=100']);
    expect(result.code).toBe(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(500);
    expect(result.stdout).toMatch(/<- {2}354 .*\n=== pausing 400 ms before the message \(--pause content=400\)\n -> Date:/);
    expect(capture.messages).toHaveLength(1);
  });

  it.each([
    [['--pause', 'mail'], /--pause mail: expected STAGE=MS, STAGE one of ehlo, starttls, auth, mail, rcpt, data, content, quit/],
    [['--pause', 'body=10'], /--pause body=10: expected STAGE=MS/],
    [['--pause', 'mail=1', '--pause', 'mail=2'], /--pause mail given twice/],
    [['--pause', 'mail=1', '--count', '2'], /--pause is for single sends, --matrix and --eod all, not --count/],
  ])('%j is a usage error', async (args, message) => {
    const result = await runCli(['inject', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('inject --retry on temporary failures (missing pieces)', () => {
  it('451 greylisting: waits the delay the reply names, then delivers; each attempt shown', async () => {
    const { greylist } = await import('../../src/server/scenarios/greylist.js');
    capture = await startCaptureServer({ tls: false, behaviour: greylist.create({ greylistDelayMs: 1200 } as Parameters<typeof greylist.create>[0]).behaviour });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--retry', '2'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/attempt 1 failed \(451 4\.7\.1 .*Greylisted, try again in 2 s\): reconnecting in 2000 ms \(the server asked for 2 s\)/);
    expect(out).toMatch(/=== attempt 1: 451 4\.7\.1 .*; retried after 2000 ms \(the server asked for 2 s\) for <postmaster@localhost>/);
    expect(out).toMatch(/=== attempt 2: accepted/);
    expect(capture.messages).toHaveLength(1);
  });

  it('a 451 for one recipient of two: the message goes to the other, the retry only to the greylisted one', async () => {
    let refusals = 0;
    capture = await startCaptureServer({
      tls: false,
      behaviour: { onCommand: (c) => (c.verb === 'RCPT' && c.argument.includes('<late@x.test>') && refusals++ === 0 ? { reply: { code: 451, enhanced: '4.7.1', lines: ['later'] } } : undefined) },
    });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--to', 'now@x.test', '--to', 'late@x.test', '--retry', '1', '--json'], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const report = json(result.stdout);
    expect(report.attempts.map((a) => a.retry?.recipients ?? null)).toEqual([['late@x.test'], null]);
    expect(report.recipients!.map((r) => [r.address, r.delivered, r.attempt])).toEqual([['now@x.test', true, 1], ['late@x.test', true, 2]]);
    expect(capture.messages.map((m) => m.to)).toEqual([['now@x.test'], ['late@x.test']]);
  });

  it('a 550 is not retried', async () => {
    capture = await startCaptureServer({ tls: false, behaviour: refuse('postmaster@localhost') });
    const result = await runCli(['inject', `127.0.0.1:${capture.port}`, '--retry', '3', '--json']);
    expect(result.code).toBe(1);
    expect(json(result.stdout).attempts).toHaveLength(1);
  });
});
