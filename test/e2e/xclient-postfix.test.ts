/**
 * `--xclient` and `--xforward` against real Postfix 3.7: the `xclient` service offers both
 * to 127.0.0.1 (smtpd_authorized_xclient_hosts, smtpd_authorized_xforward_hosts), the
 * `default` service offers neither. What Postfix made of the attributes is read back from
 * the Received header of the delivered message and from its log.
 */
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli } from '../harness/run-cli.js';

interface InjectJson {
  exitCode: number;
  xclient: Array<{ name: string; value: string }> | null;
  transactions: Array<{ accepted: boolean; queueId: string | null; replies: Array<{ command: string; code: number }>; error: { code: string; message: string } | null }>;
}

const inject = async (args: string[]) => {
  const result = await runCli(['inject', ...args, '--plain', '--json', '--timeout', '10000'], { timeoutMs: 60_000 });
  return { code: result.code, stderr: result.stderr, json: JSON.parse(result.stdout) as InjectJson };
};

const receivedOf = (message: Buffer) => /^Received: (.*(?:\n[ \t].*)*)/m.exec(message.toString('latin1'))?.[1]?.replace(/\s+/g, ' ') ?? '';

describePostfix('XCLIENT and XFORWARD against Postfix 3.7', (pf) => {
  /** The first line of Postfix's log that matches, waited for (bounded): smtpd logs as it goes. */
  const logLine = async (pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = (await pf.readLog()).split('\n').find((l) => pattern.test(l));
      if (found || Date.now() > deadline) return found ?? '';
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('XCLIENT NAME/ADDR/HELO: Postfix answers 220, smtpdbg says EHLO again, and the Received header names the XCLIENT client', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([
      `${pf.host}:${pf.ports.xclient}`, '--to', to,
      '--xclient', 'NAME=client.example', '--xclient', 'ADDR=192.0.2.7', '--xclient', 'HELO=helo.example',
    ]);
    expect(code).toBe(0);
    const commands = json.transactions[0]!.replies.map((r) => `${r.command.split(' ')[0]} ${r.code}`);
    expect(commands.slice(0, 5)).toEqual(['(banner) 220', 'EHLO 250', 'XCLIENT 220', 'EHLO 250', 'MAIL 250']);
    expect(json.transactions[0]!.replies[2]!.command).toBe('XCLIENT NAME=client.example ADDR=192.0.2.7 HELO=helo.example');
    expect(json.xclient).toEqual([{ name: 'NAME', value: 'client.example' }, { name: 'ADDR', value: '192.0.2.7' }, { name: 'HELO', value: 'helo.example' }]);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    expect(receivedOf(message!)).toMatch(/^from helo\.example \(client\.example \[192\.0\.2\.7\]\) by mx\.localhost/);
  });

  it('XCLIENT values are xtext-encoded: a LOGIN with a space and a "+" arrives as typed', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports.xclient}`, '--to', to, '--xclient', 'ADDR=192.0.2.8', '--xclient', 'LOGIN=two words+1']);
    expect(code).toBe(0);
    expect(json.transactions[0]!.replies[2]!.command).toBe('XCLIENT ADDR=192.0.2.8 LOGIN=two+20words+2B1');
    const queueId = json.transactions[0]!.queueId!;
    const line = new RegExp(`${queueId}: client=unknown\\[192\\.0\\.2\\.8\\], sasl_method=XCLIENT, sasl_username=two words\\+1`);
    expect(await logLine(line)).toMatch(line);
  });

  it('XFORWARD: Postfix logs the forwarded client beside the real one (orig_client=)', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([
      `${pf.host}:${pf.ports.xclient}`, '--to', to,
      '--xforward', 'NAME=upstream.example', '--xforward', 'ADDR=198.51.100.9', '--xforward', 'HELO=fwd.example',
    ]);
    expect(code).toBe(0);
    const report = json.transactions[0]!;
    expect(report.replies.map((r) => `${r.command.split(' ')[0]} ${r.code}`).slice(0, 4)).toEqual(['(banner) 220', 'EHLO 250', 'XFORWARD 250', 'MAIL 250']);
    // Postfix keeps the real client and logs the forwarded one beside it.
    const line = new RegExp(`${report.queueId}: client=unknown\\[127\\.0\\.0\\.1\\], orig_client=upstream\\.example\\[198\\.51\\.100\\.9\\]`);
    expect(await logLine(line)).toMatch(line);
    await pf.waitForMessages(1, 15_000, { to });
  });

  it('--xforward with --count is refused before connecting: Postfix forgets the attributes after each transaction', async () => {
    const result = await runCli(['inject', `${pf.host}:${pf.ports.xclient}`, '--plain', '--to', pf.uniqueRecipient(), '--count', '2', '--xforward', 'ADDR=198.51.100.3'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('smtpdbg: --xforward is for single sends, --matrix and --eod all, not --count: Postfix forgets XFORWARD attributes after each transaction\n');
    expect(result.stdout).toBe('');
  });

  it('a server that does not offer XCLIENT gets nothing: a one-line note and exit 2', async () => {
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', pf.uniqueRecipient(), '--xclient', 'ADDR=192.0.2.7'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('*** --xclient: the server does not advertise XCLIENT to this client (Postfix offers it only to the hosts in smtpd_authorized_xclient_hosts); nothing was sent\n');
    expect(result.stdout).not.toMatch(/-> XCLIENT|-> MAIL/);
    expect(result.stdout).toMatch(/-> QUIT/);
  });

  it('an attribute the server does not list is refused before anything is sent', async () => {
    const result = await runCli(['inject', `${pf.host}:${pf.ports.xclient}`, '--plain', '--to', pf.uniqueRecipient(), '--xforward', 'COLOUR=blue'], { timeoutMs: 60_000 });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/\*\*\* --xforward: the server's XFORWARD does not take COLOUR \(it lists [A-Z_ ]+\); nothing was sent\n/);
    expect(result.stdout).not.toMatch(/-> XFORWARD/);
  });

  it('session --quit-after mail: XCLIENT, EHLO, MAIL in a scripted session', async () => {
    const result = await runCli(['session', `${pf.host}:${pf.ports.xclient}`, '--plain', '--json', '--quit-after', 'mail', '--xclient', 'ADDR=192.0.2.9'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { replies: Array<{ command: string; code: number }> };
    expect(summary.replies.map((e) => `${e.command.split(' ')[0]} ${e.code}`)).toEqual(['(banner) 220', 'EHLO 250', 'XCLIENT 220', 'EHLO 250', 'MAIL 250', 'QUIT 221']);
  });
});
