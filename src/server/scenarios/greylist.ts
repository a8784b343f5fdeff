import { parsePath } from '../handlers.js';
import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/** Triplets remembered at most; the oldest are forgotten first, so a flood cannot grow the map without end. */
const MAX_TRIPLETS = 100_000;

/**
 * Greylisting as postgrey and sqlgrey do it: the first RCPT of a (client IP, sender,
 * recipient) triplet gets a temporary failure, and so does every retry until the delay has
 * passed; after that the triplet is accepted. A temporary failure is a 4yz reply
 * (RFC 5321 §4.2.1) that a real MTA retries later; 4.7.1 is "delivery not authorized"
 * (RFC 3463 §3.8).
 */
export const greylist: BuiltInScenario = {
  name: 'greylist',
  summary: '451 4.7.1 to each RCPT of a new client-IP/sender/recipient triplet until --greylist-delay ms have passed since it was first seen',
  imitates: 'a greylisting policy server such as postgrey or sqlgrey',
  options: ['--greylist-delay'],
  create: ({ greylistDelayMs }) => {
    const firstSeen = new Map<string, number>();
    return {
      behaviour: {
        name: 'greylist',
        onCommand: (c) => {
          if (c.verb !== 'RCPT' || (c.state !== 'mail' && c.state !== 'rcpt')) return undefined;
          const path = parsePath(c.argument, 'TO');
          if (!path || path.address === '') return undefined;
          const key = `${c.remoteAddress}\0${(c.from ?? '').toLowerCase()}\0${path.address.toLowerCase()}`;
          const now = Date.now();
          let first = firstSeen.get(key);
          if (first === undefined) {
            first = now;
            firstSeen.set(key, now);
            if (firstSeen.size > MAX_TRIPLETS) firstSeen.delete(firstSeen.keys().next().value!);
          }
          const waitMs = first + greylistDelayMs - now;
          if (waitMs <= 0) return undefined;
          return { reply: reply(451, '4.7.1', `<${path.address}>: Recipient address rejected: Greylisted, try again in ${Math.ceil(waitMs / 1000)} s`) };
        },
      },
    };
  },
};
