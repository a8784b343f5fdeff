import type { Decision } from '../behaviour.js';
import type { BuiltInScenario } from './scenario.js';

/** A server that takes --delay ms before every reply, to exercise a client's timeouts. */
export const slow: BuiltInScenario = {
  name: 'slow',
  summary: 'waits --delay ms before the banner and before every reply',
  imitates: 'an overloaded MTA, or one with slow DNS/policy checks (tarpitting)',
  options: ['--delay'],
  create: ({ delayMs }) => {
    const wait = (): Decision => ({ delayMs });
    return { behaviour: { name: 'slow', onConnect: wait, onCommand: wait, onAuth: wait, onMessage: wait } };
  },
};
