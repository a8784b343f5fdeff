import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CommandContext } from '../../../src/server/behaviour.js';
import { normalizeBareLf } from '../../../src/server/scenarios/bare-lf.js';
import { mergeBareCrHeader } from '../../../src/server/scenarios/cr-merge.js';
import { builtInScenarios, findScenario } from '../../../src/server/scenarios/registry.js';
import { DEFAULT_SCENARIO_OPTIONS } from '../../../src/server/scenarios/scenario.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('mergeBareCrHeader (cr-merge: a Date header merged with the From after it)', () => {
  it.each([
    [
      'a bare CR after Date swallows From, and a placeholder From is added',
      'Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT)\rFrom: "Example Name" <example@example.com>\r\nSubject: s\r\n\r\nbody\r\n',
      'Date: Fri, 8 Sep 2017 13:44:33 -0400 (EDT) From: "Example Name" <example@example.com>\r\nSubject: s\r\nFrom: [no-from]\r\n\r\nbody\r\n',
    ],
    ['a header with From is left alone', 'From: a@example.test\r\nSubject: s\r\n\r\nbody\r\n', 'From: a@example.test\r\nSubject: s\r\n\r\nbody\r\n'],
    ['a bare CR elsewhere in the header becomes a space; From survives', 'Subject: a\rb\r\nfrom: x@example.test\r\n\r\n', 'Subject: a b\r\nfrom: x@example.test\r\n\r\n'],
    ['bare CRs in the body stay', 'From: a@example.test\r\n\r\none\rtwo\r\n', 'From: a@example.test\r\n\r\none\rtwo\r\n'],
    ['a message without a body gets the From at the end of its header', 'Subject: only\r\n', 'Subject: only\r\nFrom: [no-from]\r\n'],
    ['a message without a header gets a From header', '\r\nbody\r\n', 'From: [no-from]\r\n\r\nbody\r\n'],
    ['LF-only header lines end the header at the first empty line', 'Subject: lf\n\nFrom: not a header\n', 'Subject: lf\nFrom: [no-from]\r\n\nFrom: not a header\n'],
  ])('%s', (_name, input, expected) => {
    expect(mergeBareCrHeader(latin1(input)).toString('latin1')).toBe(expected);
  });
});

describe('normalizeBareLf (bare-lf-normalize, Postfix smtpd_forbid_bare_newline=normalize)', () => {
  it.each([
    ['bare LFs become CRLF', 'a\nb\r\nc\n', 'a\r\nb\r\nc\r\n'],
    ['a "." line ended by a bare LF is dropped (a fake end-of-data)', 'one\n.\nMAIL FROM:<x@example.test>\r\n', 'one\r\nMAIL FROM:<x@example.test>\r\n'],
    ['\\n.\\r\\n and \\r\\n.\\n are dropped too', 'one\n.\r\ntwo\r\n.\nthree\r\n', 'one\r\ntwo\r\nthree\r\n'],
    ['a stuffed ".." line is unstuffed to "."', 'one\n..\ntwo\r\n', 'one\r\n.\r\ntwo\r\n'],
    ['bare CRs stay inside their line', 'a\rb\nc\r\n', 'a\rb\r\nc\r\n'],
  ])('%s', (_name, stuffed, expected) => {
    expect(normalizeBareLf(latin1(stuffed)).toString('latin1')).toBe(expected);
  });
});

function command(overrides: Partial<CommandContext>): CommandContext {
  return {
    conn: 1, hostname: 'mx.test', remoteAddress: '127.0.0.1', remotePort: 40000, tls: false,
    verb: 'RCPT', argument: 'TO:<b@example.test>', line: latin1('RCPT TO:<b@example.test>'), terminator: 'crlf',
    state: 'mail', occurrence: 1, pipelined: false, sinceLastReplyMs: 0,
    helo: 'c.test', from: 'a@example.test', to: [], authenticated: false, afterChunk: false,
    ...overrides,
  };
}

describe('greylist', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 451 4.7.1 per new triplet until the delay has passed, then accepts', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { behaviour } = findScenario('greylist')!.create({ ...DEFAULT_SCENARIO_OPTIONS, greylistDelayMs: 60_000 });
    const first = await behaviour.onCommand!(command({}));
    expect(first?.reply).toEqual({ code: 451, enhanced: '4.7.1', lines: ['<b@example.test>: Recipient address rejected: Greylisted, try again in 60 s'] });
    vi.setSystemTime(1_000_000 + 59_000);
    expect((await behaviour.onCommand!(command({})))?.reply?.lines).toEqual(['<b@example.test>: Recipient address rejected: Greylisted, try again in 1 s']);
    expect((await behaviour.onCommand!(command({ from: 'other@example.test' })))?.reply?.code).toBe(451);
    expect((await behaviour.onCommand!(command({ remoteAddress: '127.0.0.2' })))?.reply?.code).toBe(451);
    vi.setSystemTime(1_000_000 + 60_000);
    expect(await behaviour.onCommand!(command({ argument: 'TO:<B@Example.Test>' }))).toBeUndefined();
    // Out of a transaction, or with bad syntax, the default reply (503, 501) is left alone.
    expect(await behaviour.onCommand!(command({ state: 'ready', argument: 'TO:<new@example.test>' }))).toBeUndefined();
    expect(await behaviour.onCommand!(command({ argument: 'TO:new@example.test' }))).toBeUndefined();
  });
});

describe('the other built-in scenarios decide as documented', () => {
  it('has unique names and says what each imitates', () => {
    expect(new Set(builtInScenarios.map((s) => s.name)).size).toBe(builtInScenarios.length);
    for (const scenario of builtInScenarios) expect(scenario.imitates.length).toBeGreaterThan(10);
  });

  it('idle-421 sets the idle timeout and answers a command that comes later than --idle with 421 4.4.2', async () => {
    const { behaviour, idleTimeoutMs } = findScenario('idle-421')!.create({ ...DEFAULT_SCENARIO_OPTIONS, idleMs: 700 });
    expect(idleTimeoutMs).toBe(700);
    expect(await behaviour.onCommand!(command({ verb: 'MAIL', sinceLastReplyMs: 699 }))).toBeUndefined();
    expect(await behaviour.onCommand!(command({ verb: 'MAIL', sinceLastReplyMs: 700 }))).toEqual({
      reply: { code: 421, enhanced: '4.4.2', lines: ['mx.test Error: timeout exceeded'] },
      close: 'after-reply',
    });
  });

  it('pipelining-strict drops PIPELINING and refuses pipelined commands', async () => {
    const { behaviour } = findScenario('pipelining-strict')!.create(DEFAULT_SCENARIO_OPTIONS);
    expect(behaviour.capabilities!(command({}), ['PIPELINING', 'SIZE 10', 'STARTTLS'])).toEqual(['SIZE 10', 'STARTTLS']);
    expect(await behaviour.onCommand!(command({ pipelined: false }))).toBeUndefined();
    expect((await behaviour.onCommand!(command({ pipelined: true })))?.reply?.code).toBe(554);
  });

  it('bare-lf-reject refuses a bare-LF command with a close, a bare-LF message without one', async () => {
    const { behaviour } = findScenario('bare-lf-reject')!.create(DEFAULT_SCENARIO_OPTIONS);
    expect(await behaviour.onCommand!(command({ terminator: 'lf' }))).toMatchObject({ reply: { code: 550, enhanced: '5.5.2', lines: ['Error: bare <LF> received'] }, close: 'after-reply' });
    expect(await behaviour.onCommand!(command({}))).toBeUndefined();
  });
});
