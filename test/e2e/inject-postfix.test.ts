/**
 * `smtpdbg inject` against real Postfix 3.7 with smtpd_forbid_bare_newline set to no,
 * normalize and reject. The expected classifications are those of docs/peers.md, measured
 * on Postfix itself: with `no` a bare-LF end of data smuggles a second message, with
 * `normalize` it stays content, with `reject` the message gets 550 5.5.2.
 */
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli } from '../harness/run-cli.js';

interface InjectJson {
  exitCode: number;
  transactions: Array<{
    eod: { name: string; producibleThroughRelay: boolean };
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

// docs/peers.md, "a fake end-of-data followed by a second transaction in one write".
const bareLf = ['lf', 'lf-crlf', 'crlf-lf'] as const;
const bareCr = ['cr', 'cr-crlf', 'crlf-cr'] as const;
const expected = {
  no: { lf: 'smuggled', cr: 'content', exit: 1 },
  normalize: { lf: 'content', cr: 'content', exit: 0 },
  reject: { lf: 'rejected', cr: 'content', exit: 0 },
} as const;

describePostfix('inject against Postfix 3.7 (smtpd_forbid_bare_newline)', (pf) => {
  it.each(['no', 'normalize', 'reject'] as const)('%s: --eod lf --smuggle is classified as Postfix behaves', async (service) => {
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
    } else {
      expect(code).toBe(0);
      expect(report?.queueId).toMatch(/^[0-9A-Za-z]+$/);
      const [message] = await pf.waitForMessages(1, 15_000, { to });
      // One message: the smuggled transaction is part of its content.
      expect(message?.toString('latin1')).toContain('MAIL FROM:<smtpdbg@localhost>');
    }
  });

  it.each(['no', 'normalize', 'reject'] as const)('%s: --eod all matches the peers.md table', async (service) => {
    const { code, json } = await inject([`${pf.host}:${pf.ports[service]}`, '--to', pf.uniqueRecipient(), '--eod', 'all']);
    const byName = new Map(json.transactions.map((t) => [t.eod.name, t]));
    for (const name of bareLf) expect([name, byName.get(name)?.classification]).toEqual([name, expected[service].lf]);
    for (const name of bareCr) expect([name, byName.get(name)?.classification]).toEqual([name, expected[service].cr]);
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
});
