import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../../src/errors.js';
import { askedDelayMs, recipientOutcomes, retryDecision, type TransactionReport } from '../../../src/inject/transaction.js';
import { makeReply } from '../../../src/smtp/reply.js';

const r = (code: number, text = 'x') => makeReply(code, [text], Buffer.from(`${code} ${text}\r\n`));

function report(partial: Partial<TransactionReport>): TransactionReport {
  return {
    variant: 'v', term: 'crlf', termAfter: undefined,
    eod: { name: 'crlf', bytes: Buffer.from('\r\n.\r\n'), standard: true, producibleThroughRelay: true },
    source: 's', exchanges: [], recipients: [], finalReply: undefined, stoppedAt: undefined, accepted: false, queueId: undefined,
    verdict: undefined, payload: undefined, error: undefined, tls: undefined, capabilities: { beforeTls: null, afterTls: null }, unsolicited: 0,
    chunks: undefined, lmtp: false,
    ...partial,
  };
}

describe('askedDelayMs', () => {
  it.each([
    ['4.7.1 <a@b>: Recipient address rejected: Greylisted, try again in 2 s', 2000],
    ['4.7.1 Greylisted, please try again in 300 seconds', 300_000],
    ['4.7.1 Greylisted for 5 minutes (2 left)', 300_000],
    ['4.2.0 Try again later', undefined],
    ['4.7.1 see http://postgrey.schweikert.ch/help/example.org.html', undefined],
  ])('%s', (text, ms) => {
    expect(askedDelayMs({ lines: [text] })).toBe(ms);
  });
});

describe('retryDecision', () => {
  it('a 451 for one recipient of an accepted message: only that one', () => {
    const decision = retryDecision(report({
      accepted: true,
      finalReply: r(250),
      recipients: [{ address: 'a', reply: r(250) }, { address: 'b', reply: r(451, '4.7.1 later') }, { address: 'c', reply: r(550) }],
    }));
    expect(decision?.recipients).toEqual(['b']);
  });

  it('a 451 at the end of data: every recipient but those refused for good', () => {
    const decision = retryDecision(report({
      finalReply: r(451, '4.3.0 try later'),
      payload: Buffer.alloc(1),
      recipients: [{ address: 'a', reply: r(250) }, { address: 'b', reply: r(550) }],
    }));
    expect(decision).toMatchObject({ reason: '451 4.3.0 try later', recipients: ['a'] });
  });

  it('a lost connection before any RCPT: everyone', () => {
    const decision = retryDecision(report({ stoppedAt: 'MAIL', error: new ConnectionError('server closed the connection'), recipients: [{ address: 'a', reply: undefined }] }));
    expect(decision?.recipients).toEqual(['a']);
  });

  it.each([
    ['a 5xx at MAIL', report({ stoppedAt: 'MAIL', finalReply: r(550), recipients: [{ address: 'a', reply: undefined }] })],
    ['every recipient 5xx', report({ stoppedAt: 'RCPT', finalReply: r(550), recipients: [{ address: 'a', reply: r(550) }] })],
    ['accepted for everyone', report({ accepted: true, finalReply: r(250), recipients: [{ address: 'a', reply: r(250) }] })],
  ])('nothing to retry: %s', (_name, given) => {
    expect(retryDecision(given)).toBeUndefined();
  });
});

describe('recipientOutcomes', () => {
  it('keeps a delivery of an earlier attempt and the last reply of the others', () => {
    const first = report({ accepted: true, recipients: [{ address: 'a', reply: r(250) }, { address: 'b', reply: r(451) }] });
    const second = report({ accepted: true, recipients: [{ address: 'b', reply: r(250) }] });
    expect(recipientOutcomes([{ attempt: 1, report: first }, { attempt: 2, report: second }]).map((o) => [o.address, o.delivered, o.attempt])).toEqual([
      ['a', true, 1],
      ['b', true, 2],
    ]);
  });
});
