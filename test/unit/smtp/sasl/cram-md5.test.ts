import { describe, expect, it } from 'vitest';
import { cramMd5Challenge, cramMd5Response, verifyCramMd5 } from '../../../../src/smtp/sasl/cram-md5.js';
import { saslClient } from '../../../../src/smtp/sasl/client.js';

// RFC 2195 §2, the example exchange.
const CHALLENGE = '<1896.697170952@postoffice.reston.mci.net>';
const RESPONSE = 'tim b913a602c7eda7a495b4e6e7334d3890';

describe('CRAM-MD5 (RFC 2195)', () => {
  it("answers RFC 2195's example challenge with its published response", () => {
    expect(cramMd5Response('tim', 'tanstaaftanstaaf', CHALLENGE)).toBe(RESPONSE);
  });

  it('the client state machine answers the base64 challenge with the base64 response', () => {
    const client = saslClient('CRAM-MD5', 'tim', 'tanstaaftanstaaf', 'unused');
    expect(client.initialResponse).toBeUndefined();
    expect(client.respond('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+')).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
  });

  it('refuses a challenge that is not base64 instead of hashing noise', () => {
    const client = saslClient('CRAM-MD5', 'tim', 'pw', 'unused');
    expect(() => client.respond('not base64!')).toThrow(/not base64/);
  });

  it("the server side accepts RFC 2195's response and refuses a wrong password or unknown user", () => {
    const passwords = (user: string) => (user === 'tim' ? 'tanstaaftanstaaf' : undefined);
    expect(verifyCramMd5(RESPONSE, CHALLENGE, passwords)).toEqual({ user: 'tim', ok: true });
    expect(verifyCramMd5(cramMd5Response('tim', 'wrong', CHALLENGE), CHALLENGE, passwords)).toEqual({ user: 'tim', ok: false });
    expect(verifyCramMd5(RESPONSE.replace('tim', 'tom'), CHALLENGE, passwords)).toEqual({ user: 'tom', ok: false });
    expect(verifyCramMd5('nospace', CHALLENGE, passwords)).toBeUndefined();
  });

  it('the server side accepts what the client side sends for a fresh challenge', () => {
    const challenge = cramMd5Challenge('mx.test', 'abc123', 1_700_000_000_000);
    expect(challenge).toBe('<abc123.1700000000@mx.test>');
    const response = cramMd5Response('alice smith', 's3cret', challenge);
    expect(verifyCramMd5(response, challenge, (u) => (u === 'alice smith' ? 's3cret' : undefined))).toEqual({ user: 'alice smith', ok: true });
  });
});
