import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * RFC 2920 §3.1: a client may only send commands without waiting for each reply when the
 * server advertised PIPELINING. This server does not advertise it and, like Postfix's
 * smtpd_forbid_unauth_pipelining, answers a command that arrived with more input already
 * behind it with 554 5.5.0 and closes.
 */
export const pipeliningStrict: BuiltInScenario = {
  name: 'pipelining-strict',
  summary: 'does not advertise PIPELINING; a command sent ahead of its reply gets 554 5.5.0 and a close',
  imitates: "Postfix's smtpd_forbid_unauth_pipelining (\"554 5.5.0 Error: SMTP protocol synchronization\")",
  options: [],
  create: () => ({
    behaviour: {
      name: 'pipelining-strict',
      capabilities: (_c, keywords) => keywords.filter((k) => k.toUpperCase() !== 'PIPELINING'),
      onCommand: (c) => (c.pipelined
        ? { reply: reply(554, '5.5.0', 'Error: SMTP protocol synchronization'), close: 'after-reply' }
        : undefined),
    },
  }),
};
