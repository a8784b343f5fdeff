import type { BuiltInScenario } from './scenario.js';

/** A server that hangs up after EHLO, without a reply or a QUIT, as some overloaded or blocklisting MTAs do. */
export const ehloClose: BuiltInScenario = {
  name: 'ehlo-close',
  summary: 'closes the connection on EHLO without sending a reply',
  imitates: 'an overloaded or blocklisting MTA that drops clients after the greeting',
  options: [],
  create: () => ({ behaviour: { name: 'ehlo-close', onCommand: (c) => (c.verb === 'EHLO' ? { close: 'now' } : undefined) } }),
};

/**
 * Answers STARTTLS with 220 (RFC 3207 §4), waits for the ClientHello and closes: the
 * client's handshake fails half-way, as it does against a server whose TLS stack is broken.
 */
export const tlsAbort: BuiltInScenario = {
  name: 'tls-abort',
  summary: '220 to STARTTLS, then closes the connection in the middle of the TLS handshake',
  imitates: 'a server with a broken TLS set-up (OpenSMTPD 6.8 built against OpenSSL 3 fails every handshake this way)',
  options: [],
  create: () => ({ behaviour: { name: 'tls-abort', onCommand: (c) => (c.verb === 'STARTTLS' ? { abortTls: true } : undefined) } }),
};
