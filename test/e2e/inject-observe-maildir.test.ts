/**
 * `inject --observe` reading back from a Maildir and over IMAP: real Postfix delivers any
 * address @maildir.test into one Maildir (virtual(8)), and a real Dovecot serves that same
 * Maildir over IMAP with STARTTLS and over IMAPS. What Postfix did to a bare CR must be the
 * same whichever way it is read back; only the line ends differ (LF on disk, CRLF over IMAP).
 */
import * as net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { dovecotUnavailableReason, startDovecot, type DovecotInstance } from '../harness/dovecot.js';
import { REPO_ROOT, runCli } from '../harness/run-cli.js';

interface Observed {
  verdict: { kind: string; text: string };
  copies: Array<{ where: string; stored: string }>;
}

describePostfix('inject --observe maildir: and imap:// against Postfix and Dovecot', (pf) => {
  let dovecot: DovecotInstance | undefined;
  beforeAll(async () => {
    const reason = await dovecotUnavailableReason();
    if (reason) throw new Error(`Dovecot is needed for these tests: ${reason}`);
    dovecot = await startDovecot({ maildir: pf.maildir });
  }, 30_000);
  afterAll(async () => {
    await dovecot?.stop();
  });

  const to = () => `reader+${Math.random().toString(36).slice(2)}@${pf.maildirDomain}`;
  const inject = (observe: string, args: string[], env: Record<string, string> = {}) =>
    runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--timeout', '10000', '--to', to(), '--observe', observe, '--observe-timeout', '15000', '--json', ...args], { timeoutMs: 60_000, env });
  const observed = (stdout: string) => (JSON.parse(stdout) as { observed: Observed[] }).observed[0]!;

  it('maildir: the Date line ended by CR is stored merged with From, and Postfix added its own From', async () => {
    const result = await inject(`maildir:${pf.maildir}`, ['--term', 'cr', '--term-after', 'Date']);
    expect(result.code).toBe(0);
    const one = observed(result.stdout);
    expect(one.copies[0]!.where).toMatch(new RegExp(`^${pf.maildir}/new/`));
    expect(one.verdict.text).toBe('delivered altered: bare CR → SP; field added by the server: From');
  });

  it.each(['imap', 'imaps'] as const)('%s://: the same alteration read back through Dovecot, verified against the test CA', async (scheme) => {
    const port = scheme === 'imap' ? dovecot!.ports.imap : dovecot!.ports.imaps;
    const result = await inject(`${scheme}://${dovecot!.user}@localhost:${port}/INBOX`, ['--term', 'cr', '--term-after', 'Date', '--ca', `${REPO_ROOT}fixtures/certs/ca.pem`], { SMTPDBG_IMAP_PASSWORD: dovecot!.password });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const one = observed(result.stdout);
    expect(one.copies[0]!.where).toMatch(new RegExp(`^${scheme}://reader@localhost:${port}/INBOX, UID \\d+$`));
    // IMAP hands out CRLF: the diff counts the CRLF lines as unchanged, not as LF on disk.
    expect(one.copies[0]!.stored).toContain('\r\n');
    expect(one.verdict.text).toBe('delivered altered: bare CR → SP; field added by the server: From');
  });

  it('imap:// with a wrong password: one line naming the mailbox, exit 3, and nothing was sent', async () => {
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', to(), '--observe', `imap://${dovecot!.user}@localhost:${dovecot!.ports.imap}/INBOX`, '--ca', `${REPO_ROOT}fixtures/certs/ca.pem`], { timeoutMs: 30_000, env: { SMTPDBG_IMAP_PASSWORD: 'wrong' } });
    expect(result.stderr).toMatch(/^smtpdbg: imap:\/\/reader@localhost:\d+\/INBOX: login refused: Authentication failed\.\n$/);
    expect(result.stdout).not.toContain('MAIL FROM');
    expect(result.code).toBe(3);
  });

  it('imaps:// whose certificate nobody trusts: the reason, exit 3', async () => {
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', to(), '--observe', `imaps://${dovecot!.user}@localhost:${dovecot!.ports.imaps}/INBOX`], { timeoutMs: 30_000, env: { SMTPDBG_IMAP_PASSWORD: dovecot!.password } });
    expect(result.stderr).toMatch(/certificate verification failed: .*\(--ca FILE to trust its CA, --insecure to accept it anyway\)/);
    expect(result.code).toBe(3);
  });
});

describePostfix('inject --observe relay: against Postfix passing mail on', (pf) => {
  it('captures what Postfix sent onward to its next hop: its own Received field added, the bare CR already a space', async () => {
    const result = await runCli(
      ['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--timeout', '10000', '--to', `someone@${pf.relay.domain}`, '--term', 'cr', '--term-after', 'Date', '--observe', `relay:127.0.0.1:${pf.relay.port}`, '--observe-timeout', '20000', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const one = (JSON.parse(result.stdout) as { observed: Observed[] }).observed[0]!;
    expect(one.copies[0]!.where).toMatch(new RegExp(`^relay:127\\.0\\.0\\.1:${pf.relay.port}, message \\S+ from <smtpdbg@localhost> to <someone@relay\\.test>`));
    // On the wire again: CRLF lines, Postfix's Received first, Date and From merged by the CR it turned into a space.
    expect(one.copies[0]!.stored).toMatch(/^Received: from /);
    expect(one.verdict.text).toBe('delivered altered: bare CR → SP; field added by the server: From');
  });

  it('a relay address already in use: one line, exit 3, nothing sent', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', `x@${pf.relay.domain}`, '--observe', `relay:127.0.0.1:${port}`], { timeoutMs: 30_000 });
      expect(result.stderr).toMatch(new RegExp(`^smtpdbg: --observe relay:127\\.0\\.0\\.1:${port}: cannot listen there: EADDRINUSE\\n$`));
      expect(result.stdout).not.toContain('MAIL FROM');
      expect(result.code).toBe(3);
    } finally {
      blocker.close();
    }
  });
});
