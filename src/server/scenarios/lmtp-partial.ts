import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * LMTP (RFC 2033 §4.2) with one mailbox full: after the data every recipient gets its own
 * reply, and the second accepted one gets 452 4.2.2 (RFC 3463 §3.3: mailbox full), as
 * Dovecot's LMTP answers for a recipient over quota. The message is stored for the others.
 */
export const lmtpPartial: BuiltInScenario = {
  name: 'lmtp-partial',
  summary: 'speaks LMTP (as --lmtp); after the data the second recipient gets 452 4.2.2 mailbox full, the others 250',
  imitates: 'an LMTP delivery agent (Dovecot, Cyrus) with one mailbox over quota',
  options: [],
  create: () => ({
    lmtp: true,
    behaviour: {
      name: 'lmtp-partial',
      onRecipientResult: (r) => (r.position === 2 ? reply(452, '4.2.2', `<${r.recipient}> Mailbox full (quota exceeded)`) : undefined),
    },
  }),
};
