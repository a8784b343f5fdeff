/**
 * The exact bytes `inject` puts on the wire, for every combination of --term, --term-after,
 * --cmd-term and --eod, recorded by a raw server that knows only enough SMTP to answer.
 * The expected bytes are spelled out here from the rules (RFC 5321 §4.1.1.4 and §4.5.2),
 * not computed by the code under test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendTransaction, type InjectPlan } from '../../src/inject/transaction.js';
import { TlsMode } from '../../src/session/smtp-session.js';
import { eodNames, namedEods, parseEod } from '../../src/smtp/eod.js';
import { EventStream } from '../../src/transcript/events.js';
import { startRawServer, waitFor, type RawServer } from '../harness/raw-server.js';
import { normalize, runCli } from '../harness/run-cli.js';

const TERMS = { crlf: '\r\n', cr: '\r', lf: '\n' } as const;
type Term = keyof typeof TERMS;

const MESSAGE = ['Date: Fri, 8 Sep 2017 13:44:33 -0400', 'From: <a@example.test>', 'Subject: raw', '', '.dot', 'last'];

/** Answers one transaction; commands end with `term`, the data with CRLF.CRLF as RFC 5321 says. */
function smtpHandler(term: () => string) {
  return async (socket: import('node:net').Socket, conn: { received: Buffer; closed: boolean }) => {
    let pos = 0;
    const until = async (marker: string) => {
      const end = await waitFor(() => {
        const at = conn.received.indexOf(marker, pos, 'latin1');
        if (at !== -1) return at + marker.length;
        if (conn.closed) throw new Error('closed');
        return undefined;
      }, 5_000, `${JSON.stringify(marker)} from the client`);
      const line = conn.received.subarray(pos, end).toString('latin1');
      pos = end;
      return line;
    };
    socket.write('220 raw ESMTP\r\n');
    await until(term());
    socket.write('250 raw\r\n');
    await until(term());
    socket.write('250 2.1.0 ok\r\n');
    await until(term());
    socket.write('250 2.1.5 ok\r\n');
    await until(term());
    socket.write('354 go ahead\r\n');
    await until('\r\n.\r\n');
    socket.write('250 2.0.0 Ok: queued as RAW1\r\n');
    await until(term());
    socket.end('221 2.0.0 bye\r\n');
  };
}

let server: RawServer;
let cmdTerm: Term = 'crlf';

beforeAll(async () => {
  server = await startRawServer(smtpHandler(() => TERMS[cmdTerm]));
});
afterAll(async () => {
  await server.close();
});

function plan(cmd: Term): InjectPlan {
  return {
    settings: {
      target: { host: server.host, port: server.port },
      timeoutMs: 5_000,
      tlsMode: TlsMode.plain,
      tls: { servername: null, verifyName: server.host },
      strictTls: false,
      insecure: false,
      ehloName: 'client.test',
      showSecrets: false,
      events: new EventStream(),
    },
    opening: { from: 'a@example.test', to: ['b@example.test'] },
    cmdTerm: cmd,
    dotStuff: true,
    message: () => ({ lines: MESSAGE.map((l) => Buffer.from(l, 'latin1')), source: 'test' }),
    smuggled: () => ({ lines: [], source: 'unused' }),
  };
}

/** The content as the rules say: chosen terminators, ".dot" stuffed, the end carrying the last line end. */
function expectedData(term: Term, termAfter: string | undefined, eod: string): string {
  const ends = MESSAGE.map((line) => (termAfter === undefined || line.startsWith(`${termAfter}:`) ? TERMS[term] : '\r\n'));
  const lines = MESSAGE.map((line) => (line.startsWith('.') ? `.${line}` : line));
  const body = lines.map((line, i) => line + (i < lines.length - 1 ? ends[i] : '')).join('');
  const eodBytes = namedEods[eod as keyof typeof namedEods];
  return body + eodBytes + (eod === 'crlf' ? '' : '\r\n.\r\n');
}

const cases: Array<[Term, string | undefined, Term, string]> = [];
for (const term of ['crlf', 'cr', 'lf'] as const) {
  for (const termAfter of [undefined, 'Date']) {
    for (const cmd of ['crlf', 'cr', 'lf'] as const) {
      for (const eod of eodNames) cases.push([term, termAfter, cmd, eod]);
    }
  }
}

describe('inject: exact bytes on the wire', () => {
  it.each(cases)('--term %s --term-after %s --cmd-term %s --eod %s', async (term, termAfter, cmd, eod) => {
    cmdTerm = cmd;
    const before = server.connections.length;
    const report = await sendTransaction(plan(cmd), { term, ...(termAfter ? { termAfter } : {}), eod: parseEod(eod), smuggle: false });
    expect(report.error).toBeUndefined();
    expect(report.accepted).toBe(true);
    expect(report.queueId).toBe('RAW1');
    const conn = server.connections[before]!;
    await waitFor(() => conn.closed, 5_000, 'the client to close');
    const c = TERMS[cmd];
    const expected = `EHLO client.test${c}MAIL FROM:<a@example.test>${c}RCPT TO:<b@example.test>${c}DATA${c}${expectedData(term, termAfter, eod)}QUIT${c}`;
    expect(JSON.stringify(conn.text())).toBe(JSON.stringify(expected));
    if (eod !== 'crlf') expect(report.verdict?.classification).toBe('content');
  });
});

describe('inject CLI against the raw server', () => {
  it('--term cr --term-after Date --no-dot-stuff --eod lf: the bytes, and the report shows them', async () => {
    cmdTerm = 'crlf';
    const before = server.connections.length;
    const result = await runCli(['inject', `${server.host}:${server.port}`, '--plain', '--data', '-', '--term', 'cr', '--term-after', 'Date', '--no-dot-stuff', '--eod', 'lf', '--ehlo', 'cli.test'], {
      stdin: 'Date: x\nSubject: y\n\n.dot\nlast\n',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const conn = server.connections[before]!;
    await waitFor(() => conn.closed, 5_000, 'the client to close');
    expect(conn.text()).toBe('EHLO cli.test\r\nMAIL FROM:<smtpdbg@localhost>\r\nRCPT TO:<postmaster@localhost>\r\nDATA\r\nDate: x\rSubject: y\r\n\r\n.dot\r\nlast\n.\n\r\n.\r\nQUIT\r\n');
    const out = normalize(result.stdout, { ports: [server.port] });
    expect(out).toContain(' -> Date: x␍Subject: y␍␊');
    expect(out).toContain('classification: content: one message accepted (250 2.0.0 Ok: queued as RAW1); the server did not end the message at the fake end.');
    expect(out).not.toContain('stayed content');
    expect(out).toContain('queue id RAW1');
  });
});
