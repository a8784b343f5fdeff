import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli, REPO_ROOT } from '../harness/run-cli.js';

const ca = join(REPO_ROOT, 'fixtures/certs/ca.pem');

interface Summary {
  capabilities: { beforeTls: string[] | null; afterTls: string[] | null };
  tls: { verified: boolean; protocol: string } | null;
  replies: Array<{ command: string; code: number; enhanced: string | null }>;
}

describePostfix('session against real Postfix on loopback', (pf) => {
  it('STARTTLS with a verified certificate, capabilities forgotten and asked again', async () => {
    const result = await runCli(['session', `${pf.host}:${pf.ports.default}`, '--ca', ca, '--json', '--quit-after', 'ehlo']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.tls).toMatchObject({ verified: true });
    expect(summary.capabilities.beforeTls).toContain('STARTTLS');
    expect(summary.capabilities.afterTls).not.toBeNull();
    expect(summary.capabilities.afterTls).not.toContain('STARTTLS');
  });

  it('delivers a scripted message that lands in the mbox, a typed line starting with "." dot-stuffed and stored as typed', async () => {
    const to = pf.uniqueRecipient();
    const script = `MAIL FROM:<sender@example.test>\nRCPT TO:<${to}>\nDATA\nSubject: scripted through Postfix\n\n.a stuffed dot\n.\n`;
    const result = await runCli(['session', `${pf.host}:${pf.ports.default}`, '--ca', ca], { stdin: script });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/<~ {2}250 2\.0\.0 Ok: queued as \w+/);
    expect(result.stdout).toContain('dot-stuffed: the line starts with "." so it went out as "..a stuffed dot"');
    const [message] = await pf.waitForMessages(1, 10_000, { to });
    expect(message!.toString()).toContain('Subject: scripted through Postfix\n');
    expect(message!.toString()).toContain('\n.a stuffed dot\n');
  });

  it('a rejected recipient is a 5xx explained in words, exit 1', async () => {
    const result = await runCli(['session', `${pf.host}:${pf.ports.default}`, '--ca', ca], { stdin: 'MAIL FROM:<a@example.test>\nRCPT TO:<nobody@elsewhere.invalid>\n' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/<~ {2}55\d 5\.\d\.\d+ /);
    expect(result.stdout).toMatch(/=== 5\.\d\.\d+: permanent failure: /);
  });

  it('commands ended by bare LF are answered by reject with 550 and a disconnect', async () => {
    const result = await runCli(['session', `${pf.host}:${pf.ports.reject}`, '--ca', ca], { stdin: ':term lf\nNOOP\n' });
    expect(result.stdout).toContain(' ~> NOOP␊');
    expect(result.stdout).toMatch(/<~ {2}550 5\.5\.2 .*bare <LF>/);
    expect([1, 3]).toContain(result.code);
  });
});
