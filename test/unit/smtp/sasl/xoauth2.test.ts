import { describe, expect, it } from 'vitest';
import { saslClient } from '../../../../src/smtp/sasl/client.js';
import { parseXoauth2, xoauth2ErrorChallenge, xoauth2InitialResponse } from '../../../../src/smtp/sasl/xoauth2.js';

describe('XOAUTH2', () => {
  it('builds user=U^Aauth=Bearer T^A^A, as the providers document it', () => {
    expect(xoauth2InitialResponse('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg')).toBe(
      'user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01',
    );
  });

  it('the server side reads back what the client side sends', () => {
    const client = saslClient('XOAUTH2', 'alice@example.com', 'tok.en-1', 'unused');
    const decoded = Buffer.from(client.initialResponse!, 'base64').toString('utf8');
    expect(parseXoauth2(decoded)).toEqual({ user: 'alice@example.com', token: 'tok.en-1' });
    expect(parseXoauth2('user=a\x01auth=Bearer x\x01')).toBeUndefined();
    expect(parseXoauth2('user=a\x01\x01')).toBeUndefined();
  });

  it('answers the JSON error challenge with an empty line so that the server can send its 535', () => {
    const client = saslClient('XOAUTH2', 'a', 't', 'unused');
    expect(client.respond(Buffer.from(xoauth2ErrorChallenge()).toString('base64'))).toBe('');
  });
});
