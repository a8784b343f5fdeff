import { describe, expect, it } from 'vitest';
import { TlsError } from '../../../src/errors.js';
import { SmtpSession } from '../../../src/session/smtp-session.js';
import { isLoopbackAddress } from '../../../src/session/target.js';

describe('isLoopbackAddress: 127.0.0.0/8 and ::1, by address only', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.10.2', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['localhost', false],
    ['127.0.0.1.attacker.example', false],
    [undefined, false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('credentials in clear are decided on the connected address, not the typed name', () => {
  /** A session whose client connected to `remoteAddress` for the name `host`, without TLS. */
  function sessionTo(host: string, remoteAddress: string): SmtpSession {
    const client = { host, target: `${host}:25`, remoteAddress, tlsSummary: undefined, onUnsolicited: () => undefined, onLate: () => undefined };
    const Session = SmtpSession as unknown as new (settings: unknown, client: unknown) => SmtpSession;
    return new Session({ insecure: false, target: { host, port: 25 } }, client);
  }

  it('a name that starts with 127. but resolved elsewhere gets no AUTH in clear', () => {
    expect(() => sessionTo('127.0.0.1.attacker.example', '192.0.2.7').assertCredentialsAllowed()).toThrow(TlsError);
    expect(() => sessionTo('127.0.0.1.attacker.example', '192.0.2.7').assertCredentialsAllowed()).toThrow(
      'refusing to send credentials over an unencrypted connection to 127.0.0.1.attacker.example:25 (192.0.2.7), which is not this machine',
    );
  });

  it('any name that resolved to a loopback address may', () => {
    expect(() => sessionTo('mail.internal.test', '127.0.0.53').assertCredentialsAllowed()).not.toThrow();
    expect(() => sessionTo('ip6-localhost', '::1').assertCredentialsAllowed()).not.toThrow();
  });
});
