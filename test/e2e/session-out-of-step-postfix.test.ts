import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';

/**
 * Real Postfix is never called out of step: pipelined groups, raw writes of several
 * commands, and an end of data that only a lenient server takes (`\n.\n`) are all counted
 * as Postfix counts them.
 */
const ca = join(REPO_ROOT, 'fixtures/certs/ca.pem');

interface Summary {
  replies: Array<{ command: string; code: number }>;
  unsolicited: number;
}

describePostfix('session against Postfix: every reply matched to what it answers', (pf) => {
  it('a pipelined group and a raw write of two commands', async () => {
    const to = pf.uniqueRecipient('pipe');
    const script = `MAIL FROM:<a@example.test>\nRCPT TO:<${to}>\nRSET\nNOOP\n:raw NOOP\\r\\nNOOP\\r\\n\n`;
    const result = await runCli(['session', `${pf.host}:${pf.ports.default}`, '--ca', ca, '--pipeline', '--json'], { stdin: script });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.unsolicited).toBe(0);
    expect(summary.replies.slice(4).map((r) => `${r.command.split(' ')[0]} ${r.code}`)).toEqual(['MAIL 250', 'RCPT 250', 'RSET 250', 'NOOP 250', '(raw) 250', '(raw) 250', 'QUIT 221']);
  });

  it('DATA in bare LF lines ended by \\n.\\n: Postfix\'s 250 is the end of data\'s reply, not unsolicited', async () => {
    const to = pf.uniqueRecipient('lfend');
    const script = `:term lf\nMAIL FROM:<a@example.test>\nRCPT TO:<${to}>\nDATA\nSubject: lf end\n\nbody\n.\nNOOP\n`;
    const result = await runCli(['session', `${pf.host}:${pf.ports.no}`, '--ca', ca], { stdin: script });
    expect(result.stdout).not.toContain('unsolicited');
    expect(result.stdout).toMatch(/<~ {2}250 2\.0\.0 Ok: queued as \w+/);
    expect(result.code).toBe(0);
    await pf.waitForMessages(1, 10_000, { to });
  });
});
