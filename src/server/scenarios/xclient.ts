import { XCLIENT_ATTRIBUTES, XFORWARD_ATTRIBUTES } from '../../smtp/xclient.js';
import type { BuiltInScenario } from './scenario.js';

/** Postfix with the client in smtpd_authorized_xclient_hosts and smtpd_authorized_xforward_hosts. */
export const xclient: BuiltInScenario = {
  name: 'xclient',
  summary: 'advertises and accepts XCLIENT (a new 220, the session starts over) and XFORWARD, showing the decoded attributes',
  imitates: 'Postfix smtpd with smtpd_authorized_xclient_hosts and smtpd_authorized_xforward_hosts set (what a proxy or content filter talks to)',
  options: [],
  create: () => ({
    behaviour: {
      name: 'xclient',
      capabilities: (_c, keywords) => {
        if (keywords.some((k) => /^XCLIENT\b/i.test(k))) return keywords;
        const help = keywords.indexOf('HELP');
        const added = [`XCLIENT ${XCLIENT_ATTRIBUTES.join(' ')}`, `XFORWARD ${XFORWARD_ATTRIBUTES.join(' ')}`];
        return help === -1 ? [...keywords, ...added] : [...keywords.slice(0, help), ...added, ...keywords.slice(help)];
      },
    },
  }),
};
