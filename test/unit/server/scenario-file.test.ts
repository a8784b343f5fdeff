import { describe, expect, it } from 'vitest';
import type { CommandContext, ConnectionContext, MessageContext } from '../../../src/server/behaviour.js';
import { parseScenarioFile } from '../../../src/server/scenarios/scenario-file.js';

const connection: ConnectionContext = { conn: 1, hostname: 'mx.test', remoteAddress: '127.0.0.1', remotePort: 40000, tls: false };

function command(line: string, overrides: Partial<CommandContext> = {}): CommandContext {
  const space = line.indexOf(' ');
  return {
    ...connection,
    verb: (space === -1 ? line : line.slice(0, space)).toUpperCase(),
    argument: space === -1 ? '' : line.slice(space + 1),
    line: Buffer.from(line, 'latin1'),
    terminator: 'crlf', state: 'ready', occurrence: 1, pipelined: false, sinceLastReplyMs: 0,
    helo: undefined, from: undefined, to: [], authenticated: false, afterChunk: false,
    ...overrides,
  };
}

describe('scenario files are JSON with comments (jsonc-parser); a syntax error is one line with file:line:column', () => {
  it.each([
    ['{ "a": 1 "b": 2 }', "f.json:1:10: invalid JSON: Expected ',' or '}' after property value"],
    ['{ "rules": [ 1, 2 3 ] }', "f.json:1:19: invalid JSON: Expected ',' or ']' after array element"],
    ['[1, 2,]', "f.json:1:7: invalid JSON: Unexpected token ']'"],
    ['{ "a": 1, }', 'f.json:1:11: invalid JSON: Expected a property name in double quotes'],
    ['{ "a": tru }', "f.json:1:8: invalid JSON: Unexpected token 'tru'"],
    ['{ "a": "x\ny" }', 'f.json:1:8: invalid JSON: Unterminated string'],
    ['{ "rules": [] } x', "f.json:1:17: invalid JSON: Unexpected token 'x'"],
    ['{ "rules": [', 'f.json:1:13: invalid JSON: Unexpected end of JSON input'],
    ['', 'f.json:1:1: invalid JSON: Unexpected end of JSON input'],
    // Comments count in the position: the error is where it is in the file as written.
    ['// one\n/* two\n three */ { "rules": [ { "verb" "x" } ] }', "f.json:3:33: invalid JSON: Expected ':' after property name"],
    ['{ "rules": [] /* never closed', 'f.json:1:15: invalid JSON: Unterminated comment'],
  ])('%j', (text, message) => {
    expect(() => parseScenarioFile(text, 'f.json')).toThrow(message);
    try {
      parseScenarioFile(text, 'f.json');
    } catch (error) {
      expect((error as Error).message).toBe(message);
    }
  });

  it('reads comments anywhere, and "//" or "/*" inside strings as text', () => {
    const { behaviour } = parseScenarioFile('{ // note\n "description": "// not /* a comment */", /* block\n still */ "rules": [] }', 'c.jsonc');
    expect(behaviour.name).toBe('c.jsonc');
  });
});

