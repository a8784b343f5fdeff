import { commandHandlers } from '../handlers.js';
import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * RFC 3030 §2: a BDAT chunk is exactly as long as its command says. A client that announces
 * fewer octets than it sends leaves the rest to be read as commands; the first such "command"
 * right after a chunk is where the mismatch shows. The default server notes it and answers it
 * as any unknown command; this one refuses it and closes, as a strict receiver must, since
 * nothing after it can be trusted to be in step.
 */
export const chunkingStrict: BuiltInScenario = {
  name: 'chunking-strict',
  summary: 'CHUNKING offered; a line right after a BDAT chunk that is not a command (the chunk was longer than announced) gets 500 5.5.2 and a close',
  imitates: 'a strict RFC 3030 receiver meeting a client that miscounts its chunks: nothing after the miscount is taken as a command',
  options: [],
  create: () => ({
    behaviour: {
      name: 'chunking-strict',
      onCommand: (c) => (c.afterChunk && !commandHandlers[c.verb]
        ? { reply: reply(500, '5.5.2', 'Error: BDAT chunk length mismatch: the octets after the chunk are not a command'), close: 'after-reply' }
        : undefined),
    },
  }),
};

/**
 * Office 365 refuses a bare LF in a message sent by DATA, and takes the same bytes by BDAT,
 * where no line structure is implied (RFC 3030 §2).
 */
export const bdatReject: BuiltInScenario = {
  name: 'bdat-reject',
  summary: '550 5.6.11 to a message with a bare LF sent by DATA; the same bytes sent by BDAT are accepted',
  imitates: 'Exchange Online (Office 365): "SMTPSEND.BareLinefeedsAreIllegal"',
  options: [],
  create: () => ({
    behaviour: {
      name: 'bdat-reject',
      onMessage: (m) => (m.transfer === 'data' && m.bareLfLines.length > 0
        ? { reply: reply(550, '5.6.11', 'SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA and receiving system does not support BDAT') }
        : undefined),
    },
  }),
};
