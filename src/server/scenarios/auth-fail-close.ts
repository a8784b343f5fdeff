import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * A real incident: Mailgun answered a failed login with 535 and closed at once, and a client
 * library that sent QUIT and waited for 221 looped on empty reads. Any AUTH
 * exchange, once complete, gets 535 5.7.8 (RFC 4954 §6, "Authentication credentials
 * invalid") and the connection is closed, so the QUIT that follows is never answered.
 */
export const authFailClose: BuiltInScenario = {
  name: 'auth-fail-close',
  summary: '535 5.7.8 to every AUTH, then closes the connection; QUIT is never answered',
  imitates: 'Mailgun after a failed login (a client library then waited forever for the 221 to its QUIT)',
  options: [],
  create: () => ({
    behaviour: {
      name: 'auth-fail-close',
      onAuth: () => ({ reply: reply(535, '5.7.8', 'Authentication failed'), close: 'after-reply' }),
    },
  }),
};
