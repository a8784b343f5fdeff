import { describe, expect, it } from 'vitest';
import { classifyBdatProbe } from '../../../src/inject/classify.js';
import { makeReply } from '../../../src/smtp/reply.js';

const r = (code: number, text = 'x') => makeReply(code, [text], Buffer.from(`${code} ${text}\r\n`));
const quit = r(221, '2.0.0 Bye');

describe('classifyBdatProbe', () => {
  it('fake-eod: a server that answers the transaction inside the chunk smuggled it; one reply is content', () => {
    expect(classifyBdatProbe('fake-eod', { replies: [r(250, 'queued as A1')], end: 'quit', closing: quit }, 1).classification).toBe('content');
    const smuggled = classifyBdatProbe('fake-eod', { replies: [r(250, 'queued as A1'), r(250), r(250), r(354), r(250, 'queued as B2')], end: 'quit', closing: quit }, 1);
    expect(smuggled.classification).toBe('smuggled');
    expect(smuggled.smuggledQueueId).toBe('B2');
  });

  it('longer: a reply to the NOOP inside the declared size means the server did not count: ended-early', () => {
    expect(classifyBdatProbe('longer', { replies: [r(250), r(250)], end: 'quit', closing: quit }, 1).classification).toBe('ended-early');
    expect(classifyBdatProbe('longer', { replies: [r(250)], end: 'quit', closing: quit }, 1).classification).toBe('content');
  });

  it('shorter: the transaction past the size answered is counted; one reply only is an over-read (a finding)', () => {
    expect(classifyBdatProbe('shorter', { replies: [r(250), r(250), r(250), r(354), r(250)], end: 'quit', closing: quit }, 1).classification).toBe('counted');
    const over = classifyBdatProbe('shorter', { replies: [r(250)], end: 'quit', closing: quit }, 1);
    expect(over.classification).toBe('over-read');
    expect(over.detail).toContain('took more than the declared size');
  });

  it('data-after-bdat: 354 is a finding, a refusal is what RFC 3030 §2 asks; no second reply is a timeout', () => {
    expect(classifyBdatProbe('data-after-bdat', { replies: [r(250), r(354)], end: 'timeout' }, 1).classification).toBe('data-after-bdat');
    expect(classifyBdatProbe('data-after-bdat', { replies: [r(250), r(503)], end: 'quit', closing: quit }, 1).classification).toBe('sequence-refused');
    expect(classifyBdatProbe('data-after-bdat', { replies: [r(250)], end: 'timeout' }, 1).classification).toBe('timeout');
  });

  it('zero-last: the empty last chunk accepted or refused', () => {
    expect(classifyBdatProbe('zero-last', { replies: [r(250), r(250)], end: 'quit', closing: quit }, 1)).toMatchObject({ classification: 'content', acceptedMessages: 1 });
    expect(classifyBdatProbe('zero-last', { replies: [r(250), r(554)], end: 'quit', closing: quit }, 1).classification).toBe('rejected');
  });
});
