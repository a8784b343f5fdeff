/**
 * MAIL/RCPT parameters against nodemailer's smtp-server, which parses SIZE, BODY,
 * SMTPUTF8, REQUIRETLS and the DSN parameters itself (RFC 1870, 6152, 6531, 8689, 3461):
 * what it parsed out of smtpdbg's lines is what the test checks. A parameter whose
 * extension the server does not advertise is not sent without --force-param.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { startSmtpServerPeer, type SmtpServerPeer } from '../harness/smtp-server-peer.js';

interface Seen {
  command: 'MAIL' | 'RCPT';
  address: string;
  args: Record<string, string | boolean>;
  dsn?: Record<string, unknown>;
}

async function recordingPeer(options: Record<string, unknown> = {}): Promise<{ peer: SmtpServerPeer; seen: Seen[] }> {
  const seen: Seen[] = [];
  const peer = await startSmtpServerPeer({
    options: {
      size: 10_000_000,
      onMailFrom(address, _session, callback) {
        seen.push({ command: 'MAIL', address: address.address, args: (address.args || {}) as Record<string, string | boolean> });
        callback();
      },
      onRcptTo(address, _session, callback) {
        const { dsn } = address as { dsn?: Record<string, unknown> };
        seen.push({ command: 'RCPT', address: address.address, args: (address.args || {}) as Record<string, string | boolean>, ...(dsn ? { dsn } : {}) });
        callback();
      },
      ...options,
    },
  });
  return { peer, seen };
}

const CA = 'fixtures/certs/ca.pem';

describe('inject with MAIL/RCPT parameters against smtp-server', () => {
  let peer: SmtpServerPeer;
  let seen: Seen[];
  beforeAll(async () => {
    // smtp-server offers DSN and REQUIRETLS only when asked to.
    ({ peer, seen } = await recordingPeer({ hideDSN: false, hideREQUIRETLS: false }));
  });
  afterAll(async () => {
    await peer.close();
  });

  it('SIZE comes from the message, once; DSN, BODY and SMTPUTF8 as the options say; ORCPT per recipient', async () => {
    seen.length = 0;
    peer.messages.length = 0;
    const result = await runCli([
      'inject', `127.0.0.1:${peer.port}`, '--ca', CA, '--json',
      '--to', 'bob@example.org', '--to', 'jürgen@example.org',
      '--dsn-ret', 'hdrs', '--dsn-envid', 'QQ 314+1', '--dsn-notify', 'failure,delay', '--dsn-orcpt', 'bob@old.example', '--dsn-orcpt', 'j+r@old.example',
      '--body-type', '8bitmime', '--smtputf8',
    ]);
    expect(result.code).toBe(0);
    const [mail, rcpt1, rcpt2] = seen;
    const report = (JSON.parse(result.stdout) as { transactions: Array<{ payloadOctets: number; replies: Array<{ command: string }> }> }).transactions[0]!;
    // smtp-server decodes xtext (RFC 3461 §4) in what it hands over: the values come back as typed.
    expect(mail).toEqual({ command: 'MAIL', address: 'smtpdbg@localhost', args: { SIZE: String(report.payloadOctets), RET: 'HDRS', ENVID: 'QQ 314+1', BODY: '8BITMIME', SMTPUTF8: true } });
    expect(rcpt1).toMatchObject({ address: 'bob@example.org', args: { NOTIFY: 'FAILURE,DELAY', ORCPT: 'rfc822;bob@old.example' } });
    // The UTF-8 recipient went out as UTF-8 octets (RFC 6531 §3.2).
    expect(rcpt2).toMatchObject({ address: 'jürgen@example.org', args: { NOTIFY: 'FAILURE,DELAY', ORCPT: 'rfc822;j+r@old.example' } });
    expect(report.replies.map((r) => r.command).filter((c) => /^(MAIL|RCPT)/.test(c))).toEqual([
      `MAIL FROM:<smtpdbg@localhost> SIZE=${report.payloadOctets} BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+20314+2B1`,
      'RCPT TO:<bob@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@old.example',
      'RCPT TO:<jÃ¼rgen@example.org> NOTIFY=FAILURE,DELAY ORCPT=rfc822;j+2Br@old.example',
    ]);
    expect(peer.messages).toHaveLength(1);
    expect((JSON.parse(result.stdout) as { envelopeParams: unknown }).envelopeParams).toEqual({
      mail: [],
      rcpt: [],
      bodyType: '8BITMIME',
      smtputf8: true,
      dsn: { ret: 'HDRS', envid: 'QQ 314+1', notify: 'failure,delay', orcpt: ['bob@old.example', 'j+r@old.example'] },
      requireTls: false,
      forced: false,
    });
  });

  it('--requiretls goes out after STARTTLS, where REQUIRETLS is offered (RFC 8689)', async () => {
    seen.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--ca', CA, '--to', 'bob@example.org', '--requiretls', '--mail-param', 'X-TEST']);
    // smtp-server takes REQUIRETLS but not the unknown X-TEST, which --force-param is not needed for: it is not advertised.
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('*** MAIL parameter X-TEST (--mail-param): the server did not advertise X-TEST, so the transaction was not started (--force-param sends it anyway)');
    expect(seen).toEqual([]);
    const ok = await runCli(['inject', `127.0.0.1:${peer.port}`, '--ca', CA, '--to', 'bob@example.org', '--requiretls']);
    expect(ok.code).toBe(0);
    expect(seen[0]!.args).toMatchObject({ REQUIRETLS: true });
  });

  it('--requiretls in plain text: not offered there, so nothing is sent (exit 2)', async () => {
    seen.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'bob@example.org', '--requiretls']);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('*** MAIL parameter REQUIRETLS (--requiretls): the server did not advertise REQUIRETLS, so the transaction was not started (--force-param sends it anyway)\n');
    expect(result.stdout).not.toMatch(/-> MAIL/);
    expect(result.stdout).toMatch(/-> QUIT/);
    expect(seen).toEqual([]);
  });

  it('--force-param sends it anyway, and the server answers for itself', async () => {
    seen.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'bob@example.org', '--requiretls', '--force-param']);
    expect(result.stdout).toMatch(/-> MAIL FROM:<smtpdbg@localhost> SIZE=\d+ REQUIRETLS␍␊\n<-  530 /);
    expect(result.code).toBe(1);
  });

  it('a raw --rcpt-param of an advertised extension is sent as given', async () => {
    seen.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'bob@example.org', '--rcpt-param', 'NOTIFY=NEVER']);
    expect(result.code).toBe(0);
    expect(seen[1]).toMatchObject({ command: 'RCPT', args: { NOTIFY: 'NEVER' } });
  });

  it('a UTF-8 address without --smtputf8 is a usage error before connecting', async () => {
    seen.length = 0;
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'jürgen@example.org']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('smtpdbg: <jürgen@example.org> is not ASCII: a UTF-8 address goes only with --smtputf8 (RFC 6531 §3.4)\n');
    expect(result.stdout).toBe('');
  });

  it('session --quit-after rcpt carries the parameters too', async () => {
    seen.length = 0;
    const result = await runCli(['session', `127.0.0.1:${peer.port}`, '--plain', '--quit-after', 'rcpt', '--to', 'bob@example.org', '--dsn-ret', 'full', '--dsn-notify', 'success']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('-> MAIL FROM:<smtpdbg@localhost> RET=FULL␍␊');
    expect(result.stdout).toContain('-> RCPT TO:<bob@example.org> NOTIFY=SUCCESS␍␊');
  });
});

describe('inject against a server without DSN', () => {
  let peer: SmtpServerPeer;
  let seen: Seen[];
  beforeAll(async () => {
    ({ peer, seen } = await recordingPeer());
  });
  afterAll(async () => {
    await peer.close();
  });

  it('--dsn-notify (on RCPT) stops the transaction before MAIL: one line, exit 2, no MAIL sent', async () => {
    const result = await runCli(['inject', `127.0.0.1:${peer.port}`, '--plain', '--to', 'bob@example.org', '--dsn-notify', 'never', '--json']);
    expect(result.code).toBe(2);
    const report = (JSON.parse(result.stdout) as { transactions: Array<{ error: { code: string; message: string }; replies: Array<{ command: string }> }> }).transactions[0]!;
    expect(report.error).toEqual({ code: 'EUSAGE', message: 'RCPT parameter NOTIFY=NEVER (--dsn-notify): the server did not advertise DSN, so the transaction was not started (--force-param sends it anyway)' });
    expect(report.replies.map((r) => r.command.split(' ')[0])).toEqual(['(banner)', 'EHLO', 'QUIT']);
    expect(seen).toEqual([]);
  });
});

describe('option mistakes are one line, exit 2, before anything connects', () => {
  it.each([
    [['inject', '--xclient', 'foo'], 'smtpdbg: --xclient "foo": give NAME=VALUE (e.g. ADDR=192.0.2.1)'],
    [['inject', '--dsn-orcpt', 'a@b', '--to', 'x@y', '--to', 'z@w'], 'smtpdbg: --dsn-orcpt: give one per recipient, in the order of --to (2 recipients, 1 --dsn-orcpt)'],
    [['inject', '--dsn-notify', 'never,success'], 'smtpdbg: --dsn-notify "never,success": use NEVER, or one or more of SUCCESS,FAILURE,DELAY (RFC 3461 §4.1)'],
    [['inject', '--mail-param', 'A=b c'], 'smtpdbg: --mail-param "A=b c": a value is printable ASCII without spaces or "=" (RFC 5321 §4.1.2; xtext-encode it)'],
    [['session', '--auth', '127.0.0.1:25', '--user', 'a'], "smtpdbg: option '--auth [mechanism]' argument '127.0.0.1:25' is invalid. use scram-sha-256, cram-md5, plain, login, xoauth2; or --auth alone, with the target before it"],
  ])('%j', async (args, line) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(line);
    expect(result.stdout).toBe('');
  });
});
