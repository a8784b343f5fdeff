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
    ['sync-error', after('quit', r(250), r(554, '5.5.0 Error: SMTP protocol synchronization')), true],
    ['rejected', after('quit', r(250), r(250), r(250), r(354), r(550, 'no')), true],
    ['ended-early', after('quit', r(250), r(500, 'bad syntax')), false],
  ])('%s', (classification, input, smuggle) => {
    expect(classifyAfterData(input, smuggle).classification).toBe(classification);
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
