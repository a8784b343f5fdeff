/**
 * `inject --observe mbox:…` against real Postfix 3.7 delivering to an mbox: what the server
 * stored, read back and compared with what was sent. The rewrites asserted here are
 * Postfix's own, measured: a bare CR in a header becomes a space, missing From and
 * Message-Id are added, a bare-LF end of data smuggles a second message where
 * smtpd_forbid_bare_newline=no, and with reject_unauth_pipelining the first message is
 * stored cut at the fake end.
 */
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli } from '../harness/run-cli.js';

interface ObservedJson {
  variant: string;
  source: string;
  traceId: string;
  verdict: { kind: string; text: string };
  copies: Array<{ where: string; stored: string; summary: Array<{ kind: string; count: number; fields?: string[] }>; findings: { added: Array<{ rule: string }>; gone: Array<{ rule: string }>; kept: Array<{ rule: string }> } }>;
}

describePostfix('inject --observe against Postfix 3.7 delivering to an mbox', (pf) => {
  const inject = (port: number, args: string[], json = true) =>
    runCli(['inject', `${pf.host}:${port}`, '--plain', '--timeout', '10000', '--to', pf.uniqueRecipient(), '--observe', `mbox:${pf.mailbox}`, '--observe-timeout', '15000', ...(json ? ['--json'] : []), ...args], { timeoutMs: 60_000 });
  const observed = (stdout: string) => (JSON.parse(stdout) as { observed: ObservedJson[] }).observed;

  it('incident 1 (--term cr): every CR became a space, Postfix added From and Message-Id; bare-cr is gone from what was stored', async () => {
    const result = await inject(pf.ports.default, ['--term', 'cr'], false);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/=== observed in mbox:\/var\/mail\/testuser after [\d.]+ s: 1 message carries trace id smtpdbg-/);
    expect(out).toMatch(/\+ Message-Id: <\d+\.[0-9A-F]+@mx\.localhost>␊  field added by the server/);
    expect(out).toMatch(/\+ From: smtpdbg@localhost␊  field added by the server/);
    expect(out).toMatch(/~ Date: .* From: <smtpdbg@localhost> To: .* X-Smtpdbg-Trace: smtpdbg-\S+ .*␊  bare CR → SP/);
    expect(out).toContain('lint-mbox on the stored copy: gone error bare-cr');
    expect(out).toMatch(/verdict: delivered altered: bare CR → SP \(\d+×\); field added by the server: Message-Id, From/);
    // --expect unchanged turns that alteration into a finding.
    expect((await inject(pf.ports.default, ['--term', 'cr', '--expect', 'unchanged'])).code).toBe(1);
  });

  it('a CRLF message is delivered unchanged but for trace fields; --expect unchanged holds', async () => {
    const result = await inject(pf.ports.default, ['--expect', 'unchanged']);
    expect(result.code).toBe(0);
    const [one] = observed(result.stdout);
    expect(one!.verdict).toEqual({ kind: 'unchanged', text: 'delivered unchanged except trace fields (Return-Path, X-Original-To, Delivered-To, Received); the store keeps lines with LF' });
    expect(one!.copies).toHaveLength(1);
    expect(one!.copies[0]!.stored).toContain(`X-Smtpdbg-Trace: ${one!.traceId}\n`);
    expect(one!.copies[0]!.stored).toContain(`smtpdbg-trace: ${one!.traceId}\n`);
  });

  it('--no-trace-header leaves the header as it was: the body line alone finds the message', async () => {
    const [one] = observed((await inject(pf.ports.default, ['--no-trace-header'])).stdout);
    expect(one!.copies[0]!.stored).not.toContain('X-Smtpdbg-Trace');
    expect(one!.copies[0]!.stored).toContain(`smtpdbg-trace: ${one!.traceId}`);
  });

  it('smtpd_forbid_bare_newline=no, --eod lf --smuggle: two stored messages carry the trace id (split), exit 1', async () => {
    const result = await inject(pf.ports.no, ['--eod', 'lf', '--smuggle']);
    expect(result.code).toBe(1);
    const [one] = observed(result.stdout);
    expect(one!.verdict.kind).toBe('split');
    expect(one!.copies).toHaveLength(2);
    expect(one!.copies[1]!.stored).toContain('Subject: smtpdbg smuggled message');
  });

  it('smtpd_forbid_bare_newline=normalize, --eod lf --smuggle: one message, the fake end\'s "." line deleted, what followed kept as content', async () => {
    const result = await inject(pf.ports.normalize, ['--eod', 'lf', '--smuggle']);
    expect(result.code).toBe(0);
    const [one] = observed(result.stdout);
    expect(one!.copies).toHaveLength(1);
    expect(one!.verdict.text).toMatch(/^delivered altered: "\." line removed/);
    expect(one!.copies[0]!.stored).toContain('\nMAIL FROM:<smtpdbg@localhost>\n');
  });

  it('reject_unauth_pipelining, --eod lf --smuggle: one message stored, ended at the fake end; the smuggled one refused', async () => {
    const result = await inject(pf.ports.pipelining, ['--eod', 'lf', '--smuggle']);
    // ended-early-refused is a finding of its own (the replies); the store holds one copy.
    expect(result.code).toBe(1);
    const [one] = observed(result.stdout);
    expect(one!.copies).toHaveLength(1);
    expect(one!.verdict.kind).toBe('unchanged');
    expect(one!.copies[0]!.stored).not.toContain('Subject: smtpdbg smuggled message');
  });

  it('--matrix --observe: crlf, cr and lf each read back and compared', async () => {
    const result = await inject(pf.ports.default, ['--matrix', '--term-after', 'Date']);
    const all = observed(result.stdout);
    expect(all.map((o) => o.variant)).toEqual(['Date line ended by CRLF, the others by CRLF', 'Date line ended by CR, the others by CRLF', 'Date line ended by LF, the others by CRLF']);
    expect(all.map((o) => o.verdict.kind)).toEqual(['unchanged', 'altered', 'unchanged']);
    expect(all[1]!.verdict.text).toBe('delivered altered: bare CR → SP; field added by the server: From');
  });

  it('--eod all --observe (smtpd_forbid_bare_newline=no): the store agrees with the replies, variant by variant', async () => {
    const result = await inject(pf.ports.no, ['--eod', 'all']);
    expect(result.code).toBe(1);
    const all = observed(result.stdout) as Array<ObservedJson & { disagreement: string | null }>;
    const stored = Object.fromEntries(all.map((o) => [o.variant, o.copies.length]));
    // Two stored messages exactly where the replies said two were accepted.
    expect(stored['lines ended by CRLF, end of data lf (\\n.\\n)']).toBe(2);
    expect(stored['lines ended by CRLF, end of data cr (\\r.\\r)']).toBe(1);
    expect(all.filter((o) => o.disagreement !== null)).toEqual([]);
    const text = await inject(pf.ports.no, ['--eod', 'all'], false);
    expect(text.stdout).toMatch(/variant +replies +stored +what the store shows/);
    expect(text.stdout).toMatch(/lines ended by CRLF, end of data lf \(\\n\.\\n\) +smuggled +2 +split into 2 messages/);
  }, 180_000);

  it('a message that never reaches the store: exit 3 within --observe-timeout, saying where it looked', async () => {
    const started = Date.now();
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', pf.uniqueRecipient(), '--observe', 'mbox:/tmp/smtpdbg-nothing-arrives-here', '--observe-timeout', '1500'], { timeoutMs: 30_000 });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/\*\*\* observe: not found in mbox:\/tmp\/smtpdbg-nothing-arrives-here within 1500 ms \(trace id smtpdbg-/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
