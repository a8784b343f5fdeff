import { describe, expect, it } from 'vitest';
import { classifyAfterData, queueIdOf, type AfterData } from '../../../src/inject/classify.js';
import { makeReply } from '../../../src/smtp/reply.js';

const r = (code: number, text = 'x') => makeReply(code, [text], Buffer.from(`${code} ${text}\r\n`));
const after = (end: AfterData['end'], ...replies: ReturnType<typeof r>[]): AfterData => ({ replies, end });

describe('classifyAfterData', () => {
  it.each([
    ['smuggled', after('quit', r(250, '2.0.0 Ok: queued as A1'), r(250), r(250), r(354), r(250, '2.0.0 Ok: queued as B2')), true],
    ['content', after('quit', r(250, '2.0.0 Ok: queued as A1')), true],
    ['rejected', after('quit', r(550, '5.5.2 Error: bare <LF> received')), true],
    ['dropped', after('closed', r(421, '4.4.2 timeout')), true],
    ['dropped', after('closed'), true],
    ['timeout', after('timeout'), true],
    ['sync-error', after('quit', r(554, '5.5.0 Error: SMTP protocol synchronization')), true],
    // The message ended at the fake end: the MAIL behind it was read as a command.
    ['ended-early-refused', after('quit', r(250), r(554, '5.5.0 Error: SMTP protocol synchronization')), true],
    ['ended-early-refused', after('quit', r(250), r(250), r(250), r(354), r(550, 'no')), true],
    // Postfix with smtpd_data_restrictions = reject_unauth_pipelining.
    ['ended-early-refused', after('closed', r(250, '2.0.0 Ok: queued as A1'), r(250), r(250), r(503, '5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining')), true],
    ['rejected', after('quit', r(550, '5.5.2 Error: bare <LF> received'), r(250), r(250), r(503, 'no')), true],
    ['smuggled', after('quit', r(550, 'no'), r(250), r(250), r(354), r(250, '2.0.0 Ok: queued as B2')), true],
    ['ended-early', after('quit', r(250), r(500, 'bad syntax')), false],
    ['content', after('closed', r(250, '2.0.0 Ok: queued as A1')), false],
  ])('%s', (classification, input, smuggle) => {
    expect(classifyAfterData(input, smuggle).classification).toBe(classification);
  });

  it('says what each reply answered, with the count of messages accepted for the one DATA', () => {
    const verdict = classifyAfterData(
      { replies: [r(250, '2.0.0 Ok: queued as A1'), r(250, '2.1.0 Ok'), r(250, '2.1.5 Ok'), r(503, '5.5.0 <DATA>: rejected'), r(502, '5.5.2 Error: command not recognized'), r(502, '5.5.2 Error: command not recognized')], end: 'quit', closing: r(221, '2.7.0 Error: I can break rules, too. Goodbye.') },
      true,
    );
    expect(verdict.acceptedMessages).toBe(1);
    expect(verdict.replies.map((x) => x.role)).toEqual(['end of data', 'MAIL (smuggled)', 'RCPT (smuggled)', 'DATA (smuggled)', 'a line of the smuggled message, read as a command', 'a line of the smuggled message, read as a command']);
    expect(verdict.detail).toContain('end of data: 250 2.0.0 Ok: queued as A1; MAIL (smuggled): 250 2.1.0 Ok; RCPT (smuggled): 250 2.1.5 Ok; DATA (smuggled): 503 5.5.0 <DATA>: rejected; 2 lines of the smuggled message, read as commands: 502 ×2');
    expect(verdict.detail).toContain('then 221 2.7.0 Error: I can break rules, too. Goodbye.');
  });

  it('content claims only what the replies prove, and points to the stored copy', () => {
    const verdict = classifyAfterData(after('quit', r(250, '2.0.0 Ok: queued as A1')), true);
    expect(verdict.detail).toMatch(/^one message accepted \(250 2\.0\.0 Ok: queued as A1\); the server did not end the message at the fake end\./);
    expect(verdict.detail).toContain('read the delivered copy (queue id A1)');
    expect(verdict.detail).not.toContain('stayed content');
  });

  it('gives the queue id of the smuggled message', () => {
    const verdict = classifyAfterData(after('quit', r(250, '2.0.0 Ok: queued as A1'), r(250), r(250), r(354), r(250, '2.0.0 Ok: queued as B2')), true);
    expect(verdict.smuggledQueueId).toBe('B2');
  });
});

describe('queueIdOf', () => {
  it.each([
    ['2.0.0 Ok: queued as 4YhZ1x0Qjmz9t', '4YhZ1x0Qjmz9t'],
    ['OK id=1rH2kD-000Abc-2x', '1rH2kD-000Abc-2x'],
    ['2.0.0 x8DHiXyZ012345 Message accepted for delivery', 'x8DHiXyZ012345'],
    ['OK: message queued', undefined],
  ])('%s', (text, id) => {
    expect(queueIdOf({ lines: [text] })).toBe(id);
  });
});