describe('parseScenarioFile', () => {
  const scenario = parseScenarioFile(`{
    // comments are allowed
    "capabilities": { "remove": ["size", "PIPELINING"], "add": ["X-ONE"] },
    "idleTimeoutMs": 1234,
    "rules": [
      { "verb": "rcpt", "occurrence": "2+", "state": ["mail", "rcpt"], "reply": "452 4.5.3 Too many" },
      { "verb": "RCPT", "reply": ["250-one", "250 two"], "delayMs": 5 },
      { "match": "^noop\\\\b", "tls": true, "raw": "250 \\\\xff\\\\n", "close": "after-reply" },
      { "verb": "NOOP", "pipelined": true, "close": "now" },
      { "on": "message", "match": "^Subject: no", "occurrence": 2, "reply": "554 5.7.1 No" },
      { "on": "auth", "match": "^eve$", "reply": "535 5.7.8 No", "close": "after-reply" },
      { "on": "connect", "reply": "554 5.3.2 Busy", "close": "after-reply" },
      { "on": "idle", "reply": "421 4.4.2 Bye", "close": "after-reply" },
      { "verb": "STARTTLS", "abortTls": true }
    ]
  }`, 'demo.jsonc');
  const { behaviour } = scenario;

  it('names the behaviour after the file and carries the idle timeout', () => {
    expect(behaviour.name).toBe('demo.jsonc');
    expect(scenario.idleTimeoutMs).toBe(1234);
  });

  it('edits EHLO keywords by their first word', () => {
    expect(behaviour.capabilities!(connection, ['PIPELINING', 'SIZE 100', 'STARTTLS'])).toEqual(['STARTTLS', 'X-ONE']);
  });

  it('lets the first matching command rule decide', async () => {
    expect(await behaviour.onCommand!(command('RCPT TO:<a@example.test>', { state: 'mail', occurrence: 1 }))).toEqual({
      reply: { code: 250, lines: ['250-one', '250 two'], raw: Buffer.from('250-one\r\n250 two\r\n') },
      delayMs: 5,
    });
    expect((await behaviour.onCommand!(command('RCPT TO:<a@example.test>', { state: 'rcpt', occurrence: 3 })))?.reply?.code).toBe(452);
    expect((await behaviour.onCommand!(command('RCPT TO:<a@example.test>', { state: 'ready', occurrence: 3 })))?.reply?.code).toBe(250);
    expect(await behaviour.onCommand!(command('NOOP', { tls: true }))).toEqual({
      reply: { code: 250, lines: ['250 \xff\n'], raw: Buffer.from([0x32, 0x35, 0x30, 0x20, 0xff, 0x0a]) },
      close: 'after-reply',
    });
    expect(await behaviour.onCommand!(command('NOOP', { pipelined: true }))).toEqual({ close: 'now' });
    expect(await behaviour.onCommand!(command('NOOP'))).toBeUndefined();
    expect(await behaviour.onCommand!(command('STARTTLS'))).toEqual({ abortTls: true });
  });

  it('matches messages, AUTH identities, the connection and idleness', async () => {
    const message = (text: string, occurrence: number): MessageContext => ({
      ...connection, from: '', to: ['x@example.test'], data: Buffer.from(text), stuffed: Buffer.from(text), occurrence, transfer: 'data',
      bareCrLines: [], bareLfLines: [], longLines: [],
    });
    expect(await behaviour.onMessage!(message('Subject: no\r\n\r\n', 1))).toBeUndefined();
    expect((await behaviour.onMessage!(message('Subject: no\r\n\r\n', 2)))?.reply?.code).toBe(554);
    expect((await behaviour.onAuth!({ ...connection, mechanism: 'PLAIN', user: 'eve' }))?.reply?.code).toBe(535);
    expect(await behaviour.onAuth!({ ...connection, mechanism: 'PLAIN', user: 'steve' })).toBeUndefined();
    expect((await behaviour.onConnect!(connection))?.reply?.code).toBe(554);
    expect((await behaviour.onIdle!(connection))?.reply?.code).toBe(421);
  });

  it('leaves out hooks no rule needs, so the defaults stay', () => {
    const { behaviour: minimal } = parseScenarioFile('{ "rules": [ { "verb": "EHLO", "close": "now" } ] }', 'min.json');
    expect(Object.keys(minimal).sort()).toEqual(['name', 'onCommand']);
  });

  it.each([
    ['[]', 'f.json: top level: expected an object, got an array'],
    ['{ "rules": [ 1 ] }', 'f.json: rules[0]: expected an object, got 1'],
    ['{ "rules": [ { "on": "later", "close": "now" } ] }', 'f.json: rules[0].on: expected one of connect, command, auth, message, recipient, idle, got "later"'],
    ['{ "rules": [ { "verb": "X", "state": ["mail", "nowhere"], "close": "now" } ] }', 'f.json: rules[0].state[1]: expected one of greeting, ready, mail, rcpt, data, bdat, auth, got "nowhere"'],
    ['{ "rules": [ { "verb": "X", "delayMs": -1 } ] }', 'f.json: rules[0].delayMs: expected a whole number ≥ 0, got -1'],
    ['{ "rules": [ { "verb": "X", "reply": "250 a", "raw": "250 b" } ] }', 'f.json: rules[0]: give "reply" or "raw", not both'],
    ['{ "rules": [ { "verb": "X", "reply": "250 a", "close": "now" } ] }', 'f.json: rules[0].close: "now" closes without a reply; use "after-reply" to send the reply first'],
    ['{ "capabilities": { "drop": [] }, "rules": [] }', 'f.json: capabilities: unknown key "drop" (known here: remove, add)'],
    ['{\n  "rules": [,]\n}', "f.json:2:13: invalid JSON: Unexpected token ','"],
  ])('rejects %s', (text, message) => {
    expect(() => parseScenarioFile(text, 'f.json')).toThrow(message);
  });
});

describe('LMTP recipient rules', () => {
  it('"lmtp": true, and "recipient" rules give one recipient its reply by address or position', async () => {
    const scenario = parseScenarioFile(JSON.stringify({
      lmtp: true,
      rules: [
        { on: 'recipient', match: '^full@', reply: '452 4.2.2 Mailbox full' },
        { on: 'recipient', occurrence: 3, reply: '550 5.1.1 Unknown' },
      ],
    }), 'f.json');
    expect(scenario.lmtp).toBe(true);
    const result = (recipient: string, position: number) => scenario.behaviour.onRecipientResult!({ ...connection, recipient, position, from: '' });
    expect(await result('full@x.test', 1)).toMatchObject({ code: 452 });
    expect(await result('ok@x.test', 2)).toBeUndefined();
    expect(await result('ok@x.test', 3)).toMatchObject({ code: 550 });
  });

  it('refuses a recipient rule that would close or delay, naming the rule', () => {
    expect(() => parseScenarioFile('{ "rules": [ { "on": "recipient", "reply": "452 4.2.2 Full", "close": "after-reply" } ] }', 'f.json'))
      .toThrow('f.json: rules[0]: a "recipient" rule gives the reply for one LMTP recipient: "reply" or "raw", and nothing else');
  });
});
