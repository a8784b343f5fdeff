/**
 * `smtpdbg inject` against real Postfix 3.7 with smtpd_forbid_bare_newline set to no,
 * normalize and reject, and with `no` plus smtpd_data_restrictions =
 * reject_unauth_pipelining. The expected classifications were measured on Postfix itself:
 * with `no` a bare-LF end of data smuggles a second message, with `normalize` it stays
 * content, with `reject` the message gets 550 5.5.2 (with LF lines, every variant does);
 * with reject_unauth_pipelining the first message is accepted cut at the fake end and the
 * smuggled DATA gets 503.
 */
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli } from '../harness/run-cli.js';

interface InjectJson {
  exitCode: number;
  transactions: Array<{
    term: string;
    eod: { name: string; producibleThroughRelay: boolean };
    acceptedMessages: number | null;
    afterData: Array<{ role: string; code: number; enhanced: string | null }> | null;
    classification: string | null;
    finalReply: { code: number; enhanced: string | null } | null;
    accepted: boolean;
    queueId: string | null;
    smuggledQueueId: string | null;
    replies: Array<{ command: string; code: number; enhanced: string | null }>;
    error: { code: string; message: string } | null;
  }>;
}

const inject = async (args: string[]) => {
  const result = await runCli(['inject', ...args, '--plain', '--json', '--timeout', '10000'], { timeoutMs: 60_000 });
  expect(result.stderr).toBe('');
  return { code: result.code, json: JSON.parse(result.stdout) as InjectJson };
};

// Measured on Postfix 3.7.11: a fake end-of-data followed by a second transaction in one write.
const bareLf = ['lf', 'lf-crlf', 'crlf-lf'] as const;
const bareCr = ['cr', 'cr-crlf', 'crlf-cr'] as const;
const expected = {
  no: { lf: 'smuggled', cr: 'content', exit: 1, lfLines: { lf: 'smuggled', cr: 'content' } },
  normalize: { lf: 'content', cr: 'content', exit: 0, lfLines: { lf: 'content', cr: 'content' } },
  reject: { lf: 'rejected', cr: 'content', exit: 0, lfLines: { lf: 'rejected', cr: 'rejected' } },
  pipelining: { lf: 'ended-early-refused', cr: 'content', exit: 1, lfLines: { lf: 'ended-early-refused', cr: 'content' } },
} as const;

