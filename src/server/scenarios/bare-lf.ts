import { reply } from '../replies.js';
import type { BuiltInScenario } from './scenario.js';

/**
 * Postfix's answers to SMTP smuggling (CVE-2023-51764), `smtpd_forbid_bare_newline`, as
 * Postfix 3.7.11 was seen to answer on loopback.
 */

const bareLfReply = () => reply(550, '5.5.2', 'Error: bare <LF> received');

/** `reject`: a message with a bare LF gets 550 and the session goes on; a command ended by a bare LF gets 550 and a close. */
export const bareLfReject: BuiltInScenario = {
  name: 'bare-lf-reject',
  summary: '550 5.5.2 to a message holding a bare LF (the session goes on) and to a command ended by one (then closes)',
  imitates: 'Postfix with smtpd_forbid_bare_newline = reject',
  options: [],
  create: () => ({
    behaviour: {
      name: 'bare-lf-reject',
      onCommand: (c) => (c.terminator === 'lf' ? { reply: bareLfReply(), close: 'after-reply' } : undefined),
      onMessage: (m) => (m.bareLfLines.length > 0 ? { reply: bareLfReply() } : undefined),
    },
  }),
};

/**
 * `normalize`: a bare LF ends a line as CRLF does, and a "." line ended that way (a fake
 * end-of-data) is dropped rather than ending the message. Works on the still-stuffed
 * content: there a lone "." line can only be such a fake end, since CRLF "." CRLF would
 * have ended the DATA (RFC 5321 §4.1.1.4), and every other leading "." is unstuffed
 * (RFC 5321 §4.5.2) line by line.
 */
export function normalizeBareLf(stuffed: Buffer): Buffer {
  const lines = stuffed.toString('latin1').split('\n');
  const last = lines.pop() ?? '';
  let out = '';
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '.') continue;
    out += `${line.startsWith('.') ? line.slice(1) : line}\r\n`;
  }
  return Buffer.from(out + (last.startsWith('.') ? last.slice(1) : last), 'latin1');
}

export const bareLfNormalize: BuiltInScenario = {
  name: 'bare-lf-normalize',
  summary: 'accepts bare LFs and stores the message with each one turned into CRLF; a "." line ended by a bare LF is dropped',
  imitates: 'Postfix with smtpd_forbid_bare_newline = normalize (the default from Postfix 3.9)',
  options: [],
  create: () => ({
    behaviour: {
      name: 'bare-lf-normalize',
      onMessage: (m) => (m.bareLfLines.length > 0 ? { store: normalizeBareLf(m.stuffed) } : undefined),
    },
  }),
};
