/**
 * `inject --bdat` against real Postfix 3.7, which offers CHUNKING (RFC 3030) by default,
 * with smtpd_forbid_bare_newline no / normalize / reject. Measured on Postfix 3.7.11:
 * BDAT content is never read as commands or an end of data (a CRLF.CRLF and a command
 * inside a chunk are stored as content); a bare CR in a header becomes a space as with
 * DATA; `reject` refuses the chunk that holds a bare LF (550 5.5.2) and discards the rest
 * (551 5.0.0), `no` and `normalize` store the message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describePostfix } from '../harness/postfix-context.js';
import { runCli } from '../harness/run-cli.js';

interface Reply { code: number; enhanced: string | null; lines: string[] }
interface InjectJson {
  exitCode: number;
  transactions: Array<{
    accepted: boolean;
    queueId: string | null;
    finalReply: Reply | null;
    chunks: Array<{ command: string; octets: number; last: boolean; reply: Reply | null }> | null;
    replies: Array<{ command: string; code: number }>;
  }>;
}

const dir = mkdtempSync(join(tmpdir(), 'smtpdbg-bdat-postfix-'));
const inject = async (args: string[]) => {
  const result = await runCli(['inject', ...args, '--plain', '--json', '--timeout', '15000'], { timeoutMs: 60_000 });
  expect(result.stderr).toBe('');
  return { code: result.code, json: JSON.parse(result.stdout) as InjectJson };
};
// Measured on Postfix 3.7.11. `reject` refuses the message whose lines end in bare LF.
const probes = (lf: { fake: string; shorter: string; zero: string; data: string; longer: string }) => ({
  'bdat-fake-eod crlf': 'content', 'bdat-longer crlf': 'content', 'bdat-shorter crlf': 'counted', 'bdat-zero-last crlf': 'content', 'bdat-data-after-bdat crlf': 'sequence-refused',
  'bdat-fake-eod lf': lf.fake, 'bdat-longer lf': lf.longer, 'bdat-shorter lf': lf.shorter, 'bdat-zero-last lf': lf.zero, 'bdat-data-after-bdat lf': lf.data,
});
const expected = {
  default: probes({ fake: 'content', longer: 'content', shorter: 'counted', zero: 'content', data: 'sequence-refused' }),
  // The chunk with bare LFs is refused; what follows it is still read by its size.
  reject: probes({ fake: 'rejected', longer: 'rejected', shorter: 'counted', zero: 'rejected', data: 'sequence-refused' }),
};
const chunkReplies = (json: InjectJson) => json.transactions[0]!.chunks!.map((c) => [c.command, c.reply?.code ?? null]);

describePostfix('inject --bdat against Postfix 3.7', (pf) => {
  it('--chunks 30,7: three pipelined chunks, each answered, the last with the queue id; the message stored', async () => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports.default}`, '--to', to, '--bdat', '--chunks', '30,7']);
    expect(code).toBe(0);
    const [report] = json.transactions;
    expect(report!.chunks!.map((c) => [c.command.replace(/\d+ LAST/, 'N LAST'), c.reply?.code])).toEqual([['BDAT 30', 250], ['BDAT 7', 250], ['BDAT N LAST', 250]]);
    expect(report!.queueId).toMatch(/^[0-9A-F]+$/);
    expect(report!.replies.map((r) => r.command)).not.toContain('DATA');
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    expect(message!.toString('latin1')).toContain('Variant: lines ended by CRLF.\n');
  });

  it.each(['no', 'normalize', 'reject'] as const)('%s: a CRLF.CRLF and a command inside a chunk are stored as content', async (service) => {
    const file = join(dir, `fake-eod-${service}.eml`);
    writeFileSync(file, 'Subject: fake end\r\n\r\nline one\r\n.\r\nRSET\r\nMAIL FROM:<evil@example.test>\r\nline two\r\n');
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports[service]}`, '--to', to, '--data', file, '--bdat']);
    expect(code).toBe(0);
    expect(chunkReplies(json)).toEqual([['BDAT 81 LAST', 250]]);
    const messages = await pf.waitForMessages(1, 15_000, { to });
    expect(messages).toHaveLength(1);
    expect(messages[0]!.toString('latin1')).toContain('\n\nline one\n.\nRSET\nMAIL FROM:<evil@example.test>\nline two\n');
  });

  it.each(['no', 'normalize'] as const)('%s: lines ended by bare LF in chunks are accepted and stored', async (service) => {
    const to = pf.uniqueRecipient();
    const { code, json } = await inject([`${pf.host}:${pf.ports[service]}`, '--to', to, '--bdat', '--chunks', '30,7', '--term', 'lf']);
    expect(code).toBe(0);
    expect(json.transactions[0]!.accepted).toBe(true);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    expect(message!.toString('latin1')).toContain('Subject: smtpdbg inject: lines ended by LF\n');
  });

  it('reject: the chunk holding the first bare LF gets 550 5.5.2, the rest is discarded (551), not queued, exit 1', async () => {
    const to = pf.uniqueRecipient();
    // The Date line is 37 octets with its LF: the LF is the last octet of the second chunk.
    const { code, json } = await inject([`${pf.host}:${pf.ports.reject}`, '--to', to, '--bdat', '--chunks', '30,7', '--term', 'lf']);
    expect(code).toBe(1);
    const [first, second, last] = json.transactions[0]!.chunks!;
    expect(first?.reply?.code).toBe(250);
    expect(second?.reply).toMatchObject({ code: 550, enhanced: '5.5.2' });
    expect(second?.reply?.lines[0]).toContain('bare <LF> received');
    expect(last?.reply?.code).toBe(551);
    // Refused before it was queued: no reply names a queue id.
    expect(json.transactions[0]!.finalReply?.code).toBe(550);
    expect(json.transactions[0]!.queueId).toBeNull();
  });

  it('reject: a bare CR is no bare LF; the header line it ends becomes one line with spaces, as with DATA', async () => {
    const to = pf.uniqueRecipient();
    const { code } = await inject([`${pf.host}:${pf.ports.reject}`, '--to', to, '--bdat', '--chunk-size', '64', '--term', 'cr']);
    expect(code).toBe(0);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    expect(message!.toString('latin1')).toMatch(/\nDate: [^\n]+ From: <smtpdbg@localhost> To: /);
  });

  it('--count 5 --bdat: every copy accepted over one connection, one round trip each', async () => {
    const to = pf.uniqueRecipient();
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--json', '--to', to, '--bdat', '--chunk-size', '100', '--count', '5'], { timeoutMs: 60_000 });
    const json = JSON.parse(result.stdout) as { count: { completed: number; accepted: number; byCode: Record<string, number>; pipelining: boolean } };
    expect(json.count).toMatchObject({ completed: 5, accepted: 5, byCode: { 250: 5 }, pipelining: true });
    expect(result.code).toBe(0);
    await pf.waitForMessages(5, 30_000, { to });
  });

  it.each(['default', 'reject'] as const)('%s: --bdat --eod all: Postfix counts octets (no BDAT probe smuggles), exit 0', async (service) => {
    const to = pf.uniqueRecipient();
    const result = await runCli(['inject', `${pf.host}:${pf.ports[service]}`, '--plain', '--json', '--timeout', '15000', '--to', to, '--bdat', '--eod', 'all'], { timeoutMs: 180_000 });
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as { transactions: Array<{ term: string; eod: { name: string }; classification: string; afterData: Array<{ role: string; code: number }> }>; exitCode: number };
    const table = Object.fromEntries(json.transactions.map((t) => [`${t.eod.name} ${t.term}`, t.classification]));
    expect(table).toEqual(expected[service]);
    expect(result.code).toBe(0);
  }, 200_000);

  it('--bdat --observe: the stored copy is compared with what the chunks carried, unchanged but for trace fields', async () => {
    const to = pf.uniqueRecipient();
    const result = await runCli(['inject', `${pf.host}:${pf.ports.default}`, '--plain', '--to', to, '--bdat', '--chunks', '30,7', '--observe', `mbox:${pf.mailbox}`, '--expect', 'unchanged'], { timeoutMs: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('verdict: delivered unchanged except trace fields');
    expect(result.code).toBe(0);
  });

  it('session :bdat FILE SIZE sends the file in chunks; Postfix queues it', async () => {
    const file = join(dir, 'session.eml');
    writeFileSync(file, 'Subject: from session\r\n\r\n.\r\nbody\r\n');
    const to = pf.uniqueRecipient();
    const result = await runCli(['session', `${pf.host}:${pf.ports.default}`, '--plain'], { stdin: `MAIL FROM:<s@example.test>\nRCPT TO:<${to}>\n:bdat ${file} 10\n`, timeoutMs: 60_000 });
    expect(result.stdout).toContain(' -> BDAT 10␍␊');
    expect(result.stdout).toContain(' -> BDAT 4 LAST␍␊');
    expect(result.stdout).toMatch(/<- {2}250 2\.0\.0 Ok: 34 bytes queued as/);
    expect(result.code).toBe(0);
    const [message] = await pf.waitForMessages(1, 15_000, { to });
    expect(message!.toString('latin1')).toContain('\n.\nbody\n');
  });
});