describePostfix('inject against Postfix 3.7 (smtpd_forbid_bare_newline)', (pf) => {
  it.each(['no', 'normalize', 'reject', 'pipelining'] as const)('%s: --eod lf --smuggle is classified as Postfix behaves', async (service) => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports[service]}`, '--to', to, '--eod', 'lf', '--smuggle']);
    const [report] = json.transactions;
    expect(report?.classification).toBe(expected[service].lf);
    if (service === 'no') {
      expect(code).toBe(1);
      expect(report?.smuggledQueueId).toMatch(/^[0-9A-Za-z]+$/);
      const messages = await pf.waitForMessages(2, 15_000, { to });
      expect(messages.map((m) => /Subject: (.*)/.exec(m.toString('latin1'))?.[1])).toEqual(
        expect.arrayContaining(['smtpdbg smuggled message']),
      );
    } else if (service === 'reject') {
      expect(report?.finalReply).toMatchObject({ code: 550, enhanced: '5.5.2' });
      expect(code).toBe(1);
    } else if (service === 'pipelining') {
      // The first message ended at the fake end and was stored cut there; the second was refused.
      expect(code).toBe(1);
      expect(report?.acceptedMessages).toBe(1);
      expect(report?.afterData?.map((r) => [r.role, r.code])).toEqual([
        ['end of data', 250],
        ['MAIL (smuggled)', 250],
        ['RCPT (smuggled)', 250],
        ['DATA (smuggled)', 503],
      ]);
      const [message] = await pf.waitForMessages(1, 15_000, { to });
      const text = message!.toString('latin1');
      expect(text).toContain('Variant: lines ended by CRLF, end of data lf');
      expect(text).not.toContain('MAIL FROM:');
      expect(text).not.toContain('smtpdbg smuggled message');
    } else {
      expect(code).toBe(0);
      expect(report?.queueId).toMatch(/^[0-9A-Za-z]+$/);
      const [message] = await pf.waitForMessages(1, 15_000, { to });
      // One message: the smuggled transaction is part of its content.
      expect(message?.toString('latin1')).toContain('MAIL FROM:<smtpdbg@localhost>');
    }
  });

  it.each(['no', 'normalize', 'reject', 'pipelining'] as const)('%s: --eod all, with CRLF lines and with LF lines, matches what Postfix was measured to do', async (service) => {
    const { code, json } = await inject([`${pf.host}:${pf.ports[service]}`, '--to', pf.uniqueRecipient(), '--eod', 'all']);
    expect(json.transactions).toHaveLength(24);
    const pass = (term: string) => new Map(json.transactions.filter((t) => t.term === term).map((t) => [t.eod.name, t]));
    const [crlf, lf] = [pass('crlf'), pass('lf')];
    for (const name of bareLf) expect([name, crlf.get(name)?.classification, lf.get(name)?.classification]).toEqual([name, expected[service].lf, expected[service].lfLines.lf]);
    for (const name of bareCr) expect([name, crlf.get(name)?.classification, lf.get(name)?.classification]).toEqual([name, expected[service].cr, expected[service].lfLines.cr]);
    const byName = crlf;
    expect(byName.get('crlf-lf')?.eod.producibleThroughRelay).toBe(false);
    expect(byName.get('lf')?.eod.producibleThroughRelay).toBe(true);
    expect(code).toBe(expected[service].exit);
  });

  it('reject: commands ended by bare LF get 550, then the server closes (exit 3)', async () => {
    const { code, json } = await inject([`${pf.host}:${pf.ports.reject}`, '--cmd-term', 'lf', '--to', pf.uniqueRecipient()]);
    const [report] = json.transactions;
    expect(report?.replies.find((r) => r.command.startsWith('EHLO'))).toMatchObject({ code: 550, enhanced: '5.5.2' });
    expect(report?.error?.code).toBe('ECONNECTION');
    expect(code).toBe(3);
  });

  it('normalize: commands ended by bare LF are accepted', async () => {
    const { code, json } = await inject([`${pf.host}:${pf.ports.normalize}`, '--cmd-term', 'lf', '--to', pf.uniqueRecipient()]);
    expect(json.transactions[0]?.accepted).toBe(true);
    expect(code).toBe(0);
  });

  it('default service: --term cr --term-after Date is stored with the CR turned into a space', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports.default}`, '--to', to, '--term', 'cr', '--term-after', 'Date']);
    expect(code).toBe(0);
    expect(json.transactions[0]?.accepted).toBe(true);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    const text = message!.toString('latin1');
    expect(text).toMatch(/\nDate: [^\n]*\+0000 From: <smtpdbg@localhost>\n/);
  });

  it('every recipient is tried: an unknown local user gets 550 5.1.1, the message still goes to the other (exit 1)', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports.default}`, '--to', 'nosuchuser@example.test', '--to', `<${to}>`, '--from', '<>']);
    expect(code).toBe(1);
    const [report] = json.transactions as Array<InjectJson['transactions'][number] & { recipients: Array<{ address: string; accepted: boolean; reply: { code: number; enhanced: string | null } | null }> }>;
    expect(report!.recipients.map((r) => [r.address, r.accepted, r.reply?.code, r.reply?.enhanced])).toEqual([
      ['nosuchuser@example.test', false, 550, '5.1.1'],
      [to, true, 250, '2.1.5'],
    ]);
    expect(report!.replies.find((r) => /^MAIL FROM:<> SIZE=\d+$/.test(r.command))?.code).toBe(250);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    // The null sender: Postfix records it as such, and the built-in From is a mailbox.
    expect(message!.toString('latin1')).toMatch(/^Return-Path: <>$/m);
    expect(message!.toString('latin1')).toMatch(/^From: Mail Delivery System <MAILER-DAEMON@localhost>$/m);
  });

  it('a message above the SIZE Postfix advertises is not sent (exit 2, one line); --max-size sends it anyway and Postfix refuses it', async () => {
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(10_300_000, `${'x'.repeat(998)}\r\n`)]);
    const refused = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', pf.uniqueRecipient(), '--data', '-'], { stdin: big, timeoutMs: 60_000 });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/\*\*\* the message is \d+ octets and 127\.0\.0\.1:\d+ accepts at most 10240000 \(SIZE in its EHLO reply, RFC 1870\): not sent/);
    expect(refused.stdout).not.toContain(' -> MAIL FROM');
    const sent = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', pf.uniqueRecipient(), '--data', '-', '--max-size', '20000000', '--json'], { stdin: big, timeoutMs: 60_000 });
    expect(sent.code).toBe(1);
    expect((JSON.parse(sent.stdout) as InjectJson).transactions[0]!.finalReply).toMatchObject({ code: 552 });
  });
});
