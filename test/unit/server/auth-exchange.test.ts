import { describe, expect, it } from 'vitest';
import { offeredMechanisms, parseServerMechanism, serverSasl, type AuthStep } from '../../../src/server/auth-exchange.js';
import { parseAuthUsers } from '../../../src/server/auth-users.js';
import { saslClient } from '../../../src/smtp/sasl/client.js';

const users = parseAuthUsers('alice:s3cret pw\n', 'users.txt');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** Runs smtpdbg's own client against the server side, both fed decoded text. */
function exchange(mechanism: 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2' | 'SCRAM-SHA-256', withUsers: boolean, user: string, secret: string): AuthStep {
  const server = serverSasl(mechanism, withUsers ? users : undefined, 'mx.test');
  const client = saslClient(mechanism, user, secret, 'fyko+d2lbbFgONRv9qkxdawL');
  let step: AuthStep = { kind: 'challenge', text: server.firstChallenge };
  let response = client.initialResponse ?? client.respond(b64(server.firstChallenge));
  for (let i = 0; i < 5; i++) {
    step = server.respond(unb64(response));
    if (step.kind !== 'challenge') return step;
    response = client.respond(b64(step.text));
  }
  throw new Error('the exchange did not end');
}

describe('serve AUTH mechanisms, server side against the client side', () => {
  it('SCRAM-SHA-256 is offered only with a users file', () => {
    expect(offeredMechanisms(undefined)).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2']);
    expect(offeredMechanisms(users)).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'SCRAM-SHA-256']);
    expect(parseServerMechanism('scram-sha-256', undefined)).toBeUndefined();
    expect(parseServerMechanism('scram-sha-256', users)).toBe('SCRAM-SHA-256');
    expect(parseServerMechanism('cram-md5', undefined)).toBe('CRAM-MD5');
    expect(parseServerMechanism('DIGEST-MD5', users)).toBeUndefined();
  });

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as const)('%s without a users file accepts any secret and names the user', (mechanism) => {
    expect(exchange(mechanism, false, 'anyone', 'anything')).toEqual({ kind: 'complete', user: 'anyone', verdict: { ok: true, how: 'any credentials are accepted' } });
  });

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'SCRAM-SHA-256'] as const)('%s with a users file: right secret ok, wrong secret and unknown user refused', (mechanism) => {
    const good = exchange(mechanism, true, 'alice', 's3cret pw');
    expect(good).toMatchObject({ kind: 'complete', user: 'alice', verdict: { ok: true } });
    const wrong = exchange(mechanism, true, 'alice', 'guess');
    expect(wrong).toMatchObject({ kind: 'complete', user: 'alice', verdict: { ok: false, why: `wrong ${mechanism === 'XOAUTH2' ? 'token' : 'password'} (users.txt)` } });
    expect(exchange(mechanism, true, 'mallory', 's3cret pw')).toMatchObject({ kind: 'complete', user: 'mallory', verdict: { ok: false, why: '"mallory" is not in users.txt' } });
  });

  it("SCRAM-SHA-256's success carries the server signature; XOAUTH2's refusal the JSON error", () => {
    const scram = exchange('SCRAM-SHA-256', true, 'alice', 's3cret pw');
    expect(scram.kind === 'complete' && scram.verdict.ok && scram.verdict.final).toMatch(/^v=/);
    const xoauth = exchange('XOAUTH2', true, 'alice', 'expired');
    expect(xoauth.kind === 'complete' && !xoauth.verdict.ok && JSON.parse(xoauth.verdict.challenge!)).toEqual({ status: '401', schemes: 'bearer', scope: '' });
  });

  it.each([
    ['PLAIN', 'no-nuls-here'],
    ['CRAM-MD5', 'nospace'],
    ['XOAUTH2', 'user=a'],
    ['SCRAM-SHA-256', 'p=tls-unique,,n=alice,r=abc'],
  ] as const)('%s: a response the mechanism does not define is malformed (501)', (mechanism, response) => {
    expect(serverSasl(mechanism, users, 'mx.test').respond(response).kind).toBe('malformed');
  });
});
