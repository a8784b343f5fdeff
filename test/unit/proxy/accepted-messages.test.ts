import { describe, expect, it } from 'vitest';
import { AcceptedMessages } from '../../../src/proxy/accepted-messages.js';
import { makeReply } from '../../../src/smtp/reply.js';

const r = (text: string) => {
  const code = Number(text.slice(0, 3));
  return makeReply(code, [text.slice(4)], Buffer.from(`${text}\r\n`, 'latin1'));
};

/** Feeds the replies in order; returns, per reply, the accepting replies it flagged (or undefined). */
function feed(counter: AcceptedMessages, replies: string[]): Array<string[] | undefined> {
  return replies.map((text) => counter.reply(r(text))?.map((reply) => `${reply.code} ${reply.lines[0]}`));
}

describe('AcceptedMessages', () => {
  it('flags the second end-of-data acceptance of one DATA: the replies of a smuggled transaction', () => {
    const counter = new AcceptedMessages();
    feed(counter, ['220 mx', '250 mx', '250 2.1.0 Ok', '250 2.1.5 Ok']);
    counter.dataCommand();
    expect(feed(counter, ['354 go', '250 2.0.0 Ok: queued as A1', '250 2.1.0 Ok', '250 2.1.5 Ok', '354 go', '250 2.0.0 Ok: queued as B2'])).toEqual([
      undefined, undefined, undefined, undefined, undefined,
      ['250 2.0.0 Ok: queued as A1', '250 2.0.0 Ok: queued as B2'],
    ]);
  });

  it('counts anew at each DATA command of the client: two honest messages are not smuggling', () => {
    const counter = new AcceptedMessages();
    counter.dataCommand();
    expect(feed(counter, ['354 go', '250 queued as A1', '250 Ok', '250 Ok'])).toEqual([undefined, undefined, undefined, undefined]);
    counter.dataCommand();
    expect(feed(counter, ['354 go', '250 queued as B2', '221 bye'])).toEqual([undefined, undefined, undefined]);
  });

  it('does not count refusals, nor a 2xx that does not follow a 354', () => {
    const counter = new AcceptedMessages();
    counter.dataCommand();
    expect(feed(counter, ['354 go', '250 queued as A1', '250 Ok', '354 go', '503 5.5.1 Error: need RCPT command', '250 Ok', '354 go', '550 no'])).toEqual(Array(8).fill(undefined));
  });
});
