/**
 * The smuggling probe classified from every reply, against servers
 * that behave as the real ones measured: Postfix's reject_unauth_pipelining (a second
 * transaction refused after the first message ended at the fake end) and Exim 4.96, whose
 * bare-LF check applies only when the first header line ends in CRLF. The same against the
 * real Postfix is in inject-postfix.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { normalize, runCli } from '../harness/run-cli.js';
import { startMiniServer, type MiniServer } from './inject-mini-server.js';

interface Json {
  exitCode: number;
  transactions: Array<{
    term: string;
    eod: { name: string };
    classification: string | null;
    detail: string | null;
    acceptedMessages: number | null;
    afterData: Array<{ role: string; code: number }> | null;
    replies: Array<{ command: string; code: number }>;
  }>;
}

let mini: MiniServer | undefined;
afterEach(async () => {
  await mini?.close();
  mini = undefined;
});

describe('inject --smuggle against a server that refuses the second transaction (item 5)', () => {
  it('ended at the fake end, second DATA 503: ended-early-refused, exit 1, every reply said for what', async () => {
    mini = await startMiniServer({ ends: 'bare-lf', rejectUnauthPipelining: true });
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'lf', '--smuggle', '--json']);
    expect(result.code).toBe(1);
    const [t] = (JSON.parse(result.stdout) as Json).transactions;
    expect(t!.classification).toBe('ended-early-refused');
    expect(t!.acceptedMessages).toBe(1);
    expect(t!.afterData).toEqual([
      { role: 'end of data', code: 250, enhanced: '2.0.0', lines: ['2.0.0 Ok: queued as MINI1'] },
      { role: 'MAIL (smuggled)', code: 250, enhanced: '2.0.0', lines: ['2.0.0 Ok'] },
      { role: 'RCPT (smuggled)', code: 250, enhanced: '2.0.0', lines: ['2.0.0 Ok'] },
      { role: 'DATA (smuggled)', code: 503, enhanced: '5.5.0', lines: ['5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining'] },
    ]);
    expect(t!.replies.slice(-5).map((r) => r.command)).toEqual(['end of data', 'MAIL (smuggled)', 'RCPT (smuggled)', 'DATA (smuggled)', "QUIT (or the server's own goodbye)"]);

    const text = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'lf', '--smuggle']);
    expect(text.code).toBe(1);
    expect(normalize(text.stdout)).toContain(
      '=== classification: ended-early-refused: the server ended the message at the fake end of data (the first message was accepted cut there) and read the rest as commands, but the second transaction was not accepted: end of data: 250 2.0.0 Ok: queued as MINI2; MAIL (smuggled): 250 2.0.0 Ok; RCPT (smuggled): 250 2.0.0 Ok; DATA (smuggled): 503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining; then 221 2.7.0 Error: I can break rules, too. Goodbye.',
    );
  });

  it('without --smuggle, a server that reads on after the fake end is a finding too (ended-early, exit 1)', async () => {
    mini = await startMiniServer({ ends: 'bare-lf' });
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'lf']);
    expect(result.code).toBe(1);
    expect(normalize(result.stdout)).toMatch(/=== classification: ended-early: the server ended the message at the fake end of data and read the rest as commands: end of data: 250 [^;]*; 2 lines after the fake end of data, read as commands: 502 ×2 /);
  });

  it('a server that keeps the fake end as content: "content", with only what the replies prove (item 6)', async () => {
    mini = await startMiniServer();
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'cr', '--smuggle']);
    expect(result.code).toBe(0);
    const out = normalize(result.stdout);
    expect(out).toContain('=== classification: content: one message accepted (250 2.0.0 Ok: queued as MINI1); the server did not end the message at the fake end. The replies do not show what it stored there (the fake end kept, rewritten or dropped): read the delivered copy (queue id MINI1)');
    expect(out).not.toContain('stayed content');
  });
});

describe('inject --eod all: a second pass with LF lines (item 7)', () => {
  it('against an Exim-like server: the CRLF pass holds, three variants smuggle with LF lines; a column each, a summary line, exit 1', async () => {
    mini = await startMiniServer({ ends: 'exim' });
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'all'], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    const out = normalize(result.stdout);
    expect(out).toMatch(/^variant +bytes +through a relay +CRLF lines +LF lines$/m);
    expect(out).toMatch(/^lf +␊\.␊ +producible +content \(250\) +smuggled \(250 250 250 354 250\)$/m);
    expect(out).toMatch(/^lf-crlf +␊\.␍␊ +producible +content \(250\) +smuggled \(250 250 250 354 250\)$/m);
    expect(out).toMatch(/^crlf-lf +␍␊\.␊ +not producible through a relay +content \(250\) +smuggled \(250 250 250 354 250\)$/m);
    expect(out).toMatch(/^cr +␍\.␍ +producible +content \(250\) +content \(250\)$/m);
    expect(out).toMatch(/^\*\*\* 3 of 24 smuggled: lf \(LF lines\), lf-crlf \(LF lines\), crlf-lf \(LF lines\)$/m);
    // Each pass has its own connections: 12 variants × 2.
    expect(mini.received).toHaveLength(24);
    expect(mini.received[12]!.toString('latin1')).toMatch(/DATA\r\nDate: [^\r\n]*\nFrom: /);
  });

  it('against a server that holds everywhere: "no variant smuggled", exit 0', async () => {
    mini = await startMiniServer();
    const result = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'all', '--json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Json;
    expect(report.transactions.map((t) => t.term)).toEqual([...Array(12).fill('crlf'), ...Array(12).fill('lf')]);
    expect(new Set(report.transactions.map((t) => t.classification))).toEqual(new Set(['content']));
    const text = await runCli(['inject', `127.0.0.1:${mini.port}`, '--plain', '--eod', 'all'], { timeoutMs: 60_000 });
    expect(text.stdout).toMatch(/^=== no variant smuggled$/m);
  });
});
