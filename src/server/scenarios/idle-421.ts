import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * A real incident: a mailer connected at start-up, did slow work, and its first MAIL got
 * "421 … timeout exceeded". RFC 5321 §4.5.3.2 lets a server drop an idle client
 * after a 421; this one does so after --idle ms without a byte (Postfix's smtpd_timeout,
 * same reply text), or — for a client that trickles bytes so the timer never fires — at
 * a command that took the client more than --idle ms to send after the previous reply.
 */
export const idle421: BuiltInScenario = {
  name: 'idle-421',
  summary: '421 4.4.2 and a close after --idle ms of silence, or at a command the client took longer than that to send',
  imitates: "Postfix's smtpd_timeout (\"421 4.4.2 host Error: timeout exceeded\"), met by a mailer that connects early and sends late",
  options: ['--idle'],
  create: ({ idleMs }) => ({
    idleTimeoutMs: idleMs,
    behaviour: {
      name: 'idle-421',
      onCommand: (c) => (c.sinceLastReplyMs >= idleMs
        ? { reply: reply(421, '4.4.2', `${c.hostname} Error: timeout exceeded`), close: 'after-reply' }
        : undefined),
    },
  }),
};
