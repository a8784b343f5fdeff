/**
 * inject --close-after and --tls-abort against real Postfix 3.7: what its smtpd logs when a
 * client hangs up after RCPT, half-way through the message, or inside the TLS handshake.
 */
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { waitFor } from '../harness/raw-server.js';
import { runCli } from '../harness/run-cli.js';

describePostfix('inject misbehaving against Postfix', (pf) => {
  /** Runs inject, then waits for Postfix to log a line matching `pattern` after what was logged before. */
  const runAndLog = async (args: string[], pattern: RegExp) => {
    const before = (await pf.readLog()).length;
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--to', pf.uniqueRecipient('misbehave'), '--timeout', '10000', '--json', ...args], { timeoutMs: 60_000 });
    const line = await waitFor(async () => (await pf.readLog()).slice(before).split('\n').find((l) => pattern.test(l)), 15_000, `Postfix to log ${String(pattern)}`);
    return { result, line, report: JSON.parse(result.stdout) as { exitCode: number; transactions: Array<{ payloadOctets: number | null }> } };
  };

  it('--close-after rcpt: Postfix logs "lost connection after RCPT"; exit 0', async () => {
    const { result } = await runAndLog(['--plain', '--close-after', 'rcpt'], /smtpd\[\d+\]: lost connection after RCPT from /);
    expect(result.code).toBe(0);
  });

  it('--close-after mid-data: Postfix logs "lost connection after DATA" with the octets it got', async () => {
    const { result, line, report } = await runAndLog(['--plain', '--close-after', 'mid-data'], /smtpd\[\d+\]: lost connection after DATA \(\d+ bytes\) from /);
    expect(result.code).toBe(0);
    const got = Number(/\((\d+) bytes\)/.exec(line)![1]);
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThanOrEqual(report.transactions[0]!.payloadOctets!);
  });

  it('--tls-abort: Postfix sees the ClientHello and a lost connection in the handshake', async () => {
    const { result, line } = await runAndLog(['--tls-abort'], /smtpd\[\d+\]: (SSL_accept error from|lost connection after STARTTLS from)/);
    expect(result.code).toBe(0);
    expect(line).toMatch(/\[127\.0\.0\.1\]/);
  });
});
